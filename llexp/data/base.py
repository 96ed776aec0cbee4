"""What every dataset config instantiates: a `Source`, cheap to make, that loads on demand.

Instantiating a source is cheap and checks what it can (the file exists, the labels fit), so a run
can build its model and fail on a bad combination before any data is loaded. An in-memory source
implements `arrays()`; `load()` then scales the images to [0, 1], adds a channel axis and makes
the seeded, stratified validation split, and `splits()` puts `tf.data` pipelines over them.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field

import numpy as np

from llexp.data.checks import check_lengths, check_size, split, take, to_images
from llexp.data.labels import check_classes, class_indices
from llexp.data.pipeline import ArrayPart, Splits
from llexp.data.preprocess import check_augment, check_normalize, make_augment
from llexp.errors import LlexpError

log = logging.getLogger(__name__)

# The last decoded dataset, kept so that the jobs of a sweep running in one process read and
# decode it once. One entry only: a sweep over several datasets does not pile them up in memory.
# With the arrays: the class names that text labels gave (None for numeric labels).
_cache: dict[tuple, tuple[tuple[np.ndarray, ...], list[str] | None]] = {}


@dataclass
class Arrays:
    """A source's data in memory, split and ready for training: images float32 in [0, 1] shaped
    (N, H, W, C), labels int32. (`Splits` puts the `tf.data` pipelines over them.)"""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: list[str] = field(default_factory=list)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.x_train.shape[1:])

    @property
    def num_classes(self) -> int:
        return len(self.class_names)


class Source:
    """What every dataset config instantiates: a description now, the data on `splits()`.

    A subclass that holds its data in memory implements `arrays()`; one that streams its images
    (`FolderSource`) overrides `splits()` instead.

    Args:
        num_classes: number of classes; labels are 0..num_classes-1.
        class_names: one name per class, or None for the labels themselves.
        val_split: fraction (0-1) or number of training images held out for validation.
        subset: train on this many (stratified) training images; None for all.
        seed: seeds the validation split and the subset.
        batch_size: the batch size that suits this dataset; `trainer.batch_size` defaults to it.
        normalize: "scale" (images in [0, 1], as stored) or "standardize" (the model subtracts
            the training split's per-channel mean and divides by its standard deviation).
        augment: Keras preprocessing layers (e.g. `keras.layers.RandomFlip`) applied to
            training batches only; None or [] for none.
    """

    name: str
    input_shape: tuple[int, ...]
    num_classes: int
    text_classes: list[str] | None = None  # the class names text labels gave, once loaded
    every_class = True  # each class needs training images (False for a model without classes)
    # Whether making this source starts TensorFlow's runtime (it reads a Keras model to learn
    # its shape): the command line then applies `resources` before checking the config.
    starts_tensorflow = False

    def __init__(
        self,
        num_classes,
        class_names=None,
        val_split=0.1,
        subset=None,
        seed=0,
        batch_size=32,
        normalize="scale",
        augment=None,
    ):
        # class_names against num_classes (count, distinct names): llexp/schema/data.py
        self.num_classes, self.named = int(num_classes), class_names is not None
        self.class_names = [str(c) for c in class_names or range(num_classes)]
        self.val_split = check_size("dataset.val_split", val_split)
        self.subset = check_size("dataset.subset", subset)
        self.seed = seed
        self.batch_size = batch_size
        self.normalize = check_normalize(normalize)
        self.augment_items = check_augment(augment)

    @functools.cached_property
    def augment(self) -> list:
        """The augmentation layers, made on first use: `llexp.run` makes them once it has seeded
        the random generators, under the run's precision and before any data loads."""
        return make_augment(self.augment_items)

    def arrays(self):
        """Returns the raw `(x_train, y_train), (x_test, y_test)`; subclasses implement it."""
        raise NotImplementedError

    def cache_key(self) -> tuple:
        """What `arrays()` depends on: equal keys read the same arrays (subclasses extend it)."""
        return (type(self).__name__, self.name)

    def decoded(self) -> tuple[np.ndarray, ...]:
        """`x_train, y_train, x_test, y_test` scaled and checked, read-only, cached (one entry).

        Read-only, so that no job can change the arrays the next job of a sweep receives.
        """
        key = self.cache_key()
        if key in _cache:
            log.info("dataset %s: reusing the arrays decoded by an earlier job", self.name)
            arrays, self.text_classes = _cache[key]
            return arrays
        _cache.clear()
        (x_train, y_train), (x_test, y_test) = self.arrays()
        check_lengths(
            f"dataset {self.name}",
            {"x_train": len(x_train), "y_train": len(y_train)}
            | {"x_test": len(x_test), "y_test": len(y_test)},
        )
        x_train, x_test = to_images(x_train, self.name), to_images(x_test, self.name)
        y_train, y_test, self.text_classes = class_indices(self.name, y_train, y_test)
        arrays = (x_train, y_train, x_test, y_test)
        for array in arrays:
            array.setflags(write=False)
        _cache[key] = arrays, self.text_classes
        return arrays

    def load(self) -> Arrays:
        """Reads (or reuses), scales and splits the data into `Arrays`."""
        x_train, y_train, x_test, y_test = self.decoded()
        # Checked on every load, not only on decoding: a sweep reuses the cached arrays for jobs
        # whose image_shape or num_classes differ.
        if x_train.shape[1:] != tuple(self.input_shape):
            raise LlexpError(
                f"dataset {self.name}: images are {x_train.shape[1:]} but the config says "
                f"image_shape={list(self.input_shape)}; fix dataset.image_shape"
            )
        if len(x_test) == 0:
            raise LlexpError(f"dataset {self.name} has no test images; llexp evaluates on them")
        check_classes(self.name, self.num_classes, y_train, y_test, self.every_class)
        if self.text_classes and not self.named:
            self.class_names = list(self.text_classes)
        if self.subset:
            x_train, y_train = take(x_train, y_train, self.subset, self.seed, "dataset.subset")
        x_train, x_val, y_train, y_val = split(x_train, y_train, self.val_split, self.seed)
        return Arrays(self.name, x_train, y_train, x_val, y_val, x_test, y_test, self.class_names)

    def splits(self) -> Splits:
        """The train, validation and test `tf.data` pipelines over the loaded arrays."""
        data = self.load()
        return Splits(
            data.name,
            data.class_names,
            data.input_shape,
            ArrayPart(data.x_train, data.y_train),
            ArrayPart(data.x_val, data.y_val),
            ArrayPart(data.x_test, data.y_test),
            self.augment,
        )
