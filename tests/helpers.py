"""Plain helpers the tests share: the tiny config, data files in real formats, the real command.

Imported as `from helpers import ...` (pytest puts this folder on the path); fixtures live in
conftest.py, which no test imports.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np

# The smallest real run: 8x8 digits, a width-4 LeNet, one epoch, no progress bar.
TINY = [
    "dataset=digits",
    "dataset.subset=300",
    "model.width=4",
    "model.dense_units=8",
    "trainer.epochs=1",
    "trainer.batch_size=64",
    "trainer.verbose=0",
]

TINY_AE = [
    "model=autoencoder",
    "dataset=digits",
    "dataset.subset=300",
    "model.width=4",
    "model.visualization_size=3",
    "trainer.epochs=1",
    "trainer.batch_size=64",
    "trainer.verbose=0",
]

NO_LOGGING = ["hydra/job_logging=none", "hydra/hydra_logging=none"]


def write_npz(path, shape=(12, 12), n_train=60, n_test=20, num_classes=3, dtype="uint8", seed=0):
    """Writes an .npz in llexp's format with learnable classes (class k is brighter)."""
    rng = np.random.default_rng(seed)

    def part(n):
        y = np.arange(n) % num_classes
        x = rng.random((n, *shape)) * 0.3 + (y / num_classes).reshape(-1, *[1] * len(shape))
        x = np.clip(x, 0, 1)
        return ((x * 255).astype("uint8") if dtype == "uint8" else x.astype(dtype)), y

    (x_train, y_train), (x_test, y_test) = part(n_train), part(n_test)
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    return path


def assert_drawn(path, min_bytes=5_000):
    """A figure file that exists and shows something: not tiny, and not one flat colour."""
    from matplotlib.image import imread

    assert path.is_file(), f"{path.name} was not written"
    assert path.stat().st_size > min_bytes, f"{path.name} is only {path.stat().st_size} bytes"
    pixels = imread(path)[..., :3]
    assert pixels.var() > 1e-3, f"{path.name} is blank"


def run_llexp(*args: str, cwd, timeout: int = 300) -> subprocess.CompletedProcess:
    """Runs the real command line `python -m llexp ARGS` in `cwd` and captures its output."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run(
        [sys.executable, "-m", "llexp", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def write_image_folder(root, classes=3, per_class=8, size=(8, 8), mode="RGB", split=False, seed=0):
    """Writes PNGs into ROOT/<class>/ (or ROOT/train/<class>/ and ROOT/test/<class>/ with
    `split`); class k is brighter than class k-1, so a tiny model can learn them."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    names = [f"class_{chr(ord('a') + k)}" for k in range(classes)]
    parts = {"train": per_class, "test": max(2, per_class // 2)} if split else {"": per_class}
    for part, count in parts.items():
        for k, name in enumerate(names):
            folder = root / part / name if part else root / name
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(count):
                channels = 3 if mode == "RGB" else 1
                pixels = rng.random((*size, channels)) * 0.3 + k / classes
                pixels = (np.clip(pixels, 0, 1) * 255).astype("uint8")
                image = Image.fromarray(pixels if channels == 3 else pixels[..., 0], mode=mode)
                image.save(folder / f"img{i:03d}.png")
    return root, names


def run_main(argv: list[str]) -> int:
    from llexp.__main__ import main

    old = sys.argv
    sys.argv = ["llexp", *argv]
    try:
        return main()
    except SystemExit as stop:
        return stop.code if isinstance(stop.code, int) else 1
    finally:
        sys.argv = old


def make_run(folder, overrides, metrics=None, history=None, png=True):
    """A run folder as `python -m llexp` leaves it (only the files the review reads)."""
    (folder / ".hydra").mkdir(parents=True)
    (folder / ".hydra" / "overrides.yaml").write_text("".join(f"- {o}\n" for o in overrides))
    (folder / ".hydra" / "config.yaml").write_text("seed: 42\n")
    if metrics is not None:
        (folder / "metrics.json").write_text(json.dumps(metrics))
    if history is not None:
        lines = ["epoch,accuracy,loss,val_accuracy,val_loss"]
        lines += [f"{i},{a},{1 - a},{a},{1 - a}" for i, a in enumerate(history)]
        (folder / "history.csv").write_text("\n".join(lines) + "\n")
    if png:
        from llexp.figures import save_figure, subplots

        fig, ax = subplots((2, 2))
        ax.plot([0, 1], [0, 1])
        save_figure(fig, folder / "history.png")
    return folder


def completed(acc, params):
    return {
        "status": "completed",
        "val_accuracy": acc,
        "val_loss": 1 - acc,
        "test_accuracy": acc - 0.01,
        "test_loss": 1.01 - acc,
        "epochs": 2,
        "params": params,
        "train_seconds": 1.5,
        "versions": {"llexp": "0.1.0"},
        "config": {"seed": 42},
    }


def keras_downloads(monkeypatch, module: str, get_file) -> None:
    """Makes the Keras module `module` (`datasets.mnist`, `applications.vgg16.file_utils`) call
    `get_file` instead of downloading: tests give it local files in the real formats, or fail
    as an offline machine does.

    Keras's loaders call the `get_file` they imported under `keras.src` and take no path of
    their own, so this is the tests' one reach into `keras.src` (a moved module fails here).
    """
    monkeypatch.setattr(f"keras.src.{module}.get_file", get_file)
