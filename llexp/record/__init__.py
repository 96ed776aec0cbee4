"""A run folder's record, `metrics.json`: what the folder says about its run, kept true.

The status only moves forward:

- `running` (with `epoch`, the epochs finished) from the moment the model is built;
- then `completed` once the trained model is saved, with its test metrics. Completed is final:
  nothing rewrites it. A later step that fails or is interrupted (figures, an experiment
  tracker) adds a line to its `warnings`; `pruned` is the same for a trial its hyperparameter
  search stopped early (`llexp.search`): a result, not a failure, and final too;
- or `interrupted` (Ctrl-C, SIGTERM) or `failed` (an error before the model was saved).
  `llexp resume` moves an interrupted run (or a killed one, still `running`) back to `running`.

The record also keeps the resolved config (what "the same run" is compared on: `identity`),
the command line of every process that worked on the run, and `train_seconds`, the training
time summed over all of them. Files are written with `files.write_json` (atomic, fsynced).
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path

from llexp.record.files import write_json

METRICS = "metrics.json"
RUNNING, COMPLETED, FAILED, INTERRUPTED = "running", "completed", "failed", "interrupted"
PRUNED = "pruned"
FINAL = (COMPLETED, PRUNED)  # the runs that ended with their results: nothing rewrites them

# What the record of a run that stopped keeps from its running record.
KEPT = ("epoch", "config", "command", "train_seconds", "warnings")


def load(out_dir: Path | str) -> dict:
    """The run's metrics.json; raises OSError or ValueError when it is missing or unreadable."""
    data = json.loads((Path(out_dir) / METRICS).read_text())
    if not isinstance(data, dict):
        raise ValueError(f"{METRICS} does not hold an object")
    return data


def read(out_dir: Path | str) -> dict:
    """The run's metrics.json, or {} when it has none or it cannot be read."""
    try:
        return load(out_dir)
    except (OSError, ValueError):
        return {}


def status(out_dir: Path | str) -> str | None:
    """The run's status, or None when the folder holds no record."""
    return read(out_dir).get("status")


def start(out_dir: Path, config: dict, command: str, resume: bool) -> dict:
    """Writes the `running` record of a run that starts (or resumes) and returns it.

    A resumed run keeps the commands and the training time of the processes before it.
    """
    previous = read(out_dir) if resume else {}
    record = {
        "status": RUNNING,
        "epoch": previous.get("epoch", 0) if resume else 0,
        "config": config,
        "command": [*previous.get("command", []), command],
        "train_seconds": float(previous.get("train_seconds", 0.0)),
    }
    if previous.get("warnings"):
        record["warnings"] = previous["warnings"]
    write_json(Path(out_dir) / METRICS, record)
    return record


def progress(out_dir: Path, **fields) -> None:
    """Updates a running record (`epoch`, `train_seconds`); a no-op on any other status."""
    record = read(out_dir)
    if record.get("status") == RUNNING:
        write_json(Path(out_dir) / METRICS, record | fields)


def complete(out_dir: Path, metrics: dict, status: str = COMPLETED) -> dict:
    """Writes the completed (or `pruned`) record: `metrics` over what the running record kept."""
    if status not in FINAL:
        raise ValueError(f"a run completes as one of {FINAL}, not {status}")
    kept = {k: v for k, v in read(out_dir).items() if k in KEPT}
    record = kept | metrics | {"status": status}
    write_json(Path(out_dir) / METRICS, record)
    return record


def add(out_dir: Path, **fields) -> None:
    """Adds fields (metrics computed after completion) to a completed (or pruned) record."""
    record = read(out_dir)
    if record.get("status") in FINAL:
        write_json(Path(out_dir) / METRICS, record | fields)


def stop(out_dir: Path | str, status: str, **fields) -> dict:
    """Marks a run that stopped before completing (`failed`, `interrupted`), keeping what the
    running record said. A completed (or pruned) record is left as it is. Returns the record
    now on disk."""
    previous = read(out_dir)
    if previous.get("status") in FINAL:
        return previous
    record = {k: v for k, v in previous.items() if k in KEPT} | {"status": status, **fields}
    write_json(Path(out_dir) / METRICS, record)
    return record


def warn(out_dir: Path | str, message: str) -> None:
    """Adds `message` to the record's `warnings` (a completed run whose later step failed)."""
    record = read(out_dir)
    if record:
        record["warnings"] = [*record.get("warnings", []), message]
        write_json(Path(out_dir) / METRICS, record)


# The launching process's command line, passed to every job it starts (sweep workers, submitit
# and Slurm jobs inherit the environment), so each run records what the user typed.
COMMAND_ENV = "LLEXP_COMMAND"


def command() -> str:
    """The user's command line: the launching process's, else this process's."""
    return os.environ.get(COMMAND_ENV) or shlex.join(["llexp", *sys.argv[1:]])
