"""Per-image tables of a run: what the model said about each image.

- `predictions.csv` (classifiers): one row per test image, its true and predicted class, the
  confidence and every class's probability.
- `reconstruction_errors.csv` (autoencoders): each image's reconstruction MSE, every split.
- `clusters.csv` + `clusters.npz` (autoencoders): each image's k-means cluster in the embedding
  space, every split; the centres, so that `llexp embed` assigns new images the same way.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from llexp import artifacts

log = logging.getLogger(__name__)

SPLITS = ("train", "val", "test")


def write_predictions(path: Path, probs, labels, class_names) -> None:
    """predictions.csv: index, true, predicted, confidence, then `prob_<class>` per class."""
    probs = np.asarray(probs, dtype="float64")
    predicted = np.argmax(probs, axis=-1)
    header = ["index", "true", "predicted", "confidence", *(f"prob_{n}" for n in class_names)]
    rows = [header]
    names = [str(n) for n in class_names]
    for i, (p, label, guess) in enumerate(zip(probs, labels, predicted, strict=True)):
        rows.append([i, names[int(label)], names[guess], f"{p[guess]:.6g}",
                     *(f"{v:.6g}" for v in p)])  # fmt: skip
    artifacts.write_csv(path, rows)


def write_reconstruction_errors(path: Path, errors: dict, labels: dict, class_names) -> None:
    """reconstruction_errors.csv: split, index, label, mse (mean over the image's pixels)."""
    rows = [["split", "index", "label", "mse"]]
    for split in SPLITS:
        for i, (label, error) in enumerate(zip(labels[split], errors[split], strict=True)):
            rows.append([split, i, class_names[int(label)], f"{float(error):.6g}"])
    artifacts.write_csv(path, rows)


def kmeans(embeddings: np.ndarray, k: int, seed: int = 0):
    """k-means with `k` clusters fitted on `embeddings` (N, D): a fitted scikit-learn KMeans."""
    from sklearn.cluster import KMeans

    k = max(1, min(int(k), len(embeddings)))
    return KMeans(n_clusters=k, n_init=3, random_state=seed).fit(np.asarray(embeddings, "float64"))


def assign(centers: np.ndarray, embeddings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each embedding's nearest centre and its distance to it."""
    embeddings = np.asarray(embeddings, "float64").reshape(len(embeddings), -1)
    distances = np.linalg.norm(embeddings[:, None, :] - centers[None], axis=-1)
    nearest = np.argmin(distances, axis=-1) if len(centers) else np.zeros(0, int)
    return nearest, distances[np.arange(len(embeddings)), nearest]


def write_clusters(out_dir: Path, embeddings: dict, labels: dict, class_names, k: int) -> None:
    """k-means fitted on the training embeddings, applied to every split: clusters.csv (split,
    index, label, cluster, distance to its centre) and clusters.npz (the centres)."""
    fitted = kmeans(embeddings["train"], k)
    centers = fitted.cluster_centers_
    rows = [["split", "index", "label", "cluster", "distance"]]
    for split in SPLITS:
        clusters, distances = assign(centers, embeddings[split])
        for i, (label, c, d) in enumerate(zip(labels[split], clusters, distances, strict=True)):
            rows.append([split, i, class_names[int(label)], int(c), f"{d:.6g}"])
    artifacts.write_npz(out_dir / "clusters.npz", centers=centers)
    artifacts.write_csv(out_dir / "clusters.csv", rows)


def nearest(queries: np.ndarray, pool: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices into `pool` of each query's `k` nearest embeddings (Euclidean), nearest first,
    and their distances."""
    queries = np.asarray(queries, "float64").reshape(len(queries), -1)
    pool = np.asarray(pool, "float64").reshape(len(pool), -1)
    distances = np.linalg.norm(queries[:, None, :] - pool[None], axis=-1)
    k = min(k, len(pool))
    found = np.argsort(distances, axis=-1, kind="stable")[:, :k]
    return found, np.take_along_axis(distances, found, axis=-1)


def write_summary(path: Path, model, verbose: int) -> None:
    """summary.txt: Keras's model summary (layers, output shapes, parameters); its first lines
    go to the log too at `verbose>=1`."""
    lines: list[str] = []
    model.summary(print_fn=lambda text, line_break=True: lines.append(text))
    text = "\n".join(lines).rstrip() + "\n"
    artifacts.write_text(path, text)
    if verbose >= 1:
        head = text.splitlines()[:12]
        log.info("model summary (summary.txt):\n%s", "\n".join(head))
