"""The `callbacks` config group and `trainer.class_weight`, driven by both trainers."""

import csv

import numpy as np
import pytest

from llexp.callbacks import class_weights
from llexp.checks import check_config
from llexp.errors import LlexpError
from llexp.runner import run

from helpers import TINY

TRAINERS = ["fit", "tape"]

OWN = """
import keras
from pathlib import Path

class EpochNotes(keras.callbacks.Callback):
    def __init__(self, run_dir, word="epoch"):
        super().__init__()
        self.path, self.word = Path(run_dir) / "notes.txt", word

    def on_epoch_end(self, epoch, logs=None):
        with self.path.open("a") as f:
            rate = float(self.model.optimizer.learning_rate)
            f.write(f"{self.word} {epoch + 1} lr {rate:.6g}\\n")
"""


@pytest.mark.parametrize("trainer", TRAINERS)
def test_config_callbacks_steer_both_trainers(trainer, tiny_cfg, tmp_path, monkeypatch):
    (tmp_path / "own_callbacks.py").write_text(OWN)
    monkeypatch.syspath_prepend(str(tmp_path))
    cfg = tiny_cfg(
        f"trainer={trainer}",
        "trainer.epochs=3",
        "callbacks=[reduce_lr_on_plateau,checkpoint_every]",
        "callbacks.reduce_lr_on_plateau.patience=0",
        # After the first epoch nothing is an improvement: halve the rate at each epoch's end.
        "callbacks.reduce_lr_on_plateau.min_delta=100",
        "callbacks.checkpoint_every.every=2",
        "+callbacks.notes._target_=own_callbacks.EpochNotes",
        "+callbacks.notes.word=done",
    )
    out = tmp_path / "run"
    result = run(cfg, out)
    history = list(csv.DictReader((out / "history.csv").open()))
    # The rate logged is the epoch's own (the first epoch set the best; the second lowered it).
    assert [float(r["learning_rate"]) for r in history] == pytest.approx([1e-3, 1e-3, 5e-4])
    assert [p.name for p in (out / "checkpoints").iterdir()] == ["epoch002.weights.h5"]
    final = result.model.get_weights()
    result.model.load_weights(out / "checkpoints" / "epoch002.weights.h5")
    saved = result.model.get_weights()
    # epoch 2's weights, not the last epoch's
    assert any(not np.array_equal(a, b) for a, b in zip(saved, final, strict=True))
    # The user's own class got the run folder and its keyword; it saw the lowered rates.
    notes = (out / "notes.txt").read_text().splitlines()
    assert notes == ["done 1 lr 0.001", "done 2 lr 0.0005", "done 3 lr 0.00025"]


def test_a_callback_that_names_no_class_fails_in_one_line(tiny_cfg, tmp_path):
    cfg = tiny_cfg("+callbacks.bad._target_=keras.callbacks.NoSuchCallback")
    with pytest.raises(LlexpError, match="callbacks.bad: cannot find keras.callbacks.NoSuch"):
        run(cfg, tmp_path)
    assert not (tmp_path / "history.csv").exists()  # before training
    with pytest.raises(LlexpError, match="callbacks.bad needs a _target_"):
        check_config(tiny_cfg("+callbacks.bad.patience=2"))


def test_reduce_lr_on_plateau_with_a_schedule_is_refused(tiny_cfg):
    with pytest.raises(LlexpError, match="schedule=constant"):
        check_config(tiny_cfg("callbacks=[reduce_lr_on_plateau]", "schedule=cosine"))


def test_balanced_weights_follow_the_class_counts():
    # 3 of class 0, 1 of class 1, none of class 2: N / (K * count).
    weights = class_weights("balanced", [0, 0, 0, 1], ["a", "b", "c"])
    assert weights == pytest.approx({0: 4 / 9, 1: 4 / 3, 2: 1.0})
    assert class_weights({"b": 5.0, 0: 2}, [0], ["a", "b", "c"]) == {0: 2.0, 1: 5.0, 2: 1.0}
    with pytest.raises(LlexpError, match="class_weight names class d"):
        class_weights({"d": 1.0}, [0], ["a", "b", "c"])


@pytest.mark.parametrize("value", ["often", "{0:-1}"])
def test_bad_class_weights_fail_before_training(tiny_cfg, value):
    with pytest.raises(LlexpError, match="trainer.class_weight"):
        check_config(tiny_cfg(f"trainer.class_weight={value}"))


def test_class_weight_on_an_autoencoder_is_refused(tiny_cfg):
    ae = [o for o in TINY if not o.startswith("model.")] + ["model=autoencoder", "model.depth=1"]
    from llexp.api import compose

    with pytest.raises(LlexpError, match="learns no classes"):
        check_config(compose(*ae, "trainer.class_weight=balanced"))


def test_both_trainers_weigh_the_classes_alike(tiny_cfg, tmp_path):
    # Class 3 weighs 20 times the others: both trainers compute the same weighted epoch, and
    # it differs from the unweighted one.
    runs = [(trainer, "{3:20.0}") for trainer in TRAINERS] + [("fit", "null")]
    histories = {}
    for trainer, weights in runs:
        cfg = tiny_cfg(f"trainer={trainer}", f"trainer.class_weight={weights}")
        histories[trainer, weights] = run(cfg, tmp_path / f"{trainer}{len(weights)}").history
    fit, tape = histories["fit", "{3:20.0}"], histories["tape", "{3:20.0}"]
    for key in ("loss", "accuracy", "val_loss"):
        assert tape[key] == pytest.approx(fit[key], rel=1e-4), key
    assert fit["loss"][0] > 1.5 * histories["fit", "null"]["loss"][0]
