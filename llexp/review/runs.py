"""Finding run folders and reading them back: overrides, config, metrics, history, figures."""

from __future__ import annotations

import csv
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

from omegaconf import OmegaConf

from llexp import record

# metrics.json keys that are not metrics of the run.
NOT_METRICS = ("status", "error", "traceback", "versions", "config", "epoch", "command", "warnings")


@dataclass
class Run:
    """One run folder as the review sees it."""

    path: Path
    name: str  # the path relative to the reviewed folder, e.g. the job number
    status: str  # completed, pruned, failed, interrupted, running (or killed), incomplete
    overrides: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    error: str = ""
    history: dict[str, list[float]] = field(default_factory=dict)
    figures: list[Path] = field(default_factory=list)

    def value(self, metric: str) -> float | None:
        v = self.metrics.get(metric)
        return v if isinstance(v, (int, float)) and math.isfinite(v) else None


def is_run_folder(path: Path) -> bool:
    return (path / ".hydra").is_dir() or (path / "metrics.json").is_file()


def find_runs(paths: list[Path]) -> tuple[list[Run], list[str]]:
    """Every run folder under `paths`, read; and one line per folder that could not be read.

    Args:
        paths: run folders, sweep folders or parents of many.

    Returns:
        `(runs, problems)`: runs in folder order, and `"FOLDER: why"` for each skipped folder.
    """
    runs, problems = [], []
    for root in paths:
        if not root.is_dir():
            problems.append(f"{root}: not a folder")
            continue
        for folder, dirs, _ in os.walk(root):
            folder = Path(folder)
            dirs[:] = sorted((d for d in dirs if not d.startswith(".")), key=natural)
            if not is_run_folder(folder):
                continue
            dirs[:] = []  # a run folder's subfolders (tensorboard/, ...) are not runs
            base = root.parent if folder == root or len(paths) > 1 else root
            name = str(folder.relative_to(base))
            try:
                runs.append(read_run(folder, name))
            except Exception as error:  # noqa: BLE001  (one bad folder must not stop the review)
                problems.append(f"{folder}: {type(error).__name__}: {error}")
    return runs, problems


def natural(name: str) -> tuple:
    """Sort key putting job 2 before job 10."""
    return (0, int(name), "") if name.isdigit() else (1, 0, name)


def read_run(folder: Path, name: str) -> Run:
    """Reads one run folder; raises on a file that exists but cannot be read."""
    run = Run(folder, name, "incomplete")
    overrides = folder / ".hydra" / "overrides.yaml"
    if overrides.is_file():
        for item in OmegaConf.to_container(OmegaConf.load(overrides)) or []:
            key, _, value = str(item).partition("=")
            run.overrides[key.lstrip("+~")] = value
    metrics_file = folder / "metrics.json"
    if metrics_file.is_file():
        metrics = record.load(folder)
        run.status = str(metrics.get("status", "unknown"))
        run.error = str(metrics.get("error") or "")
        run.metrics = {
            k: v
            for k, v in metrics.items()
            if k not in NOT_METRICS and isinstance(v, (int, float)) and not isinstance(v, bool)
        }
    elif not overrides.is_file() and not (folder / ".hydra" / "config.yaml").is_file():
        raise ValueError(".hydra/ holds neither overrides.yaml nor config.yaml")
    run.history = read_history(folder / "history.csv")
    run.figures = sorted(folder.glob("*.png"))
    return run


def read_history(path: Path) -> dict[str, list[float]]:
    """history.csv (Keras CSVLogger) -> {column: values}; empty when absent or unreadable."""
    try:
        rows = list(csv.DictReader(path.open()))
    except (OSError, csv.Error):
        return {}
    columns = {}
    for key in rows[0] if rows else []:
        if key == "epoch":
            continue
        try:
            columns[key] = [float(row[key]) for row in rows]
        except (TypeError, ValueError):
            continue
    return columns


def swept_keys(runs: list[Run]) -> list[str]:
    """Overridden keys whose value differs between runs (a key a run lacks counts as differing)."""
    keys = list(dict.fromkeys(k for run in runs for k in run.overrides))
    return [k for k in keys if len({run.overrides.get(k) for run in runs}) > 1]


def lower_is_better(metric: str) -> bool:
    return any(word in metric for word in ("loss", "error", "mse", "mae", "seconds"))


def ranked(runs: list[Run], metric: str) -> list[Run]:
    """Best first by `metric`; runs without it (failed, incomplete) last, in folder order."""
    sign = 1.0 if lower_is_better(metric) else -1.0
    scored = [r for r in runs if r.value(metric) is not None]
    rest = [r for r in runs if r.value(metric) is None]
    return sorted(scored, key=lambda r: sign * r.value(metric)) + rest


def as_number(text: str) -> float | str:
    """An override value as a number when it is one (for plots and sorting)."""
    try:
        return float(text)
    except (TypeError, ValueError):
        return text
