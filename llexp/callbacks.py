"""Steering training from the config: Keras callbacks (`callbacks=[...]`) and class weights
(`trainer.class_weight`), the same for `trainer=fit` and `trainer=tape`.

Each option of the `callbacks` group (conf/callbacks/*.yaml) is one callback named by `_target_`:
any `keras.callbacks.*` class or one of the user's own. A callback whose constructor takes
`run_dir` is given the run folder, so it can write there (`CheckpointEvery` does).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Mapping
from pathlib import Path

import numpy as np
from omegaconf import DictConfig, OmegaConf

from llexp.errors import LlexpError, instantiate, whole
from llexp.lazy import lazy

keras = lazy("keras")


def check(cfg: DictConfig) -> None:
    """One line for a `callbacks` entry that names no class, or a learning rate that two things
    would set; imports nothing heavy (the classes are made when the run starts)."""
    node = cfg.get("callbacks")
    if node is None:
        return
    if not isinstance(node, DictConfig):
        raise LlexpError(
            f"callbacks={node} must be chosen from conf/callbacks, e.g. "
            "callbacks=[reduce_lr_on_plateau,checkpoint_every]"
        )
    for name, entry in node.items():
        if not isinstance(entry, DictConfig) or not isinstance(entry.get("_target_"), str):
            raise LlexpError(
                f"callbacks.{name} needs a _target_ naming a callback class, e.g. "
                f"+callbacks.{name}._target_=keras.callbacks.ReduceLROnPlateau"
            )
        scheduled = not str(cfg.schedule.get("_target_", "")).endswith("Constant")
        if entry._target_.endswith("ReduceLROnPlateau") and scheduled:
            raise LlexpError(
                f"callbacks.{name} (ReduceLROnPlateau) changes the learning rate, which "
                "schedule= already sets; use schedule=constant with it"
            )


def make(cfg: DictConfig, out_dir: Path) -> list:
    """The configured callbacks, instantiated (one line for a mistake in one of them)."""
    made = []
    for name, entry in (cfg.get("callbacks") or {}).items():
        target = entry._target_
        try:
            from hydra.utils import get_class

            takes_run_dir = "run_dir" in inspect.signature(get_class(target)).parameters
        except Exception as error:  # noqa: BLE001  an unknown module or class: one line
            raise LlexpError(f"callbacks.{name}: cannot find {target} ({error})") from None
        kwargs = {"run_dir": str(out_dir)} if takes_run_dir else {}
        callback = instantiate(entry, **kwargs)
        if not isinstance(callback, keras.callbacks.Callback):
            raise LlexpError(f"callbacks.{name}: {target} is not a keras.callbacks.Callback")
        made.append(callback)
    return made


def __getattr__(name: str):
    """`llexp.callbacks.CheckpointEvery` is made on first use: importing this module (to check a
    config) imports no Keras."""
    if name == "CheckpointEvery":
        return checkpoint_every_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@functools.cache
def checkpoint_every_class() -> type:
    """The `CheckpointEvery` class (see `__getattr__`)."""

    class CheckpointEvery(keras.callbacks.Callback):
        """Saves the model's weights every `every` epochs into the run folder, as
        `checkpoints/epoch<N>.weights.h5` (`pattern`), keeping them all.

        Args:
            every: epochs between checkpoints.
            run_dir: the run folder (given by llexp).
            pattern: the file name under `run_dir`, formatted with the epoch (from 1).
        """

        def __init__(self, every: int = 5, run_dir: str = ".",
                     pattern: str = "checkpoints/epoch{epoch:03d}.weights.h5"):  # fmt: skip
            super().__init__()
            self.every, self.run_dir, self.pattern = whole("every", every, 1), run_dir, pattern

        def on_epoch_end(self, epoch, logs=None):
            if (epoch + 1) % self.every == 0:
                from llexp.record.files import save_weights

                path = Path(self.run_dir) / self.pattern.format(epoch=epoch + 1)
                path.parent.mkdir(parents=True, exist_ok=True)
                save_weights(self.model, path)

    return CheckpointEvery


def check_class_weight(value) -> None:
    """`trainer.class_weight`: null, "balanced" or a mapping of class -> positive weight."""
    if value is None or value == "balanced":
        return
    if not isinstance(value, Mapping):
        raise LlexpError(
            f"trainer.class_weight={value} must be null, balanced or a mapping such as "
            "trainer.class_weight={0:1.0,1:5.0}"
        )
    for key, weight in value.items():
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight < 0:
            raise LlexpError(f"trainer.class_weight.{key}={weight} must be a number >= 0")


def class_weights(value, labels, class_names) -> dict[int, float] | None:
    """The weight of each class index for `trainer.class_weight`: "balanced" weighs class c by
    N / (K * count_c) (scikit-learn's rule), a mapping names classes by index or by name."""
    if value is None:
        return None
    k = len(class_names)
    if value == "balanced":
        counts = np.bincount(np.asarray(labels, "int64"), minlength=k)
        return {c: float(len(labels) / (k * n)) if n else 1.0 for c, n in enumerate(counts)}
    mapping = OmegaConf.to_container(value) if isinstance(value, DictConfig) else dict(value)
    weights = dict.fromkeys(range(k), 1.0)
    names = [str(n) for n in class_names]
    for key, weight in mapping.items():
        if str(key) in names:
            index = names.index(str(key))
        elif str(key).isdigit() and int(key) < k:
            index = int(key)
        else:
            raise LlexpError(
                f"trainer.class_weight names class {key}, which this dataset lacks; "
                f"use a class index 0..{k - 1} or one of {', '.join(names[:20])}"
            )
        weights[index] = float(weight)
    return weights
