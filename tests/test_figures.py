"""The figures a classifier run draws, and the drawing rules they share (headless, closed, gray
for one channel, true colours for three)."""

import csv
import json

import numpy as np
import pytest
from matplotlib.image import imread

from llexp import figures
from llexp.runner import run

from helpers import TINY, assert_drawn

CLASSIFIER_FIGURES = ["samples", "predictions", "probabilities", "confusion_matrix"]


@pytest.fixture(scope="module")
def classifier_run(tmp_path_factory):
    from llexp.api import compose

    out = tmp_path_factory.mktemp("classifier")
    return out, run(compose(*TINY), out)


@pytest.mark.parametrize("name", CLASSIFIER_FIGURES)
def test_classifier_run_draws_each_figure(classifier_run, name):
    out, _ = classifier_run
    assert_drawn(out / f"{name}.png")


def test_no_figure_is_left_open_after_a_run(classifier_run):
    # A figure made through pyplot and never closed stays in pyplot's list for the whole process:
    # a sweep of many jobs would hold every figure of every job.
    import matplotlib.pyplot as plt

    assert plt.get_fignums() == []


def test_confusion_matrix_csv_counts_every_test_image(classifier_run):
    out, result = classifier_run
    rows = list(csv.reader((out / "confusion_matrix.csv").open()))
    names = [str(k) for k in range(10)]  # digits has no class names: its labels are the names
    assert rows[0] == ["true \\ predicted", *names]
    assert [row[0] for row in rows[1:]] == names
    matrix = np.array([[int(v) for v in row[1:]] for row in rows[1:]])
    assert matrix.sum() == 360  # digits' test split: 20% of 1797
    metrics = json.loads((out / "metrics.json").read_text())
    # The diagonal is what the model got right: it must agree with Keras's test accuracy.
    assert np.trace(matrix) / matrix.sum() == pytest.approx(metrics["test_accuracy"], abs=1e-6)


def test_class_names_label_the_figures(tmp_path):
    x = np.random.default_rng(0).random((6, 8, 8, 1)).astype("float32")
    y = np.array([0, 1, 2, 0, 1, 2])
    names = ["cat", "dog", "bird"]
    figures.samples(x, y, names, tmp_path / "s.png", "title")
    figures.confusion_matrix(np.eye(3, dtype=int) * 2, names, tmp_path / "c.png", "title")
    assert_drawn(tmp_path / "s.png", min_bytes=1_000)
    assert_drawn(tmp_path / "c.png", min_bytes=1_000)


def reconstruction_pixels(tmp_path, x, outputs):
    figures.reconstructions(x, outputs, 2, tmp_path / "r.png", "title")
    return imread(tmp_path / "r.png")[..., :3]


def test_grayscale_images_are_drawn_gray_not_in_a_colormap(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.random((4, 8, 8, 1)).astype("float32")
    pixels = reconstruction_pixels(tmp_path, x, x * 2.0 - 0.5)  # outputs outside [0, 1] clip
    spread = pixels.max(axis=-1) - pixels.min(axis=-1)
    assert spread.max() < 0.02  # red = green = blue everywhere (viridis would colour them)
    assert pixels.var() > 1e-3


def test_rgb_images_keep_their_colours(tmp_path):
    x = np.zeros((4, 8, 8, 3), "float32")
    x[..., 0] = 1.0  # pure red images, reconstructed as pure blue
    outputs = np.zeros_like(x)
    outputs[..., 2] = 1.0
    pixels = reconstruction_pixels(tmp_path, x, outputs).reshape(-1, 3)
    assert np.any(np.all(np.abs(pixels - [1, 0, 0]) < 0.02, axis=-1))
    assert np.any(np.all(np.abs(pixels - [0, 0, 1]) < 0.02, axis=-1))


def test_fewer_test_images_than_the_grid_still_draws(tmp_path):
    x = np.random.default_rng(1).random((3, 8, 8, 1)).astype("float32")
    figures.reconstructions(x, x, 4, tmp_path / "r.png", "title")  # a 4x4 grid, 3 images
    assert_drawn(tmp_path / "r.png", min_bytes=1_000)
