"""Per-class metrics, top-5 accuracy and the clustering scores, on cases with known answers."""

import csv
import json

import numpy as np
import pytest

from llexp import evaluation
from llexp.api import compose
from llexp.errors import instantiate
from llexp.runner import run


def test_purity_counts_each_clusters_majority_label():
    labels = np.array([0, 0, 1, 1, 2, 2])
    clusters = np.array([1, 1, 0, 0, 0, 2])  # cluster 0 mixes two 1s and a 2
    assert evaluation.purity(labels, clusters) == pytest.approx(5 / 6)


def test_kmeans_finds_well_separated_classes_perfectly():
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1, 2], 20)
    centres = np.array([[0, 0], [10, 0], [0, 10]])
    points = centres[labels] + rng.normal(0, 0.3, (60, 2))
    scores = evaluation.kmeans_scores(points, labels, k=3, seed=0)
    assert scores == {"purity": 1.0, "nmi": pytest.approx(1.0), "ari": pytest.approx(1.0)}
    shuffled = rng.permutation(labels)  # labels unrelated to the points
    chance = evaluation.kmeans_scores(points, shuffled, k=3, seed=0)
    assert chance["nmi"] < 0.2 and abs(chance["ari"]) < 0.1


def test_top_k_accuracy():
    probs = np.array([[0.5, 0.3, 0.2], [0.1, 0.2, 0.7], [0.6, 0.3, 0.1]])
    assert evaluation.top_k_accuracy(probs, np.array([1, 1, 2]), 1) == 0.0
    assert evaluation.top_k_accuracy(probs, np.array([1, 1, 2]), 2) == pytest.approx(2 / 3)


def test_per_class_metrics_and_csv(tmp_path):
    labels = np.array([0, 0, 1, 1])
    probs = np.eye(3)[[0, 1, 1, 1]]  # one 0 taken for a 1; class 2 never occurs
    metrics = evaluation.classification(probs, labels, ["a", "b", "c"], tmp_path)
    assert metrics["per_class"]["a"] == {"precision": 1.0, "recall": 0.5, "f1": 2 / 3, "support": 2}
    assert metrics["per_class"]["b"]["precision"] == pytest.approx(2 / 3)
    assert metrics["test_macro_f1"] == pytest.approx((2 / 3 + 0.8 + 0) / 3)
    assert "test_top5_accuracy" not in metrics  # fewer than 20 classes
    rows = list(csv.reader((tmp_path / "per_class_metrics.csv").open()))
    assert rows[0] == ["class", "precision", "recall", "f1", "support"] and rows[1][0] == "a"
    many = evaluation.classification(
        np.eye(20)[np.arange(20)], np.arange(20), list(range(20)), tmp_path
    )
    assert many["test_top5_accuracy"] == 1.0


def test_autoencoder_run_writes_embeddings_and_clustering_scores(tmp_path):
    from helpers import TINY_AE, assert_drawn

    result = run(compose(*TINY_AE, "model.depth=1"), tmp_path)
    saved = np.load(tmp_path / "embeddings.npz")
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert saved["embeddings"].shape == (360, 4 * 4 * 4)
    assert len(saved["labels"]) == 360 and list(saved["class_names"]) == [str(i) for i in range(10)]
    # k-means on raw digit pixels finds the digits well above chance (10 classes: purity ~0.1,
    # NMI and ARI ~0): scores computed against misaligned labels or images would not.
    pixels = {name: metrics[f"kmeans_pixels_{name}"] for name in ("purity", "nmi", "ari")}
    assert pixels["purity"] > 0.5 and pixels["nmi"] > 0.5 and pixels["ari"] > 0.3, pixels
    # A one-epoch, 4-channel code clusters worse than pixels, but still above chance.
    code = {name: result.metrics[f"test_kmeans_{name}"] for name in ("purity", "nmi", "ari")}
    assert code["purity"] > 0.15 and code["nmi"] > 0.05, code
    assert_drawn(tmp_path / "embeddings.png")


def test_classifier_run_writes_per_class_metrics(tiny_cfg, tmp_path):
    result = run(tiny_cfg(), tmp_path)
    assert set(result.metrics["per_class"]) == {str(i) for i in range(10)}
    assert (tmp_path / "per_class_metrics.csv").is_file()
    from sklearn.metrics import f1_score

    test = instantiate(tiny_cfg().dataset).splits().test
    predicted = np.argmax(result.model.predict(test.x, verbose=0), axis=-1)
    expected = f1_score(test.labels, predicted, average="macro", zero_division=0)
    assert result.metrics["test_macro_f1"] == pytest.approx(expected, abs=1e-6)
