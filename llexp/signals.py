"""SIGINT (Ctrl-C) and SIGTERM (`kill`, `timeout`, Slurm, Kubernetes) stop a run the same way.

While `handled()` is active, either signal raises `Stopped`, a `KeyboardInterrupt`, wherever
the run is (building, loading data, training, evaluating, drawing, closing a tracker), so the
code that marks a run `interrupted` and prints how to continue sees both alike. Later signals
are ignored while the process stops: a second Ctrl-C cannot cut the writing of the record short.
The exit status is the shell's for a death by that signal: 130 for SIGINT, 143 for SIGTERM.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

HANDLED = (signal.SIGINT, signal.SIGTERM)


class Stopped(KeyboardInterrupt):
    """Raised by a handled signal; `signum` says which."""

    def __init__(self, signum: int = signal.SIGINT):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def name(error: BaseException) -> str:
    """`SIGINT` or `SIGTERM`: the signal that stopped the run (KeyboardInterrupt: SIGINT)."""
    return signal.Signals(getattr(error, "signum", signal.SIGINT)).name


def exit_status(error: BaseException) -> int:
    """128 + the signal's number, as a shell reports a process killed by it: 130, 143."""
    return 128 + int(getattr(error, "signum", signal.SIGINT))


def _raise(signum, frame) -> None:
    for handled in HANDLED:  # from now on the process is stopping: further signals wait
        signal.signal(handled, signal.SIG_IGN)
    raise Stopped(signum)


@contextmanager
def handled() -> Iterator[None]:
    """Turns SIGINT and SIGTERM into `Stopped` inside the block (main thread only: Python
    delivers signals there; elsewhere the block runs unchanged). Restores the previous handlers
    on leaving. Nested, only the outermost block installs and restores them."""
    if threading.current_thread() is not threading.main_thread() or (
        signal.getsignal(signal.SIGTERM) in (_raise, signal.SIG_IGN)  # already (or stopping)
    ):
        yield
        return
    previous = {s: signal.getsignal(s) for s in HANDLED}
    for s in HANDLED:
        signal.signal(s, _raise)
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def name_of(exit_status: int) -> str:
    """The signal an exit status of 128 + N reports (130: SIGINT, 143: SIGTERM)."""
    return signal.Signals(exit_status - 128).name
