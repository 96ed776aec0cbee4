# ruff: noqa: UP006, UP035, UP045  (OmegaConf 2.3 reads typing.Optional and typing.List)
"""The config's schema: one dataclass per config group option, registered in Hydra's ConfigStore.

Each YAML file of `conf/` names its schema first in its defaults list
(`- /model_lenet_schema@_here_`), the way Hydra's "Structured Config schema" tutorial does. Hydra
then checks every key while it composes the config, before anything is built: a key no schema
declares ("no such key; did you mean ..."), a value of the wrong type (`trainer.epochs=abc`,
`model.freeze=maybe`; `yes`/`no` are read as the booleans they say). `check` then applies each
key's rule (ranges, choices) and each group's relations (`relations(node)`), still before
TensorFlow is imported. Checks that need two parts of the config, or the data, are in
`llexp.checks`.

See docs/configs.md, "Adding a key".
"""

from __future__ import annotations

import dataclasses
import difflib
import typing
from dataclasses import dataclass, field
from typing import Any, Optional

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, DictConfig, OmegaConf
from omegaconf.errors import InterpolationResolutionError

from llexp.errors import LlexpError
from llexp.schema import data, model, train
from llexp.schema.keys import Rule, one_of, whole

PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")


@dataclass
class ResourcesConfig:
    threads: Optional[int] = whole(at_least=1)
    cpu_devices: int = whole(at_least=1)
    gpu_memory_growth: bool = MISSING
    one_gpu_per_job: bool = MISSING


@dataclass
class LlexpConfig:
    """The top level (conf/config.yaml). A key no part reads is refused, `+key=VALUE` included."""

    model: Any = MISSING
    dataset: Any = MISSING
    trainer: Any = MISSING
    optimizer: Any = MISSING
    schedule: Any = MISSING
    # callbacks=[...]: one entry per option, each a `_target_` and its keyword arguments
    # (any Keras callback class: its keys are its own), checked by llexp.callbacks.
    callbacks: Any = None
    logger: Any = None
    seed: int = whole(at_least=0, at_most=2**32 - 1)  # NumPy's seeds are 32-bit
    deterministic: bool = MISSING
    precision: str = one_of(*PRECISIONS)
    objective: Optional[str] = MISSING  # against the run's metrics: llexp.checks
    skip_completed: bool = MISSING
    resources: ResourcesConfig = field(default_factory=ResourcesConfig)


GROUPS = {
    "model": model.SCHEMAS,
    "dataset": data.SCHEMAS,
    **train.SCHEMAS,
}


def store() -> None:
    """Registers every schema: `base_config`, and `GROUP_NAME_schema` for each group's options.

    At the repository's top, not in a group of their own: Hydra's `--help` lists every group."""
    config_store = ConfigStore.instance()
    config_store.store(name="base_config", node=LlexpConfig)
    for group, schemas in GROUPS.items():
        for name, schema in schemas.items():
            config_store.store(name=f"{group}_{name}_schema", node=schema)


def check(cfg: DictConfig) -> None:
    """Every key's rule and every group's relations; raises one `LlexpError` line."""
    check_node(cfg, "")


def check_node(node: DictConfig, prefix: str) -> None:
    schema = OmegaConf.get_type(node)
    fields = (
        {f.name: f for f in dataclasses.fields(schema)} if dataclasses.is_dataclass(schema) else {}
    )
    hints = typing.get_type_hints(schema) if fields else {}
    for raw in node.keys():
        key = str(raw)  # a mapping's keys may be ints (trainer.class_weight={0:2.0})
        if fields and key not in fields:
            hint = did_you_mean(key, fields, prefix) or nested_hint(key, node)
            raise LlexpError(
                f"{prefix}{key}: no such key, no part of llexp reads it{hint} "
                "(python -m llexp --cfg job lists the keys)"
            )
        if OmegaConf.is_missing(node, raw):  # a `???` key: its owner names it in one line
            continue
        try:
            value = node[raw]
        except InterpolationResolutionError:  # a `???` or broken value it follows: the part
            continue  # that owns that value names it (llexp.errors.instantiate names the rest)
        if isinstance(value, DictConfig):
            check_node(value, f"{prefix}{key}.")
            continue
        rule: Rule | None = fields[key].metadata.get("rule") if key in fields else None
        if rule is not None:
            if OmegaConf.is_config(value):
                value = OmegaConf.to_container(value, resolve=True)
            nullable = type(None) in typing.get_args(hints.get(key))
            rule.check(f"{prefix}{key}", value, nullable)
    relations = getattr(schema, "relations", None)
    if relations is not None:
        relations(node)


# Names users bring from other tools, and the key llexp reads them from.
ALIASES = {"lr": "optimizer.learning_rate", "epoch": "trainer.epochs", "bs": "trainer.batch_size"}


def nested_hint(key: str, node: DictConfig) -> str:
    """`"; did you mean GROUP.KEY?"` for a key one level down (`+epochs=5` -> trainer.epochs)."""
    if key in ALIASES:
        return f"; did you mean {ALIASES[key]}?"
    for group in node.keys():
        child = node._get_node(group)
        if isinstance(child, DictConfig) and not child._is_missing() and not child._is_none():
            hint = did_you_mean(key, list(child.keys()), f"{group}.")
            if hint:
                return hint
    return ""


def did_you_mean(word: str, choices, prefix: str = "") -> str:
    """`"; did you mean PREFIX.X?"` for the closest of `choices`, or `""`."""
    close = difflib.get_close_matches(word, [str(c) for c in choices], n=1, cutoff=0.6)
    return f"; did you mean {prefix}{close[0]}?" if close else ""


def check_arguments(schema, prefix: str, values: dict) -> None:
    """The rules of `schema`'s keys applied to a class's arguments, for a family, trainer or
    schedule made from Python rather than from a config: `check_arguments(model.LeNetConfig,
    "model.", locals())` first thing in `__init__`."""
    hints = typing.get_type_hints(schema)
    for key in dataclasses.fields(schema):
        rule: Rule | None = key.metadata.get("rule")
        if rule is not None and key.name in values:
            nullable = type(None) in typing.get_args(hints.get(key.name))
            value = values[key.name]
            if OmegaConf.is_config(value):  # Hydra passes lists as ListConfig
                value = OmegaConf.to_container(value, resolve=True)
            rule.check(f"{prefix}{key.name}", value, nullable)
