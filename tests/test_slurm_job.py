"""The Slurm side of a job, in this process and with no cluster: the restart count, and
submitit's requeue signal turned into a stop (`tests/test_slurm.py` runs them on a cluster)."""

from __future__ import annotations

import os
import signal
import time

import pytest

from llexp import slurm


def test_restarts_counts_slurms_restarts_only(monkeypatch):
    monkeypatch.delenv("SLURM_RESTART_COUNT", raising=False)
    assert slurm.restarts() == 0
    monkeypatch.setenv("SLURM_RESTART_COUNT", "2")
    assert slurm.restarts() == 2
    monkeypatch.setenv("SLURM_RESTART_COUNT", "")
    assert slurm.restarts() == 0


def test_requeue_signal_runs_submitits_handler_then_stops_the_run(monkeypatch, caplog):
    """In a submitit job on Slurm, SIGUSR2 runs submitit's handler (here one that requeues and
    exits as submitit's does), then raises `Requeued`; SIGTERM waits from then on; leaving
    restores both handlers."""
    monkeypatch.setenv("SUBMITIT_EXECUTOR", "slurm")
    monkeypatch.setenv("SLURM_JOB_ID", "17")
    calls = []

    def submitits(signum, frame):
        calls.append(signum)
        raise SystemExit(-1)

    previous = {s: signal.getsignal(s) for s in (signal.SIGUSR2, signal.SIGTERM)}
    signal.signal(signal.SIGUSR2, submitits)
    try:
        with pytest.raises(slurm.Requeued) as stopped, slurm.requeue_signal():
            os.kill(os.getpid(), signal.SIGUSR2)
            time.sleep(5)  # the signal interrupts this
        assert calls == [signal.SIGUSR2] and stopped.value.signum == signal.SIGUSR2
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_IGN
        assert signal.getsignal(signal.SIGUSR2) is submitits
        assert "job 17 is requeued" in caplog.text
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def test_requeue_signal_changes_nothing_outside_slurm(monkeypatch):
    monkeypatch.delenv("SUBMITIT_EXECUTOR", raising=False)
    before = signal.getsignal(signal.SIGUSR2)
    with slurm.requeue_signal():
        assert signal.getsignal(signal.SIGUSR2) == before
