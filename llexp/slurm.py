"""What a job does differently when Slurm runs it (`hydra/launcher=submitit_slurm`).

Slurm stops a job before it ends in three ways, and each leaves a run folder that resumes:

- `scontrol requeue`, and preemption in requeue mode, send SIGTERM and put the job back in the
  queue; the run stops as on any SIGTERM (status `interrupted`);
- before the time limit, Slurm sends the job the signal that submitit asked for with `--signal`
  (SIGUSR2, `hydra.launcher.signal_delay_s` seconds ahead): submitit then requeues the job
  itself, and `requeue_signal` makes the run stop in the same way, saying so;
- when Slurm starts the job again (`SLURM_RESTART_COUNT` > 0), the job continues its own folder
  as with `skip_completed=true`: an unfinished run resumes from its last finished epoch, a
  completed one is not trained again.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger("llexp")

# Set by Slurm in a job it started again: the number of times it did.
RESTART_COUNT = "SLURM_RESTART_COUNT"


def restarts() -> int:
    """How many times Slurm started this job again (requeue, preemption, node failure); 0 for a
    job's first start and outside Slurm."""
    try:
        return max(0, int(os.environ.get(RESTART_COUNT, "0")))
    except ValueError:
        return 0


class Requeued(KeyboardInterrupt):
    """Raised when Slurm's requeue signal stops the run; `signum` says which signal it was."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def requeue_signum() -> int | None:
    """The signal submitit asks Slurm to send before a job's time limit or on preemption
    (`SUBMITIT_PREEMPT_SIGNAL`, default USR2), in a submitit job on Slurm; else None."""
    if os.environ.get("SUBMITIT_EXECUTOR") != "slurm":
        return None
    return getattr(signal, "SIG" + os.environ.get("SUBMITIT_PREEMPT_SIGNAL", "USR2"), None)


@contextmanager
def requeue_signal() -> Iterator[None]:
    """Inside a submitit job on Slurm: when Slurm's requeue signal arrives, submitit's own
    handler runs first (it requeues the job, as the launcher is checkpointable, and exits), then
    the run stops with `Requeued`, so that the code that marks a run `interrupted` sees it as it
    sees Ctrl-C or SIGTERM. Elsewhere (or with no handler of submitit's installed) it does
    nothing. Restores submitit's handler on leaving.
    """
    signum = requeue_signum()
    previous = signal.getsignal(signum) if signum else None
    if not callable(previous) or threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(number, frame) -> None:
        # Requeuing makes Slurm send SIGTERM: the process is stopping already, let it finish.
        for other in (signal.SIGTERM, signal.SIGINT):
            signal.signal(other, signal.SIG_IGN)
        name = signal.Signals(number).name
        job = os.environ.get("SLURM_ARRAY_JOB_ID"), os.environ.get("SLURM_ARRAY_TASK_ID")
        job_id = "_".join(job) if all(job) else os.environ.get("SLURM_JOB_ID", "?")
        try:
            previous(number, frame)  # submitit: checkpoint, `scontrol requeue`, sys.exit
        except SystemExit:
            log.warning(
                "%s from Slurm (time limit near, or preempted): job %s is requeued and resumes "
                "from its last finished epoch when Slurm starts it again",
                name,
                job_id,
            )
        except Exception as error:  # noqa: BLE001  (submitit did not requeue: it says why)
            log.warning("%s from Slurm: job %s is not requeued (%s)", name, job_id, error)
        raise Requeued(number)

    signal.signal(signum, handler)
    try:
        yield
    finally:
        signal.signal(signum, previous)
