"""The run record in-process: the atomic writer, the lock, completed runs that stay completed,
and runs kept aside rather than overwritten."""

from __future__ import annotations

import os

import pytest
from omegaconf import OmegaConf

from llexp import record
from llexp.errors import LlexpError
from llexp.record import files, identity
from llexp.record.lock import RunLock
from llexp.runner import run

from helpers import TINY


def test_a_write_that_dies_leaves_the_previous_file_and_no_temporary(tmp_path):
    path = tmp_path / "metrics.json"
    files.write_json(path, {"status": "running"})
    with pytest.raises(KeyboardInterrupt), files.atomic(path) as tmp:
        tmp.write_text('{"status": "compl')
        raise KeyboardInterrupt
    assert record.read(tmp_path) == {"status": "running"}
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]


def test_a_folder_being_written_is_refused_and_a_dead_holders_lock_taken_over(tmp_path, caplog):
    with RunLock(tmp_path, "llexp resume x"):
        with pytest.raises(LlexpError, match=f"is being written by process {os.getpid()} on"):
            RunLock(tmp_path, "llexp resume x").__enter__()
    with RunLock(tmp_path, "again"):  # released: taken without a word
        pass
    assert "taking over" not in caplog.text
    (tmp_path / ".llexp.lock").write_text("process 999999 on gone (llexp)")  # killed holder
    with RunLock(tmp_path, "again"):
        pass
    assert "taking over the lock left by process 999999 on gone (llexp)" in caplog.text


def test_a_run_into_a_folder_being_written_is_refused_in_one_line(tmp_path, capsys, caplog):
    from helpers import NO_LOGGING, run_main

    with RunLock(tmp_path, "llexp other"):
        code = run_main([*TINY, f"hydra.run.dir={tmp_path}", *NO_LOGGING])
        assert code == 2
        assert record.read(tmp_path) == {}  # nothing of the holder's was touched
    text = caplog.text + "".join(capsys.readouterr())
    assert f"is being written by process {os.getpid()}" in text and "Traceback" not in text


def test_a_crash_after_the_model_is_saved_is_a_warning_on_a_completed_run(
    tiny_cfg, tmp_path, monkeypatch
):
    from llexp import figures, loggers

    def broken(*args, **kwargs):
        raise RuntimeError("no display")

    monkeypatch.setattr(figures, "plot_history", broken)
    monkeypatch.setattr(loggers.Logger, "close", broken)
    result = run(tiny_cfg(), tmp_path)
    kept = record.read(tmp_path)
    assert (
        kept["status"] == "completed" and kept["test_accuracy"] == result.metrics["test_accuracy"]
    )
    assert kept["warnings"] == [
        "writing the figures and reports failed: RuntimeError('no display')",
        "closing the experiment tracker failed: RuntimeError('no display')",
    ]
    assert (tmp_path / "model.weights.h5").is_file()


def test_a_new_run_keeps_the_run_it_finds_in_its_folder(tiny_cfg, tmp_path, caplog):
    folder = tmp_path / "run"
    first = run(tiny_cfg(), folder)
    second = run(tiny_cfg("model.width=5"), folder)
    kept = list(tmp_path.glob(".run.replaced-*"))
    assert len(kept) == 1
    assert "(completed) of another config (model.width changed): it is kept in" in caplog.text
    old = record.read(kept[0])
    assert old["test_loss"] == first.metrics["test_loss"] and (kept[0] / "model.json").is_file()
    assert OmegaConf.load(kept[0] / ".hydra" / "config.yaml").model.width == 4
    assert record.read(folder)["test_loss"] == second.metrics["test_loss"]
    assert identity.changed_keys(old["config"], tiny_cfg("trainer.verbose=2")) == []
