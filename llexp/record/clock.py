"""A run's training time, summed over every process that trained it."""

from __future__ import annotations

import time
from pathlib import Path

from llexp import record


class TrainClock:
    """Training time, summed over every process of a run: the record's `train_seconds` plus
    this process's, written into the record at each epoch's end and when training stops."""

    def __init__(self, out_dir: Path, before: float):
        self.out_dir, self.before, self.started = out_dir, before, None
        self.total = before

    def now(self) -> float:
        return self.before + (time.perf_counter() - self.started if self.started else 0.0)

    def epoch_saved(self, epoch: int) -> None:
        record.progress(self.out_dir, epoch=epoch, train_seconds=round(self.now(), 3))

    def __enter__(self) -> TrainClock:
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.total = self.now()
        self.started = None
        record.progress(self.out_dir, train_seconds=round(self.total, 3))
