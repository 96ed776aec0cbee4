"""One process at a time writes a run folder: a lock file, `.llexp.lock`, held while it works.

The lock is an `flock` on the file, which the kernel drops when its process ends however it
ends (SIGKILL included), so a dead process's lock is taken over without asking; the file names
the holding process (pid, host, command) for the message that refuses a second one.
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
from pathlib import Path

from llexp.errors import LlexpError

log = logging.getLogger("llexp")

LOCK_FILE = ".llexp.lock"


class RunLock:
    """The lock of one run folder; a context manager.

    Args:
        out_dir: the run folder (created if missing).
        command: the command line of this process, written into the lock for others to see.

    Raises:
        LlexpError: on entering, when another live process holds the folder.
    """

    def __init__(self, out_dir: Path | str, command: str):
        self.path = Path(out_dir) / LOCK_FILE
        self.command = command
        self.fd: int | None = None

    def __enter__(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(fd, 4096, 0).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise LlexpError(
                f"{self.path.parent} is being written by {holder}; wait for it to end "
                "(or stop it) before running into this folder again"
            ) from None
        left = os.pread(fd, 4096, 0).decode(errors="replace").strip()
        if left:  # a holder that never released it: it was killed
            log.warning("%s: taking over the lock left by %s (gone)", self.path.parent, left)
        os.ftruncate(fd, 0)
        holder = f"process {os.getpid()} on {socket.gethostname()} ({self.command})"
        os.pwrite(fd, holder.encode(), 0)
        os.fsync(fd)
        self.fd = fd
        return self

    def __exit__(self, *exc) -> None:
        if self.fd is None:
            return
        # The file stays (removing it would let a process that opened it meanwhile lock a file
        # no one else sees); emptied, it says no one holds the folder.
        os.ftruncate(self.fd, 0)
        os.close(self.fd)  # releases the flock
        self.fd = None
