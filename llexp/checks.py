"""Checks of the whole config, run before anything is built and before TensorFlow starts.

Hydra has already checked each key's type against the schema (`llexp.schema`) while composing.
`check_config` then checks each key's range and each group's relations (the schema again), makes
the config's parts (data source, model family, trainer, schedule; none imports TensorFlow to do
it, `llexp.lazy`, so a mistake is reported in a fraction of the time `import tensorflow` takes),
and checks here what needs two parts at once: the depth rule (the model's depth against the
dataset's image size), the objective and monitored metric against the model's metrics, the
memory the model's weights and activations need.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from omegaconf import DictConfig

from llexp import callbacks, loggers, memory, schema
from llexp.errors import LlexpError, instantiate
from llexp.models.classifier import Classifier

# keras.optimizers' classes as of Keras 3.15 (tests/test_startup.py compares them with the
# installed Keras's): a misspelt optimizer `_target_` ends before TensorFlow starts.
OPTIMIZERS = frozenset(
    "Adadelta Adafactor Adagrad Adam AdamW Adamax Ftrl Lamb Lion Muon Nadam RMSprop SGD "
    "ScheduleFreeAdamW".split()
)


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
    schema.check(cfg)  # each key's type, range and choices; each group's own relations
    check_optimizer_target(cfg.optimizer)
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
    source.every_class = family.needs_labels  # a class without images: only a classifier's
    trainer = instantiate(cfg.trainer)
    memory.check_memory(family, source.input_shape, trainer.batch_size)
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


def check_optimizer_target(optimizer: DictConfig) -> None:
    """A `keras.optimizers.X` target names one of Keras's optimizers (without importing Keras
    when the installed one is the version the list was read from)."""
    from llexp.models.base import known_name

    module, _, name = str(optimizer.get("_target_")).rpartition(".")
    if module == "keras.optimizers":

        def in_keras(value) -> bool:
            import keras

            return hasattr(keras.optimizers, value)

        try:
            known_name("optimizer._target_", name, OPTIMIZERS, "a keras.optimizers class", in_keras)
        except LlexpError as error:  # name the whole target, as the user wrote it
            raise LlexpError(str(error).replace(f"={name}", f"={module}.{name}", 1)) from None
