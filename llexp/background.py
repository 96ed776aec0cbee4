"""Writing a run's figures and tables off the critical path of a sweep.

A run's figures and per-image tables take about as long as training a small model. In a sweep,
`run` hands them to one background thread and returns, so the next job starts training while the
last one's files are drawn; the command waits for them before it exits (`flush`, also at
interpreter exit). A run is completed once its model is saved and its metrics are known (the
record's rule): a file that then fails to be written is a warning in its metrics.json. A single
run, a notebook or a test writes them in place: `Files(background=False)` runs each task as it
is added.

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
    """One worker thread running tasks in the order given."""

    def __init__(self):
        self.executor: ThreadPoolExecutor | None = None
        self.pending: list[Future] = []
        self.lock = threading.Lock()

    def submit(self, task: Callable[[], None]) -> None:
        with self.lock:
            if self.executor is None:
                self.executor = ThreadPoolExecutor(1, thread_name_prefix="llexp-files")
                atexit.register(self.flush)
            self.pending = [f for f in self.pending if not f.done()]
            self.pending.append(self.executor.submit(task))

    def flush(self) -> None:
        """Waits until every task added so far is done."""
        with self.lock:
            pending, self.pending = self.pending, []
        for future in pending:
            future.result()


QUEUE = Queue()  # one per process: a sweep's jobs share it


def flush() -> None:
    """Waits until every queued file of every run of this process is written."""
    QUEUE.flush()


class Files:
    """The file-writing tasks of one run, in order: run now, or queued on the process's thread.

    Args:
        out_dir: the run folder.
        background: queue the tasks (at `finish`) instead of running each as it is added.
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

    def finish(self, on_error: Callable[[Exception], None]) -> None:
        """In background mode, queues the run's tasks on the process's thread, where the first
        that fails stops the rest and is handed to `on_error` (the run stays completed, with a
        warning). Without background, the tasks have run already."""
        tasks, self.tasks = self.tasks, []
        if not tasks:
            return

        def job() -> None:
            try:
                for task, args, kwargs in tasks:
                    task(*args, **kwargs)
            except Exception as error:  # noqa: BLE001  the sweep goes on
                log.error("writing the files of %s failed: %r", self.out_dir, error)
                on_error(error)

        QUEUE.submit(job)
