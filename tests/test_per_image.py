"""Per-image files of a run folder, for both trainers: predictions.csv, misclassified.png,
summary.txt (classifiers); reconstruction errors, clusters, neighbours (autoencoders); and
`llexp embed` on new images."""

import csv
import json

import numpy as np
import pytest

from llexp.runner import run

from helpers import TINY, assert_drawn, write_image_folder

TRAINERS = ["fit", "tape"]
AE = ["model=autoencoder", "model.width=4", "model.depth=1", "model.visualization_size=2"]


def rows(path):
    return list(csv.DictReader(path.open()))


@pytest.fixture(scope="module", params=TRAINERS)
def classifier(request, tmp_path_factory):
    from llexp.api import compose

    out = tmp_path_factory.mktemp(f"classifier-{request.param}")
    return out, run(compose(*TINY, f"trainer={request.param}"), out)


@pytest.fixture(scope="module", params=TRAINERS)
def autoencoder(request, tmp_path_factory):
    from llexp.api import compose

    out = tmp_path_factory.mktemp(f"autoencoder-{request.param}")
    tiny = [o for o in TINY if not o.startswith("model.")]
    return out, run(compose(*tiny, *AE, f"trainer={request.param}", "model.clusters=3"), out)


def test_predictions_csv_has_one_row_per_test_image_with_every_probability(classifier):
    out, result = classifier
    table = rows(out / "predictions.csv")
    assert len(table) == 360  # digits' test split
    assert [int(r["index"]) for r in table] == list(range(360))
    probs = np.array([[float(r[f"prob_{k}"]) for k in range(10)] for r in table])
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-4)
    for r, p in zip(table, probs, strict=True):
        assert r["predicted"] == str(int(np.argmax(p)))
        assert float(r["confidence"]) == pytest.approx(p.max(), rel=1e-5)
    # The rows agree with the test accuracy Keras's metric reported.
    right = np.mean([r["true"] == r["predicted"] for r in table])
    assert right == pytest.approx(result.metrics["test_accuracy"], abs=1e-6)
    assert [int(r["true"]) for r in table] == _test_labels()  # in the test split's order


def _test_labels():
    from llexp.api import compose
    from llexp.errors import instantiate

    return [int(v) for v in instantiate(compose(*TINY).dataset).load().y_test]


def test_misclassified_and_summary_are_written(classifier):
    out, result = classifier
    assert_drawn(out / "misclassified.png")
    summary = (out / "summary.txt").read_text()
    assert "Output Shape" in summary and "(None, 10)" in summary  # the softmax's shape
    assert "probabilities" in summary  # the layer's name
    assert f"{result.model.count_params():,}" in summary
    assert json.loads((out / "metrics.json").read_text())["status"] == "completed"


def test_reconstruction_errors_cover_every_split(autoencoder):
    out, result = autoencoder
    table = rows(out / "reconstruction_errors.csv")
    counts = {s: sum(r["split"] == s for r in table) for s in ("train", "val", "test")}
    assert counts == {"train": 270, "val": 30, "test": 360}  # subset 300, 10% validation
    test = [float(r["mse"]) for r in table if r["split"] == "test"]
    # Every image has as many pixels: the mean of per-image MSEs is the test set's MSE.
    assert np.mean(test) == pytest.approx(result.metrics["test_mse"], rel=1e-4)
    for name in ("worst_reconstructions", "neighbours", "reconstructions"):
        assert_drawn(out / f"{name}.png", min_bytes=3_000)


def test_clusters_give_every_image_of_every_split_one_of_k(autoencoder):
    out, _ = autoencoder
    table = rows(out / "clusters.csv")
    assert len(table) == 270 + 30 + 360
    assert {int(r["cluster"]) for r in table} <= {0, 1, 2}  # model.clusters=3
    centers = np.load(out / "clusters.npz")["centers"]
    assert centers.shape[0] == 3
    # Each test image's cluster is its nearest centre in the saved embeddings.
    embeddings = np.load(out / "embeddings.npz")["embeddings"]
    nearest = np.argmin(((embeddings[:, None] - centers[None]) ** 2).sum(-1), axis=1)
    test = [int(r["cluster"]) for r in table if r["split"] == "test"]
    assert test == nearest.tolist()


def test_clusters_default_to_the_number_of_classes(tiny_cfg, tmp_path):
    tiny = [o for o in TINY if not o.startswith("model.")]
    from llexp.api import compose

    run(compose(*tiny, *AE), tmp_path)
    assert np.load(tmp_path / "clusters.npz")["centers"].shape[0] == 10


def test_embed_assigns_new_images_to_the_runs_clusters(autoencoder, tmp_path):
    import keras

    from llexp.embed import main

    out, _ = autoencoder
    folder, _ = write_image_folder(tmp_path / "new", classes=2, per_class=3, mode="L")
    assert main([str(out), str(folder), "--out", str(tmp_path / "emb")]) == 0
    table = rows(tmp_path / "emb" / "clusters.csv")
    assert len(table) == 6 and table[0]["path"] == "class_a/img000.png"
    # The same images through the saved encoder by hand give the same clusters.
    from PIL import Image

    encoder = keras.models.model_from_json((out / "encoder.json").read_text())
    encoder.load_weights(out / "encoder.weights.h5")
    x = np.stack([np.asarray(Image.open(folder / r["path"]), "float32")[..., None] / 255
                  for r in table])  # fmt: skip
    codes = encoder.predict(x, verbose=0).reshape(len(x), -1)
    centers = np.load(out / "clusters.npz")["centers"]
    nearest = np.argmin(((codes[:, None] - centers[None]) ** 2).sum(-1), axis=1)
    assert [int(r["cluster"]) for r in table] == nearest.tolist()


def test_embed_refuses_a_classifier_folder_in_one_line(classifier, tmp_path, capsys):
    from llexp.embed import main

    folder, _ = write_image_folder(tmp_path / "new", classes=1, per_class=2)
    assert main([str(classifier[0]), str(folder)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "autoencoder" in err
