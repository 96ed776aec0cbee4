"""Datasets: config -> cheap description (shape, classes) -> arrays -> `tf.data` batches.

A dataset config instantiates one of the sources below. Instantiating is cheap and checks what it
can (the file exists, the labels fit), so a run can build its model and fail on a bad combination
before any data is loaded; `load()` then reads the arrays, scales them to [0, 1], adds a channel
axis and makes the seeded, stratified validation split.
"""

from __future__ import annotations

import logging
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

from llexp.errors import LlexpError, first_line

log = logging.getLogger(__name__)

OFFLINE_HINT = "offline alternatives: dataset=digits, or dataset=npz dataset.path=FILE.npz"

# The last decoded dataset, kept so that the jobs of a sweep running in one process read and
# decode it once. One entry only: a sweep over several datasets does not pile them up in memory.
_cache: dict[tuple, tuple[np.ndarray, ...]] = {}


@dataclass
class Dataset:
    """Arrays ready for training: images float32 in [0, 1] shaped (N, H, W, C), labels int32."""

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
    """What every dataset config instantiates: a description now, the arrays on `load()`.

    Args:
        num_classes: number of classes; labels are 0..num_classes-1.
        class_names: one name per class, or None for the labels themselves.
        val_split: fraction (0-1) or number of training images held out for validation.
        subset: train on this many (stratified) training images; None for all.
        seed: seeds the validation split and the subset.
        batch_size: the batch size that suits this dataset; `trainer.batch_size` defaults to it.
    """

    name: str
    input_shape: tuple[int, ...]
    num_classes: int

    def __init__(
        self, num_classes, class_names=None, val_split=0.1, subset=None, seed=0, batch_size=32
    ):
        if class_names is not None and len(class_names) != num_classes:
            raise LlexpError(
                f"dataset.class_names has {len(class_names)} names but dataset.num_classes="
                f"{num_classes}; give one name per class or class_names=null"
            )
        self.num_classes = int(num_classes)
        self.class_names = [str(c) for c in class_names or range(num_classes)]
        self.val_split = check_size("dataset.val_split", val_split)
        self.subset = check_size("dataset.subset", subset)
        self.seed = seed
        self.batch_size = batch_size

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
            return _cache[key]
        _cache.clear()
        (x_train, y_train), (x_test, y_test) = self.arrays()
        check_lengths(
            f"dataset {self.name}",
            {"x_train": len(x_train), "y_train": len(y_train)}
            | {"x_test": len(x_test), "y_test": len(y_test)},
        )
        x_train, x_test = to_images(x_train, self.name), to_images(x_test, self.name)
        y_train, y_test = to_labels(y_train), to_labels(y_test)
        arrays = (x_train, y_train, x_test, y_test)
        for array in arrays:
            array.setflags(write=False)
        _cache[key] = arrays
        return arrays

    def load(self) -> Dataset:
        """Reads (or reuses), scales and splits the data into a `Dataset`."""
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
        check_labels(self.name, self.num_classes, y_train, y_test)
        if self.subset:
            x_train, y_train = take(x_train, y_train, self.subset, self.seed, "dataset.subset")
        x_train, x_val, y_train, y_val = split(x_train, y_train, self.val_split, self.seed)
        return Dataset(self.name, x_train, y_train, x_val, y_val, x_test, y_test, self.class_names)


class KerasDataset(Source):
    """A `keras.datasets` dataset (mnist, fashion_mnist, cifar10), downloaded once into the cache.

    Args:
        name: module name in `keras.datasets`.
        image_shape: `[H, W, C]` of its images, known before downloading.
        num_classes, class_names, val_split, subset, seed: see `Source`.
    """

    def __init__(self, name, image_shape, num_classes, **kwargs):
        super().__init__(num_classes, **kwargs)
        import keras

        if not hasattr(keras.datasets, name):
            raise LlexpError(f"keras.datasets has no dataset {name!r}; check dataset.name")
        self.name = name
        self.input_shape = image_shape_key(image_shape)

    def arrays(self):
        import keras

        try:
            return getattr(keras.datasets, self.name).load_data()
        except Exception as error:  # offline, proxy, corrupt cache: keras raises plain Exception
            cache = Path(os.environ.get("KERAS_HOME", "~/.keras")).expanduser() / "datasets"
            raise LlexpError(
                f"could not download dataset {self.name} into {cache} "
                f"({first_line(error)}); connect to the network once, or use the {OFFLINE_HINT}"
            ) from error


