"""Interrupted and killed runs: status, resumable state each epoch, resume to the same result.

In-process: `pauses.after_batches` adds a callback that acts mid-epoch: what a Ctrl-C does
(KeyboardInterrupt) or a look at the folder. The real signals (SIGINT, SIGTERM, SIGKILL) are sent
in `test_signals.py` (slow).
"""

from __future__ import annotations

import logging
import math
import sys

import keras
import numpy as np
import pauses
import pytest
from omegaconf import OmegaConf

from llexp import record
from llexp.record import identity
from llexp.runner import run
from llexp.trainers import state

EPOCHS = ["trainer.epochs=3", "trainer.early_stopping=true", "trainer.patience=5"]


def steps(cfg) -> int:
    return math.ceil(270 / cfg.trainer.batch_size)  # subset 300 minus 10% validation


def interrupt_mid_epoch(monkeypatch, batches: int):
    """The run raises KeyboardInterrupt after `batches` training batches, as Ctrl-C would."""
    pauses.after_batches(monkeypatch, batches, pauses.ctrl_c)


# Augmentation is seeded per (seed, epoch, batch): a resumed run draws what the whole run drew.
AUGMENT = (
    "dataset.augment=[{_target_:keras.layers.RandomFlip,mode:horizontal},"
    "{_target_:keras.layers.RandomTranslation,height_factor:0.2,width_factor:0.2}]"
)


@pytest.mark.parametrize(
    "trainer, extra",
    [
        pytest.param("fit", [], id="fit"),
        pytest.param("tape", [], id="tape", marks=pytest.mark.slow),
        pytest.param("fit", [AUGMENT], id="aug", marks=pytest.mark.slow),
    ],
)
def test_an_interrupted_run_resumes_to_the_same_result(
    trainer, extra, tiny_cfg, tmp_path, monkeypatch
):
    cfg = tiny_cfg(f"trainer={trainer}", *EPOCHS, *extra)
    stopped, whole = tmp_path / "stopped", tmp_path / "whole"
    interrupt_mid_epoch(monkeypatch, steps(cfg) + 2)  # in the middle of the second epoch
    with pytest.raises(KeyboardInterrupt):
        run(cfg, stopped)
    # What the interrupted folder holds: one finished epoch, nothing claiming completion.
    left = record.read(stopped)
    assert left["status"] == "running" and left["epoch"] == 1
    assert not (stopped / "model.weights.h5").exists()
    assert len((stopped / "history.csv").read_text().splitlines()) == 2  # header + epoch 0
    saved = state.ResumeState.load(stopped)
    assert saved.epoch == 1 and saved.states["EarlyStopping"]["wait"] == 0
    model = keras.models.clone_model(run(tiny_cfg(), tmp_path / "shape").model)
    model.load_weights(str(stopped / "best.weights.h5"))  # the best checkpoint loads
    assert not list(stopped.glob(".*tmp*"))  # no temporary file left behind

    monkeypatch.undo()
    resumed = run(cfg, stopped, resume=True)
    uninterrupted = run(cfg, whole)
    # Each epoch once, and the same numbers as the run that never stopped (CPU: to 1e-6).
    assert resumed.metrics["epochs"] == 3
    for key, values in uninterrupted.history.items():
        np.testing.assert_allclose(resumed.history[key], values, rtol=1e-6, err_msg=key)
    for key in ("test_loss", "test_accuracy", "val_loss", "val_accuracy"):
        assert resumed.metrics[key] == pytest.approx(uninterrupted.metrics[key], rel=1e-6)
    rows = (stopped / "history.csv").read_text().splitlines()
    assert rows == (whole / "history.csv").read_text().splitlines()
    assert resumed.metrics["status"] == "completed" and not (stopped / "resume.npz").exists()
    assert len(resumed.metrics["command"]) == 2  # started, then resumed


