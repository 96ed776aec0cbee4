"""Files written off the critical path of a sweep: in order, `completed` last, failures marked."""

import json

import pytest

from llexp import background
from llexp.background import Files

from helpers import TINY, run_llexp


def write(path, text):
    path.write_text(text)


def test_background_tasks_run_in_order_after_the_job_returns(tmp_path):
    files = Files(tmp_path, background=True)
    seen = []
    files.add(write, tmp_path / "a.txt", "first")
    files.add(lambda: seen.append((tmp_path / "a.txt").read_text()))  # sees the first file
    assert not (tmp_path / "a.txt").exists()  # kept until the run hands them over
    files.finish(on_error=pytest.fail)
    background.flush()
    assert seen == ["first"]


def test_a_failing_task_is_a_warning_on_the_completed_run(tmp_path):
    from llexp import record

    record.complete(tmp_path, {"test_loss": 0.5})
    files = Files(tmp_path, background=True)

    def broken():
        raise ValueError("disk full")

    files.add(broken)
    files.add(write, tmp_path / "never.txt", "after the failure")
    files.finish(lambda error: record.warn(tmp_path, f"writing failed: {error}"))
    background.flush()
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["status"] == "completed" and metrics["test_loss"] == 0.5
    assert metrics["warnings"] == ["writing failed: disk full"]
    assert not (tmp_path / "never.txt").exists()  # the first failure stops the run's tasks


def test_without_background_each_task_runs_at_once(tmp_path):
    files = Files(tmp_path)
    files.add(write, tmp_path / "a.txt", "now")
    assert (tmp_path / "a.txt").read_text() == "now"


@pytest.mark.slow
def test_a_sweep_writes_every_file_of_every_job_before_it_exits(tmp_path):
    done = run_llexp("-m", *TINY, "seed=0,1", f"hydra.sweep.dir={tmp_path}", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    for job in ("0", "1"):
        folder = tmp_path / job
        metrics = json.loads((folder / "metrics.json").read_text())
        assert metrics["status"] == "completed" and "warnings" not in metrics
        for name in ("predictions.csv", "misclassified.png", "probabilities.png", "history.png",
                     "confusion_matrix.csv", "summary.txt"):  # fmt: skip
            assert (folder / name).is_file(), f"job {job}: {name}"
