"""A run's `metrics.json` while it lives: `running` (with the epoch reached), then `completed`,
`pruned` (a search's pruner stopped it: a result, not a failure), `failed` (with the error) or
`interrupted`.

A run that is killed keeps `running`: nothing in its folder claims it completed, and
`llexp resume RUN_DIR` continues it from the last epoch it finished.
"""

from __future__ import annotations

import json
from pathlib import Path

from llexp.artifacts import write_json

RUNNING, COMPLETED, FAILED, INTERRUPTED = "running", "completed", "failed", "interrupted"
PRUNED = "pruned"


def read(out_dir: Path | str) -> dict:
    """The run's metrics.json, or {} when it has none or it cannot be read."""
    try:
        data = json.loads((Path(out_dir) / "metrics.json").read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def running(out_dir: Path, epoch: int, **record) -> None:
    """Marks the run as running, `epoch` epochs finished; `record` adds config, command, ..."""
    write_json(Path(out_dir) / "metrics.json", {"status": RUNNING, "epoch": epoch, **record})


def ended(out_dir: Path | str, status: str, **fields) -> dict:
    """Marks a run that stopped without completing (`failed`, `interrupted`), keeping what the
    running record said (epoch, config, command). Returns the record written."""
    record = {k: v for k, v in read(out_dir).items() if k in ("epoch", "config", "command")}
    record |= {"status": status, **fields}
    write_json(Path(out_dir) / "metrics.json", record)
    return record