@pytest.mark.slow
def test_a_run_stopped_after_its_last_epoch_completes_on_resume(tiny_cfg, tmp_path, monkeypatch):
    cfg = tiny_cfg("trainer.epochs=2")
    from llexp import artifacts

    def killed(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(artifacts, "save_model", killed)
    with pytest.raises(KeyboardInterrupt):
        run(cfg, tmp_path / "a")
    assert record.read(tmp_path / "a")["epoch"] == 2
    monkeypatch.undo()
    resumed = run(cfg, tmp_path / "a", resume=True)  # nothing left to train: only the results
    whole = run(cfg, tmp_path / "b")
    assert resumed.metrics["epochs"] == 2
    assert resumed.metrics["test_loss"] == pytest.approx(whole.metrics["test_loss"], rel=1e-6)


def test_metrics_json_says_running_with_the_epoch_until_the_run_ends(
    tiny_cfg, tmp_path, monkeypatch
):
    cfg = tiny_cfg("trainer.epochs=2")
    seen = []
    monkeypatch.delenv("LLEXP_COMMAND", raising=False)  # as when run() is called from Python
    monkeypatch.setattr(sys, "argv", ["/bin/llexp", "trainer.epochs=2", "hydra.run.dir=my runs"])
    pauses.after_batches(monkeypatch, steps(cfg) + 1, lambda: seen.append(record.read(tmp_path)))
    result = run(cfg, tmp_path)
    assert seen[0]["status"] == "running" and seen[0]["epoch"] == 1
    assert seen[0]["config"]["seed"] == cfg.seed
    assert result.metrics["status"] == "completed"
    assert result.metrics["command"] == ["llexp trainer.epochs=2 'hydra.run.dir=my runs'"]
    assert 0 < seen[0]["train_seconds"] <= result.metrics["train_seconds"]


@pytest.mark.slow
def test_ctrl_c_on_the_command_line_is_one_line_status_interrupted_exit_130(
    tmp_path, monkeypatch, caplog, capsys
):
    from helpers import NO_LOGGING, TINY, run_main

    interrupt_mid_epoch(monkeypatch, 6)
    code = run_main([*TINY, "trainer.epochs=3", f"hydra.run.dir={tmp_path}", *NO_LOGGING])
    text = caplog.text + "".join(capsys.readouterr())
    assert code == 130
    assert "Traceback" not in text
    says = f"SIGINT: interrupted after 1 finished epochs; continue with: llexp resume {tmp_path}"
    assert says in text
    left = record.read(tmp_path)
    assert left["status"] == "interrupted" and left["epoch"] == 1
    monkeypatch.undo()
    assert run_main(["resume", str(tmp_path)]) == 0
    assert record.read(tmp_path)["status"] == "completed"
    assert record.read(tmp_path)["epochs"] == 3


@pytest.mark.slow
def test_a_fresh_run_in_a_used_folder_does_not_pick_up_old_state(tiny_cfg, tmp_path, monkeypatch):
    cfg = tiny_cfg("trainer.epochs=2")
    interrupt_mid_epoch(monkeypatch, steps(cfg) + 1)
    with pytest.raises(KeyboardInterrupt):
        run(cfg, tmp_path)
    monkeypatch.undo()
    result = run(cfg, tmp_path)  # not resume: starts over
    assert result.metrics["epochs"] == 2 and len(result.metrics["command"]) == 1


def test_skip_completed_resumes_only_unfinished_runs_of_the_same_identity(tiny_cfg, tmp_path):
    cfg = tiny_cfg()
    config = OmegaConf.to_container(cfg, resolve=True)
    record.start(tmp_path, config, "llexp", resume=False)
    assert identity.prepare(cfg, tmp_path, skip_completed=True) == "resume"  # killed: running
    record.stop(tmp_path, record.INTERRUPTED)
    shown = tiny_cfg("trainer.verbose=2", "resources.threads=1")  # display keys: same run
    assert identity.prepare(shown, tmp_path, skip_completed=True) == "resume"
    record.stop(tmp_path, record.FAILED, error="x")
    assert identity.prepare(cfg, tmp_path, skip_completed=True) == "fresh"  # failed: kept aside
    assert not (tmp_path / "metrics.json").exists()


def test_completed_is_final(tmp_path):
    record.start(tmp_path, {"seed": 1}, "llexp", resume=False)
    record.complete(tmp_path, {"test_loss": 0.5})
    for status in (record.INTERRUPTED, record.FAILED):
        assert record.stop(tmp_path, status)["status"] == record.COMPLETED
    record.progress(tmp_path, epoch=7)
    kept = record.read(tmp_path)
    assert kept["status"] == record.COMPLETED and kept["test_loss"] == 0.5 and kept["epoch"] == 0


def test_a_checkpoint_of_nan_weights_is_never_written(tmp_path):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    path = tmp_path / "best.weights.h5"
    checkpoint = state.BestCheckpoint(path, "val_loss")
    checkpoint.set_model(model)
    checkpoint.on_epoch_end(0, {"val_loss": 1.0})
    good = path.read_bytes()
    model.set_weights([np.full(w.shape, np.nan) for w in model.get_weights()])
    checkpoint.on_epoch_end(1, {"val_loss": 0.5})  # better, but NaN: not saved
    assert path.read_bytes() == good
    saver = state.RunState(tmp_path, [], None)
    model.compile(optimizer="adam", loss="mse")
    saver.set_model(model)
    saver.on_epoch_end(0, {"loss": float("nan")})
    assert not (tmp_path / state.RESUME_FILE).exists()


def test_a_checkpoint_killed_while_written_leaves_the_previous_one(tmp_path, monkeypatch):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    path = tmp_path / "best.weights.h5"
    checkpoint = state.BestCheckpoint(path, "val_loss")
    checkpoint.set_model(model)
    checkpoint.on_epoch_end(0, {"val_loss": 1.0})

    def dies_half_way(filepath, *args, **kwargs):
        open(filepath, "wb").write(b"\x89HDF half")
        raise KeyboardInterrupt

    monkeypatch.setattr(model, "save_weights", dies_half_way)
    with pytest.raises(KeyboardInterrupt):
        checkpoint.on_epoch_end(1, {"val_loss": 0.5})
    monkeypatch.undo()
    model.load_weights(str(path))  # still the complete first checkpoint


def test_deterministic_ops_are_on_during_the_run_only(tiny_cfg, tmp_path, monkeypatch):
    # TensorFlow's switch is process-wide: a deterministic job must not leave it on for the next
    # job of a sweep run in the same process (runs are identical on the CPU either way, so only
    # the switch itself can be checked).
    from tensorflow.python.framework import config

    import llexp.runner

    seen = []
    train_and_save = llexp.runner.train_and_save

    def spy(*args, **kwargs):
        seen.append(config.is_op_determinism_enabled())
        return train_and_save(*args, **kwargs)

    monkeypatch.setattr(llexp.runner, "train_and_save", spy)
    run(tiny_cfg("deterministic=true"), tmp_path / "a")
    assert not config.is_op_determinism_enabled()
    run(tiny_cfg("deterministic=false"), tmp_path / "b")
    assert seen == [True, False]


@pytest.mark.slow
def test_a_sweep_rerun_with_skip_completed_resumes_its_interrupted_job(
    tmp_path, monkeypatch, caplog
):
    from helpers import NO_LOGGING, TINY, run_main

    caplog.set_level(logging.INFO, logger="llexp")
    sweep_args = ["-m", *TINY, "trainer.epochs=2", "seed=1,2", f"hydra.sweep.dir={tmp_path}"]
    interrupt_mid_epoch(monkeypatch, 6)  # job 0, second epoch
    assert run_main([*sweep_args, *NO_LOGGING]) == 130
    assert record.read(tmp_path / "0")["status"] == "interrupted"
    assert not (tmp_path / "1").exists()  # Ctrl-C stops the whole sweep
    again = f"skip_completed=true hydra.sweep.dir={tmp_path.resolve()}"
    assert "SIGINT: the sweep stopped; jobs left: 0 (interrupted), 1 not started" in caplog.text
    assert again in caplog.text  # the command that finishes the sweep
    monkeypatch.undo()
    caplog.clear()
    shown = "trainer.verbose=2"  # a display key: the same runs, shown otherwise
    assert run_main([*sweep_args, shown, "skip_completed=true", *NO_LOGGING]) == 0
    assert "resuming it in" in caplog.text and "resuming from epoch 2 of 2" in caplog.text
    assert "starting over" not in caplog.text
    resumed, fresh = record.read(tmp_path / "0"), record.read(tmp_path / "1")
    assert resumed["status"] == fresh["status"] == "completed"
    assert len(resumed["command"]) == 2 and len(fresh["command"]) == 1
    assert len((tmp_path / "0" / "history.csv").read_text().splitlines()) == 3
