"""`llexp review PATH...`: compare run folders in a table, CSV, Markdown, plots and one HTML page.

Reads only what runs left on disk (metrics.json, .hydra/, history.csv, *.png) and never imports
TensorFlow, so it starts fast and works on folders made by earlier llexp versions.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from llexp.artifacts import write_csv as write_csv_rows
from llexp.artifacts import write_text
from llexp.errors import LlexpError, first_line
from llexp.review.runs import Run, as_number, find_runs, ranked, swept_keys
from llexp.search.results import describe, find_results

DEFAULT_METRICS = ("val_accuracy", "val_loss", "test_accuracy", "test_loss")
SHOWN = ("epochs", "params")  # table columns after status; then val_*, test_*, train_seconds


def review(
    paths: list[Path | str], metric: str | None = None, out_dir: Path | str | None = None
) -> dict:
    """Reviews the run folders under `paths` and writes the summary files into `out_dir`.

    Args:
        paths: run folders, sweep folders or parents of many.
        metric: the metric runs are ranked by (best first); default the first of
            `DEFAULT_METRICS` that some run has.
        out_dir: where summary.csv, summary.md, the plots and index.html go; default
            `<first path>/review`.

    Returns:
        A dict with `runs` (ranked), `problems` (skipped folders), `metric`, `columns`, `out_dir`.
    """
    from llexp.review import interactive, page, plots

    paths = [Path(p) for p in paths]
    runs, problems = find_runs(paths)
    if not runs:
        where = ", ".join(map(str, paths))
        raise LlexpError(f"no run folder (a folder with .hydra/ or metrics.json) under {where}")
    if not any(run.status == "completed" for run in runs):
        raise LlexpError(no_completed_run(runs, paths))
    metric = metric or choose_metric(runs)
    if not any(run.value(metric) is not None for run in runs):
        known = sorted({k for run in runs for k in run.metrics})
        raise LlexpError(f"--metric {metric}: no run has it; the runs have {', '.join(known)}")
    runs = ranked(runs, metric)
    out_dir = Path(out_dir) if out_dir else paths[0] / "review"
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:  # a file of that name, a folder without write permission
        raise LlexpError(
            f"--out {out_dir}: cannot write the review there ({error.strerror}); "
            "name a folder (new or existing) you can write"
        ) from None
    swept = swept_keys(runs)
    columns = table_columns(runs, swept)
    rows = [table_row(run, columns, swept) for run in runs]
    write_csv(runs, out_dir / "summary.csv")
    studies = [describe(path) for path in find_results(paths)]  # Optuna searches' best trials
    write_text(out_dir / "summary.md", markdown(columns, rows, problems, metric, studies))
    figures = plots.sweep_plots(runs, swept, metric, out_dir)
    charts, importance = interactive.charts(runs, swept, metric, out_dir)
    page.write_page(runs, columns, rows, figures, problems, metric, out_dir / "index.html", charts)
    return {"runs": runs, "problems": problems, "metric": metric, "columns": columns, "rows": rows,
            "out_dir": out_dir, "figures": figures, "importance": importance,
            "studies": studies}  # fmt: skip


def no_completed_run(runs: list[Run], paths: list[Path]) -> str:
    """One line for folders whose runs all failed or stopped: how many of each, the first error."""
    counts = {s: sum(r.status == s for r in runs) for s in dict.fromkeys(r.status for r in runs)}
    summary = ", ".join(f"{n} {status}" for status, n in counts.items())
    errors = (f"; first error ({r.name}): {first_line(r.error)}" for r in runs if r.error)
    first_error = next(errors, "")
    where = ", ".join(map(str, paths))
    return f"no completed run to review under {where} ({summary}){first_error}"[:400]


def choose_metric(runs: list[Run]) -> str:
    for name in DEFAULT_METRICS:
        if any(run.value(name) is not None for run in runs):
            return name
    return DEFAULT_METRICS[0]


def table_columns(runs: list[Run], swept: list[str]) -> list[str]:
    names = {k for run in runs for k in run.metrics}
    scores = sorted(k for k in names if k.startswith("val_"))
    scores += sorted(k for k in names if k.startswith("test_"))
    tail = ["train_seconds"] if "train_seconds" in names else []
    return ["run", *swept, "status", *[k for k in SHOWN if k in names], *scores, *tail]


def fmt(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1e6 else f"{value:.3e}"
    return str(value)


def table_row(run: Run, columns: list[str], swept: list[str]) -> list[str]:
    row = []
    for column in columns:
        if column == "run":
            row.append(run.name)
        elif column == "status":
            row.append(run.status)
        elif column in swept:  # 0.002028610270165406 -> 0.002029 (summary.csv keeps all digits)
            value = as_number(run.overrides.get(column, ""))
            row.append(fmt(value) if isinstance(value, float) else value)
        else:
            row.append(fmt(run.metrics.get(column)))
    return row


def text_table(columns: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(columns)]
    lines = [columns, ["-" * w for w in widths], *rows]
    return "\n".join(
        "  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)).rstrip() for line in lines
    )


def markdown(columns, rows, problems, metric, studies=()) -> str:
    out = [f"# Review: {len(rows)} runs, best {metric} first", ""]
    out.append("| " + " | ".join(columns) + " |")
    out.append("|" + "---|" * len(columns))
    out += ["| " + " | ".join(v.replace("|", "\\|") for v in row) + " |" for row in rows]
    if studies:
        out += ["", "## Optuna studies", "", *[f"- {s}" for s in studies]]
    if problems:
        out += ["", "## Skipped folders", "", *[f"- {p}" for p in problems]]
    return "\n".join(out) + "\n"


def write_csv(runs: list[Run], path: Path) -> None:
    """All runs, every overridden key and every scalar metric."""
    keys = list(dict.fromkeys(k for run in runs for k in run.overrides))
    metrics = sorted({k for run in runs for k in run.metrics})
    rows = [["run", "path", "status", *keys, *metrics, "error"]]
    for run in runs:
        rows.append(
            [run.name, str(run.path), run.status]
            + [run.overrides.get(k, "") for k in keys]
            + [run.metrics.get(k, "") for k in metrics]
            + [run.error]
        )
    write_csv_rows(path, rows)


def main(argv: list[str] | None = None) -> int:
    """`llexp review PATH... [--metric M] [--out DIR]`; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="llexp review",
        description="Compare run folders: a table, summary.csv, summary.md, plots, index.html.",
    )
    parser.add_argument("paths", nargs="+", type=Path, help="run, sweep or parent folders")
    parser.add_argument("--metric", help="rank runs by this metric (default: val_accuracy)")
    parser.add_argument("--out", type=Path, help="output folder (default: FIRST_PATH/review)")
    args = parser.parse_args(argv)
    try:
        result = review(args.paths, args.metric, args.out)
    except LlexpError as error:
        print(f"llexp review: error: {error}", file=sys.stderr)
        return 2
    runs, problems = result["runs"], result["problems"]
    counts = {s: sum(r.status == s for r in runs) for s in dict.fromkeys(r.status for r in runs)}
    print(f"{len(runs)} runs ({', '.join(f'{n} {s}' for s, n in counts.items())}), "
          f"best {result['metric']} first:\n")  # fmt: skip
    print(text_table(result["columns"], result["rows"]))
    for run in runs:
        if run.error:
            print(f"\n{run.name} failed: {run.error.splitlines()[0]}")
    if result["importance"]:
        shares = sorted(result["importance"].items(), key=lambda kv: -kv[1])
        print(f"\nimportance for {result['metric']} (permutation importance, random forest): "
              + ", ".join(f"{key} {share:.2f}" for key, share in shares))  # fmt: skip
    for line in result["studies"]:
        print(f"\n{line}")
    for problem in problems:
        print(f"skipped {problem}", file=sys.stderr)
    print(f"\nwrote summary.csv, summary.md, {len(result['figures'])} plots and index.html to "
          f"{result['out_dir']}")  # fmt: skip
    return 0
