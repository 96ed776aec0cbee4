# ruff: noqa: UP006, UP035, UP045  (OmegaConf 2.3 reads typing.Optional and typing.List)
"""The `dataset` group: one schema per source (conf/dataset/*.yaml), each key's type and rule,
and the relations between a source's own keys (class names against the class count)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, List, Optional

from omegaconf import MISSING, DictConfig
from omegaconf.errors import InterpolationResolutionError

from llexp.errors import LlexpError
from llexp.schema.keys import custom, is_whole, one_of, split_size, whole


def is_image_shape(value) -> bool:
    return len(value) == 3 and all(is_whole(n) and n >= 1 for n in value) and value[2] <= 4


@dataclass
class SourceConfig:
    """What every source has: how the training images are split, batched and normalised."""

    _target_: str = MISSING
    _recursive_: bool = False
    val_split: Any = split_size()
    batch_size: int = whole(at_least=1)
    subset: Any = split_size()
    seed: int = whole(at_least=0)
    normalize: str = one_of("scale", "standardize")
    augment: List[Any] = MISSING

    @staticmethod
    def relations(node: DictConfig) -> None:
        """The class names against the class count: one distinct name per class."""
        names = node.get("class_names")
        try:
            count = node.get("num_classes")
        except InterpolationResolutionError:  # counted from a `???` or unreadable path: named
            count = None
        if names is None:
            return
        if count is not None and len(names) != count:
            raise LlexpError(
                f"dataset.class_names has {len(names)} names but dataset.num_classes={count}; "
                "give one name per class or class_names=null"
            )
        repeated = sorted({n for n in names if list(names).count(n) > 1})
        if repeated:
            raise LlexpError(
                f"dataset.class_names names {', '.join(repeated)} more than once; "
                "give each class its own name"
            )


@dataclass
class LabelledSourceConfig(SourceConfig):
    num_classes: int = whole(at_least=1)
    class_names: Optional[List[str]] = None  # null: the labels themselves, or the folders


@dataclass
class KerasSourceConfig(LabelledSourceConfig):
    name: str = one_of("mnist", "fashion_mnist", "cifar10", "cifar100")
    image_shape: List[int] = custom(is_image_shape, "[height, width, channels], 1 to 4 channels")


@dataclass
class Cifar100SourceConfig(LabelledSourceConfig):
    label_mode: str = one_of("fine", "coarse")
    num_classes: Optional[int] = whole(at_least=1)  # follows label_mode
    label_names: Any = None  # {fine: [...], coarse: [...]}: CIFAR-100's names, for class_names
    image_shape: List[int] = custom(is_image_shape, "[height, width, channels], 1 to 4 channels")


@dataclass
class DigitsSourceConfig(LabelledSourceConfig):
    image_shape: List[int] = custom(is_image_shape, "[height, width, channels], 1 to 4 channels")
    test_split: Any = split_size()


@dataclass
class NpzSourceConfig(LabelledSourceConfig):
    path: str = MISSING
    image_shape: Optional[List[int]] = custom(
        is_image_shape, "[height, width, channels], 1 to 4 channels"
    )


@dataclass
class FolderSourceConfig(LabelledSourceConfig):
    path: str = MISSING
    num_classes: Optional[int] = whole(at_least=1)  # counted from the class folders
    image_size: Optional[List[int]] = custom(
        lambda v: len(v) == 2 and all(n >= 1 for n in v), "[height, width]"
    )
    color_mode: str = one_of("rgb", "grayscale")
    test_split: Any = split_size()
    cache: bool = MISSING


@dataclass
class CodesSourceConfig(SourceConfig):
    encoder_from: str = MISSING


SCHEMAS = {
    "keras": KerasSourceConfig,
    "cifar100": Cifar100SourceConfig,
    "digits": DigitsSourceConfig,
    "npz": NpzSourceConfig,
    "folder": FolderSourceConfig,
    "codes": CodesSourceConfig,
}