class DigitsDataset(Source):
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


class NpzDataset(Source):
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


def npz_shapes(path: Path) -> dict[str, tuple[int, ...]]:
    """Array shapes in an .npz, read from each member's header (the data is not loaded)."""
    shapes = {}
    try:
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                with archive.open(member) as fp:
                    major, _ = np.lib.format.read_magic(fp)
                    read = (
                        np.lib.format.read_array_header_1_0
                        if major == 1
                        else np.lib.format.read_array_header_2_0
                    )
                    shape, _, _ = read(fp)
                shapes[member.removesuffix(".npy")] = shape
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise LlexpError(f"dataset.path={path} is not a readable .npz file ({error})") from error
    return shapes


def image_shape_key(shape) -> tuple[int, ...]:
    """`dataset.image_shape` as (H, W, C): three whole numbers, 1 to 4 channels."""
    ok = shape is not None and len(shape) == 3 and all(isinstance(n, int) and n > 0 for n in shape)
    if not ok or not 1 <= shape[2] <= 4:
        raise LlexpError(
            f"dataset.image_shape={list(shape) if shape is not None else None} must be "
            "[height, width, channels] with 1 to 4 channels, e.g. [28, 28, 1]"
        )
    return tuple(shape)


def check_lengths(where: str, lengths: dict[str, int]) -> None:
    """Each split's images and labels are as many (`x_train` and `y_train`, `x_test`, ...)."""
    for split_name in ("train", "test"):
        n_x, n_y = lengths[f"x_{split_name}"], lengths[f"y_{split_name}"]
        if n_x != n_y:
            raise LlexpError(
                f"{where}: x_{split_name} holds {n_x} images but y_{split_name} {n_y} labels; "
                "give one label per image"
            )


def check_image_shapes(where: str, *shapes: tuple[int, ...]) -> None:
    """Arrays shaped like images: (N, H, W) or (N, H, W, C) with 1 to 4 channels, same H, W, C."""
    for shape in shapes:
        if len(shape) not in (3, 4) or (len(shape) == 4 and not 1 <= shape[3] <= 4):
            raise LlexpError(
                f"{where}: arrays of shape {tuple(shape)} are not images; x_train and x_test must "
                "be shaped (N, H, W) or (N, H, W, C) with 1 to 4 channels"
            )
    if len({tuple(s[1:]) for s in shapes}) > 1:
        raise LlexpError(
            f"{where}: x_train images are {tuple(shapes[0][1:])} but x_test ones "
            f"{tuple(shapes[1][1:])}; both splits need images of one shape"
        )


def check_pixels(name: str, x: np.ndarray) -> None:
    """Pixels are numbers, and finite (a NaN pixel would be blamed on the learning rate)."""
    if not (np.issubdtype(x.dtype, np.integer) or np.issubdtype(x.dtype, np.floating)):
        raise LlexpError(f"dataset {name}: pixels are {x.dtype}, not numbers; store uint8 or float")
    if np.issubdtype(x.dtype, np.floating) and not np.isfinite(x).all():
        bad = int(np.count_nonzero(~np.isfinite(x)))
        raise LlexpError(
            f"dataset {name}: {bad} pixels are NaN or infinite; fix or drop those images"
        )


def to_images(x: np.ndarray, name: str) -> np.ndarray:
    """Scales images to float32 [0, 1] and gives them a channel axis."""
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4:
        raise LlexpError(f"dataset {name}: expected images (N, H, W[, C]), got shape {x.shape}")
    check_pixels(name, x)
    if np.issubdtype(x.dtype, np.integer):
        return x.astype("float32") / 255.0  # float32 throughout: no float64 copy
    x = x.astype("float32")
    if x.size and (x.min() < 0.0 or x.max() > 1.0):
        raise LlexpError(
            f"dataset {name}: float images must lie in [0, 1], found [{x.min():.3g}, "
            f"{x.max():.3g}]; scale them or store uint8 0-255"
        )
    return x


