"""Sweep plots: a heatmap for a 2-D sweep, the metric against each swept key, curves overlaid."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np

from llexp.drawing import epoch_axis, save_figure, subplots
from llexp.review.runs import Run, as_number, lower_is_better


def sweep_plots(runs: list[Run], swept: list[str], metric: str, out_dir: Path) -> list[Path]:
    """Writes the plots that fit the sweep into `out_dir`; returns their paths."""
    scored = [r for r in runs if r.value(metric) is not None]
    written = []
    keys = [k for k in swept if len({r.overrides.get(k, "") for r in scored}) > 1]
    if len(keys) == 2 and scored:
        written.append(heatmap(scored, keys, metric, out_dir / "sweep_heatmap.png"))
    if keys and scored:
        written.append(against_keys(scored, keys, metric, out_dir / "sweep_metric.png"))
    if any(r.history for r in runs):
        written.append(curves(runs, swept, out_dir / "sweep_curves.png"))
    return written


def ordered(values) -> list:
    """Distinct override values, numbers in numeric order, then the rest alphabetically."""
    distinct = {as_number(v) for v in values}
    numbers = sorted(v for v in distinct if isinstance(v, float))
    return [*numbers, *sorted(v for v in distinct if isinstance(v, str))]


def label(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def heatmap(runs: list[Run], keys: list[str], metric: str, path: Path) -> Path:
    """The metric (mean over repeated cells, e.g. seeds) on a grid of the two swept keys."""
    rows_key, cols_key = keys
    rows = ordered(r.overrides.get(rows_key, "") for r in runs)
    cols = ordered(r.overrides.get(cols_key, "") for r in runs)
    grid = np.full((len(rows), len(cols)), np.nan)
    cells: dict[tuple[int, int], list[float]] = {}
    for r in runs:
        i = rows.index(as_number(r.overrides.get(rows_key, "")))
        j = cols.index(as_number(r.overrides.get(cols_key, "")))
        cells.setdefault((i, j), []).append(r.value(metric))
    for (i, j), values in cells.items():
        grid[i, j] = float(np.mean(values))
    fig, ax = subplots((1.2 * len(cols) + 3, 0.8 * len(rows) + 2.5))
    cmap = "viridis_r" if lower_is_better(metric) else "viridis"
    image = ax.imshow(grid, cmap=cmap, aspect="auto")
    fig.colorbar(image, ax=ax, label=metric)
    ax.set_xticks(range(len(cols)), [label(c) for c in cols])
    ax.set_yticks(range(len(rows)), [label(r) for r in rows])
    ax.set(xlabel=cols_key, ylabel=rows_key, title=f"{metric} over {rows_key} x {cols_key}")
    middle = np.nanmean(grid)
    for (i, j), _ in cells.items():
        dark = (grid[i, j] < middle) != lower_is_better(metric)
        ax.text(j, i, f"{grid[i, j]:.3g}", ha="center", va="center",
                color="white" if dark else "black")  # fmt: skip
    fig.tight_layout()
    save_figure(fig, path)
    return path


def against_keys(runs: list[Run], keys: list[str], metric: str, path: Path) -> Path:
    """One panel per swept key: every run's metric at its value of the key (log x for rates)."""
    fig, axes = subplots((4.5 * len(keys), 3.8), ncols=len(keys), squeeze=False)
    for ax, key in zip(axes[0], keys, strict=True):
        values = [as_number(r.overrides.get(key, "")) for r in runs]
        ys = [r.value(metric) for r in runs]
        if all(isinstance(v, float) for v in values):
            ax.scatter(values, ys, alpha=0.8)
            distinct = sorted(set(values))
            if min(values) > 0 and max(values) / min(values) >= 100:  # e.g. learning rates
                ax.set_xscale("log")
            elif len(distinct) <= 12:  # a grid sweep: tick exactly the values swept
                ax.set_xticks(distinct, [label(v) for v in distinct])
        else:
            names = ordered(values)
            positions = [names.index(v) for v in values]
            ax.scatter(positions, ys, alpha=0.8)
            ax.set_xticks(range(len(names)), [label(n) for n in names])
        ax.set(xlabel=key, ylabel=metric, title=f"{metric} vs {key}")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    save_figure(fig, path)
    return path


def curves(runs: list[Run], swept: list[str], path: Path) -> Path:
    """Each history column (loss, accuracy, val_...) in its panel, one line per run."""
    save_figure(curves_figure(runs, swept), path)
    return path


def curves_figure(runs: list[Run], swept: list[str]):
    """The figure `curves` saves."""
    names = list(dict.fromkeys(k for r in runs for k in r.history if k != "learning_rate"))
    names.sort(key=lambda k: (k.removeprefix("val_"), k.startswith("val_")))
    legend_rows = (min(len(runs), 16) + 2) // 3
    fig, axes = subplots(
        (4.5 * len(names), 4.2 + 0.22 * legend_rows), ncols=len(names), squeeze=False
    )
    colors = matplotlib.colormaps["tab10" if len(runs) <= 10 else "viridis"]
    for n, run in enumerate(runs):
        color = colors(n if len(runs) <= 10 else n / max(1, len(runs) - 1))
        tag = ", ".join(
            f"{k.split('.')[-1]}={label(as_number(run.overrides.get(k, '')))}" for k in swept
        )
        for ax, name in zip(axes[0], names, strict=True):
            if name in run.history:
                ys = run.history[name]
                ax.plot(range(1, len(ys) + 1), ys, "o-", ms=3, color=color,
                        label=f"{run.name} {tag}".strip())  # fmt: skip
    for ax, name in zip(axes[0], names, strict=True):
        ax.set(xlabel="epoch", title=name)
        epoch_axis(ax, max((len(r.history.get(name, [])) for r in runs), default=1))
        values = [v for line in ax.get_lines() for v in line.get_ydata() if np.isfinite(v)]
        if "loss" in name and values and min(values) > 0 and max(values) / min(values) > 20:
            ax.set_yscale("log")  # one diverging run must not flatten all the others
        ax.grid(alpha=0.3)
    top = 1.0
    if len(runs) <= 16:  # below the panels, so that it hides no curve
        handles, labels = axes[0][0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8, frameon=False)
        top = 0.22 * legend_rows / fig.get_figheight() + 0.02
    fig.suptitle(f"training curves of {len(runs)} runs")
    fig.tight_layout(rect=(0, top if top < 1 else 0, 1, 1))
    return fig
