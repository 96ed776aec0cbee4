"""Checks of the whole config, run before anything is built and before TensorFlow starts.

`check_config` makes the config's parts: each checks its own keys when instantiated (data source,
model family, trainer, schedule), and none of them imports TensorFlow to do it (`llexp.lazy`), so
the command line reports a mistake in a fraction of the time `import tensorflow` takes. Then what
no single part can check: the depth rule (the model's depth against the dataset's image size), the
objective and monitored metric against the model's metrics, the optimizer's knobs (which Keras
accepts silently even when they make no sense: `learning_rate=-0.1` trains to garbage and
"completes"), and the top-level keys.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from omegaconf import DictConfig, OmegaConf

from llexp import callbacks, loggers
from llexp.errors import LlexpError, instantiate, whole
from llexp.models.classifier import Classifier

# Optimizer keys llexp's optimizer configs use: (lowest, highest, lowest allowed, highest
# allowed, allows null). Keys not listed are left to Keras.
OPTIMIZER_RANGES = {
    "learning_rate": (0.0, math.inf, False, False, False),
    "momentum": (0.0, 1.0, True, False, False),
    "beta_1": (0.0, 1.0, True, False, False),
    "beta_2": (0.0, 1.0, True, False, False),
    "rho": (0.0, 1.0, True, False, False),
    "epsilon": (0.0, math.inf, False, False, False),
    "weight_decay": (0.0, math.inf, True, False, True),
    "clipnorm": (0.0, math.inf, False, False, True),
    "clipvalue": (0.0, math.inf, False, False, True),
    "global_clipnorm": (0.0, math.inf, False, False, True),
}

# Switches, wherever they appear in the config: Python would take "maybe" or "no" as true.
BOOLEAN_KEYS = {
    "nesterov", "amsgrad", "centered", "early_stopping", "restore_best", "checkpoint_best",
    "tensorboard", "batch_norm", "staircase", "skip_completed", "deterministic",
    "gpu_memory_growth", "one_gpu_per_job", "output_batch_norm", "head_batch_norm",
}  # fmt: skip


@dataclass
class Parts:
    """The checked parts of a config, as `llexp.runner.run` uses them."""

    source: Any  # llexp.data.Source: what the images are (shape, classes), nothing loaded yet
    family: Any  # llexp.models.ImageModel: builds the network, knows its loss and metrics
    trainer: Any  # llexp.trainers.BaseTrainer
    schedule: Any  # llexp.schedules: the learning rate over epochs
    objective: str  # the metric the run returns to a sweeper


def check_config(cfg: DictConfig) -> Parts:
    """Makes the config's parts, raising one `LlexpError` line for the first mistake.

    Loads no data and builds no network (file checks read headers only), and imports no
    TensorFlow for llexp's own parts.

    Example:
        >>> parts = check_config(llexp.compose("dataset=digits", "model.depth=2"))
        >>> parts.family.depth
        2
    """
    whole("seed", cfg.seed, 0)
    check_switches(cfg)
    check_optimizer(cfg.optimizer)
    loggers.make(cfg)  # the tracker's package is installed (logger=tensorboard: before trainer's)
    source = instantiate(cfg.dataset)
    family = instantiate(cfg.model)
    no_labels = getattr(source, "no_labels", None)  # a folder without two class subfolders
    if no_labels and family.needs_labels:
        raise LlexpError(
            f"{no_labels}, but model={family.name} learns from labels; put the images in at "
            "least two class subfolders (ROOT/<class>/*.png), or use a model that needs none "
            "(model=autoencoder)"
        )
    family.check(source.input_shape)  # the depth rule, from the image size the config gives
    trainer = instantiate(cfg.trainer)
    if getattr(trainer, "class_weight", None) is not None and not isinstance(family, Classifier):
        raise LlexpError(
            f"trainer.class_weight={trainer.class_weight} weighs the classes of a classifier's "
            f"loss; {family.name} learns no classes: use trainer.class_weight=null"
        )
    schedule = instantiate(cfg.schedule)
    callbacks.check(cfg)
    objective = check_objective(cfg.get("objective") or family.objective, family, trainer)
    return Parts(source, family, trainer, schedule, objective)


def check_objective(objective: str, family, trainer) -> str:
    """Fails with one line when `objective` is no metric of this run; also checks
    `trainer.monitor` against the history keys."""
    # `metric_names` says them without Keras; a family of the user's own may only have metrics().
    names = list(family.metric_names) or [m.name for m in family.metrics()]
    trainer.check_monitor(names)
    keys = [f"{prefix}{key}" for prefix in ("val_", "test_", "") for key in ("loss", *names)]
    if objective not in [*keys, "train_seconds"]:
        raise LlexpError(
            f"objective={objective} is not a metric of this run; use one of {', '.join(keys)}"
        )
    return objective


def check_switches(node: DictConfig, prefix: str = "") -> None:
    """Every key of `BOOLEAN_KEYS`, at any depth, is true or false."""
    for key in node.keys():
        if OmegaConf.is_missing(node, key):  # a `???` key: its owner names it in one line
            continue
        value = node[key]
        if isinstance(value, DictConfig):
            check_switches(value, f"{prefix}{key}.")
        elif key in BOOLEAN_KEYS and not isinstance(value, bool):
            raise LlexpError(f"{prefix}{key}={value!r} must be true or false")


def check_optimizer(optimizer: DictConfig) -> None:
    """Every numeric optimizer knob in its range (`OPTIMIZER_RANGES`)."""
    for key, (low, high, low_ok, high_ok, nullable) in OPTIMIZER_RANGES.items():
        if key not in optimizer:
            continue
        value = optimizer[key]
        if value is None and nullable:
            continue
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        inside = (
            number
            and math.isfinite(value)
            and (low < value or (low_ok and value == low))
            and (value < high or (high_ok and value == high))
        )
        if not inside:
            bound = f"{'[' if low_ok else '('}{low:g}, {high:g}{']' if high_ok else ')'}"
            null = " or null" if nullable else ""
            raise LlexpError(f"optimizer.{key}={value!r} must be a number in {bound}{null}")
