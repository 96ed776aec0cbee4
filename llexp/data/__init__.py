"""Datasets: config -> `Source` (a cheap description: shape, classes) -> `Splits` (train,
validation and test `tf.data` pipelines, and small in-memory samples for figures).

One word, one meaning: a `*Source` is what a `dataset=` config instantiates; `Arrays` are an
in-memory source's images and labels, split; `Splits` the pipelines over them; a
`tf.data.Dataset` is only ever TensorFlow's.

- `base`: `Source`, `Arrays`, and the per-process cache of decoded arrays.
- `sources`: the in-memory sources (keras.datasets, cifar100, digits, npz).
- `folder`: image folders, streamed from disk.
- `files`: a folder's image files: found, checked to be whole images, decoded.
- `checks`: shapes, pixel ranges, labels, split sizes; the seeded, stratified splits.
- `pipeline`: `Splits` and the pipelines both trainers consume.
- `preprocess`: normalisation (a layer inside the model) and augmentation (training batches).

An in-memory source subclasses `Source` and implements `arrays()`, returning
`(x_train, y_train), (x_test, y_test)`.
"""

from llexp.data.base import Arrays, Source, _cache
from llexp.data.folder import FolderSource
from llexp.data.pipeline import Splits, array_splits, batches
from llexp.data.sources import Cifar100Source, DigitsSource, KerasSource, NpzSource

# The sources' earlier names: the `_target_` in the `.hydra/config.yaml` of runs made before the
# rename, which `llexp resume` and reloading a run instantiate again.
KerasDataset, Cifar100Dataset, DigitsDataset = KerasSource, Cifar100Source, DigitsSource
NpzDataset, FolderDataset = NpzSource, FolderSource

__all__ = [
    "Arrays",
    "Cifar100Source",
    "DigitsSource",
    "FolderSource",
    "KerasSource",
    "NpzSource",
    "Source",
    "Splits",
    "_cache",
    "array_splits",
    "batches",
]
