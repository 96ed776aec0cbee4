# ruff: noqa: UP006, UP035, UP045  (OmegaConf 2.3 reads typing.Optional and typing.List)
"""The `trainer`, `optimizer`, `schedule` and `logger` groups: each key's type and rule."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Optional

from omegaconf import MISSING

from llexp.schema.keys import custom, number, one_of, positive, whole

FRACTION = dict(low=0, high=1, high_open=True)  # momentum and decay rates: 1 never forgets


@dataclass
class TrainerConfig:
    _target_: str = MISSING
    epochs: int = whole(at_least=1)
    batch_size: int = whole(at_least=1)
    verbose: int = one_of(0, 1, 2)
    early_stopping: bool = MISSING
    patience: int = whole(at_least=0)
    monitor: str = MISSING  # against the model's metrics: llexp.checks
    restore_best: bool = MISSING
    checkpoint_best: bool = MISSING
    tensorboard: bool = MISSING
    jit_compile: Any = custom(lambda v: v in (True, False, "auto"), "true, false or auto")
    strategy: Optional[str] = one_of(None, "mirrored")
    # null, balanced or {class: weight}; the weights and class names: llexp.callbacks
    class_weight: Any = custom(
        lambda v: v is None or v == "balanced" or isinstance(v, dict),
        "null, balanced or a mapping of class to weight such as {0:1.0,1:5.0}",
        default=None,
    )


@dataclass
class OptimizerConfig:
    """Keras accepts most of these silently out of range (`learning_rate=-0.1` trains to
    garbage and "completes"), so each has its range here."""

    _target_: str = MISSING
    # Any, not float: llexp hands the optimizer its schedule object in place of the number.
    learning_rate: Any = positive()
    weight_decay: Optional[float] = number(0, math.inf, high_open=True, default=None)
    clipnorm: Optional[float] = positive(default=None)
    clipvalue: Optional[float] = positive(default=None)
    global_clipnorm: Optional[float] = positive(default=None)


@dataclass
class AdamConfig(OptimizerConfig):
    beta_1: float = number(**FRACTION)
    beta_2: float = number(**FRACTION)
    epsilon: float = positive()
    amsgrad: bool = MISSING


@dataclass
class RMSpropConfig(OptimizerConfig):
    rho: float = number(**FRACTION)
    momentum: float = number(**FRACTION)
    epsilon: float = positive()
    centered: bool = MISSING


@dataclass
class SGDConfig(OptimizerConfig):
    momentum: float = number(**FRACTION)
    nesterov: bool = MISSING


@dataclass
class ScheduleConfig:
    _target_: str = MISSING


@dataclass
class CosineConfig(ScheduleConfig):
    decay_epochs: float = positive()
    alpha: float = number(0, 1)


@dataclass
class ExponentialConfig(ScheduleConfig):
    factor: float = positive()
    every: float = positive()  # epochs (fractions allowed)
    staircase: bool = MISSING


@dataclass
class LoggerConfig:
    _target_: str = MISSING


@dataclass
class MlflowLoggerConfig(LoggerConfig):
    tracking_uri: str = MISSING  # its form and whether it answers: llexp.loggers.mlflow_logger
    experiment: str = MISSING
    artifact_location: Optional[str] = MISSING


@dataclass
class TensorBoardLoggerConfig(LoggerConfig):
    subdir: str = MISSING


@dataclass
class WandbLoggerConfig(LoggerConfig):
    project: str = MISSING
    mode: str = one_of("online", "offline", "disabled")
    dir: Optional[str] = MISSING
    entity: Optional[str] = MISSING
    group: Optional[str] = MISSING


SCHEMAS = {
    "trainer": {"fit": TrainerConfig},
    "optimizer": {"adam": AdamConfig, "rmsprop": RMSpropConfig, "sgd": SGDConfig},
    "schedule": {
        "constant": ScheduleConfig,
        "cosine": CosineConfig,
        "exponential": ExponentialConfig,
    },
    "logger": {
        "mlflow": MlflowLoggerConfig,
        "tensorboard": TensorBoardLoggerConfig,
        "wandb": WandbLoggerConfig,
    },
}
