"""The real signals, in real processes: SIGKILL, SIGINT and SIGTERM at every phase of a run, two
resumes of one folder at once, and a stopped sweep finished by the command it printed.

Slow (each run is a process starting TensorFlow). `pauses.hooks_env` makes a child process
touch a marker and wait at a chosen point (a batch of the second epoch, a function), so each
signal lands exactly there.
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
from pauses import hooks_env

from helpers import TINY

pytestmark = pytest.mark.slow

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
MID_EPOCH = "batches:6"  # 5 batches an epoch: the second epoch's first batch


def start(folder, *args, trainer="fit", at=None, env=ENV):
    """`llexp TINY trainer.epochs=3 ARGS` into `folder`, paused `at` (see `tests/pauses.py`)."""
    if at:
        env = hooks_env(env, at, folder.parent / f".{folder.name}.paused")
    extra = [*TINY, "trainer.epochs=3", f"trainer={trainer}", f"hydra.run.dir={folder}"]
    return popen([*extra, *args], env)


def popen(args, env=ENV):
    return subprocess.Popen(
        [sys.executable, "-m", "llexp", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def signal_when_paused(process, marker, sig, group=False):
    """Waits for `marker`, sends `sig`; returns the exit status and the output."""
    deadline = time.time() + 240
    while not marker.exists():
        assert process.poll() is None and time.time() < deadline, process.communicate()[0]
        time.sleep(0.2)
    os.killpg(process.pid, sig) if group else process.send_signal(sig)
    output, _ = process.communicate(timeout=120)
    return process.returncode, output


def stop(folder, sig, at=MID_EPOCH, trainer="fit"):
    process = start(folder, trainer=trainer, at=at)
    return signal_when_paused(process, folder.parent / f".{folder.name}.paused", sig)


def resume(folder):
    return subprocess.run(
        [sys.executable, "-m", "llexp", "resume", str(folder)],
        env=ENV,
        capture_output=True,
        text=True,
        timeout=300,
    )


def metrics(folder):
    return json.loads((folder / "metrics.json").read_text())


def history(folder):
    return list(csv.DictReader((folder / "history.csv").open()))


def check_left_folder(folder):
    """Nothing claims completion; every file left loads."""
    import h5py

    from llexp.trainers.state import ResumeState

    left = metrics(folder)
    assert left["status"] in ("running", "interrupted") and left["epoch"] == 1
    assert not (folder / "model.weights.h5").exists()
    assert len(history(folder)) == 1
    assert ResumeState.load(folder).epoch == 1
    with np.load(folder / "resume.npz", allow_pickle=False) as f:
        assert len(f.files) > 2
    with h5py.File(folder / "best.weights.h5") as f:
        assert len(f.keys()) > 0
    assert not [p for p in folder.iterdir() if ".tmp" in p.name]
    return left


@pytest.mark.parametrize("trainer", ["fit", "tape"])
def test_kill_interrupt_and_terminate_then_resume_to_the_same_result(trainer, tmp_path):
    killed, interrupted, terminated = tmp_path / "killed", tmp_path / "int", tmp_path / "term"
    code, output = stop(killed, signal.SIGKILL, trainer=trainer)
    assert code == -signal.SIGKILL
    assert check_left_folder(killed)["status"] == "running"

    for folder, sig, status in (
        (interrupted, signal.SIGINT, 130),
        (terminated, signal.SIGTERM, 143),
    ):
        code, output = stop(folder, sig, trainer=trainer)
        assert code == status, output
        assert "Traceback" not in output
        name = signal.Signals(sig).name
        assert f"{name}: interrupted after 1 finished epochs; " in output
        assert f"continue with: llexp resume {folder}" in output
        assert check_left_folder(folder)["status"] == "interrupted"

    whole = tmp_path / "whole"
    baseline = start(whole, trainer=trainer)
    assert baseline.wait(timeout=300) == 0
    expected = metrics(whole)
    for folder in (killed, interrupted, terminated):
        done = resume(folder)
        assert done.returncode == 0, done.stderr
        assert "resuming from epoch 2 of 3" in done.stderr
        result = metrics(folder)
        assert result["status"] == "completed" and result["epochs"] == 3
        assert [row["epoch"] for row in history(folder)] == ["0", "1", "2"]
        for key in ("test_loss", "test_accuracy", "val_loss", "val_accuracy"):
            assert result[key] == pytest.approx(expected[key], rel=1e-6), key
        # Both processes' commands, and both processes' training time.
        assert result["command"][-1] == f"llexp resume {folder}"
        assert len(result["command"]) == 2


# Where a signal can land, in the order a run meets them; the last two after completion.
PHASES = {
    "build": "llexp.models.base:ImageModel.build",
    "data": "llexp.data.preprocess:normalization",
    "training": MID_EPOCH,
    "evaluation": "llexp.evaluation:scores",
    "figures": "llexp.figures:plot_history",
    "tracker close": "llexp.loggers:Logger.close",
}
AFTER_COMPLETION = ("figures", "tracker close")


@pytest.mark.parametrize("phase", list(PHASES))
def test_sigint_at_every_phase_never_loses_a_completed_result(phase, tmp_path):
    folder = tmp_path / "run"
    code, output = stop(folder, signal.SIGINT, at=PHASES[phase])
    assert code == 130, output
    assert "Traceback" not in output
    left = metrics(folder)
    if phase in AFTER_COMPLETION:  # completed stays completed, with its test metrics
        assert left["status"] == "completed" and "test_accuracy" in left, left
        assert (folder / "model.weights.h5").is_file()
        assert any("SIGINT while" in w for w in left["warnings"])
        assert f"SIGINT after the run completed: its results are kept in {folder}" in output
        refused = resume(folder)
        assert refused.returncode == 2 and "holds a completed run" in refused.stderr
        assert metrics(folder) == left  # asking to resume changed nothing
        return
    assert left["status"] == "interrupted", left
    assert f"continue with: llexp resume {folder}" in output
    done = resume(folder)
    assert done.returncode == 0, done.stderr
    result = metrics(folder)
    assert result["status"] == "completed" and result["epochs"] == 3
    assert [row["epoch"] for row in history(folder)] == ["0", "1", "2"]


def test_two_resumes_at_once_one_is_refused_and_a_dead_holder_is_taken_over(tmp_path):
    folder = tmp_path / "run"
    assert stop(folder, signal.SIGINT)[0] == 130
    marker = tmp_path / ".first.paused"
    env = hooks_env(ENV, "batches:2", marker)
    first = subprocess.Popen(
        [sys.executable, "-m", "llexp", "resume", str(folder)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.time() + 240
    while not marker.exists():
        assert first.poll() is None and time.time() < deadline, first.communicate()[0]
        time.sleep(0.2)
    second = resume(folder)
    assert second.returncode == 2
    lines = [line for line in second.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and f"is being written by process {first.pid}" in lines[0], lines
    first.kill()  # SIGKILL: the lock file still names it, but no process holds the lock
    first.communicate(timeout=60)
    third = resume(folder)
    assert third.returncode == 0, third.stderr
    assert f"taking over the lock left by process {first.pid}" in third.stderr
    assert metrics(folder)["status"] == "completed"


def test_a_stopped_sweep_says_what_is_left_and_its_command_finishes_it(tmp_path):
    sweep_dir = tmp_path / "sweep"
    args = ["-m", *TINY, "trainer.epochs=2", "seed=1,2", f"hydra.sweep.dir={sweep_dir}"]
    env = hooks_env(ENV, MID_EPOCH, tmp_path / ".paused")
    process = subprocess.Popen(
        [sys.executable, "-m", "llexp", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    code, output = signal_when_paused(process, tmp_path / ".paused", signal.SIGTERM, group=True)
    assert code == 143, output
    assert "Traceback" not in output
    assert "SIGTERM: the sweep stopped; jobs left: 0 (interrupted), 1 not started" in output
    command = output.split("finish them with: ")[1].splitlines()[0]
    assert command.startswith("llexp -m ") and "skip_completed=true" in command
    # The printed command, with a display key changed: the interrupted job resumes.
    import shlex

    again = shlex.split(command)[1:] + ["trainer.verbose=2"]
    done = subprocess.run(
        [sys.executable, "-m", "llexp", *again], env=ENV, capture_output=True, text=True
    )
    said = done.stdout + done.stderr  # Hydra logs to stdout
    assert done.returncode == 0, said
    assert "resuming from epoch 2 of 2" in said
    assert "starting over" not in said
    for job in ("0", "1"):
        result = metrics(sweep_dir / job)
        assert result["status"] == "completed" and result["epochs"] == 2
    # Each job records the command lines the user typed that worked on it.
    first, second = shlex.join(["llexp", *args]), shlex.join(["llexp", *again])
    assert metrics(sweep_dir / "0")["command"] == [first, second]
    assert metrics(sweep_dir / "1")["command"] == [second]


@pytest.mark.parametrize("launcher", ["hydra/launcher=joblib", "hydra/launcher=submitit_local"])
def test_every_launcher_records_the_users_command(launcher, tmp_path):
    import shlex

    sweep_dir = tmp_path / "sweep"
    args = ["-m", launcher, *TINY, "seed=1,2", f"hydra.sweep.dir={sweep_dir}"]
    done = subprocess.run(
        [sys.executable, "-m", "llexp", *args],
        env=ENV,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    for job in ("0", "1"):
        assert metrics(sweep_dir / job)["command"] == [shlex.join(["llexp", *args])]
