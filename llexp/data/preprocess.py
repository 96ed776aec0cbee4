"""What happens to images between the pipeline and the network: normalisation, which lives inside
the model (so a saved run applies it to the raw images it is given), and augmentation, which runs
on training batches only."""

from __future__ import annotations

import inspect
import logging

import numpy as np

from llexp.errors import LlexpError, first_line, instantiate

log = logging.getLogger(__name__)

NORMALIZE = ("scale", "standardize")


def check_normalize(normalize: str) -> str:
    if normalize not in NORMALIZE:
        raise LlexpError(
            f"dataset.normalize={normalize!r} must be scale (pixels in [0, 1]) or standardize "
            "(per-channel mean and standard deviation of the training split)"
        )
    return normalize


def check_augment(augment) -> list:
    """Checks the augmentation items: Keras layers, or configs naming a Keras layer class
    (`_target_` + arguments). Returns them as given; `make_augment` makes the layers.

    Making a Keras layer here would start TensorFlow's runtime (its seed generator is a
    variable), before the run has applied `resources` (threads, GPU memory growth), seeded the
    random generators and set the precision policy; the run makes them once it has.
    """
    if not augment:  # the usual case: no Keras to import
        return []
    import keras
    from hydra.utils import get_class
    from omegaconf import DictConfig

    items = []
    for item in augment:
        if isinstance(item, (dict, DictConfig)) and "_target_" in item:
            try:
                target = get_class(item["_target_"])
            except Exception as error:  # noqa: BLE001  (Hydra raises ImportError or ValueError)
                raise LlexpError(
                    f"dataset.augment: {item['_target_']} is no class ({first_line(error)}); "
                    "name a Keras layer such as keras.layers.RandomFlip"
                ) from None
            if not issubclass(target, keras.layers.Layer):
                raise LlexpError(
                    f"dataset.augment: {item['_target_']} is not a Keras layer; give layers "
                    "such as [{_target_: keras.layers.RandomFlip, mode: horizontal}]"
                )
        elif not isinstance(item, keras.layers.Layer):
            raise LlexpError(
                f"dataset.augment holds {item!r}, not a Keras layer; give a list of layers such "
                "as [{_target_: keras.layers.RandomFlip, mode: horizontal}]"
            )
        items.append(item)
    return items


def make_augment(items: list) -> list:
    """The augmentation layers of `check_augment`'s items: configs are instantiated, layers that
    take a `value_range` (RandomContrast, RandomBrightness, ...), which Keras assumes to be 0-255,
    get llexp's [0, 1] unless the config gives one. (A dataset config leaves `augment` to this
    function: `_recursive_: false`.)"""
    from hydra.utils import get_class
    from omegaconf import DictConfig

    layers = []
    for item in items:
        if not isinstance(item, (dict, DictConfig)):
            layers.append(item)  # a layer already
            continue
        kwargs = {}
        target = get_class(item["_target_"])
        if "value_range" in inspect.signature(target).parameters and "value_range" not in item:
            kwargs["value_range"] = (0.0, 1.0)
        layers.append(instantiate(item, _convert_="all", **kwargs))  # lists, not ListConfigs
    return layers


def normalization(splits, normalize: str) -> list:
    """The layers that go between the model's input and its network: none for `scale` (images
    are in [0, 1] already), a `keras.layers.Normalization` for `standardize` with the training
    split's per-channel mean and variance (built in, so model.json reloads without custom code).
    """
    import keras

    if normalize == "scale":
        return []
    mean, std = splits.channel_stats()
    log.info(
        "standardize: training split per-channel mean %s, std %s",
        np.round(mean, 4).tolist(),
        np.round(std, 4).tolist(),
    )
    # A channel that never varies (std 0) is only centred: Normalization divides by
    # max(std, epsilon), which would blow it up; variance 1 leaves it as is.
    variance = np.where(std > 0, std**2, 1.0)
    return [
        keras.layers.Normalization(
            mean=mean.tolist(), variance=variance.tolist(), name="standardize"
        )
    ]
