"""The figures a user looks at after a run: labelled images, predictions, class probabilities,
the confusion matrix and an autoencoder's reconstructions.

Each function draws one figure from arrays (images float in [0, 1], shaped (N, H, W, C)) and saves
it with `save_figure`; how a figure is made, laid out and saved is in `llexp.drawing`.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from matplotlib.artist import setp
from matplotlib.collections import PolyCollection

from llexp.drawing import (
    epoch_axis,
    labelled_tiles,
    margins,
    save_figure,
    show,
    subplots,
    tiled,
    tiled_figure,
    wrapped,
)


def plot_history(history: dict, path: Path, title: str):
    """One panel per quantity (loss, accuracy, ...), training vs validation, against epochs."""
    return save_figure(history_figure(history, title), path)


def history_figure(history: dict, title: str):
    """The figure `plot_history` saves, for notebooks to show."""
    names = [k for k in history if not k.startswith("val_") and k != "learning_rate"]
    fig, axes = subplots((5 * len(names), 4), ncols=len(names), squeeze=False)
    for ax, name in zip(axes[0], names, strict=True):
        epochs = range(1, len(history[name]) + 1)
        ax.plot(epochs, history[name], "o-", label="train")
        if f"val_{name}" in history:
            ax.plot(epochs, history[f"val_{name}"], "o-", label="validation")
        ax.set(xlabel="epoch", ylabel=name, title=name)
        epoch_axis(ax, len(history[name]))  # no epoch 1.5
        ax.grid(alpha=0.3)
        ax.legend()
    text = wrapped(title, 5 * len(names) - 0.4, 12)
    fig.suptitle(text)
    margins(fig, left=0.8, right=0.2, bottom=0.55, top=0.55 + 0.2 * text.count("\n"), gap=0.9)
    return fig


def samples(x, labels, class_names, path: Path, title: str, n: int = 25):
    """The first `n` images with their labels (class names)."""
    count = min(n, len(x))
    names = [str(class_names[label]) for label in labels[:count]]
    title = f"{title}\nfirst {count} training images and their labels"
    return labelled_tiles(x[:count], names, ["black"] * count, path, title)


def predictions(x, y_true, y_pred, class_names, path: Path, title: str, n: int = 25):
    """The first `n` images labelled "predicted | true": green when right, red when wrong."""
    count = min(n, len(x))
    pairs = list(zip(y_true[:count], y_pred[:count], strict=True))
    names = [f"{class_names[pred]} | {class_names[true]}" for true, pred in pairs]
    colors = ["green" if pred == true else "red" for true, pred in pairs]
    right = colors.count("green")
    title = f"{title}\ntest images, predicted | true: {right} of {count} right (green)"
    return labelled_tiles(x[:count], names, colors, path, title, cell=1.8)


def probabilities(
    x, y_true, probs, class_names, path: Path, title: str, rows: int = 10, cols: int = 4
):
    """Test images beside bar charts of their class probabilities (as in the Keras tutorial):
    the predicted class's bar red, the true class's bar blue (blue alone when right); the
    classes named under each chart (every few of them when there are many).

    One picture: each cell is an image and a white panel the width of two images, the bars of
    all cells drawn over the panels as one collection (a subplot per chart is ten times slower).
    Pixel (r, c) of the picture covers [c - 0.5, c + 0.5] x [r - 0.5, r + 0.5]: the bars are
    placed on those edges, so each stays inside its panel.
    """
    count = min(rows * cols, len(x))
    x = np.asarray(x[:count], dtype="float32")
    h, w = x.shape[1:3]
    k, chart, gap = probs.shape[1], 2 * w, max(1, w // 8)
    # Tile (image | gap | panel) cells: the panel is painted white, bars go over it below.
    cells = np.full((count, h, w + gap + chart, x.shape[-1]), 0.5, dtype="float32")
    cells[:, :, :w], cells[:, :, w + gap :] = x, 1.0
    canvas, corners = tiled(cells, cols, pad=max(3, round(0.8 * h)))  # room for two texts
    fig, ax = tiled_figure(
        canvas,
        3.0,
        cols,
        f"{title}\nclass probabilities on test images: predicted red, true blue "
        "(label: predicted, confidence, (true))",
    )
    bars, colors, width = [], [], 0.8 * chart / k
    step = math.ceil(k / 10)  # at most 10 class names under a chart
    names = [str(name)[:8] for name in class_names]
    rotation = 90 if max(len(n) for n in names) > 2 else 0  # long names stand upright
    for i, (top, left) in enumerate(corners):
        true, pred = int(y_true[i]), int(np.argmax(probs[i]))
        panel, bottom = left + w + gap - 0.5, top + h - 0.5  # the panel's left and bottom edges
        for j, p in enumerate(np.asarray(probs[i], dtype="float64")):
            x0 = panel + (j + 0.5) * chart / k - width / 2
            y1 = bottom - min(max(p, 0.0), 1.0) * h  # the image's y axis points down
            bars.append([(x0, bottom), (x0 + width, bottom), (x0 + width, y1), (x0, y1)])
            colors.append("blue" if j == true else "red" if j == pred else "#777777")
        for j in range(0, k, step):  # the class names on the chart's axis
            ax.text(panel + (j + 0.5) * chart / k, bottom, names[j], rotation=rotation,
                    ha="center", va="top", fontsize=5, color="#333333")  # fmt: skip
        ax.text(
            left - 0.5,
            top - 0.5,
            f"{class_names[pred]} {100 * probs[i][pred]:.0f}% ({class_names[true]})",
            color="blue" if pred == true else "red",
            ha="left",
            va="bottom",
            fontsize=7,
        )
    # One collection for every bar: far cheaper to draw than one patch per bar.
    ax.add_collection(PolyCollection(bars, facecolors=colors, linewidths=0))
    ax.set_xlim(-0.5, canvas.shape[1] - 0.5)
    ax.set_ylim(canvas.shape[0] - 0.5, -0.5)
    return save_figure(fig, path)


def confusion_matrix(matrix: np.ndarray, class_names, path: Path, title: str):
    """Counts of (true, predicted) classes, labelled with the class names."""
    k = len(class_names)
    side = min(max(5.0, 0.55 * k + 2.5), 20.0)  # 100 classes: 20 inches, smaller names
    fontsize = 10 if k <= 30 else 6
    title = wrapped(f"{title}\nconfusion matrix, {int(matrix.sum())} test images", 0.7 * side, 10)
    fig, ax = subplots((side + 1.0, side))
    drawn = ax.imshow(matrix, cmap="Blues")
    fig.colorbar(drawn, ax=ax, label="test images")
    ax.set(
        xticks=range(k),
        yticks=range(k),
        xticklabels=class_names,
        yticklabels=class_names,
        xlabel="predicted class",
        ylabel="true class",
        title=title,
    )
    ax.tick_params(labelsize=fontsize)
    setp(ax.get_xticklabels(), rotation=45, ha="right", rotation_mode="anchor")
    if k <= 20:  # beyond that the counts would overlap
        dark = matrix.max() / 2
        for (i, j), count in np.ndenumerate(matrix):
            color = "white" if count > dark else "black"
            ax.text(j, i, int(count), ha="center", va="center", color=color, fontsize=8)
    # Room for the longest class name (about 0.08 inch a character), slanted under the matrix.
    name = 0.08 * fontsize / 10 * max(len(str(n)) for n in class_names)
    top = 0.35 + 0.2 * (title.count("\n") + 1)
    margins(fig, left=0.7 + name, right=0.3, bottom=0.7 + 0.72 * name, top=top)
    return save_figure(fig, path)


def reconstructions(x, outputs, size: int, path: Path, title: str, what: str = ""):
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
    size = (canvas.shape[1] * inches + 2.0, canvas.shape[0] * inches + 1.0)
    fig, ax = subplots(size)
    show(ax, canvas)
    # Label each row of images on the left: the input, then its reconstruction.
    ticks = [pad + r * cell_h + (h + gap) * k + h / 2 - 0.5 for r in range(rows) for k in (0, 1)]
    ax.set_yticks(ticks, ["test image", "reconstruction"] * rows, fontsize=8)
    what = what or f"{count} test images, each above its reconstruction"
    ax.set_title(wrapped(f"{title}\n{what}", size[0] - 0.3, 12))
    fig.tight_layout()
    return save_figure(fig, path)
