"""The one way llexp writes a file: to a temporary name beside it, flushed to disk, then renamed.

A run killed at any moment (SIGKILL, a power cut, a node taken back by a cluster) leaves either
the previous complete file or the new complete one, never a truncated one. The temporary name
carries the process id, so two processes writing into one folder never share a temporary file.
Every file llexp writes goes through `atomic` (metrics.json, history.csv, resume.npz, weights,
tables, figures, review pages).
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic(path: Path | str, suffix: str = "") -> Iterator[Path]:
    """Yields a temporary path to write `path`'s content to; on success moves it into place.

    Args:
        path: the file to write.
        suffix: what the temporary name must end with, for writers that insist on one
            (`.weights.h5` for Keras, `.npz` for NumPy, `.png` for matplotlib).

    Example:
        >>> with atomic(out_dir / "best.weights.h5", ".weights.h5") as tmp:
        ...     model.save_weights(str(tmp))
    """
    path = Path(path)
    stem = path.name.removesuffix(suffix) if suffix else path.name
    tmp = path.with_name(f".{stem}.{os.getpid()}.tmp{suffix}")
    try:
        yield tmp
        sync(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    sync_folder(path.parent)


def sync(path: Path) -> None:
    """Flushes a written file's content to disk, so a rename never publishes an empty file."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sync_folder(folder: Path) -> None:
    """Flushes a folder's entries (the rename) to disk; a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_bytes(path: Path | str, data: bytes) -> None:
    """Writes `data` to `path` atomically."""
    with atomic(path) as tmp:
        tmp.write_bytes(data)


def write_text(path: Path | str, text: str) -> None:
    """Writes `text` (UTF-8) to `path` atomically."""
    write_bytes(path, text.encode("utf-8"))


def write_json(path: Path | str, data: dict) -> None:
    """Writes `data` as indented JSON with sorted keys, atomically."""
    write_text(path, json.dumps(data, indent=2, sort_keys=True, default=float) + "\n")


def write_csv(path: Path | str, rows: list[list]) -> None:
    """Writes `rows` (the first one the header) to `path` as CSV, atomically."""
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(rows)
    write_text(path, text.getvalue())


def write_npz(path: Path | str, **arrays) -> None:
    """Writes NumPy arrays to an .npz at `path`, atomically (no pickles)."""
    import numpy as np

    with atomic(path, ".npz") as tmp:
        np.savez(tmp, **arrays)


def save_weights(model, path: Path | str) -> None:
    """`model.save_weights(path)`, atomically (Keras insists on the `.weights.h5` suffix)."""
    with atomic(path, ".weights.h5") as tmp:
        model.save_weights(str(tmp))