def to_labels(y: np.ndarray) -> np.ndarray:
    """Flattens labels shaped (N, 1) (cifar10) to (N,) int32."""
    return np.asarray(y).reshape(len(y)).astype("int32")


def check_labels(name: str, num_classes: int, *labels: np.ndarray) -> None:
    top = max(int(y.max()) for y in labels if y.size)
    low = min(int(y.min()) for y in labels if y.size)
    if low < 0:
        raise LlexpError(
            f"dataset {name}: labels run from {low} to {top}; labels must be whole numbers "
            f"0..num_classes-1, without negative ones"
        )
    if top >= num_classes:
        raise LlexpError(
            f"dataset {name}: labels run from {low} to {top} but dataset.num_classes="
            f"{num_classes}; labels must be 0..num_classes-1 (set dataset.num_classes={top + 1})"
        )


def check_size(key: str, size):
    """A split or subset size: a fraction in (0, 1), a whole count >= 1, or 0/None for none."""
    if size is None or size == 0:
        return size
    if isinstance(size, bool) or not isinstance(size, (int, float)):
        raise LlexpError(f"{key}={size!r} must be a fraction in (0, 1) or a whole count")
    if isinstance(size, float) and not (0 < size < 1 or (size >= 1 and size.is_integer())):
        raise LlexpError(f"{key}={size} must be a fraction in (0, 1) or a whole count")
    if size < 0:
        raise LlexpError(f"{key}={size} must not be negative")
    return int(size) if size >= 1 else size


def split(x, y, size, seed):
    """Stratified, seeded split; `size` is a fraction (0-1) or a count -> x_a, x_b, y_a, y_b."""
    if not size:
        return x, x[:0], y, y[:0]
    try:
        return train_test_split(x, y, test_size=size, random_state=seed, stratify=y)
    except ValueError as error:
        raise LlexpError(f"cannot hold out {size} of {len(y)} images: {error}") from error


def take(x, y, n, seed, key):
    """A stratified, seeded subset of `n` images (or the fraction `n` if below 1)."""
    if (isinstance(n, int) and n >= len(y)) or n == 1.0:
        return x, y
    try:
        x, _, y, _ = train_test_split(x, y, train_size=n, random_state=seed, stratify=y)
    except ValueError as error:
        raise LlexpError(f"{key}={n} cannot be drawn from {len(y)} images: {error}") from error
    return x, y


def batches(
    x, y, batch_size: int, shuffle: bool = False, seed: int = 0, epochs: int = 1, initial_epoch=0
):
    """The one input pipeline of every trainer: arrays -> seeded shuffle -> batches -> prefetch.

    Unshuffled, it yields one pass over `(x, y)`. Shuffled, it yields the batches of epochs
    `initial_epoch .. epochs - 1` one after another (`steps_per_epoch(len(x), batch_size)` each),
    each epoch in an order drawn from `seed` and the epoch number alone: a run resumed at epoch
    k sees the same batches as one that never stopped, however many iterators were made before.
    """
    import tensorflow as tf

    if shuffle:
        images, labels = tf.constant(x), tf.constant(y)

        def epoch_order(epoch):  # a permutation drawn from (seed, epoch) alone: stateless
            keys = tf.random.stateless_uniform(
                [len(x)], seed=tf.stack([tf.constant(seed, tf.int64), epoch])
            )
            return tf.data.Dataset.from_tensor_slices(tf.argsort(keys)).batch(batch_size)

        ds = tf.data.Dataset.range(initial_epoch, epochs).flat_map(epoch_order)
        ds = ds.map(lambda i: (tf.gather(images, i), tf.gather(labels, i)))
        return ds.prefetch(tf.data.AUTOTUNE)
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def steps_per_epoch(count: int, batch_size: int) -> int:
    """Batches in one epoch of `count` samples (the last one may be smaller)."""
    return -(-count // batch_size)
