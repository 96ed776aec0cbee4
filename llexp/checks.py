"""Checks of the whole config that no single component makes, run before anything is built.

Each component checks its own keys when instantiated (models, trainers, datasets, schedules).
What is left: the optimizer's knobs, which Keras accepts silently even when they make no sense
(`learning_rate=-0.1` trains to garbage and "completes"), and the top-level keys.
"""

from __future__ import annotations

import math

from omegaconf import DictConfig, OmegaConf

from llexp.errors import LlexpError, whole

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
    "gpu_memory_growth", "one_gpu_per_job",
}  # fmt: skip


def check_config(cfg: DictConfig) -> None:
    """Raises one `LlexpError` line for the first out-of-range value of the config."""
    whole("seed", cfg.seed, 0)
    check_switches(cfg)
    check_optimizer(cfg.optimizer)


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
