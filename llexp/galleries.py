"""Figures of single images a run picked out: the most confident mistakes, each query image's
nearest neighbours in an encoder's embedding space, augmented training images, and the test
embeddings' projection.

Like `llexp.figures`, each function draws from arrays (images float in [0, 1], (N, H, W, C)),
tiles the images into one picture drawn with one `imshow`, and saves with `save_figure`.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np

from llexp.drawing import labelled_tiles, save_figure, subplots, tiled, tiled_figure, wrapped


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


def augment_draws(x: np.ndarray, layers, variants: int = 7) -> np.ndarray:
    """`variants` draws of the augmentation `layers` applied to each image of `x`: (N, V, ...).
    (TensorFlow work, for the main thread; `augmented` only draws.)"""
    from llexp.data.pipeline import augmented as augment

    x = np.asarray(x, dtype="float32")
    return np.stack([np.asarray(augment(layers, x)) for _ in range(variants)], axis=1)


def augmented(x: np.ndarray, draws: np.ndarray, names: list[str], path: Path, title: str):
    """Each row: a training image, then its augmented `draws` (from `augment_draws`, by the
    layers `names`), so the user sees what the model saw."""
    x = np.asarray(x, dtype="float32")
    variants = draws.shape[1]
    grid = np.concatenate([x[:, None], draws], axis=1).reshape(-1, *x.shape[1:])  # row i: image i
    h = x.shape[1]
    canvas, _ = tiled(grid, variants + 1, pad=max(1, h // 8))
    text = (
        f"{title}\nleft: a training image; right: {variants} augmented versions of it "
        f"({', '.join(names)})"
    )
    inches = 10.0 / max(canvas.shape[:2])  # the longer side 10 inches
    cell = canvas.shape[1] * inches / (variants + 1)
    fig, _ = tiled_figure(canvas, cell, variants + 1, text, fontsize=9)
    return save_figure(fig, path)


def embedding_projection(
    points: np.ndarray, labels, class_names, path: Path, title: str, note: str = ""
):
    """A 2-D projection of the test set's embeddings, one colour per class; `note` (e.g. the
    clustering scores) goes under the title."""
    fig, ax = subplots((7.5, 6.5))
    cmap = matplotlib.colormaps["tab10" if len(class_names) <= 10 else "tab20"]
    labels = np.asarray(labels)
    for k, name in enumerate(class_names):
        chosen = labels == k
        if chosen.any():
            color = cmap(k % cmap.N)
            ax.scatter(*points[chosen].T, s=8, color=color, alpha=0.7, label=str(name))
    if len(class_names) <= 20:
        ax.legend(markerscale=2, fontsize=8, loc="best", title="class")
    ax.set(xlabel="component 1", ylabel="component 2")
    subtitle = ", ".join(filter(None, ["test embeddings, first two principal components", note]))
    ax.set_title(wrapped(f"{title}\n{subtitle}", 7.0, 10), fontsize=10)
    fig.tight_layout()
    return save_figure(fig, path)
