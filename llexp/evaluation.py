"""Test-set evaluation beyond loss and accuracy, for every family of a task.

- Classification: per-class precision, recall and F1 (scikit-learn), top-5 accuracy with 20 or
  more classes.
- Embeddings: k-means with one cluster per class, scored against the labels by purity,
  normalised mutual information and adjusted Rand index (how the flexible-autoencoder seed
  compares autoencoders), and the same k-means on the raw pixels as the baseline to beat.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from llexp import artifacts

log = logging.getLogger(__name__)

# k-means on raw pixels is the baseline; beyond this many numbers (test images x pixels) it is
# skipped rather than holding a large test set in memory.
MAX_PIXEL_VALUES = 50_000_000


def scores(loss, metrics: list, batches, outputs: np.ndarray) -> dict[str, float]:
    """Loss and metrics of precomputed model `outputs` against the targets of `batches` (the same
    examples in the same order), as `model.evaluate` reports them: the loss averaged over
    examples, each metric over the whole set. No model call: the run's one prediction pass over
    the test set serves these and the figures."""
    from llexp.models.base import unreduced

    values = unreduced(loss)  # per sample: no division by the replicas of a strategy
    total, elements, count = 0.0, 0, 0
    for metric in metrics:
        metric.reset_state()
    for _, targets in batches.as_numpy_iterator():
        n = len(targets)
        predicted = outputs[count : count + n]
        batch = np.asarray(values(targets, predicted), dtype="float64")
        total, elements = total + float(batch.sum()), elements + batch.size
        for metric in metrics:
            metric.update_state(targets, predicted)
        count += n
    if count != len(outputs):
        raise ValueError(f"{len(outputs)} outputs for {count} targets")
    return {"loss": total / elements, **{m.name: float(m.result()) for m in metrics}}


def classification(probs: np.ndarray, labels: np.ndarray, class_names, out_dir: Path) -> dict:
    """Per-class precision, recall, F1 and support into `per_class_metrics.csv`; returns them
    for metrics.json (`per_class`), with the macro averages and, with >= 20 classes, top-5
    accuracy."""
    from sklearn.metrics import precision_recall_fscore_support

    k = len(class_names)
    pred = np.argmax(probs, axis=-1)
    precision, recall, f1, support = precision_recall_fscore_support(
        labels, pred, labels=list(range(k)), zero_division=0
    )
    rows = [["class", "precision", "recall", "f1", "support"]]
    per_class = {}
    for i, name in enumerate(class_names):
        values = [float(precision[i]), float(recall[i]), float(f1[i]), int(support[i])]
        rows.append([name, *(round(v, 6) for v in values)])
        per_class[str(name)] = dict(zip(rows[0][1:], values, strict=True))
    artifacts.write_csv(out_dir / "per_class_metrics.csv", rows)
    metrics = {
        "test_macro_precision": float(np.mean(precision)),
        "test_macro_recall": float(np.mean(recall)),
        "test_macro_f1": float(np.mean(f1)),
        "per_class": per_class,
    }
    if k >= 20:
        metrics["test_top5_accuracy"] = top_k_accuracy(probs, labels, 5)
    return metrics


def top_k_accuracy(probs: np.ndarray, labels: np.ndarray, k: int) -> float:
    """The fraction of images whose label is among the `k` most probable classes."""
    top = np.argsort(probs, axis=-1)[:, -k:]
    return float(np.mean(np.any(top == np.asarray(labels)[:, None], axis=-1)))


def purity(labels: np.ndarray, clusters: np.ndarray) -> float:
    """The fraction of images whose cluster's most common label is their own."""
    from sklearn.metrics.cluster import contingency_matrix

    table = contingency_matrix(labels, clusters)
    return float(table.max(axis=0).sum() / table.sum())


def kmeans_scores(features: np.ndarray, labels: np.ndarray, k: int, seed: int) -> dict:
    """k-means with `k` clusters on `features` (N, ...) -> purity, NMI, ARI against `labels`."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    features = np.asarray(features, dtype="float64").reshape(len(features), -1)
    clusters = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(features)
    return {
        "purity": purity(labels, clusters),
        "nmi": float(normalized_mutual_info_score(labels, clusters)),
        "ari": float(adjusted_rand_score(labels, clusters)),
    }


def clustering(embeddings, labels, images, k: int, seed: int) -> dict:
    """k-means scores of the embeddings (`test_kmeans_*`) and of the raw pixels
    (`kmeans_pixels_*`, the baseline), for metrics.json. `images` may be None (too large)."""
    metrics = {
        f"test_kmeans_{k_}": v for k_, v in kmeans_scores(embeddings, labels, k, seed).items()
    }
    if images is not None:
        pixels = kmeans_scores(images, labels, k, seed)
        metrics |= {f"kmeans_pixels_{name}": value for name, value in pixels.items()}
    else:
        log.info("k-means on raw pixels skipped: the test set exceeds %d values", MAX_PIXEL_VALUES)
    return metrics
