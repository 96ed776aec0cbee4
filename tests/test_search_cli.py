"""Real searches on the command line: trials pruned in the sweep's process and in joblib's
worker processes, a pruned study resumed, mistakes in the search space, and `llexp review`."""

import csv
import json

import optuna
import pytest

from helpers import run_llexp

pytestmark = pytest.mark.slow

# A width-4 LeNet on 600 digits for 3 epochs; the search space is the learning rate alone, and
# the test chooses each trial's value (enqueued in the study): 0.05 learns within an epoch,
# 1e-6 does not move from where it started, so the median pruner stops it after epoch 1.
SEARCH = [
    "hparams_search=lenet_optuna",
    "dataset=digits",
    "dataset.subset=600",
    "model.depth=1",
    "model.width=4",
    "model.dense_units=8",
    "optimizer=adam",
    "trainer.epochs=3",
    "trainer.batch_size=32",
    "hydra.sweeper.pruner.n_startup_trials=1",
    "hydra.sweeper.pruner.n_warmup_steps=1",
]
GOOD, BAD = 0.05, 1e-6


def enqueue(storage: str, *rates: float) -> None:
    search = optuna.create_study(
        study_name="lenet_digits", storage=storage, direction="maximize", load_if_exists=True
    )
    for rate in rates:
        search.enqueue_trial({"optimizer.learning_rate": rate})


def states(storage: str) -> list[str]:
    return [
        t.state.name for t in optuna.load_study(study_name="lenet_digits", storage=storage).trials
    ]


def record(folder) -> dict:
    return json.loads((folder / "metrics.json").read_text())


def epochs_in_history(folder) -> int:
    return len(list(csv.DictReader((folder / "history.csv").open())))


def test_a_pruned_search_in_one_process_resumes_and_is_reviewed(tmp_path):
    storage = f"sqlite:///{tmp_path}/optuna.db"
    enqueue(storage, GOOD, BAD, BAD)
    search = [*SEARCH, f"hydra.sweeper.storage={storage}", "hydra.sweeper.n_trials=3"]
    first = run_llexp(*search, "hydra.sweep.dir=first", cwd=tmp_path, timeout=400)
    out = first.stdout + first.stderr
    assert first.returncode == 0, out[-3000:]  # pruned trials are not failures
    assert states(storage) == ["COMPLETE", "PRUNED", "PRUNED"]
    jobs = [tmp_path / "first" / j for j in "012"]
    assert [record(j)["status"] for j in jobs] == ["completed", "pruned", "pruned"]
    assert [epochs_in_history(j) for j in jobs] == [3, 1, 1]  # stopped at the end of epoch 1
    assert "trial 1 pruned after epoch 1" in out and "Traceback" not in out

    enqueue(storage, BAD)  # the same command again continues the study
    second = [*search[:-1], "hydra.sweeper.n_trials=1", "hydra.sweep.dir=second"]
    again = run_llexp(*second, cwd=tmp_path, timeout=400)
    assert again.returncode == 0, (again.stdout + again.stderr)[-3000:]
    assert "study lenet_digits (" in again.stdout and "holds 3 finished trials" in again.stdout
    assert states(storage) == ["COMPLETE", "PRUNED", "PRUNED", "PRUNED"]
    assert record(tmp_path / "second" / "0")["status"] == "pruned"

    review = run_llexp("review", "first", "second", cwd=tmp_path)  # `python -m llexp review`
    shown = review.stdout
    assert review.returncode == 0, shown + review.stderr
    assert "4 runs (1 completed, 3 pruned)" in shown  # each trial's state
    # Each sweep folder holds the study as it was when that command ended.
    assert "study lenet_digits: 3 trials (1 complete, 2 pruned); best value" in shown
    assert "study lenet_digits: 4 trials (1 complete, 3 pruned); best value" in shown
    assert f"in trial 0, {tmp_path / 'first' / '0'}: optimizer.learning_rate={GOOD}" in shown


def test_trials_pruned_in_joblib_processes_find_their_trial_through_the_storage(tmp_path):
    storage = f"sqlite:///{tmp_path}/optuna.db"
    enqueue(storage, GOOD, GOOD, BAD, BAD)
    done = run_llexp(
        *SEARCH,
        "trainer=tape",
        f"hydra.sweeper.storage={storage}",
        "hydra.sweeper.n_trials=4",
        "hydra.sweeper.n_jobs=2",  # two batches of two trials, each batch in two processes
        "hydra/launcher=joblib",
        "hydra.launcher.n_jobs=2",
        "hydra.sweep.dir=sweep",
        cwd=tmp_path,
        timeout=500,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-3000:]
    assert "Joblib.Parallel(n_jobs=2" in out
    assert states(storage) == ["COMPLETE", "COMPLETE", "PRUNED", "PRUNED"]
    jobs = [tmp_path / "sweep" / j for j in "0123"]
    assert [record(j)["status"] for j in jobs] == ["completed", "completed", "pruned", "pruned"]
    assert [epochs_in_history(j) for j in jobs] == [3, 3, 1, 1]


@pytest.mark.parametrize(
    ("override", "words"),
    [
        ("optimizer.learning_rate=tag(log, interval(0, 0.1))", "a log-scale interval must be"),
        ("optimizer.learning_rate=interval(0.1, 0.001)", "the interval is reversed"),
        ("hydra.sweeper.pruner=medain", "no such pruner; choose one of median"),
        ("hydra.sweeper.sampler=tpee", "no such sampler; choose one of tpe"),
    ],
)
def test_search_mistakes_end_in_one_line_before_any_trial(tmp_path, override, words):
    done = run_llexp(*SEARCH, "hydra.sweeper.storage=null", override, cwd=tmp_path)
    assert done.returncode == 2, (done.stdout + done.stderr)[-3000:]
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], done.stderr
    assert "Launching" not in done.stdout  # no job started
