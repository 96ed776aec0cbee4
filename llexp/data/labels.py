"""Labels as class indices 0..num_classes-1, or one line saying why they cannot be.

Accepted as they are: whole numbers of any integer dtype, shaped (N,) or (N, 1). Converted, each
with one log line:
- one-hot rows, shaped (N, K) with a single 1 per row: the index of the 1;
- text labels ("cat", "dog"): the classes in sorted order, which become the class names unless
  `dataset.class_names` gives them;
- floats that are all whole numbers (3.0): those numbers.
Anything else (fractions such as 0.5, negative numbers, other shapes) is refused, naming the
array, its dtype and an example value: reading 0.5 as class 0 would report an accuracy that
means nothing.
"""

from __future__ import annotations

import logging

import numpy as np

from llexp.errors import LlexpError

log = logging.getLogger(__name__)


def class_indices(
    name: str, y_train: np.ndarray, y_test: np.ndarray
) -> tuple[np.ndarray, np.ndarray, list[str] | None]:
    """`(y_train, y_test, names)`: int32 labels shaped (N,), and the class names text labels
    gave (None for numeric labels)."""
    y_train, y_test = np.asarray(y_train), np.asarray(y_test)
    if y_train.dtype.kind in "US" or y_test.dtype.kind in "US":
        return from_text(name, y_train, y_test)
    return index(name, "y_train", y_train), index(name, "y_test", y_test), None


def example(y: np.ndarray, bad: np.ndarray) -> str:
    """The first offending value, as the user would write it."""
    flat = y.reshape(len(y), -1) if y.ndim > 1 else y
    where = np.flatnonzero(bad.reshape(len(bad), -1).any(axis=1) if bad.ndim > 1 else bad)
    value = flat[where[0]] if where.size else flat[0]
    return str(value.tolist() if isinstance(value, np.ndarray) else value.item())


def index(name: str, key: str, y: np.ndarray) -> np.ndarray:
    """One array of labels as int32 class indices shaped (N,)."""
    where = f"dataset {name}: {key} ({y.dtype}, shape {y.shape})"
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.reshape(len(y))
    if y.ndim == 2 and y.shape[1] > 1:
        if not (np.isin(y, (0, 1)).all() and (y.sum(axis=1) == 1).all()):
            bad = ~(np.isin(y, (0, 1)).all(axis=1) & (y.sum(axis=1) == 1))
            raise LlexpError(
                f"{where} is neither one label per image nor one-hot rows (e.g. {example(y, bad)})"
                "; store class indices shaped (N,), or rows holding a single 1"
            )
        log.info("%s: one-hot rows read as class indices", where)
        return np.argmax(y, axis=1).astype("int32")
    if y.ndim != 1:
        raise LlexpError(f"{where}: labels must be shaped (N,), (N, 1) or one-hot (N, classes)")
    if y.dtype.kind == "b" or y.dtype.kind not in "iuf":
        raise LlexpError(f"{where}: labels must be whole numbers 0..num_classes-1 or text")
    if y.dtype.kind == "f":
        bad = ~np.isfinite(y) | (y != np.round(y))
        if bad.any():
            raise LlexpError(
                f"{where} holds labels that are not whole numbers (e.g. {example(y, bad)}); "
                "labels are class indices 0..num_classes-1: round or map them yourself"
            )
        log.info("%s: whole-number floats read as class indices", where)
    return y.astype("int32")


def from_text(name: str, y_train, y_test):
    """Text labels -> indices of their sorted classes, and those classes as names."""
    y_train, y_test = squeeze(name, "y_train", y_train), squeeze(name, "y_test", y_test)
    names = sorted(set(y_train.tolist()))
    unknown = sorted(set(y_test.tolist()) - set(names))
    if unknown:
        raise LlexpError(
            f"dataset {name}: y_test has classes y_train lacks ({', '.join(unknown[:5])}); "
            "give both splits the same classes"
        )
    lookup = {c: i for i, c in enumerate(names)}
    log.info("dataset %s: text labels read as %d classes (%s)", name, len(names), ", ".join(names))
    return (
        np.array([lookup[c] for c in y_train.tolist()], dtype="int32"),
        np.array([lookup[c] for c in y_test.tolist()], dtype="int32"),
        names,
    )


def squeeze(name: str, key: str, y: np.ndarray) -> np.ndarray:
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.reshape(len(y))
    if y.ndim != 1 or y.dtype.kind not in "US":
        raise LlexpError(
            f"dataset {name}: {key} ({y.dtype}, shape {y.shape}): text labels need both "
            "y_train and y_test as text, one label per image"
        )
    return y.astype(str)


def check_classes(
    name: str, num_classes: int, y_train: np.ndarray, y_test: np.ndarray, every_class: bool = True
) -> None:
    """Labels within 0..num_classes-1, and with `every_class` (a classifier's data) every class
    present among the training images (an absent one is averaged into per-class metrics as 0)."""
    labels = [y for y in (y_train, y_test) if y.size]
    top, low = max(int(y.max()) for y in labels), min(int(y.min()) for y in labels)
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
    absent = sorted(set(range(num_classes)) - set(np.unique(y_train).tolist()))
    absent = absent if every_class else []
    if absent:
        shown = ", ".join(str(c) for c in absent[:5]) + (", ..." if len(absent) > 5 else "")
        raise LlexpError(
            f"dataset {name}: dataset.num_classes={num_classes} but classes {shown} have no "
            f"training images (labels run from {low} to {top}); set dataset.num_classes to "
            "the number of classes the labels hold"
        )
