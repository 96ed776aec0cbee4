"""The page's interactive charts: a parallel-coordinates plot of the sweep and the importance of
each hyperparameter, drawn by plotly.js (copied into the review folder: no network, no server)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from llexp.record.files import write_text
from llexp.review.plots import label, ordered
from llexp.review.runs import Run, as_number, lower_is_better

PLOTLY_JS = "plotly.min.js"  # beside index.html; the page loads it by this relative name


def charts(runs: list[Run], swept: list[str], metric: str, out_dir: Path) -> tuple[str, dict]:
    """The HTML of the charts that fit the sweep, and the hyperparameters' importance.

    Needs at least two runs with `metric` and one swept key; returns `("", {})` otherwise.
    Copies plotly.js into `out_dir` when it draws anything.
    """
    scored = [r for r in runs if r.value(metric) is not None]
    keys = [k for k in swept if len({r.overrides.get(k, "") for r in scored}) > 1]
    if len(scored) < 2 or not keys:
        return "", {}
    import plotly.graph_objects as go
    import plotly.io as pio

    columns = {key: axis([r.overrides.get(key, "") for r in scored]) for key in keys}
    ys = np.array([r.value(metric) for r in scored])
    parts = [parallel_coordinates(go, scored, columns, metric, ys)]
    importance = hyperparameter_importance(columns, ys)
    if importance:
        parts.append(importance_bars(go, importance, metric))
    copy_plotly_js(out_dir)
    config = {"displaylogo": False, "responsive": True}
    html = [pio.to_html(f, include_plotlyjs=False, full_html=False, config=config) for f in parts]
    return "\n".join(f'<div class="chart">{h}</div>' for h in html), importance


def axis(values: list[str]) -> dict:
    """One swept key as a plot axis: numbers as they are (log10 for a range over 100x, such as
    learning rates), anything else as positions with the values as tick labels."""
    numbers = [as_number(v) for v in values]
    if all(isinstance(v, float) for v in numbers):
        log = min(numbers) > 0 and max(numbers) / min(numbers) >= 100
        distinct = sorted(set(numbers))
        show = (lambda v: math.log10(v)) if log else (lambda v: v)
        ticks = distinct if len(distinct) <= 12 else None
        return {
            "values": [show(v) for v in numbers],
            "tickvals": [show(v) for v in ticks] if ticks else None,
            "ticktext": [label(v) for v in ticks] if ticks else None,
            "log": log,
        }
    names = ordered(values)
    return {
        "values": [float(names.index(as_number(v))) for v in values],
        "tickvals": list(range(len(names))),
        "ticktext": [label(n) for n in names],
        "log": False,
    }


def parallel_coordinates(go, runs: list[Run], columns: dict, metric: str, ys) -> object:
    """Each run a line through its hyperparameters and `metric`; drag along an axis to brush."""
    dimensions = []
    for key, col in columns.items():
        dimension = {"label": f"{key} (log10)" if col["log"] else key, "values": col["values"]}
        if col["tickvals"]:  # the swept values themselves, not a linear scale's round numbers
            dimension.update(tickvals=col["tickvals"], ticktext=col["ticktext"])
        dimensions.append(dimension)
    dimensions.append({"label": metric, "values": ys.tolist()})
    scale = "Viridis_r" if lower_is_better(metric) else "Viridis"
    figure = go.Figure(
        go.Parcoords(
            line={
                "color": ys.tolist(),
                "colorscale": scale,
                "showscale": True,
                "colorbar": {"title": {"text": metric}, "x": 1.08},
            },
            dimensions=dimensions,
            unselected={"line": {"opacity": 0.1}},
        )
    )
    figure.update_layout(
        title=f"{len(runs)} runs: drag along an axis to select a range, click it to clear",
        height=420,
        margin={"l": 80, "r": 140, "t": 90, "b": 30},  # room for the colour bar
    )
    return figure


def hyperparameter_importance(columns: dict, ys) -> dict[str, float]:
    """Permutation importance (scikit-learn) of each swept key for a random forest that predicts
    the metric from the keys: the drop in the forest's R^2 when that key's values are shuffled,
    as a share of the total. Needs two keys and four runs; noisy for small sweeps."""
    if len(columns) < 2 or len(ys) < 4 or np.ptp(ys) == 0:
        return {}
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.inspection import permutation_importance

    x = np.array([col["values"] for col in columns.values()]).T
    forest = RandomForestRegressor(n_estimators=100, random_state=0).fit(x, ys)
    result = permutation_importance(forest, x, ys, n_repeats=10, random_state=0)
    drops = np.clip(result.importances_mean, 0, None)
    total = drops.sum()
    if total <= 0:
        return {}
    return {key: float(d / total) for key, d in zip(columns, drops, strict=True)}


def importance_bars(go, importance: dict[str, float], metric: str) -> object:
    keys = sorted(importance, key=importance.get)
    figure = go.Figure(go.Bar(x=[importance[k] for k in keys], y=keys, orientation="h"))
    figure.update_layout(
        title=f"importance for {metric} (permutation importance, random forest)",
        xaxis_title="share of the forest's R² lost when the key is shuffled",
        height=120 + 40 * len(keys),
        margin={"l": 160, "r": 40, "t": 60, "b": 50},
    )
    return figure


def copy_plotly_js(out_dir: Path) -> None:
    """plotly.js from the plotly package (its offline bundle), beside the page."""
    from plotly.offline import get_plotlyjs

    write_text(out_dir / PLOTLY_JS, get_plotlyjs())
