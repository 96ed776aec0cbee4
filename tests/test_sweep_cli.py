"""Real sweeps on the command line: failure isolation, skip-completed, joblib, submitit, Optuna."""

import json

import pytest

from llexp.resources import available_cores

from helpers import TINY, run_llexp

pytestmark = pytest.mark.slow


def llexp(*args, cwd):
    """A multirun of the tiny config plus ARGS."""
    return run_llexp("-m", *TINY, *args, cwd=cwd, timeout=400)


def status(folder):
    return json.loads((folder / "metrics.json").read_text())


def test_a_failing_job_does_not_stop_the_sweep_and_completed_jobs_can_be_skipped(tmp_path):
    sweep = ["model.depth=1,4,2", "hydra.sweep.dir=sweep"]
    done = llexp(*sweep, cwd=tmp_path)
    out = done.stdout + done.stderr
    assert done.returncode == 1, out[-3000:]  # the sweep finished, and says something failed
    jobs = tmp_path / "sweep"
    assert [status(jobs / j)["status"] for j in "012"] == ["completed", "failed", "completed"]
    assert "largest depth that fits is 3" in status(jobs / "1")["error"]
    (failed_line,) = [line for line in out.splitlines() if "FAILED" in line]
    assert "job 1 (" in failed_line and "model.depth=4" in failed_line and "too deep" in failed_line
    assert "1 of 3 jobs failed" in out
    assert "Traceback" not in out
    assert out.index("FAILED") < out.index("#2 :")  # said at once, before the next job starts

    finished = {j: (jobs / j / "metrics.json").read_bytes() for j in "02"}
    weights = (jobs / "0" / "model.weights.h5").stat().st_mtime_ns
    again = llexp(*sweep, "skip_completed=true", cwd=tmp_path)
    out = again.stdout + again.stderr
    assert again.returncode == 1, out[-3000:]  # job 1 ran again and failed again
    assert out.count("already completed in") == 2
    assert "1 of 1 jobs failed" in out  # only the jobs that ran count
    for j in "02":
        assert (jobs / j / "metrics.json").read_bytes() == finished[j]  # untouched
    assert (jobs / "0" / "model.weights.h5").stat().st_mtime_ns == weights


def test_parallel_preset_runs_jobs_in_joblib_processes_sharing_the_cores(tmp_path):
    done = llexp(
        "hydra/launcher=parallel",
        "hydra.launcher.n_jobs=2",
        "model.depth=1,4",
        "hydra.sweep.dir=sweep",
        cwd=tmp_path,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 1, out[-3000:]  # failures are found in the workers' folders too
    assert "Joblib.Parallel(n_jobs=2" in out
    assert status(tmp_path / "sweep" / "0")["status"] == "completed"
    assert status(tmp_path / "sweep" / "1")["status"] == "failed"
    log = (tmp_path / "sweep" / "0" / "llexp.log").read_text()
    share = max(1, available_cores() // 2)  # resources.threads=null: the cores split in 2
    assert f"TensorFlow uses {share} intra-op and {share} inter-op threads" in log


def test_submitit_local_launcher_runs_the_jobs(tmp_path):
    done = llexp(
        "hydra/launcher=submitit_local",
        "hydra.launcher.timeout_min=10",
        "hydra.launcher.cpus_per_task=1",
        "model.depth=1,2",
        "hydra.sweep.dir=sweep",
        cwd=tmp_path,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    assert [status(tmp_path / "sweep" / j)["status"] for j in "01"] == ["completed"] * 2


def test_optuna_search_with_sqlite_storage_resumes(tmp_path):
    import optuna

    storage = f"sqlite:///{tmp_path}/studies/optuna.db"  # its folder does not exist yet
    search = ["hparams_search=lenet_optuna", f"hydra.sweeper.storage={storage}"]
    first = llexp(*search, "hydra.sweeper.n_trials=2", "hydra.sweep.dir=first", cwd=tmp_path)
    assert first.returncode == 0, (first.stdout + first.stderr)[-3000:]
    second = llexp(*search, "hydra.sweeper.n_trials=1", "hydra.sweep.dir=second", cwd=tmp_path)
    out = second.stdout + second.stderr
    assert second.returncode == 0, out[-3000:]
    assert "study lenet_digits (" in out and "holds 2 finished trials" in out  # continued
    trials = optuna.load_study(study_name="lenet_digits", storage=storage).trials
    assert [t.state.name for t in trials] == ["COMPLETE"] * 3  # 2 + 1 resumed
    folders = [tmp_path / "first" / "0", tmp_path / "first" / "1", tmp_path / "second" / "0"]
    for trial, folder in zip(trials, folders, strict=True):
        metrics = status(folder)
        assert trial.value == pytest.approx(metrics["val_accuracy"])  # the objective returned
        assert metrics["config"]["model"]["depth"] == trial.params["model.depth"]


def test_failed_optuna_trials_are_recorded_and_the_search_goes_on(tmp_path):
    import optuna

    from llexp.search.study import open_storage

    # With storage=null the study lives in the sweep folder; its trials are set here: depth 1,
    # 4, 4 (one trial fits 8x8 digits, two do not), whatever the sampler's random numbers.
    storage = open_storage(None, tmp_path / "sweep")
    study = optuna.create_study(study_name="lenet_digits", storage=storage, direction="maximize")
    for depth in (1, 4, 4):
        study.enqueue_trial({"model.depth": depth})
    done = llexp(
        "hparams_search=lenet_optuna",
        "model.depth=choice(1,4)",
        "model.width=4",
        "hydra.sweeper.n_trials=3",
        "hydra.sweeper.storage=null",
        "hydra.sweep.dir=sweep",
        cwd=tmp_path,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 1, out[-3000:]  # ran to its end, and says trials failed
    assert out.count("failed: its job failed") == 2  # trials 1 and 2, told FAIL
    assert "2 of 3 jobs failed" in out
    assert [status(tmp_path / "sweep" / j)["status"] for j in "012"] == [
        "completed",
        "failed",
        "failed",
    ]
    results = (tmp_path / "sweep" / "optimization_results.yaml").read_text()
    assert "model.depth: 1" in results  # the best of the trials that completed
