"""What llexp adds around a sweep's jobs, in-process: skip-completed, NaN runs, the dataset cache,
the failure report and unique folders."""

import json
import os
import re
import time

import numpy as np
import pytest
from hydra import compose as hydra_compose
from hydra import initialize_config_module
from omegaconf import OmegaConf

from llexp import compat, data, record, resources, sweep
from llexp.errors import LlexpError, instantiate
from llexp.record import identity
from llexp.runner import run


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    from llexp.api import compose

    from helpers import TINY

    out = tmp_path_factory.mktemp("done")
    run(compose(*TINY), out)
    return out, compose(*TINY)


def test_display_and_bookkeeping_keys_do_not_change_a_runs_identity(finished, tiny_cfg):
    out, cfg = finished
    display = ("skip_completed=true", "resources.threads=1", "trainer.verbose=2", "objective=loss")
    assert identity.same_run(tiny_cfg(*display), out)
    recorded = record.read(out)["config"]
    assert identity.changed_keys(recorded, tiny_cfg("model.width=5")) == ["model.width"]
    changed = identity.changed_keys(recorded, tiny_cfg("seed=1"))
    assert "seed" in changed and not identity.same_run(tiny_cfg("seed=1"), out)


def test_failed_unreadable_or_unrecorded_folders_are_not_reused(tmp_path, tiny_cfg):
    cfg = tiny_cfg()
    assert identity.prepare(cfg, tmp_path, skip_completed=True) == "fresh"  # no metrics.json
    config = OmegaConf.to_container(cfg, resolve=True)
    (tmp_path / "metrics.json").write_text(json.dumps({"status": "failed", "config": config}))
    assert identity.prepare(cfg, tmp_path, skip_completed=True) == "fresh"
    kept = list(tmp_path.parent.glob(f".{tmp_path.name}.replaced-*"))
    assert len(kept) == 1 and record.read(kept[0])["status"] == "failed"  # moved, not deleted
    assert not (tmp_path / "metrics.json").exists()
    (tmp_path / "metrics.json").write_text('{"status": "comp')
    assert identity.prepare(cfg, tmp_path, skip_completed=True) == "fresh"
    # A run folder of an earlier llexp (no recorded config) is run again, not trusted.
    (tmp_path / "metrics.json").write_text(json.dumps({"status": "completed"}))
    assert identity.prepare(cfg, tmp_path, skip_completed=True) == "fresh"
    assert len(list(tmp_path.parent.glob(f".{tmp_path.name}.replaced-*"))) == 2


def test_a_diverging_run_fails_instead_of_completing_with_nan(tiny_cfg, tmp_path):
    # 1e12 stopped diverging to NaN once the batch order changed; 1e15 and 1e20 both do.
    cfg = tiny_cfg("optimizer=sgd", "optimizer.learning_rate=1e20", "trainer.epochs=3")
    with pytest.raises(LlexpError, match="training diverged: the loss became nan at epoch 1"):
        run(cfg, tmp_path)
    # Still "running" in-process: the entry point turns it into failed (never completed).
    assert json.loads((tmp_path / "metrics.json").read_text())["status"] == "running"
    assert (tmp_path / "history.png").is_file()  # where it diverged stays visible
    assert not (tmp_path / "best.weights.h5").exists()  # no checkpoint of NaN weights
    assert not (tmp_path / "resume.npz").exists()  # nor a NaN state to resume from


def test_dataset_is_decoded_once_and_shared_read_only(tiny_cfg, monkeypatch):
    calls = []
    original = data.DigitsSource.arrays

    def counting(self):
        calls.append(self.seed)
        return original(self)

    monkeypatch.setattr(data.DigitsSource, "arrays", counting)
    data._cache.clear()
    first = instantiate(tiny_cfg().dataset).load()
    again = instantiate(tiny_cfg("dataset.subset=200", "dataset.val_split=0.2").dataset).load()
    assert calls == [42]  # subset and validation split are drawn from the cached arrays
    assert len(again.x_train) == 160 and len(first.x_train) == 270
    with pytest.raises(ValueError, match="read-only"):
        first.x_test[0, 0, 0, 0] = 1.0  # a job cannot change what the next job gets
    other = instantiate(tiny_cfg("seed=7").dataset).load()  # another test split: read again
    assert calls == [42, 7] and not np.array_equal(other.y_test, first.y_test)


def test_npz_cache_notices_a_rewritten_file(tmp_path, npz_file):
    from helpers import write_npz

    source = data.NpzSource(npz_file, num_classes=3)
    before = source.load()
    time.sleep(0.01)
    write_npz(npz_file, n_test=30)
    os.utime(npz_file, ns=(time.time_ns(), time.time_ns()))
    assert len(source.load().x_test) == 30 != len(before.x_test)


