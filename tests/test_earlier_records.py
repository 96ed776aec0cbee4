"""Runs recorded by the previous llexp release are the same runs as today's same command.

tests/data/earlier_records.json holds what that release wrote: each run's metrics.json (without
`per_class`) and the overrides of its command, for LeNet (fit, tape, batch norm), MLP, VGG16,
pretrained, the autoencoder, codes, encoder_classifier, an .npz file, an image folder and a
two-job sweep; `made_by` says how it was made. Its records name the sources by their earlier
names (`llexp.data.DigitsDataset`, `llexp.codes.EncoderCodes`) and lack the keys added since.
"""

import json
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from llexp.api import compose
from llexp.models.encoder_classifier import CODES_TARGET
from llexp.record import earlier, identity

from helpers import run_llexp, write_image_folder, write_npz

EARLIER = json.loads((Path(__file__).parent / "data" / "earlier_records.json").read_text())["runs"]
# LeNet's batch norm trains differently today (momentum 0.9, 0.99 then): another run.
SAME = [name for name in EARLIER if name != "runs/lenet_bn"]


def recorded(name: str) -> dict:
    return EARLIER[name]["record"]["config"]


def today(name: str, *overrides: str):
    return compose(*EARLIER[name]["overrides"], *overrides)


@pytest.fixture
def their_folder(tmp_path, monkeypatch):
    """The folder the records were made in: their paths (data/folder, ...) are relative to it."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    write_npz(tmp_path / "data" / "tiny.npz")
    write_image_folder(tmp_path / "data" / "folder", classes=3)
    return tmp_path


def write_sweep(root: Path) -> dict:
    """The earlier release's finished two-job sweep, as its folders hold it (metrics.json)."""
    written = {}
    for job in "01":
        folder = root / job
        folder.mkdir(parents=True)
        (folder / "metrics.json").write_text(json.dumps(EARLIER[f"sweep/{job}"]["record"]))
        written[job] = (folder / "metrics.json").read_bytes()
    return written


@pytest.mark.parametrize("name", SAME)
def test_an_earlier_release_recorded_the_same_run_as_todays_same_command(name, their_folder):
    cfg = today(name)
    assert identity.identity(recorded(name)) != identity.identity(cfg)  # names and keys changed
    assert identity.changed_keys(recorded(name), cfg) == []


def test_another_config_is_still_another_run(their_folder):
    assert identity.changed_keys(recorded("sweep/0"), today("sweep/0", "model.width=5")) == [
        "model.width"
    ]
    # A key added since, set to something the earlier release could not do.
    assert identity.changed_keys(recorded("runs/lenet"), today("runs/lenet", "model.pool=false"))
    assert identity.changed_keys(recorded("runs/lenet"), today("runs/lenet", "model.head=gap")) == [
        "model.head"
    ]
    changed = identity.changed_keys(recorded("runs/lenet"), today("runs/lenet", "trainer=tape"))
    assert "trainer._target_" in changed
    changed = identity.changed_keys(recorded("runs/npz"), today("runs/lenet"))
    assert "dataset._target_" in changed  # an alias of another source is another source


def test_a_key_whose_meaning_changed_still_counts_as_changed(their_folder):
    # The same command trained another model: the previous release recorded val_loss 2.3187, today
    # it gives 2.3236 (LeNet's batch norm momentum: Keras's 0.99 then, 0.9 now).
    assert identity.changed_keys(recorded("runs/lenet_bn"), today("runs/lenet_bn")) == [
        "model.batch_norm"
    ]


def test_cifar100_class_names_left_null_then_are_the_names_written_out_now():
    old, cfg = recorded("composed/cifar100"), today("composed/cifar100")
    assert old["dataset"]["class_names"] is None and cfg.dataset.class_names[0] == "apple"
    assert identity.changed_keys(old, cfg) == []
    coarse = today("composed/cifar100", "dataset.label_mode=coarse")
    assert "dataset.class_names" in identity.changed_keys(old, coarse)  # the fine names then
    names = ",".join(f"c{k}" for k in range(100))
    named = today("composed/cifar100", f"dataset.class_names=[{names}]")
    assert identity.changed_keys(old, named) == ["dataset.class_names"]
    # Today a null means the labels' numbers: a run recorded today with it is another run.
    numbers = today("composed/cifar100", "dataset.class_names=null")
    numbers = OmegaConf.to_container(numbers, resolve=True)
    assert identity.changed_keys(numbers, cfg) == ["dataset.class_names"]


def test_the_codes_source_of_an_earlier_stack_is_recognised_by_its_earlier_name():
    target = recorded("runs/codes")["dataset"]["_target_"]
    assert target == "llexp.codes.EncoderCodes" and earlier.same_target(target, CODES_TARGET)
    assert not earlier.same_target(recorded("runs/lenet")["dataset"]["_target_"], CODES_TARGET)
    assert not earlier.same_target("llexp.data.GoneSource", "llexp.data.DigitsSource")
    assert not earlier.same_target("llexp.gone.Source", "llexp.data.DigitsSource")


def test_skip_completed_skips_the_earlier_releases_sweep_and_reruns_a_changed_job(tmp_path):
    written = write_sweep(tmp_path / "sweep")
    for job in "01":
        cfg = today(f"sweep/{job}", "skip_completed=true")
        assert identity.prepare(cfg, tmp_path / "sweep" / job, skip_completed=True) == "skip"
        assert (tmp_path / "sweep" / job / "metrics.json").read_bytes() == written[job]
    assert not list((tmp_path / "sweep").glob(".*replaced*"))
    cfg = today("sweep/1", "model.width=6", "skip_completed=true")
    assert identity.prepare(cfg, tmp_path / "sweep" / "1", skip_completed=True) == "fresh"
    (kept,) = (tmp_path / "sweep").glob(".1.replaced-*")
    assert (kept / "metrics.json").read_bytes() == written["1"]  # moved aside, not deleted


@pytest.mark.slow
def test_the_command_line_rerun_of_an_earlier_sweep_trains_nothing(tmp_path):
    written = write_sweep(tmp_path / "sweep")
    overrides = EARLIER["sweep/0"]["overrides"]
    widths = [o for o in overrides if o.startswith("model.width=")]
    sweep = [o for o in overrides if o not in widths] + ["model.width=4,5"]
    done = run_llexp("-m", *sweep, "skip_completed=true", "hydra.sweep.dir=sweep", cwd=tmp_path)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-3000:]
    assert out.count("already completed in") == 2
    for job in "01":
        assert (tmp_path / "sweep" / job / "metrics.json").read_bytes() == written[job]
    assert not list((tmp_path / "sweep").glob(".*replaced*"))


def test_the_docs_name_every_key_read_at_its_earlier_behaviour():
    page = (Path(__file__).resolve().parents[1] / "docs" / "training.md").read_text()
    assert [key for key in earlier.ADDED if f"`{key}: " not in page] == []
    assert all(f"`{key}=" in page for _, key, *_ in earlier.CHANGED_MEANING)
