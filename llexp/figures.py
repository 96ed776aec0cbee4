"""The figures a user looks at after a run: labelled images, predictions, class probabilities,
the confusion matrix and an autoencoder's reconstructions.

Each function draws one figure from arrays (images float in [0, 1], shaped (N, H, W, C)) and saves
it with `artifacts.save_figure`, which closes it, so a long sweep never accumulates figures.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from llexp.artifacts import plt, save_figure  # plt there runs on the headless Agg backend


def show(ax, image: np.ndarray) -> None:
    """Draws one image: RGB as is, anything else as its first channel in gray, on a fixed
    [0, 1] scale (so a faint image stays faint instead of being stretched to full contrast)."""
    image = np.clip(image, 0.0, 1.0)
    if image.shape[-1] == 3:
        ax.imshow(image)
    else:
        ax.imshow(image[..., 0], cmap="gray", vmin=0.0, vmax=1.0)
    ax.set_xticks([])
    ax.set_yticks([])


def image_grid(count: int, cell: float = 1.6, extra_height: float = 0.8):
    """A near-square grid of axes for `count` images; axes beyond `count` are hidden."""
    cols = math.ceil(math.sqrt(count))
    rows = math.ceil(count / cols)
    fig, axes = plt.subplots(
        rows, cols, figsize=(cols * cell, rows * cell + extra_height), squeeze=False
    )
    for ax in axes.flat[count:]:
        ax.axis("off")
    return fig, axes.flat[:count]


def samples(x, labels, class_names, path: Path, title: str, n: int = 25) -> None:
    """The first `n` images with their labels (class names)."""
    count = min(n, len(x))
    fig, axes = image_grid(count)
    for ax, image, label in zip(axes, x, labels, strict=False):
        show(ax, image)
        ax.set_xlabel(class_names[label])
    fig.suptitle(f"{title}\nfirst {count} training images and their labels")
    fig.tight_layout()
    save_figure(fig, path)


def predictions(x, y_true, y_pred, class_names, path: Path, title: str, n: int = 25) -> None:
    """The first `n` images labelled "predicted | true": green when right, red when wrong."""
    count = min(n, len(x))
    fig, axes = image_grid(count, cell=1.8)
    for ax, image, true, pred in zip(axes, x, y_true, y_pred, strict=False):
        show(ax, image)
        ax.set_xlabel(
            f"{class_names[pred]} | {class_names[true]}",
            color="green" if pred == true else "red",
        )
    right = int(np.sum(y_pred[:count] == y_true[:count]))
    fig.suptitle(f"{title}\ntest images, predicted | true: {right} of {count} right (green)")
    fig.tight_layout()
    save_figure(fig, path)


def probabilities(
    x, y_true, probs, class_names, path: Path, title: str, rows: int = 5, cols: int = 3
) -> None:
    """Test images beside bar charts of their class probabilities (as in the Keras tutorial):
    the predicted class's bar red, the true class's bar blue (blue alone when right)."""
    count = min(rows * cols, len(x))
    rows = math.ceil(count / cols)
    fig, axes = plt.subplots(rows, 2 * cols, figsize=(4 * cols, 2 * rows + 0.8), squeeze=False)
    for ax in axes.flat[2 * count :]:
        ax.axis("off")
    classes = np.arange(probs.shape[1])
    for i in range(count):
        image_ax, bar_ax = axes.flat[2 * i], axes.flat[2 * i + 1]
        true, pred = int(y_true[i]), int(np.argmax(probs[i]))
        show(image_ax, x[i])
        image_ax.set_xlabel(
            f"{class_names[pred]} {100 * probs[i][pred]:.0f}% ({class_names[true]})",
            color="blue" if pred == true else "red",
        )
        bars = bar_ax.bar(classes, probs[i], color="#777777")
        bars[pred].set_color("red")
        bars[true].set_color("blue")
        bar_ax.set_ylim(0, 1)
        bar_ax.set_xticks(classes)
        bar_ax.tick_params(labelsize=7)
    fig.suptitle(
        f"{title}\nclass probabilities on test images: predicted red, true blue "
        "(label: predicted, confidence, (true))"
    )
    fig.tight_layout()
    save_figure(fig, path)


def confusion_matrix(matrix: np.ndarray, class_names, path: Path, title: str) -> None:
    """Counts of (true, predicted) classes, labelled with the class names."""
    k = len(class_names)
    side = max(5.0, 0.55 * k + 2.5)
    fig, ax = plt.subplots(figsize=(side + 1.0, side))
    drawn = ax.imshow(matrix, cmap="Blues")
    fig.colorbar(drawn, ax=ax, label="test images")
    ax.set(
        xticks=range(k),
        yticks=range(k),
        xticklabels=class_names,
        yticklabels=class_names,
        xlabel="predicted class",
        ylabel="true class",
        title=f"{title}\nconfusion matrix, {int(matrix.sum())} test images",
    )
    plt.setp(ax.get_xticklabels(), rotation=45, ha="right", rotation_mode="anchor")
    if k <= 20:  # beyond that the counts would overlap
        dark = matrix.max() / 2
        for (i, j), count in np.ndenumerate(matrix):
            color = "white" if count > dark else "black"
            ax.text(j, i, int(count), ha="center", va="center", color=color, fontsize=8)
    fig.tight_layout()
    save_figure(fig, path)


def reconstructions(x, outputs, size: int, path: Path, title: str) -> None:
    """A `size` x `size` grid of cells, each a test image with its reconstruction beneath it.

    The cells are tiled into one picture (one `imshow`, fast even for a large grid): mid-gray
    lines, which stand out on black and white backgrounds alike, part an image from its
    reconstruction (thin) and one cell from the next (thick).
    """
    count = min(size * size, len(x))
    h, w, c = x.shape[1:]
    rows = math.ceil(count / size)
    gap, pad = max(1, h // 16), max(2, h // 4)
    cell_h, cell_w = 2 * h + gap + pad, w + pad
    canvas = np.full((rows * cell_h + pad, size * cell_w + pad, c), 0.5, dtype="float32")
    for i in range(count):
        top, left = pad + (i // size) * cell_h, pad + (i % size) * cell_w
        canvas[top : top + h, left : left + w] = x[i]
        canvas[top + h + gap : top + 2 * h + gap, left : left + w] = outputs[i]
    inches = 10.0 / max(canvas.shape[:2])  # the longer side 10 inches, whatever the grid
    fig, ax = plt.subplots(figsize=(canvas.shape[1] * inches + 2.0, canvas.shape[0] * inches + 1.0))
    show(ax, canvas)
    # Label each row of images on the left: the input, then its reconstruction.
    ticks = [pad + r * cell_h + (h + gap) * k + h / 2 for r in range(rows) for k in (0, 1)]
    ax.set_yticks(ticks, ["test image", "reconstruction"] * rows, fontsize=8)
    ax.set_title(f"{title}\n{count} test images, each above its reconstruction")
    fig.tight_layout()
    save_figure(fig, path)


def tiled(images: np.ndarray, cols: int, pad: int) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Images (N, H, W, C) laid out `cols` to a row on one mid-gray canvas (one `imshow` draws
    them all: far cheaper than a subplot per image); returns it and each image's top-left corner."""
    n, h, w, c = images.shape
    rows = math.ceil(n / cols)
    canvas = np.full((rows * (h + pad) + pad, cols * (w + pad) + pad, c), 0.5, dtype="float32")
    corners = []
    for i, image in enumerate(images):
        top, left = pad + (i // cols) * (h + pad), pad + (i % cols) * (w + pad)
        canvas[top : top + h, left : left + w] = np.clip(image, 0.0, 1.0)
        corners.append((top, left))
    return canvas, corners


def augmented(x: np.ndarray, layers, path: Path, title: str, variants: int = 7) -> None:
    """Each row: a training image, then `variants` draws of the augmentation applied to it,
    so the user sees what the model saw."""
    from llexp.data.pipeline import augmented as augment

    x = np.asarray(x, dtype="float32")
    draws = [np.asarray(augment(layers, x)) for _ in range(variants)]
    grid = np.stack([x, *draws], axis=1).reshape(-1, *x.shape[1:])  # row i: image i, its draws
    h = x.shape[1]
    canvas, _ = tiled(grid, variants + 1, pad=max(1, h // 8))
    inches = 10.0 / max(canvas.shape[:2])
    fig, ax = plt.subplots(figsize=(canvas.shape[1] * inches, canvas.shape[0] * inches + 0.8))
    show(ax, canvas)
    ax.set_title(
        f"{title}\nleft: a training image; right: {variants} augmented versions of it "
        f"({', '.join(type(layer).__name__ for layer in layers)})",
        fontsize=9,
    )
    fig.tight_layout()
    save_figure(fig, path)


def embedding_projection(
    points: np.ndarray, labels, class_names, path: Path, title: str, note: str = ""
) -> None:
    """A 2-D projection of the test set's embeddings, one colour per class; `note` (e.g. the
    clustering scores) goes under the title."""
    fig, ax = plt.subplots(figsize=(7.5, 6.5))
    cmap = plt.get_cmap("tab10" if len(class_names) <= 10 else "tab20")
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
    ax.set_title(f"{title}\n{subtitle}", fontsize=10)
    fig.tight_layout()
    save_figure(fig, path)
