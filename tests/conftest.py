"""Shared fixtures: configs composed in-process and tiny data, so each test runs in seconds."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from llexp.api import compose

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


@pytest.fixture(autouse=True)
def fresh_dataset_cache():
    """Each test decodes its own data: the process-wide cache must not make tests order-bound."""
    from llexp import data

    data._cache.clear()
    yield
    data._cache.clear()


@pytest.fixture
def tiny_cfg():
    """Composes the tiny config plus any extra overrides."""

    def make(*overrides: str):
        return compose(*TINY, *overrides)

    return make


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


@pytest.fixture(scope="session")
def autoencoder_run(tmp_path_factory):
    """The folder of a finished tiny autoencoder run on digits (8x8x1 -> a 4x4x4 code)."""
    from llexp.runner import run

    folder = tmp_path_factory.mktemp("autoencoder") / "run"
    ae = ["model=autoencoder", "model.width=4", "model.depth=1", "model.visualization_size=2"]
    run(compose(*[o for o in TINY if not o.startswith("model.")], *ae), folder)
    return folder


@pytest.fixture
def npz_file(tmp_path):
    return write_npz(tmp_path / "tiny.npz")


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
