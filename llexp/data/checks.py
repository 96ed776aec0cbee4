"""Checks on data as it is read: shapes, pixel ranges, labels, split sizes; and the seeded,
stratified splits. Each mistake ends in one `LlexpError` line saying what to do."""

from __future__ import annotations

import logging
import zipfile
from pathlib import Path

import numpy as np

from llexp.errors import LlexpError
from llexp.lazy import lazy
from llexp.schema.keys import split_size

model_selection = lazy("sklearn.model_selection")
log = logging.getLogger(__name__)


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
    """Arrays shaped like images: (N, H, W) or (N, H, W, C) with 1 to 4 channels (or channels
    first, (N, C, H, W)), same H, W, C."""
    shapes = tuple((s[0], s[2], s[3], s[1]) if channels_first(s) else tuple(s) for s in shapes)
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


def channels_first(shape) -> bool:
    """(N, C, H, W): 1, 3 or 4 channels first, both image axes longer than the channel axis, and a
    last axis that is no channel count. Channels-last arrays with few rows stay as they are, such
    as an encoder's (N, 4, 4, 16) codes."""
    if len(shape) != 4 or shape[1] not in (1, 3, 4) or shape[3] in (1, 3, 4):
        return False
    return min(shape[2], shape[3]) > shape[1]


def to_images(x: np.ndarray, name: str) -> np.ndarray:
    """Images as float32 (N, H, W, C) in [0, 1], each step that changes them said in the log.

    Integer pixels are divided by their dtype's largest value (uint8 by 255, uint16 by 65535);
    signed integers are read as 8-bit when they all lie in 0..255 and refused otherwise. Float
    pixels must already lie in [0, 1]. Channels-first arrays (N, C, H, W) are transposed.
    """
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4:
        raise LlexpError(f"dataset {name}: expected images (N, H, W[, C]), got shape {x.shape}")
    check_pixels(name, x)
    if channels_first(x.shape):
        log.info("dataset %s: channels-first images %s moved to channels-last", name, x.shape)
        x = np.transpose(x, (0, 2, 3, 1))
    if np.issubdtype(x.dtype, np.integer):
        return integer_pixels(x, name)
    x = x.astype("float32")
    if x.size and (x.min() < 0.0 or x.max() > 1.0):
        raise LlexpError(
            f"dataset {name}: float images must lie in [0, 1], found [{x.min():.3g}, "
            f"{x.max():.3g}]; scale them or store uint8 0-255"
        )
    return x


def integer_pixels(x: np.ndarray, name: str) -> np.ndarray:
    """Integer pixels scaled to [0, 1] by their own dtype's range (float32 throughout)."""
    if np.issubdtype(x.dtype, np.signedinteger):
        low, high = (int(x.min()), int(x.max())) if x.size else (0, 0)
        if low < 0 or high > 255:
            raise LlexpError(
                f"dataset {name}: {x.dtype} pixels run from {low} to {high}; signed pixels are "
                "read as 8-bit (0..255) only: store uint8, uint16 or float in [0, 1]"
            )
        log.info("dataset %s: %s pixels in 0..255 read as 8-bit (divided by 255)", name, x.dtype)
        return x.astype("float32") / 255.0
    top = np.iinfo(x.dtype).max
    if x.dtype != np.uint8:
        log.info("dataset %s: %s pixels divided by %d, their range", name, x.dtype, top)
    return x.astype("float32") / float(top)


def check_size(key: str, size):
    """A split or subset size: a fraction in (0, 1), a whole count >= 1, or 0/None for none
    (the rule of `llexp.schema.keys.split_size`, for sources made from Python)."""
    if size is None or size == 0:
        return size
    split_size().metadata["rule"].check(key, size, nullable=False)
    return size


def split(x, y, size, seed):
    """Stratified, seeded split; `size` is a fraction (0-1) or a count -> x_a, x_b, y_a, y_b."""
    if not size:
        return x, x[:0], y, y[:0]
    try:
        return model_selection.train_test_split(x, y, test_size=size, random_state=seed, stratify=y)
    except ValueError as error:
        raise LlexpError(f"cannot hold out {size} of {len(y)} images: {error}") from error


def take(x, y, n, seed, key):
    """A stratified, seeded subset of `n` images (or the fraction `n` if below 1)."""
    if (isinstance(n, int) and n >= len(y)) or n == 1.0:
        return x, y
    try:
        x, _, y, _ = model_selection.train_test_split(
            x, y, train_size=n, random_state=seed, stratify=y
        )
    except ValueError as error:
        raise LlexpError(f"{key}={n} cannot be drawn from {len(y)} images: {error}") from error
    return x, y
