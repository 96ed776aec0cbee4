"""How llexp draws a figure: `Figure`s made without pyplot and saved atomically, titles wrapped
to the figure's width, fixed margins, whole-epoch axes, and many images tiled into one picture.

Figures are `matplotlib.figure.Figure` objects made directly, not through pyplot: no global figure
list to leak from in a long sweep, no GUI backend to pick (headless servers, sweeps), and a
notebook still shows the figure a function returns. Images (float in [0, 1], shaped (N, H, W, C))
are tiled into one array drawn with one `imshow`, labels as text: a subplot per image costs ten
times more to draw. The layout is fixed here rather than found by `tight_layout`, which lays every
text out once more to measure it. The figures themselves are in `llexp.figures` and
`llexp.galleries`.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from llexp.record.files import atomic


def subplots(figsize, **kwargs):
    """pyplot's `subplots` without pyplot: a new `Figure` and its axes."""
    fig = Figure(figsize=figsize)
    return fig, fig.subplots(**kwargs)


def save_figure(fig, path: Path):
    """Saves `fig` as `path` atomically (a killed run leaves no half-written picture); returns
    `fig`, so that a notebook or a test can look at what was drawn."""
    with atomic(path, Path(path).suffix) as tmp:
        fig.savefig(tmp, dpi=100)
    return fig


def wrapped(text: str, inches: float, fontsize: float = 10) -> str:
    """`text` with each line wrapped to fit `inches` at `fontsize` points (a character is about
    0.6 of the font size wide): a long title keeps every word inside the figure."""
    chars = max(10, int(inches * 72 / (0.6 * fontsize)))
    return "\n".join(
        "\n".join(textwrap.wrap(line, chars) or [""]) for line in str(text).splitlines()
    )


def epoch_axis(ax, epochs: int) -> None:
    """Whole epochs on the x axis: ticks only at integers, the view half an epoch past the ends
    (one epoch alone would otherwise be ticked 0.96 ... 1.04)."""
    ax.set_xlim(0.5, max(1, epochs) + 0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))


def margins(fig, left: float, right: float, bottom: float, top: float, gap: float = 0.0) -> None:
    """Places the axes with fixed margins and gaps between panels, in inches.

    Cheaper than `tight_layout`, which lays every text out once more to measure it (about 0.1 s
    of a figure's 0.15-0.25 s); used where the texts' sizes are known well enough."""
    width, height = fig.get_size_inches()
    panels = len(fig.axes) or 1
    axes_width = (width - left - right - gap * (panels - 1)) / panels
    fig.subplots_adjust(
        left=left / width,
        right=1 - right / width,
        bottom=bottom / height,
        top=1 - top / height,
        wspace=gap / axes_width,
    )


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


def tiled_figure(canvas: np.ndarray, cell_inches: float, cols: int, title: str, fontsize=10):
    """A figure with one axes showing `canvas` (from `tiled`), `cell_inches` per grid column,
    and `title` wrapped to the figure's width above it.

    The layout is fixed here, not found by `tight_layout` (which lays every text out once more
    to measure it: a third of the figure's cost)."""
    inches = cols * cell_inches / canvas.shape[1]  # per canvas pixel
    width = canvas.shape[1] * inches
    title = wrapped(title, width - 0.2, fontsize)
    extra_height = 0.25 + 0.2 * (title.count("\n") + 1) * fontsize / 10
    size = (width, canvas.shape[0] * inches + extra_height)
    fig, ax = subplots(size)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=1 - extra_height / size[1])
    show(ax, canvas)
    ax.axis("off")
    ax.set_title(title, fontsize=fontsize)
    return fig, ax


def labelled_tiles(images, labels, colors, path: Path, title: str, cell: float = 1.6):
    """Images tiled into one picture (one `imshow`: a subplot per image costs ten times more to
    draw), each with its label beneath it as text."""
    images = np.asarray(images, dtype="float32")
    cols = max(4, math.ceil(math.sqrt(len(images))))  # room for the title over few images
    h, w = images.shape[1:3]
    canvas, corners = tiled(images, cols, pad=max(2, round(0.35 * h)))  # room for a label
    fig, ax = tiled_figure(canvas, cell, cols, title)
    for (top, left), label, color in zip(corners, labels, colors, strict=True):
        ax.text(left - 0.5 + w / 2, top - 0.5 + h, label, color=color, ha="center", va="top",
                fontsize=8)  # fmt: skip
    return save_figure(fig, path)


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
