"""The `tf.data` pipelines every trainer consumes: train, validation and test batches.

A split (`Part`) is read by index: arrays gather a batch of rows at once, image files are decoded
one by one as they are needed. The training order of epoch `e` is a permutation seeded with
`(seed, e)`, so it depends on nothing else: both trainers see the same batches, and a run resumed
at epoch `e` sees the batches an uninterrupted run would have seen.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from llexp.lazy import lazy

tf = lazy("tensorflow")  # imported by the first pipeline made, not by checking a config


class Part:
    """One split's images and labels, read by index. Subclasses implement `batches`.

    Args:
        labels: one int label per image (known without reading the images).
    """

    def __init__(self, labels: np.ndarray):
        self.labels = np.asarray(labels)

    def __len__(self) -> int:
        return len(self.labels)

    def batches(self, indices: tf.data.Dataset, batch_size: int) -> tf.data.Dataset:
        """`(images, labels)` batches of the images at `indices` (int64 scalars), in that order."""
        raise NotImplementedError

    def images(self, n: int) -> np.ndarray:
        """The first `n` images as a NumPy array (for figures)."""
        ds = self.batches(tf.data.Dataset.range(min(n, len(self))), max(1, n))
        return np.concatenate([x for x, _ in ds.as_numpy_iterator()] or [np.zeros((0,))])

    def images_at(self, indices) -> np.ndarray:
        """The images at `indices` as a NumPy array, in that order (for figures)."""
        indices = np.asarray(indices, dtype="int64").reshape(-1)
        ds = self.batches(tf.data.Dataset.from_tensor_slices(indices), max(1, len(indices)))
        return np.concatenate([x for x, _ in ds.as_numpy_iterator()] or [np.zeros((0,))])


class ArrayPart(Part):
    """A split held in memory: images float32 (N, H, W, C), read a whole batch per gather."""

    def __init__(self, x: np.ndarray, y: np.ndarray):
        super().__init__(y)
        self.x = x
        # Eager tensors made once, here: pipelines capture them as inputs, whereas a tensor made
        # while tf.data traces a function would be copied into the graph as a constant.
        self.tensors = tf.convert_to_tensor(x), tf.convert_to_tensor(self.labels)

    def batches(self, indices, batch_size):
        # One gather per batch, not one element per image: far less tf.data overhead per image.
        x, y = self.tensors
        return indices.batch(batch_size).map(
            lambda i: (tf.gather(x, i), tf.gather(y, i)), num_parallel_calls=tf.data.AUTOTUNE
        )

    def images(self, n):
        return self.x[:n]

    def images_at(self, indices):
        return self.x[np.asarray(indices, dtype="int64").reshape(-1)]


class FilePart(Part):
    """A split streamed from image files: each batch is read and decoded when it is needed.

    Args:
        paths: one file per image.
        labels: their labels.
        decode: a TensorFlow function from a path to a float32 (H, W, C) image in [0, 1].
    """

    def __init__(self, paths: list[str], labels: np.ndarray, decode: Callable):
        super().__init__(labels)
        self.paths, self.decode = list(paths), decode
        self.tensors = tf.constant(self.paths, tf.string), tf.constant(self.labels, tf.int32)

    def batches(self, indices, batch_size):
        (paths, labels), decode = self.tensors, self.decode
        return indices.map(
            lambda i: (decode(tf.gather(paths, i)), tf.gather(labels, i)),
            num_parallel_calls=tf.data.AUTOTUNE,
            deterministic=True,
        ).batch(batch_size)

    def in_memory(self) -> ArrayPart:
        """Decodes every image once and keeps them (`dataset.cache=true`)."""
        return ArrayPart(self.images(len(self)), self.labels)


def epoch_order(count: int, seed: int, epoch) -> tf.Tensor:
    """The order of the training images in `epoch`: a permutation seeded with (seed, epoch)."""
    key = tf.stack([tf.constant(seed, tf.int64), tf.cast(epoch, tf.int64)])
    return tf.random.experimental.stateless_shuffle(tf.range(count, dtype=tf.int64), seed=key)


@dataclass
class Splits:
    """A dataset's train, validation and test splits, and the pipelines over them.

    Args:
        name: the dataset's name, for logs and titles.
        class_names: one name per class.
        input_shape: `(H, W, C)` of every image.
        train, val, test: the splits (`val` may be empty).
        augment: Keras preprocessing layers applied to training batches only.
    """

    name: str
    class_names: list[str]
    input_shape: tuple[int, ...]
    train: Part
    val: Part
    test: Part
    augment: list = field(default_factory=list)
    # The last `predict` (model, split, outputs): the run's test metrics and its figures share
    # one pass over the test set.
    _predicted: tuple | None = field(default=None, repr=False, compare=False)

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def steps_per_epoch(self, batch_size: int) -> int:
        return math.ceil(len(self.train) / batch_size)

    def train_batches(
        self, batch_size: int, seed: int, epochs: int, targets=None, start_epoch: int = 0
    ) -> tf.data.Dataset:
        """Training batches of epochs `start_epoch .. epochs - 1`, one after another.

        Each epoch is `steps_per_epoch(batch_size)` batches in the order `epoch_order` gives; the
        augmentation layers run on these batches only. `targets(x, y)` is what the model learns
        to output (the labels, or the images for an autoencoder).
        """
        count, part = len(self.train), self.train

        def epoch(e):
            order = tf.data.Dataset.from_tensor_slices(epoch_order(count, seed, e))
            # Each batch carries its (epoch, index), from which its augmentation is seeded.
            steps = tf.data.Dataset.range(self.steps_per_epoch(batch_size))
            return tf.data.Dataset.zip(steps, part.batches(order, batch_size)).map(
                lambda b, xy: (batch_seed(seed, e, b), *xy)
            )

        ds = tf.data.Dataset.range(start_epoch, epochs).flat_map(epoch)
        if self.augment:
            layers = self.augment
            ds = ds.map(
                lambda key, x, y: (key, augmented(layers, x, key), y),
                num_parallel_calls=tf.data.AUTOTUNE,
                deterministic=True,
            )
        return finish(ds.map(lambda key, x, y: (x, y)), targets)

    def batches(self, split: str, batch_size: int, targets=None) -> tf.data.Dataset:
        """Batches of `split` ("val" or "test"; "train" unshuffled, unaugmented) in order."""
        part = getattr(self, split)
        return finish(part.batches(tf.data.Dataset.range(len(part)), batch_size), targets)

    def sample(self, split: str = "train", n: int = 64) -> tuple[np.ndarray, np.ndarray]:
        """The first `n` images of `split` and their labels, in memory (for figures)."""
        part = getattr(self, split)
        return part.images(n), part.labels[:n]

    def predict(self, model, split: str = "test", batch_size: int = 256) -> np.ndarray:
        """`model`'s outputs for every image of `split`, in order (computed once per model and
        split: asking again for the last ones returns them)."""
        last = self._predicted
        if last is not None and last[0] is model and last[1] == split:
            return last[2]
        images = self.batches(split, batch_size).map(lambda x, y: x)
        outputs = model.predict(images, verbose=0)
        self._predicted = (model, split, outputs)
        return outputs

    def channel_stats(self, batch_size: int = 256) -> tuple[np.ndarray, np.ndarray]:
        """Per-channel mean and standard deviation of the training split (one streamed pass)."""
        total, squares, pixels = 0.0, 0.0, 0
        for x, _ in self.batches("train", batch_size).as_numpy_iterator():
            x = x.astype("float64").reshape(-1, x.shape[-1])
            total, squares, pixels = total + x.sum(0), squares + (x**2).sum(0), pixels + len(x)
        mean = total / pixels
        return mean, np.sqrt(np.maximum(squares / pixels - mean**2, 0.0))


def batch_seed(seed: int, epoch, batch) -> tf.Tensor:
    """The stateless seed of training batch `batch` of `epoch`: a function of the three only."""
    key = tf.stack([tf.constant(seed, tf.int64), tf.cast(epoch, tf.int64)])
    return tf.random.experimental.stateless_fold_in(key, tf.cast(batch, tf.int64))


def augmented(layers: list, x, key=None):
    """`x` through each augmentation layer, in training mode (they are no-ops otherwise).

    With a stateless `key` (`batch_seed`), every random draw of a Keras image-preprocessing
    layer is seeded from it, so a batch's augmentation depends on (seed, epoch, batch) only: a
    resumed run and a parallel pipeline see the same draws. Without one (figures), or for a
    layer that takes no seed (`compat.takes_seed`: a custom layer), the
    layer is called as is and draws from its own generator: such a layer is not reproducible
    (nor is Keras' AugMix, which draws partly from its own seed whatever it is given).
    """
    from llexp import compat

    for index, layer in enumerate(layers):
        if key is None or not compat.takes_seed(layer):
            x = layer(x, training=True)
            continue
        seeds = compat.key_seeds_class()(tf.random.experimental.stateless_fold_in(key, index))
        transformation = layer.get_random_transformation(x, training=True, seed=seeds)
        x = layer.transform_images(x, transformation=transformation, training=True)
    return x


def finish(ds: tf.data.Dataset, targets) -> tf.data.Dataset:
    if targets is not None:
        ds = ds.map(lambda x, y: (x, targets(x, y)), num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)


def batches(x, y, batch_size: int, shuffle: bool = False, seed: int = 0, epochs: int = 1):
    """Batches of in-memory arrays `(x, y)`: in order, or shuffled per epoch with `seed`."""
    splits = array_splits(x, y)
    if shuffle:
        return splits.train_batches(batch_size, seed, epochs)
    return splits.batches("train", batch_size)


def array_splits(x, y, x_val=None, y_val=None, name: str = "arrays") -> Splits:
    """`Splits` over in-memory arrays: training `(x, y)`, validation `(x_val, y_val)` if any."""
    x, y = np.asarray(x), np.asarray(y)
    empty = (x[:0], np.zeros((0,), "int32"))
    val = ArrayPart(x_val, y_val) if x_val is not None and len(x_val) else ArrayPart(*empty)
    return Splits(name, [], tuple(x.shape[1:]), ArrayPart(x, y), val, ArrayPart(*empty))
