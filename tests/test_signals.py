"""The real signals, for both trainers: SIGKILL one run and SIGINT another mid-epoch, check
what each folder holds, `llexp resume` both, and compare with a run that never stopped.

Slow (each run is a process starting TensorFlow). `LLEXP_PAUSE_AFTER_BATCHES` makes each run
pause in its second epoch and touch `.paused`, so the signal lands mid-epoch every time.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from helpers import TINY

pytestmark = pytest.mark.slow

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}


def start(trainer, folder, *extra, pause=None):
    env = {**ENV, "LLEXP_PAUSE_AFTER_BATCHES": str(pause)} if pause else ENV
    args = [*TINY, "trainer.epochs=3", f"trainer={trainer}", f"hydra.run.dir={folder}", *extra]
    return subprocess.Popen(
        [sys.executable, "-m", "llexp", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def stop_mid_epoch(trainer, folder, sig):
    process = start(trainer, folder, pause=6)  # 5 batches an epoch: the second epoch's first
    deadline = time.time() + 240
    while not (folder / ".paused").exists():
        assert process.poll() is None and time.time() < deadline, process.communicate()[0]
        time.sleep(0.2)
    process.send_signal(sig)
    output, _ = process.communicate(timeout=60)
    return process.returncode, output


def history(folder):
    return list(csv.DictReader((folder / "history.csv").open()))


def check_left_folder(folder):
    """Nothing claims completion; every file left loads."""
    import h5py

    from llexp.trainers.state import ResumeState

    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["status"] in ("running", "interrupted") and metrics["epoch"] == 1
    assert not (folder / "model.weights.h5").exists()
    assert len(history(folder)) == 1
    assert ResumeState.load(folder).epoch == 1
    with np.load(folder / "resume.npz", allow_pickle=False) as f:
        assert len(f.files) > 2
    with h5py.File(folder / "best.weights.h5") as f:
        assert len(f.keys()) > 0
    assert not [p for p in folder.iterdir() if ".tmp" in p.name]
    return metrics


@pytest.mark.parametrize("trainer", ["fit", "tape"])
def test_kill_and_interrupt_then_resume_to_the_same_result(trainer, tmp_path):
    killed, interrupted, whole = tmp_path / "killed", tmp_path / "interrupted", tmp_path / "whole"
    code, output = stop_mid_epoch(trainer, killed, signal.SIGKILL)
    assert code == -signal.SIGKILL
    assert check_left_folder(killed)["status"] == "running"

    code, output = stop_mid_epoch(trainer, interrupted, signal.SIGINT)
    assert code == 130, output
    assert "Traceback" not in output
    assert f"continue with: llexp resume {interrupted}" in output
    assert check_left_folder(interrupted)["status"] == "interrupted"

    baseline = start(trainer, whole)
    assert baseline.wait(timeout=300) == 0
    expected = json.loads((whole / "metrics.json").read_text())
    for folder in (killed, interrupted):
        resumed = subprocess.run(
            [sys.executable, "-m", "llexp", "resume", str(folder)],
            env=ENV,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert resumed.returncode == 0, resumed.stderr
        metrics = json.loads((folder / "metrics.json").read_text())
        assert metrics["status"] == "completed" and metrics["epochs"] == 3
        assert [row["epoch"] for row in history(folder)] == ["0", "1", "2"]
        for key in ("test_loss", "test_accuracy", "val_loss", "val_accuracy"):
            assert metrics[key] == pytest.approx(expected[key], rel=1e-6), key
