"""Datasets: config -> `Source` (a cheap description: shape, classes) -> `Splits` (train,
validation and test `tf.data` pipelines, and small in-memory samples for figures).

- `base`: `Source`, the arrays `Dataset`, and the per-process cache of decoded arrays.
- `sources`: the in-memory sources (keras.datasets, cifar100, digits, npz).
- `folder`: image folders, streamed from disk.
- `checks`: shapes, pixel ranges, labels, split sizes; the seeded, stratified splits.
- `pipeline`: `Splits` and the pipelines both trainers consume.
- `preprocess`: normalisation (a layer inside the model) and augmentation (training batches).

An in-memory source subclasses `Source` and implements `arrays()`, returning
`(x_train, y_train), (x_test, y_test)`.
"""

from llexp.data.base import Dataset, Source, _cache
from llexp.data.folder import FolderDataset
from llexp.data.pipeline import Splits, array_splits, batches
from llexp.data.sources import Cifar100Dataset, DigitsDataset, KerasDataset, NpzDataset

__all__ = [
    "Cifar100Dataset",
    "Dataset",
    "DigitsDataset",
    "FolderDataset",
    "KerasDataset",
    "NpzDataset",
    "Source",
    "Splits",
    "_cache",
    "array_splits",
    "batches",
]
