"""The sources held in memory: keras.datasets (mnist, fashion_mnist, cifar10, cifar100),
scikit-learn's digits and a local .npz."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from llexp.data.base import Source
from llexp.data.checks import (
    channels_first,
    check_image_shapes,
    check_lengths,
    check_size,
    image_shape_key,
    npz_shapes,
    split,
)
from llexp.errors import LlexpError, first_line

OFFLINE_HINT = (
    "offline alternatives: dataset=digits, dataset=npz dataset.path=FILE.npz, "
    "or dataset=folder dataset.path=FOLDER"
)


# The image datasets of `keras.datasets` (its others hold text or tables), known without importing
# Keras so that a misspelt name ends before TensorFlow starts.
KERAS_IMAGE_DATASETS = ("mnist", "fashion_mnist", "cifar10", "cifar100")


class KerasSource(Source):
    """A `keras.datasets` dataset (mnist, fashion_mnist, cifar10), downloaded once into the cache.

    Args:
        name: module name in `keras.datasets`.
        image_shape: `[H, W, C]` of its images, known before downloading.
        num_classes, class_names, val_split, subset, seed: see `Source`.
    """

    def __init__(self, name, image_shape, num_classes, **kwargs):
        super().__init__(num_classes, **kwargs)
        if name not in KERAS_IMAGE_DATASETS:
            raise LlexpError(
                f"dataset.name={name} is not an image dataset of keras.datasets; use one of "
                f"{', '.join(KERAS_IMAGE_DATASETS)} (or dataset=digits|npz|folder)"
            )
        self.name = name
        self.input_shape = image_shape_key(image_shape)

    def arrays(self):
        import keras

        try:
            return getattr(keras.datasets, self.name).load_data()
        except Exception as error:  # offline, proxy, corrupt cache: keras raises plain Exception
            raise self.download_error(error) from error

    def download_error(self, error: Exception) -> LlexpError:
        cache = Path(os.environ.get("KERAS_HOME", "~/.keras")).expanduser() / "datasets"
        return LlexpError(
            f"could not download dataset {self.name} into {cache} "
            f"({first_line(error)}); connect to the network once, or use the {OFFLINE_HINT}"
        )


class Cifar100Source(KerasSource):
    """CIFAR-100 via `keras.datasets.cifar100`: 100 fine classes or their 20 coarse superclasses.

    Args:
        label_mode: "fine" (100 classes) or "coarse" (20 superclasses).
        num_classes: must agree with `label_mode` (the config derives it).
        class_names: the names of the classes (the config gives CIFAR-100's, from `label_names`).
        label_names: `{"fine": [...], "coarse": [...]}`, the archive's names per label mode: the
            config takes `class_names` from it (an argument so that the YAML may hold it).
        image_shape, val_split, subset, seed, ...: see `KerasSource` and `Source`.
    """

    CLASSES = {"fine": 100, "coarse": 20}

    def __init__(
        self,
        label_mode="fine",
        num_classes=None,
        image_shape=(32, 32, 3),
        label_names=None,
        **kwargs,
    ):
        if label_mode not in self.CLASSES:
            raise LlexpError(f"dataset.label_mode={label_mode!r} must be fine or coarse")
        expected = self.CLASSES[label_mode]
        if num_classes not in (None, expected):
            raise LlexpError(
                f"dataset.label_mode={label_mode} has {expected} classes but dataset.num_classes="
                f"{num_classes}; set dataset.num_classes={expected} (or null)"
            )
        self.label_mode = label_mode
        super().__init__("cifar100", image_shape, expected, **kwargs)

    def cache_key(self) -> tuple:
        return (*super().cache_key(), self.label_mode)

    def arrays(self):
        import keras

        try:
            arrays = keras.datasets.cifar100.load_data(label_mode=self.label_mode)
        except Exception as error:  # offline, proxy, corrupt cache: keras raises plain Exception
            raise self.download_error(error) from error
        return arrays


class DigitsSource(Source):
    """scikit-learn's bundled 8x8 digits (no download), with a seeded, stratified test split."""

    name = "digits"

    def __init__(self, num_classes=10, image_shape=(8, 8, 1), test_split=0.2, **kwargs):
        super().__init__(num_classes, **kwargs)
        self.input_shape = image_shape_key(image_shape)
        if not check_size("dataset.test_split", test_split):
            raise LlexpError("dataset.test_split=0: llexp evaluates on a test set; give it images")
        self.test_split = test_split

    def cache_key(self) -> tuple:
        return (*super().cache_key(), self.test_split, self.seed)  # both shape the test split

    def arrays(self):
        from sklearn.datasets import load_digits

        digits = load_digits()
        x = (digits.images / 16.0).astype("float32")  # pixel values are 0..16
        x_train, x_test, y_train, y_test = split(x, digits.target, self.test_split, self.seed)
        return (x_train, y_train), (x_test, y_test)


class NpzSource(Source):
    """A local `.npz` holding `x_train, y_train, x_test, y_test`.

    Args:
        path: the file. Images HxW or HxWxC, uint8 0-255 or float 0-1; labels 0..num_classes-1.
        image_shape: ignored unless given: read from the file's header without loading it.
    """

    KEYS = ("x_train", "y_train", "x_test", "y_test")

    def __init__(self, path, num_classes, image_shape=None, **kwargs):
        super().__init__(num_classes, **kwargs)
        self.path = Path(path).expanduser()
        self.name = self.path.stem
        if not self.path.is_file():
            raise LlexpError(
                f"dataset.path={path}: no such file; pass the path of an .npz holding "
                f"{', '.join(self.KEYS)}"
            )
        shapes = npz_shapes(self.path)
        missing = [k for k in self.KEYS if k not in shapes]
        if missing:
            raise LlexpError(
                f"dataset.path={path} lacks {', '.join(missing)}; "
                f"it must hold {', '.join(self.KEYS)}"
            )
        if shapes["x_test"][0] == 0 or shapes["x_train"][0] == 0:
            raise LlexpError(f"dataset.path={path}: x_train and x_test must hold images")
        check_lengths(f"dataset.path={path}", {k: shapes[k][0] for k in self.KEYS})
        check_image_shapes(f"dataset.path={path}", shapes["x_train"], shapes["x_test"])
        shape = shapes["x_train"][1:]
        if channels_first(shapes["x_train"]):  # (N, C, H, W): decoded() moves the channels
            shape = (*shape[1:], shape[0])
        self.input_shape = tuple(shape) + (1,) if len(shape) == 2 else tuple(shape)
        if image_shape is not None and tuple(image_shape) != self.input_shape:
            raise LlexpError(
                f"dataset.path={path} holds {list(self.input_shape)} images but "
                f"dataset.image_shape={list(image_shape)}; set dataset.image_shape=null"
            )

    def cache_key(self) -> tuple:
        stat = self.path.stat()  # a rewritten file is read again
        return (*super().cache_key(), str(self.path.resolve()), stat.st_mtime_ns, stat.st_size)

    def arrays(self):
        try:
            with np.load(self.path, allow_pickle=False) as f:  # never unpickle a user's file
                return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
        except ValueError as error:  # object arrays (pickles), a truncated member
            raise LlexpError(
                f"dataset.path={self.path} cannot be read as numeric arrays ({first_line(error)})"
                "; save plain numeric arrays with np.savez"
            ) from None
