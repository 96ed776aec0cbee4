"""Every experiment preset composes and trains one step under debug=tiny; search presets are
multiruns by themselves. The keras.datasets a preset names are given as tiny files in the real
formats (no network here)."""

import gzip
from pathlib import Path

import numpy as np
import pytest
from hydra import compose, initialize_config_module
from hydra.types import RunMode

import llexp
from llexp.api import compose as llexp_compose
from llexp.runner import run

from helpers import keras_downloads

CONF = Path(llexp.__file__).parent.parent / "conf"
PRESETS = sorted(p.stem for p in (CONF / "experiment").glob("*.yaml"))
SEARCHES = sorted(p.stem for p in (CONF / "hparams_search").glob("*.yaml"))


@pytest.fixture
def keras_datasets(tmp_path, monkeypatch):
    """mnist, fashion_mnist and cifar10 as small files in keras.datasets' own formats."""
    rng = np.random.default_rng(0)
    n = 100
    labels = (np.arange(n) % 10).astype("uint8")
    # mnist.npz: keras checks its hash, so its get_file is pointed at our file (as test_data does).
    mnist = tmp_path / "mnist.npz"
    images = rng.integers(0, 256, (n, 28, 28), dtype="uint8")
    np.savez(mnist, x_train=images, y_train=labels, x_test=images[:20], y_test=labels[:20])
    keras_downloads(monkeypatch, "datasets.mnist", lambda *a, **k: str(mnist))
    # fashion-mnist: its four idx.gz files (Keras reads $KERAS_HOME once, on import: so its
    # get_file is pointed at them too).
    folder = tmp_path / "fashion-mnist"
    folder.mkdir()
    for name, header, payload in [
        ("train-labels-idx1-ubyte.gz", 8, labels),
        ("train-images-idx3-ubyte.gz", 16, images),
        ("t10k-labels-idx1-ubyte.gz", 8, labels),
        ("t10k-images-idx3-ubyte.gz", 16, images),
    ]:
        with gzip.open(folder / name, "wb") as f:
            f.write(bytes(header) + payload.tobytes())
    keras_downloads(monkeypatch, "datasets.fashion_mnist", lambda fname, **k: str(folder / fname))
    # cifar10's loader fills fixed arrays of 50,000 images; tests/test_data.py reads its real
    # pickled batches once. Here: its load_data's own output format, small.
    rgb = rng.integers(0, 256, (n, 32, 32, 3), dtype="uint8")
    cifar = (rgb, labels[:, None]), (rgb[:20], labels[:20, None])
    monkeypatch.setattr("keras.datasets.cifar10.load_data", lambda: cifar)
    return tmp_path


def preset(name: str, *overrides: str):
    # ImageNet weights cannot be downloaded here: the fine-tuning preset runs on random ones.
    offline = ["model.weights=null"] if name == "cifar10_vgg16_finetune" else []
    return llexp_compose(f"experiment={name}", "debug=tiny", *offline, *overrides)


def test_there_is_a_preset_for_each_thing_the_seeds_do():
    assert {
        "mnist_mlp",
        "mnist_cnn",
        "fashion_mnist_cnn",
        "cifar10_vgg16",
        "cifar10_vgg16_finetune",
        "cifar10_autoencoder",
        "cifar10_encoder_classifier",
        "mnist_flexible_autoencoder",
        "cifar10_stacked_autoencoder",
        "cifar10_stacked_classifier",
    } <= set(PRESETS)


@pytest.mark.parametrize("name", PRESETS)
def test_every_preset_is_global_and_commented(name):
    text = (CONF / "experiment" / f"{name}.yaml").read_text()
    assert text.startswith("# @package _global_\n")
    assert f"experiment={name}" in text  # says how to run it
    assert "seed" not in text.lower()  # in the project's own words


# The presets with the larger families (vgg16, autoencoders) take 20-60 s each: the slow tier.
SLOW_PRESETS = {
    "cifar10_vgg16",
    "cifar10_vgg16_finetune",
    "cifar10_encoder_classifier",
    "cifar10_autoencoder",
    "mnist_flexible_autoencoder",
}


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW_PRESETS else n for n in PRESETS]
)
def test_every_preset_trains_one_step_under_debug_tiny(name, keras_datasets):
    extra = []
    if name in ("cifar10_encoder_classifier", "cifar10_stacked_classifier"):
        # needs an autoencoder run: train that preset first
        run(preset("cifar10_autoencoder"), keras_datasets / "autoencoder")
        extra = [f"model.encoder_from={keras_datasets / 'autoencoder'}"]
    cfg = preset(name, *extra)
    assert cfg.trainer.epochs == 1 and cfg.dataset.subset == 64  # debug=tiny applied last
    result = run(cfg, keras_datasets / "run")
    assert result.metrics["status"] == "completed" and result.metrics["epochs"] == 1
    assert (keras_datasets / "run" / "model.weights.h5").is_file()


def test_debug_tiny_shrinks_the_model_of_a_preset():
    cfg = preset("cifar10_vgg16")
    assert cfg.model.width == 4 and cfg.model.batch_norm  # the preset's own choices survive
    assert cfg.optimizer.momentum == 0.9


@pytest.mark.parametrize("name", SEARCHES)
def test_search_presets_are_multiruns_by_themselves(name):
    with initialize_config_module("llexp.conf", version_base="1.3"):
        cfg = compose("config", [f"hparams_search={name}"], return_hydra_config=True)
    assert cfg.hydra.mode == RunMode.MULTIRUN
    assert cfg.hydra.sweeper.params  # it searches something


def test_autoencoder_search_covers_the_seeds_axes():
    with initialize_config_module("llexp.conf", version_base="1.3"):
        cfg = compose("config", ["hparams_search=autoencoder_optuna"], return_hydra_config=True)
    params = cfg.hydra.sweeper.params
    assert params["model.kernel_size"] == "choice(3, 5, 7)"
    assert params["optimizer"] == "choice(sgd, adam, rmsprop)"
    assert cfg.model._target_ == "llexp.models.Autoencoder" and cfg.objective == "val_loss"
