"""Sweeps on a real one-node Slurm cluster (`scripts/slurm-cluster`), through
`hydra/launcher=submitit_slurm`: jobs that Slurm requeues or warns of their time limit resume.
(`test_slurm_job.py` checks the Slurm side of a job in-process, with no cluster.)

The cluster is started once for the slow tests and stopped after them. Without Debian's
`slurm-wlm` and `munge` (or without root, which the daemons need) they skip, except in CI
(`CI=true` or `LLEXP_REQUIRE_SLURM=1`), where they fail: `.ci/run` installs the packages.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pauses import hooks_env

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "slurm-cluster"
SBIN = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin"])

# The tiny config (5 batches an epoch), deterministic, so that two runs of one config give the
# same history to the last digit.
RUN = [
    "dataset=digits",
    "dataset.subset=300",
    "model.width=4",
    "model.dense_units=8",
    "trainer.batch_size=64",
    "trainer.epochs=5",
    "optimizer.learning_rate=0.01",  # learns within these 25 steps
    "deterministic=true",
    "hydra/launcher=submitit_slurm",
    "hydra.launcher.cpus_per_task=1",
]
THIRD_EPOCH = "batches:11"  # the first batch of the third epoch: two epochs finished


PAUSED = ".paused"


def paused_run(tmp_path: Path, sweep) -> Path:
    """The run folder of the job that paused in its third epoch, once it has."""
    marker = tmp_path / PAUSED
    wait_for(marker.exists, 120, "a job paused in its third epoch", sweep)
    return tmp_path / "sweep" / (marker.read_text() or "0")


def required() -> bool:
    return os.environ.get("CI") == "true" or os.environ.get("LLEXP_REQUIRE_SLURM") == "1"


@pytest.fixture(scope="session")
def slurm_cluster(tmp_path_factory):
    """A one-node Slurm cluster for the session, on ports of its own (a cluster the user runs
    with the script's defaults is left alone); yields the environment that reaches it."""
    missing = [c for c in ("munged", "slurmctld", "slurmd", "sbatch") if not which(c)]
    reason = None
    if missing:
        reason = f"no {', '.join(missing)}: apt-get install slurm-wlm munge"
    elif os.geteuid() != 0:
        reason = "scripts/slurm-cluster runs the Slurm daemons as root"
    if reason:
        if required():
            pytest.fail(f"CI runs the Slurm tests, but {reason}")
        pytest.skip(reason)
    state = tmp_path_factory.mktemp("slurm")
    env = {
        **os.environ,
        "PATH": SBIN,
        "LLEXP_SLURM_DIR": str(state),
        "LLEXP_SLURM_CTLD_PORT": "6837",
        "LLEXP_SLURM_SLURMD_PORT": "6838",
        "LLEXP_SLURM_KILLWAIT": "10",
        "SLURM_CONF": str(state / "slurm.conf"),
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }
    started = subprocess.run([SCRIPT, "start"], env=env, capture_output=True, text=True)
    assert started.returncode == 0, started.stdout + started.stderr
    assert f"export SLURM_CONF={state}/slurm.conf" in started.stdout
    try:
        yield env
    finally:
        stopped = subprocess.run([SCRIPT, "stop"], env=env, capture_output=True, text=True)
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr
        assert not state.exists()


def which(command: str) -> str | None:
    return shutil.which(command, path=SBIN)


def record(run_dir: Path) -> dict:
    try:
        return json.loads((run_dir / "metrics.json").read_text())
    except (OSError, ValueError):
        return {}


def wait_for(condition, timeout: float, what: str, sweep=None) -> None:
    """Polls `condition` every 0.1 s; fails with `what` (and the sweep's output) after
    `timeout` seconds or when the sweep process ends first."""
    deadline = time.monotonic() + timeout
    while not condition():
        ended = sweep is not None and sweep.poll() is not None
        if ended or time.monotonic() > deadline:
            out = sweep.communicate()[0][-4000:] if ended else ""
            pytest.fail(
                f"{what}: not within {timeout} s{' (the sweep ended)' if ended else ''}\n{out}"
            )
        time.sleep(0.1)


@pytest.fixture
def start_sweep(slurm_cluster, tmp_path):
    """Starts `llexp -m RUN OVERRIDES` into `tmp_path/sweep` on the cluster. The first job to
    reach its third epoch pauses there (for 2 minutes, or until a signal) and writes its Slurm
    array task id into `tmp_path/PAUSED`; no other job pauses, nor that one when Slurm starts it
    again. A sweep still running when the test ends is stopped, its jobs cancelled."""
    started = []

    def start(*overrides: str) -> subprocess.Popen:
        command = [sys.executable, "-m", "llexp", "-m", *RUN, *overrides, "hydra.sweep.dir=sweep"]
        sweep = subprocess.Popen(
            command,
            cwd=tmp_path,
            env=hooks_env(slurm_cluster, THIRD_EPOCH, tmp_path / PAUSED, once=True),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        started.append(sweep)
        return sweep

    yield start
    for sweep in started:
        if sweep.poll() is None:
            sweep.kill()
            sweep.communicate()
    jobs = tmp_path / "sweep" / ".submitit"
    ids = {p.name.split("_")[0] for p in jobs.glob("*_*")} if jobs.is_dir() else set()
    if ids:
        subprocess.run(["scancel", *ids], env=slurm_cluster, capture_output=True)


def finish(sweep: subprocess.Popen, timeout: float = 240) -> str:
    try:
        out = sweep.communicate(timeout=timeout)[0]
    except subprocess.TimeoutExpired:
        sweep.kill()
        pytest.fail(f"the sweep did not end in {timeout} s:\n{sweep.communicate()[0][-4000:]}")
    assert sweep.returncode == 0, out[-4000:]
    return out


def slurm_job(run_dir: Path) -> str:
    """The Slurm job id of a run of a submitit sweep (`ARRAY_TASK` when the sweep has several
    jobs), as Hydra recorded it in the run's `.hydra/hydra.yaml`."""
    from omegaconf import OmegaConf

    return str(OmegaConf.load(run_dir / ".hydra" / "hydra.yaml").hydra.job.id)


def scontrol(env: dict, *args: str) -> str:
    done = subprocess.run(["scontrol", *args], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def squeue(env: dict, job: str, field: str) -> str:
    """One field of a job as squeue shows it (`%T` its state, `%M` the time it has run)."""
    done = subprocess.run(["squeue", "-h", "-j", job, "-o", field], env=env, capture_output=True)
    return done.stdout.decode().strip()


def history(run_dir: Path) -> list[str]:
    return (run_dir / "history.csv").read_text().splitlines()


@pytest.mark.slow
def test_sweep_runs_and_a_requeued_job_resumes_to_the_uninterrupted_history(
    slurm_cluster, start_sweep, tmp_path
):
    """A 2-job sweep whose jobs differ only in `trainer.verbose` (a display key): each is the
    other's twin. One is requeued in its third epoch (`scontrol requeue`, what preemption in
    requeue mode does: SIGTERM, then the job is queued again); Slurm starts it again, it resumes
    its folder, and ends with the history of its twin, which ran uninterrupted."""
    sweep = start_sweep("trainer.verbose=0,2")
    run = paused_run(tmp_path, sweep)
    twin = run.with_name("10"[int(run.name)])
    assert record(run)["status"] == "running" and record(run)["epoch"] == 2
    scontrol(slurm_cluster, "requeue", slurm_job(run))
    # SIGTERM stops the run (a SIGKILL, after Slurm's KillWait, would leave it `running`): the
    # folder says so and holds the state to resume from.
    wait_for(lambda: record(run).get("status") != "running", 30, "the requeued job stopped", sweep)
    stopped = record(run)
    assert stopped["status"] == "interrupted" and stopped["epoch"] == 2, stopped
    assert (run / "resume.npz").is_file()

    out = finish(sweep)
    done, other = record(run), record(twin)
    assert done["status"] == other["status"] == "completed", out[-3000:]
    log = (run / "llexp.log").read_text()
    assert "SIGTERM: interrupted after 2 finished epochs" in log
    assert "Slurm started this job again (restart 1)" in log
    assert "resuming from epoch 3 of 5" in log
    assert not list(run.parent.glob(f".{run.name}.replaced-*"))  # resumed, not started over
    assert history(run) == history(twin)  # every epoch once, the same values
    assert len(history(run)) == 1 + 5
    assert done["test_accuracy"] == pytest.approx(other["test_accuracy"], rel=1e-6)
    # Both processes of the requeued job recorded the command the user typed.
    assert len(done["command"]) == 2 and len(other["command"]) == 1
    for command in [*done["command"], *other["command"]]:
        assert command.startswith("llexp -m ") and "trainer.verbose=0,2" in command


@pytest.mark.slow
def test_time_limit_signal_requeues_the_job_which_resumes(slurm_cluster, start_sweep, tmp_path):
    """Slurm's warning before the time limit (`--signal=USR2@90`, submitit's `signal_delay_s`):
    in its third epoch, the job's time limit is cut to what it has run plus two minutes, as if it
    had been submitted so; Slurm sends the signal, submitit requeues the job, the run stops
    resumable and says so, and the job, started again, finishes it."""
    sweep = start_sweep(
        "seed=3",
        "hydra.launcher.timeout_min=30",
        "hydra.launcher.signal_delay_s=90",
        "hydra.launcher.max_num_timeout=1",  # submitit requeues a timed-out job this often
    )
    run = paused_run(tmp_path, sweep)
    job = slurm_job(run)
    minutes = int(squeue(slurm_cluster, job, "%M").split(":")[-2] or 0)  # [H:]MM:SS run so far
    scontrol(slurm_cluster, "update", f"JobId={job}", f"TimeLimit={minutes + 2}")
    # The signal is due now; Slurm looks at time limits every 30 s.
    wait_for(lambda: record(run).get("status") != "running", 45, "the job signalled", sweep)
    stopped = record(run)
    assert stopped["status"] == "interrupted" and stopped["epoch"] == 2, stopped
    assert (run / "resume.npz").is_file()
    # Requeued, it would run again under the limit it has now: give it room to finish.
    wait_for(lambda: squeue(slurm_cluster, job, "%T") == "PENDING", 30, "the job requeued")
    scontrol(slurm_cluster, "update", f"JobId={job}", "TimeLimit=30")

    out = finish(sweep)
    done = record(run)
    assert done["status"] == "completed" and done["epochs"] == 5, out[-3000:]
    log = (run / "llexp.log").read_text()  # the first process's lines, then the second's
    assert f"SIGUSR2 from Slurm (time limit near, or preempted): job {job} is requeued" in log
    assert "SIGUSR2: interrupted after 2 finished epochs" in log
    assert "Slurm started this job again (restart 1)" in log
    assert "resuming from epoch 3 of 5" in log
    assert not list(run.parent.glob(f".{run.name}.replaced-*"))  # resumed, not started over
    assert len(history(run)) == 1 + 5
