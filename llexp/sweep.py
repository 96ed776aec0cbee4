"""What `python -m llexp -m ...` adds around its jobs: the count of a grid's jobs, the failure
report, and what a stopped sweep left to do (which runs count as the same is
`llexp.record.identity`'s; each job's threads and devices are `llexp.resources`').

Everything here runs in the sweep's parent process (the Hydra callback) or in the job's process
before `llexp.run` (and so TensorFlow) is imported.
"""

from __future__ import annotations

import logging
import os
import shlex
import time
from pathlib import Path

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from llexp import record
from llexp.record.files import write_text
from llexp.resources import SWEEP_SIZE

log = logging.getLogger("llexp")

# Filled by `ReportFailures` in the sweep's process; `llexp.__main__.main` turns it into the
# exit status (the callback runs in the parent process even when joblib runs the jobs elsewhere).
# Module state because Hydra makes the callback from the config and hands `main` neither it nor
# the jobs' results: this list is the one channel from the callback to the exit status.
FAILED_JOBS: list[str] = []
# The folder and job count of the sweep this process launches, for `report_unfinished`.
SWEEP: dict = {}


def sweep_size(config: DictConfig) -> int | None:
    """The number of jobs of a grid sweep from its command-line overrides (`model.depth=1,2,3`,
    `seed=range(0,8)`), or None when they do not say (another sweeper, interval sweeps)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    if OmegaConf.select(config, "hydra.sweeper.params"):
        return None
    task = list(OmegaConf.select(config, "hydra.overrides.task", default=[]) or [])
    try:
        overrides = OverridesParser.create().parse_overrides(task)
    except Exception:  # noqa: BLE001  (Hydra reports its own parse errors; here: unknown)
        return None
    size = 1
    for override in overrides:
        if override.is_sweep_override():
            if not override.is_discrete_sweep():
                return None
            size *= len(list(override.sweep_iterator()))
    return size


class ReportFailures(Callback):
    """Lists a multirun's failed jobs at its end and makes the command's exit status 1.

    Configured under `hydra.callbacks` in conf/config.yaml. It reads the metrics.json files the
    jobs wrote (jobs may have run in other processes), counting only those written by this sweep:
    those no older than a marker file it writes into the sweep folder as the sweep starts (the
    same file system's clock and time resolution as the jobs' files; a sweep run again at once,
    with `skip_completed`, must not count the jobs the previous one finished a moment before).
    """

    MARKER = ".llexp-sweep-started"

    def on_multirun_start(self, config: DictConfig, **kwargs) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        sweep_dir.mkdir(parents=True, exist_ok=True)
        write_text(sweep_dir / self.MARKER, f"{time.time()}\n")
        FAILED_JOBS.clear()
        size = sweep_size(config)  # parallel workers share the cores among this many jobs
        SWEEP.update(folder=sweep_dir, size=size)
        if size:
            os.environ[SWEEP_SIZE] = str(size)
        else:
            os.environ.pop(SWEEP_SIZE, None)

    def on_multirun_end(self, config: DictConfig, **kwargs) -> None:
        from llexp import background

        background.flush()  # the last jobs' files and statuses are written before counting
        sweep_dir = Path(config.hydra.sweep.dir)
        try:
            started = (sweep_dir / self.MARKER).stat().st_mtime_ns
        except OSError:
            started = 0
        total = 0
        for path in sorted(sweep_dir.rglob("metrics.json")):
            if path.stat().st_mtime_ns < started:
                continue
            total += 1
            metrics = record.read(path.parent)
            if metrics.get("status") == record.FAILED:
                FAILED_JOBS.append(f"{path.parent}: {metrics.get('error')}")
        os.environ.pop(SWEEP_SIZE, None)
        if FAILED_JOBS:
            log.error(
                "%d of %d jobs failed:\n  %s", len(FAILED_JOBS), total, "\n  ".join(FAILED_JOBS)
            )
        log.info("review the sweep: llexp review %s", sweep_dir)
        SWEEP.clear()


def report_unfinished(argv: list[str], signal: str) -> None:
    """After a sweep was stopped by `signal`: one line naming the jobs that did not finish and
    the command that finishes them (the same sweep into the same folder, `skip_completed=true`:
    completed jobs are skipped, interrupted ones resume)."""
    sweep_dir, size = SWEEP.pop("folder", None), SWEEP.pop("size", None)
    if sweep_dir is None:
        return
    jobs = sorted(
        # Runs kept aside (`.N.replaced-...`) are hidden: not jobs of this sweep.
        (p for p in Path(sweep_dir).iterdir() if (p / ".hydra").is_dir() and p.name[0] != "."),
        key=lambda p: (len(p.name), p.name),
    )
    left = [f"{p.name} ({record.status(p) or 'not started'})" for p in jobs]
    left = [
        text for p, text in zip(jobs, left, strict=True) if record.status(p) not in record.FINAL
    ]
    if size and size > len(jobs):
        left.append(f"{size - len(jobs)} not started")
    pinned = [a for a in argv if not a.startswith(("skip_completed=", "hydra.sweep.dir="))]
    again = shlex.join(
        ["llexp", *pinned, "skip_completed=true", f"hydra.sweep.dir={Path(sweep_dir).resolve()}"]
    )
    log.error(
        "%s: the sweep stopped; jobs left: %s; finish them with: %s",
        signal,
        ", ".join(left) or "none",
        again,
    )
