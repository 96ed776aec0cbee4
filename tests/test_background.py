"""Files written off the critical path of a sweep: in order, `completed` last, failures marked."""

import json

import pytest

from llexp import background
from llexp.background import Files

from conftest import TINY, run_llexp


def write(path, text):
    path.write_text(text)


def test_background_tasks_run_in_order_and_the_status_comes_last(tmp_path):
    files = Files(tmp_path, background=True)
    files.add(write, tmp_path / "a.txt", "first")
    seen = []

    def completed():  # must see every file of the run
        seen.append((tmp_path / "a.txt").read_text())
        write(tmp_path / "metrics.json", json.dumps({"status": "completed"}))

    files.finish(completed)
    background.flush()
    assert seen == ["first"]
    assert json.loads((tmp_path / "metrics.json").read_text())["status"] == "completed"


def test_a_failing_task_marks_its_run_failed_and_skips_completed(tmp_path):
    (tmp_path / "metrics.json").write_text(json.dumps({"status": "running", "epoch": 1}))
    files = Files(tmp_path, background=True)

    def broken():
        raise ValueError("disk full")

    files.add(broken)
    files.finish(lambda: write(tmp_path / "metrics.json", '{"status": "completed"}'))
    failed = background.flush()
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["status"] == "failed" and "disk full" in metrics["error"]
    assert metrics["epoch"] == 1  # what the running record said is kept
    assert any(str(tmp_path) in line for line in failed)
    background.QUEUE.failed.clear()


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
        assert json.loads((folder / "metrics.json").read_text())["status"] == "completed"
        for name in ("predictions.csv", "misclassified.png", "probabilities.png", "history.png",
                     "confusion_matrix.csv", "summary.txt"):  # fmt: skip
            assert (folder / name).is_file(), f"job {job}: {name}"
