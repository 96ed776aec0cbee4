"""Checks on data as it is read: shapes, pixel ranges, labels, split sizes; and the seeded,
stratified splits. Each mistake ends in one `LlexpError` line saying what to do."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from llexp.errors import LlexpError
from llexp.lazy import lazy

model_selection = lazy("sklearn.model_selection")


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
