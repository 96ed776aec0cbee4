"""Every figure's layout for small and large cases: nothing drawn outside the figure, bars inside
their panels, whole-number epoch ticks (1, 2 and 20 epochs; 2, 10 and 100 classes)."""

import numpy as np
import pytest

from llexp import figures, galleries
from llexp.review import plots
from llexp.review.runs import Run

LONG = "a title much longer than any figure is wide, " * 6  # wraps, never clipped


def inside_figure(fig):
    """Asserts every visible text of `fig` lies within the saved picture (1 pixel of slack)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig).draw()  # as `save_figure` drew it (dpi 100)
    fig.set_dpi(100)
    renderer = fig.canvas.get_renderer()
    width, height = fig.canvas.get_width_height()
    hidden = set()  # labels of ticks outside the view: matplotlib does not draw them
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            low, high = sorted(axis.get_view_interval())
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if not low - 1e-9 <= tick.get_loc() <= high + 1e-9:
                    hidden |= {id(tick.label1), id(tick.label2)}
    for text in fig.findobj(lambda a: hasattr(a, "get_text") and a.get_visible()):
        if id(text) in hidden or not text.get_text().strip():
            continue
        box = text.get_window_extent(renderer)
        assert box.x0 >= -1 and box.y0 >= -1, (text.get_text()[:40], box)
        assert box.x1 <= width + 1 and box.y1 <= height + 1, (text.get_text()[:40], box)


def whole_epoch_ticks(ax):
    low, high = ax.get_xlim()
    ticks = [t for t in ax.get_xticks() if low <= t <= high]
    assert ticks, "no epoch tick"
    assert all(float(t).is_integer() for t in ticks), ticks
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert all(label.lstrip("−-").isdigit() for label in labels), labels


def images(n, size=8, channels=1, seed=0):
    return np.random.default_rng(seed).random((n, size, size, channels)).astype("float32")


@pytest.mark.parametrize("epochs", [1, 2, 20])
def test_history_ticks_whole_epochs(epochs, tmp_path):
    history = {"loss": list(np.linspace(2, 1, epochs)), "val_loss": [1.5] * epochs}
    history |= {"accuracy": [0.5] * epochs, "learning_rate": [1e-3] * epochs}
    fig = figures.plot_history(history, tmp_path / "h.png", LONG)
    for ax in fig.axes:
        whole_epoch_ticks(ax)
    inside_figure(fig)


@pytest.mark.parametrize("epochs", [1, 2, 20])
def test_review_curves_tick_whole_epochs(epochs, tmp_path):
    runs = []
    for i in range(3):
        run = Run(tmp_path / str(i), str(i), "completed")
        run.history = {"loss": [1.0 + i] * epochs, "val_loss": [2.0] * epochs}
        runs.append(run)
    fig = plots.curves_figure(runs, [])
    for ax in fig.axes:
        whole_epoch_ticks(ax)
    inside_figure(fig)


def class_case(k, n=40, seed=0):
    rng = np.random.default_rng(seed)
    probs = rng.dirichlet(np.ones(k) * 0.3, size=n).astype("float32")
    probs[0] = 0.0
    probs[0, k - 1] = 1.0  # a full bar for the last class: the one that stuck out
    labels = rng.integers(0, k, size=n)
    names = [f"class{j}" if k > 10 else f"c{j}" for j in range(k)]
    return probs, labels, names


@pytest.mark.parametrize("k", [2, 10, 100])
def test_probability_bars_stay_inside_their_white_panels(k, tmp_path):
    probs, labels, names = class_case(k)
    fig = figures.probabilities(images(40), labels, probs, names, tmp_path / "p.png", LONG)
    ax = fig.axes[0]
    canvas = np.asarray(ax.images[0].get_array())
    white = canvas.reshape(canvas.shape[0], canvas.shape[1], -1)[..., 0] == 1.0
    bars = ax.collections[0].get_paths()
    assert len(bars) == 40 * k
    for bar in bars:
        (x0, y0), (x1, y1) = bar.vertices.min(axis=0), bar.vertices.max(axis=0)
        # Pixel (r, c) covers [c - 0.5, c + 0.5]: every pixel the bar touches must be white.
        cols = range(int(np.floor(x0 + 0.5 + 1e-6)), int(np.ceil(x1 + 0.5 - 1e-6)))
        rows = range(int(np.floor(y0 + 0.5 + 1e-6)), int(np.ceil(y1 + 0.5 - 1e-6)))
        assert all(white[r, c] for r in rows for c in cols), (x0, y0, x1, y1)
    inside_figure(fig)


@pytest.mark.parametrize("k", [2, 10, 100])
def test_class_figures_keep_every_label_inside(k, tmp_path):
    probs, labels, names = class_case(k, n=30)
    pred = np.argmax(probs, axis=1)
    matrix = np.zeros((k, k), int)
    np.add.at(matrix, (labels, pred), 1)
    x = images(30)
    drawn = [
        figures.samples(x, labels, names, tmp_path / "s.png", LONG),
        figures.predictions(x, labels, pred, names, tmp_path / "p.png", LONG),
        figures.confusion_matrix(matrix, names, tmp_path / "c.png", LONG),
        galleries.misclassified(
            x[:5],
            np.arange(5),
            labels[:5] * 0 + (pred[:5] + 1) % k,
            probs[:5],
            names,
            tmp_path / "m.png",
            LONG,
        ),  # fmt: skip
        galleries.embedding_projection(
            np.random.default_rng(0).random((30, 2)), labels, names, tmp_path / "e.png", LONG
        ),  # fmt: skip
    ]
    for fig in drawn:
        inside_figure(fig)


@pytest.mark.parametrize("size", [1, 2, 8])
def test_image_galleries_keep_every_label_inside(size, tmp_path):
    x = images(size * size, size=16)
    found = np.stack([images(6, size=16, seed=s) for s in range(3)])
    drawn = [
        figures.reconstructions(x, x, size, tmp_path / "r.png", LONG),
        galleries.neighbours(
            x[:3] if len(x) >= 3 else images(3, 16),
            found,
            np.ones((3, 6)),
            tmp_path / "n.png",
            LONG,
        ),  # fmt: skip
        galleries.augmented(
            x[:2], np.stack([x[:2]] * 3, axis=1), ["RandomFlip"], tmp_path / "a.png", LONG
        ),  # fmt: skip
    ]
    for fig in drawn:
        inside_figure(fig)


def test_misclassified_orders_the_surest_mistakes_first():
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    labels = np.array([1, 1, 1, 0])  # wrong: 0 (0.9), 2 (0.6), 3 (0.7)
    assert galleries.most_confident_mistakes(labels, probs).tolist() == [0, 3, 2]
