# ruff: noqa: UP006, UP035, UP045  (OmegaConf 2.3 reads typing.Optional and typing.List)
"""The `model` group: one schema per family (conf/model/*.yaml), each key's type and rule.

A new key of a family is one line here (and its default, with a comment, in the YAML).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Optional

from omegaconf import MISSING

from llexp.schema.keys import custom, number, one_of, sizes, whole

DROPOUT = dict(low=0, high=1, high_open=True)  # a rate of 1 would drop every unit


def each(test):
    """One value for every block, or a list with one per block (`llexp.models.blocks`)."""
    return lambda v: all(map(test, v)) if isinstance(v, list) and v else test(v)


def positive_whole(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 1


PER_BLOCK = "one for every block or a list of one per block"


def per_block_whole():
    return custom(each(positive_whole), f"a whole number >= 1, {PER_BLOCK}")


def per_block_switch():
    return custom(each(lambda v: isinstance(v, bool)), f"true or false, {PER_BLOCK}")


@dataclass
class ModelConfig:
    """What every family has: the class that builds it."""

    _target_: str = MISSING


@dataclass
class ClassifierConfig(ModelConfig):
    num_classes: int = whole(at_least=1)  # ${dataset.num_classes}: follows the data
    activation: str = MISSING


@dataclass
class ConvHeadConfig(ClassifierConfig):
    """How a classifier's head starts: flatten or global average pooling, convs before it."""

    head: str = one_of("flatten", "gap")
    head_convs: Any = sizes()
    head_batch_norm: bool = MISSING


@dataclass
class LeNetConfig(ConvHeadConfig):
    width: int = whole(at_least=1)
    depth: int = whole(at_least=0)
    growth: float = number(0, low_open=True)
    kernel_size: Any = per_block_whole()
    strides: Any = per_block_whole()
    pool: Any = per_block_switch()
    dense_units: Any = sizes(empty=False)  # one hidden layer, or a list of them
    batch_norm: bool = MISSING
    dropout: float = number(**DROPOUT)


@dataclass
class MLPConfig(ClassifierConfig):
    hidden: Any = sizes()
    width: Optional[int] = whole(at_least=1)
    dropout: float = number(**DROPOUT)
    batch_norm: bool = MISSING


@dataclass
class VGG16Config(ConvHeadConfig):
    width: int = whole(at_least=1)
    depth: int = whole(at_least=1, at_most=5)  # VGG-16 has 5 blocks
    kernel_size: Any = per_block_whole()
    strides: Any = per_block_whole()
    pool: Any = per_block_switch()
    batch_norm: bool = MISSING
    dropout: float = number(**DROPOUT)
    dense: Any = sizes()
    head_dropout: float = number(**DROPOUT)


@dataclass
class HeadConfig(ConvHeadConfig):
    """A dense head on a backbone or on trained encoders."""

    dense: Any = sizes()
    width: Optional[int] = whole(at_least=1)
    dropout: float = number(**DROPOUT)


@dataclass
class PretrainedConfig(HeadConfig):
    backbone: str = MISSING
    weights: Optional[str] = MISSING  # imagenet, null or a weights file (checked by the family)
    trainable_layers: Any = custom(
        lambda v: v == "all" or (isinstance(v, int) and not isinstance(v, bool) and v >= 0),
        "a whole number of at least 0 or all",
    )
    min_size: int = whole(at_least=1)


@dataclass
class EncoderClassifierConfig(HeadConfig):
    encoder_from: Any = custom(
        lambda v: isinstance(v, (str, os.PathLike)) or (isinstance(v, list) and v != []),
        "a run folder or a list of run folders",
    )
    freeze: bool = MISSING


@dataclass
class AutoencoderConfig(ModelConfig):
    width: int = whole(at_least=1)
    depth: int = whole(at_least=0)
    growth: float = number(0, low_open=True)
    filters: Any = sizes(empty=False)  # null: width and growth decide
    kernel_size: Any = per_block_whole()
    strides: Any = per_block_whole()
    pool: Any = per_block_switch()
    activation: str = MISSING
    batch_norm: bool = MISSING
    output_batch_norm: bool = MISSING
    dropout: float = number(**DROPOUT)
    bottleneck: Any = sizes(empty=False)
    last_activation: str = MISSING
    loss: str = MISSING
    visualization_size: int = whole(at_least=1)
    clusters: Optional[int] = whole(at_least=1, default=None)  # null: one per class


@dataclass
class StackedAutoencoderConfig(ModelConfig):
    encoder_from: Any = custom(
        lambda v: isinstance(v, (str, os.PathLike)) or (isinstance(v, list) and v != []),
        "a run folder or a list of run folders",
    )
    loss: str = MISSING
    visualization_size: int = whole(at_least=1)
    clusters: Optional[int] = whole(at_least=1, default=None)  # null: one per class
    width: Optional[int] = MISSING  # no effect: lets debug=tiny compose


SCHEMAS = {
    "lenet": LeNetConfig,
    "mlp": MLPConfig,
    "vgg16": VGG16Config,
    "pretrained": PretrainedConfig,
    "encoder_classifier": EncoderClassifierConfig,
    "autoencoder": AutoencoderConfig,
    "stacked_autoencoder": StackedAutoencoderConfig,
}
