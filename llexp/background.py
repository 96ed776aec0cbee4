"""Writing a run's figures and tables off the critical path of a sweep.

A run's figures and per-image tables take about as long as training a small model. In a sweep,
`run` hands them to one background thread and returns, so the next job starts training while the
last one's files are drawn; each job's `metrics.json` turns `completed` only after its own files
are written (the last task of the job), and the command flushes the queue before it exits
(`flush`, also at interpreter exit). A single run, a notebook or a test writes them in place:
`Files(background=False)` runs each task as it is added.

Only NumPy arrays go to the thread: every model pass happens before, on the main thread (the next
job's `keras.backend.clear_session()` must not meet a model in use).
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

log = logging.getLogger(__name__)


class Queue:
    """One worker thread running tasks in the order given; remembers the runs whose tasks
    failed (their folders are marked failed)."""

    def __init__(self):
        self.executor: ThreadPoolExecutor | None = None
        self.pending: list[Future] = []
        self.failed: list[str] = []
        self.lock = threading.Lock()

    def submit(self, task: Callable[[], None]) -> None:
        with self.lock:
            if self.executor is None:
                self.executor = ThreadPoolExecutor(1, thread_name_prefix="llexp-files")
                atexit.register(self.flush)
            self.pending = [f for f in self.pending if not f.done()]
            self.pending.append(self.executor.submit(task))

    def flush(self) -> list[str]:
        """Waits until every task added so far is done; returns the runs whose tasks failed."""
        with self.lock:
            pending, self.pending = self.pending, []
        for future in pending:
            future.result()
        return list(self.failed)


QUEUE = Queue()  # one per process: a sweep's jobs share it


def flush() -> list[str]:
    """Writes every queued file of every run of this process; returns the failed runs' lines."""
    return QUEUE.flush()


class Files:
    """The file-writing tasks of one run, in order: run now, or queued on the process's thread.

    Args:
        out_dir: the run folder (marked failed if a task fails).
        background: queue the tasks instead of running them now.
    """

    def __init__(self, out_dir: Path, background: bool = False):
        self.out_dir, self.background = Path(out_dir), background
        self.tasks: list[tuple[Callable, tuple, dict]] = []

    def add(self, task: Callable, *args, **kwargs) -> None:
        """Runs `task(*args, **kwargs)` now, or keeps it for `finish` in background mode."""
        if self.background:
            self.tasks.append((task, args, kwargs))
        else:
            task(*args, **kwargs)

    def finish(self, last: Callable[[], None]) -> None:
        """Runs the run's tasks, then `last` (which marks the run completed); in background mode
        on the queue's thread, where a failure marks the run failed instead."""
        tasks, self.tasks = self.tasks, []
        if not self.background:
            last()
            return

        def job() -> None:
            try:
                for task, args, kwargs in tasks:
                    task(*args, **kwargs)
                last()
            except Exception as error:  # noqa: BLE001  the run fails, the sweep goes on
                from llexp.resume import failed

                line = f"{self.out_dir}: {failed(self.out_dir, error)}"
                log.error("writing the files of %s FAILED: %s", self.out_dir, line)
                QUEUE.failed.append(line)

        QUEUE.submit(job)
