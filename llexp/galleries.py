"""Figures of single images a run picked out: the most confident mistakes, the worst
reconstructions, and each query image's nearest neighbours in an encoder's embedding space.

Like `llexp.figures`, each function draws from arrays (images float in [0, 1], (N, H, W, C)),
tiles the images into one picture drawn with one `imshow`, and saves with `save_figure`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from llexp.figures import labelled_tiles, save_figure, subplots, tiled, tiled_figure


def most_confident_mistakes(y_true, probs, n: int = 25) -> np.ndarray:
    """Indices of up to `n` misclassified images, the most confident first."""
    probs = np.asarray(probs)
    predicted = np.argmax(probs, axis=-1)
    wrong = np.flatnonzero(predicted != np.asarray(y_true))
    order = np.argsort(-probs[wrong, predicted[wrong]], kind="stable")
    return wrong[order[:n]]


def misclassified(x, indices, y_true, probs, class_names, path: Path, title: str):
    """The images `x` (those at test `indices`), labelled "predicted | true" and the
    confidence of the prediction: the mistakes the model was surest of."""
    if len(indices) == 0:
        return message(path, f"{title}\nno misclassified test image")
    probs = np.asarray(probs)[indices]
    predicted = np.argmax(probs, axis=-1)
    labels = [
        f"{class_names[p]} | {class_names[t]} {100 * probs[i, p]:.0f}%"
        for i, (p, t) in enumerate(zip(predicted, np.asarray(y_true)[indices], strict=True))
    ]
    title = (
        f"{title}\nthe {len(indices)} most confident mistakes on test images, "
        "predicted | true, confidence"
    )
    return labelled_tiles(x, labels, ["red"] * len(labels), path, title, cell=1.8)


def message(path: Path, text: str):
    """A small figure that says `text` (a gallery with nothing to show)."""
    fig, ax = subplots((5.0, 1.5))
    ax.axis("off")
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=10, transform=ax.transAxes)
    return save_figure(fig, path)


def neighbours(queries, found, distances, path: Path, title: str):
    """Each row: a query image, then its nearest neighbours (`found`, (Q, K, H, W, C)) in the
    embedding space, nearest first, each labelled with its distance."""
    queries, found = np.asarray(queries, "float32"), np.asarray(found, "float32")
    q, k = found.shape[:2]
    h, w = queries.shape[1:3]
    grid = np.concatenate([queries[:, None], found], axis=1).reshape(-1, *queries.shape[1:])
    canvas, corners = tiled(grid, k + 1, pad=max(2, round(0.35 * h)))
    fig, ax = tiled_figure(
        canvas,
        1.2,
        k + 1,
        f"{title}\neach row: a test image (left), then its {k} nearest training images in "
        "the embedding space, with their distances",
    )
    for i, (top, left) in enumerate(corners):
        row, col = divmod(i, k + 1)
        text = "query" if col == 0 else f"{distances[row, col - 1]:.3g}"
        ax.text(left - 0.5 + w / 2, top - 0.5 + h, text, ha="center", va="top", fontsize=7,
                color="blue" if col == 0 else "black")  # fmt: skip
    return save_figure(fig, path)
