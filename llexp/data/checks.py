"""Checks on data as it is read: shapes, pixel ranges, labels, split sizes; and the seeded,
stratified splits. Each mistake ends in one `LlexpError` line saying what to do."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

from llexp.errors import LlexpError


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


def to_images(x: np.ndarray, name: str) -> np.ndarray:
    """Scales images to float32 [0, 1] and gives them a channel axis."""
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4:
        raise LlexpError(f"dataset {name}: expected images (N, H, W[, C]), got shape {x.shape}")
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
    if low < 0 or top >= num_classes:
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