def write_metrics(folder, status, **extra):
    folder.mkdir(parents=True)
    (folder / "metrics.json").write_text(json.dumps({"status": status, **extra}))


def test_failure_report_counts_only_this_sweeps_failed_jobs(tmp_path, monkeypatch):
    monkeypatch.delenv(resources.SWEEP_SIZE, raising=False)  # restored afterwards
    config = OmegaConf.create({"hydra": {"sweep": {"dir": str(tmp_path)}, "sweeper": {}}})
    write_metrics(tmp_path / "old", "failed", error="from an earlier sweep in the same folder")
    ended = time.time() - 0.5  # that sweep ended a moment ago (`skip_completed` runs it again)
    os.utime(tmp_path / "old" / "metrics.json", (ended, ended))
    callback = sweep.ReportFailures()
    callback.on_multirun_start(config)
    write_metrics(tmp_path / "0", "completed")
    write_metrics(tmp_path / "1", "failed", error="model.depth=9 is too deep")
    callback.on_multirun_end(config)
    assert sweep.FAILED_JOBS == [f"{tmp_path / '1'}: model.depth=9 is too deep"]
    callback.on_multirun_start(config)  # a new sweep starts from a clean slate
    assert sweep.FAILED_JOBS == []


def test_run_and_sweep_folders_carry_microseconds():
    with initialize_config_module("llexp.conf", version_base="1.3"):
        first = hydra_compose("config", return_hydra_config=True)
        time.sleep(0.002)
        second = hydra_compose("config", return_hydra_config=True)
    for key in ("hydra.run.dir", "hydra.sweep.dir"):
        a, b = OmegaConf.select(first, key), OmegaConf.select(second, key)
        assert re.search(r"/\d{2}-\d{2}-\d{2}-\d{6}$", a), a  # HH-MM-SS-microseconds
        assert a != b, key  # two commands started within the same second still differ
    assert first.hydra.sweep._get_node("subdir")._value() == "${hydra.job.num}"  # one per job


@pytest.mark.parametrize("threads", [0, -2, "four", 1.5])
def test_bad_thread_counts_are_one_clear_line(threads):
    with pytest.raises(LlexpError, match="resources.threads=.* must be a positive integer or null"):
        resources.configure_tensorflow(OmegaConf.create({"threads": threads}), None)


JOBLIB = "hydra_plugins.hydra_joblib_launcher.joblib_launcher.JoblibLauncher"


@pytest.mark.parametrize(
    ("launcher", "jobs"),
    [
        ({"_target_": "hydra._internal.core_plugins.basic_launcher.BasicLauncher"}, 1),
        ({"_target_": JOBLIB, "n_jobs": 3}, 3),
        ({"_target_": JOBLIB, "n_jobs": -1}, resources.available_cores()),
        ({"_target_": JOBLIB, "n_jobs": -2}, max(1, resources.available_cores() - 1)),
    ],
)
def test_parallel_jobs_counts_as_joblib_does(launcher, jobs, monkeypatch):
    monkeypatch.delenv(resources.SWEEP_SIZE, raising=False)  # no sweep running
    assert resources.parallel_jobs(OmegaConf.create(launcher)) == jobs


@pytest.mark.slow
def test_a_job_leaves_no_traced_gradient_behind_in_tensorflow(tiny_cfg, tmp_path):
    registry = compat.gradient_registry()
    assert registry is not None  # the installed TensorFlow still has it where compat looks
    before = len(registry)
    with compat.dropping_traced_gradients():
        run(tiny_cfg(), tmp_path / "job")
        added = len(registry) - before  # what the job's traces registered and kept alive
    assert added > 0  # else this test would check nothing
    assert len(registry) == before
    with compat.dropping_traced_gradients(enabled=False):  # jobs sharing a process keep theirs
        run(tiny_cfg(), tmp_path / "shared")
    assert len(registry) > before


def test_a_grid_sweeps_size_caps_the_parallel_jobs(monkeypatch):
    config = OmegaConf.create(
        {"hydra": {"overrides": {"task": ["model.depth=1,2,3", "seed=range(0,2)"]}, "sweeper": {}}}
    )
    assert sweep.sweep_size(config) == 6
    interval = OmegaConf.create(
        {"hydra": {"overrides": {"task": ["optimizer.learning_rate=interval(0.01,0.1)"]}}}
    )
    assert sweep.sweep_size(interval) is None  # Optuna's: not a grid
    monkeypatch.setattr(resources, "available_cores", lambda: 32)
    monkeypatch.setenv(resources.SWEEP_SIZE, "3")
    joblib = OmegaConf.create({"_target_": JOBLIB, "n_jobs": -1})
    assert resources.parallel_jobs(joblib) == 3  # 3 jobs on 32 cores: 10 threads each, not 1
