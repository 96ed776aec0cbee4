"""`dataset=folder`: a user's own images, one subfolder per class, streamed from disk.

    ROOT/<class>/*.png            split into train, validation and test here (seeded, stratified)
    ROOT/train/<class>/*.png      or split by the folders themselves: train/ with test/,
    ROOT/valid/<class>/*.png      valid/ (or val/), or both; a missing one is split from train/
    ROOT/test/<class>/*.png
    ROOT/*.png                    no class subfolders (also ROOT/train/*.png ...): unlabelled
                                  images, for models that need no labels (the autoencoder)

Instantiating reads the folder names and checks every image file (header and structure, not
its pixels: see `llexp.data.files.read_size`), so an empty folder, a single class, an unreadable,
truncated or corrupt image or images of mixed sizes end in one line before any image is decoded.
Training then reads and decodes the images batch by batch.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from llexp.data.base import Source
from llexp.data.checks import check_size, split, take
from llexp.data.files import class_folders, decoder, image_files, read_size
from llexp.data.pipeline import FilePart, Splits
from llexp.errors import LlexpError, whole

log = logging.getLogger(__name__)

CHANNELS = {"rgb": 3, "grayscale": 1}


VAL_FOLDERS = ("valid", "val")  # the names hand-made datasets give their validation folder


class FolderSource(Source):
    """Images in class subfolders, streamed from disk (see the module docstring for the layout).

    Args:
        path: the root folder.
        num_classes: the number of class subfolders (the config counts them), or None.
        image_size: `[H, W]` every image is resized to; None requires one size throughout.
        color_mode: "rgb" (3 channels) or "grayscale" (1).
        test_split: without `ROOT/test/`, the fraction (or count) of images held out for test.
        cache: keep the decoded images in memory after reading them once.
        class_names: ignored unless given; by default the subfolder names.
        val_split, subset, seed, batch_size, normalize, augment: see `Source`.
    """

    def __init__(
        self,
        path,
        num_classes=None,
        image_size=None,
        color_mode="rgb",
        test_split=0.2,
        cache=False,
        class_names=None,
        **kwargs,
    ):
        root = Path(str(path)).expanduser()
        if not root.is_dir():
            raise LlexpError(f"dataset.path={path}: no such folder; pass ROOT/<class>/*.png")
        if color_mode not in CHANNELS:
            raise LlexpError(f"dataset.color_mode={color_mode!r} must be rgb or grayscale")
        self.root, self.name, self.cache = root, root.name, bool(cache)
        self.test_split = check_size("dataset.test_split", test_split)
        folders = class_folders(root)
        files = {d.name: image_files(d, root) for d in folders}
        files = {name: found for name, found in files.items() if found}
        base = root / "train" if (root / "train").is_dir() else root
        if not files and image_files(base, root):  # images, no class subfolders: no labels
            files = {UNLABELLED: image_files(base, root)}
        if not files:
            raise LlexpError(
                f"dataset.path={path} holds no images in class subfolders or beside them; put "
                "them in ROOT/<class>/*.png (or "
                "ROOT/train/<class>/ beside ROOT/test/<class>/), or in ROOT/*.png for a model "
                "that needs no labels"
            )
        # A classifier needs two classes at least; whether this run has one, `needs_labels`
        # checks once the model is known (an autoencoder trains on a folder without classes).
        self.no_labels = None
        if UNLABELLED in files:
            self.no_labels = f"dataset.path={path} holds images in no class subfolders"
        elif len(files) == 1:
            self.no_labels = f"dataset.path={path} holds one class ({next(iter(files))})"
        names = sorted(files)
        if num_classes is not None and num_classes != len(names):
            raise LlexpError(
                f"dataset.path={path} has {len(names)} classes with images ({', '.join(names)}) "
                f"but dataset.num_classes={num_classes}; leave num_classes to the config"
            )
        super().__init__(len(names), class_names=class_names or names, **kwargs)
        self.train_files = labelled(files, names)
        self.val_files = self.read_split_folder(VAL_FOLDERS, names)
        self.test_files = self.read_split_folder(("test",), names)
        if self.test_files is None and not self.test_split:
            raise LlexpError("dataset.test_split=0 without ROOT/test/: llexp needs test images")
        channels = CHANNELS[color_mode]
        self.size = self.check_sizes(image_size)
        self.input_shape = (*self.size, channels)
        log.info(
            "dataset.path=%s: %d classes, %d images", root, len(names), len(self.train_files[0])
        )

    def read_split_folder(self, candidates: tuple[str, ...], names: list[str]):
        """(paths, labels) of the first of `candidates` beside ROOT/train/ (test/, valid/ or
        val/), with the same classes as train/; None when there is none (split from train)."""
        if not (self.root / "train").is_dir():
            return None
        folder = next((self.root / c for c in candidates if (self.root / c).is_dir()), None)
        if folder is None:
            return None
        if names == [UNLABELLED]:
            files = {UNLABELLED: image_files(folder, self.root)}
        else:
            files = {
                d.name: image_files(d, self.root)
                for d in class_folders(folder)
                if d.name != "train"
            }
        files = {name: found for name, found in files.items() if found}
        unknown = sorted(set(files) - set(names))
        if unknown:
            raise LlexpError(
                f"dataset.path: {folder.name}/ has classes that train/ lacks "
                f"({', '.join(unknown)}); give both the same class subfolders"
            )
        if not files:
            raise LlexpError(f"dataset.path={self.root}: {folder.name}/ holds no images")
        return labelled(files, names)

    def check_sizes(self, image_size) -> tuple[int, int]:
        held = [f[0] for f in (self.val_files, self.test_files) if f is not None]
        paths = [*self.train_files[0], *(p for part in held for p in part)]
        sizes = {}
        for path in paths:  # headers only: every file is checked to be an image
            sizes.setdefault(read_size(Path(path)), path)
        if image_size is not None:
            if len(image_size) != 2:
                raise LlexpError(f"dataset.image_size={list(image_size)} must be [height, width]")
            return tuple(whole("dataset.image_size", int(s), 1) for s in image_size)
        if len(sizes) > 1:
            (a, first), (b, second) = list(sizes.items())[:2]
            raise LlexpError(
                f"dataset.path: images have different sizes ({first} is {a[0]}x{a[1]}, {second} "
                f"is {b[0]}x{b[1]}); set dataset.image_size=[H,W] to resize them all"
            )
        return next(iter(sizes))

    def load(self):
        raise LlexpError(
            f"dataset {self.name} is streamed from its folder; use splits() for its pipelines"
        )

    def splits(self) -> Splits:
        """File-backed splits: nothing is decoded until a pipeline asks for a batch."""
        paths, labels = self.train_files
        if self.test_files is None:
            paths, test_paths, labels, test_labels = split(
                paths, labels, self.test_split, self.seed
            )
        else:
            test_paths, test_labels = self.test_files
        if self.subset:
            paths, labels = take(paths, labels, self.subset, self.seed, "dataset.subset")
        if self.val_files is None:
            paths, val_paths, labels, val_labels = split(paths, labels, self.val_split, self.seed)
        else:
            val_paths, val_labels = self.val_files
        decode = decoder(self.input_shape)
        parts = [
            FilePart(p, y, decode)
            for p, y in ((paths, labels), (val_paths, val_labels), (test_paths, test_labels))
        ]
        if self.cache:
            parts = [part.in_memory() for part in parts]
        return Splits(self.name, self.class_names, self.input_shape, *parts, self.augment)


UNLABELLED = "images"  # the one "class" of a folder without class subfolders


def labelled(files: dict[str, list[Path]], names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(paths, labels) arrays; a class's label is its index among the sorted class names."""
    paths = [str(p) for name in names for p in files.get(name, [])]
    labels = [i for i, name in enumerate(names) for _ in files.get(name, [])]
    return np.array(paths), np.array(labels, dtype="int32")
