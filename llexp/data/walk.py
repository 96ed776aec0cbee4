"""Walking an image folder safely: what `dataset=folder` reads, and what it refuses.

- Hidden files and folders (`.ipynb_checkpoints/`, `.DS_Store`, `._x.png`) are skipped: they are
  never images of a class.
- A link (symlink) is followed only when it stays inside the dataset's folder and does not point
  back at a folder above it: a class folder linking to its parent would otherwise make a class
  of every image, and a loop would never end. Either one ends in one line naming the link.
- A name that is not valid UTF-8, or a folder that cannot be listed, ends in one line naming it
  (TensorFlow could not open the first, and would stop training on it).
"""

from __future__ import annotations

import os
from pathlib import Path

from llexp.errors import LlexpError

SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif")


def hidden(name: str) -> bool:
    return name.startswith(".")


def check_name(path: Path) -> None:
    """One line when `path`'s name is not valid UTF-8 (Python keeps such bytes as surrogates)."""
    try:
        path.name.encode("utf-8")
    except UnicodeEncodeError:
        shown = ascii(os.fsencode(path.name))
        raise LlexpError(
            f"dataset.path: {ascii(str(path.parent))}/{shown}: the name is not valid UTF-8; "
            "rename it (e.g. with convmv) or move it out of the folder"
        ) from None


def check_link(path: Path, root: Path) -> None:
    """One line when the link `path` leads out of `root` or back to a folder above it."""
    target, parent = path.resolve(), path.parent.resolve()
    if target.is_dir() and (target == parent or target in parent.parents):
        raise LlexpError(
            f"dataset.path: {path} links to {target}, a folder above it (a loop); remove the link"
        )
    if not target.is_relative_to(root):
        raise LlexpError(
            f"dataset.path: {path} links to {target}, outside dataset.path={root}; "
            "copy the files in, or point dataset.path at a folder that holds them"
        )


def entries(folder: Path, root: Path) -> list[os.DirEntry]:
    """The visible entries of `folder`, sorted, each name readable and each link safe."""
    try:
        with os.scandir(folder) as found:
            items = sorted((e for e in found if not hidden(e.name)), key=lambda e: e.name)
    except OSError as error:
        raise LlexpError(
            f"dataset.path: cannot list {folder} ({error.strerror or error}); check its permissions"
        ) from None
    for entry in items:
        path = Path(entry.path)
        check_name(path)
        if entry.is_symlink():
            check_link(path, root)
    return items


def subfolders(folder: Path, root: Path) -> list[Path]:
    """The visible subfolders of `folder` (links inside `root` included), sorted."""
    return [Path(e.path) for e in entries(folder, root) if e.is_dir()]


def images(folder: Path, root: Path, first_only: bool = False, seen=None) -> list[Path]:
    """The image files under `folder`, at any depth, by suffix, sorted; with `first_only`, at
    most one (enough to tell whether a class folder holds any)."""
    seen = set() if seen is None else seen
    real = folder.resolve()
    if real in seen:  # links between sibling folders that lead round in a circle
        raise LlexpError(f"dataset.path: {folder} is {real} again, reached through links (a loop)")
    seen.add(real)
    found = []
    for entry in entries(folder, root):
        path = Path(entry.path)
        if entry.is_dir():
            found += images(path, root, first_only, seen)
        elif path.suffix.lower() in SUFFIXES:
            found.append(path)
        if first_only and found:
            return found[:1]
    return found
