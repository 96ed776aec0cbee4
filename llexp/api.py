"""Python functions for notebooks and scripts, running the same code as the command line."""

from __future__ import annotations

import json
from pathlib import Path

from hydra import compose as hydra_compose
from hydra import initialize_config_module
from omegaconf import DictConfig

from llexp.errors import instantiate


def compose(*overrides: str) -> DictConfig:
    """The config `python -m llexp OVERRIDES...` would run, e.g. `compose("dataset=digits")`."""
    with initialize_config_module("llexp.conf", version_base="1.3"):
        return hydra_compose("config", overrides=list(overrides))


def dataset_overrides(dataset: str) -> list[str]:
    """`"digits"` -> `dataset=digits`; a path to an .npz -> `dataset=npz dataset.path=...`; a
    folder of class subfolders of images -> `dataset=folder dataset.path=...`."""
    path = Path(dataset).expanduser()
    if dataset.endswith(".npz"):
        return ["dataset=npz", f"dataset.path={path.resolve()}"]
    if path.is_dir():
        return ["dataset=folder", f"dataset.path={path.resolve()}"]
    return [f"dataset={dataset}"]


def model_overrides(model: str, **values) -> list[str]:
    """`model=NAME` plus `model.KEY=VALUE` overrides; values are written as JSON, which Hydra's
    override grammar reads back (None -> null, True -> true, [64, 16] -> a list)."""
    return [f"model={model}", *(f"model.{k}={json.dumps(v)}" for k, v in values.items())]


def compiled_model(dataset: str, model: str, optimizer: str, **model_kwargs):
    """The `model` family built for `dataset`'s images and compiled with its loss and metrics."""
    cfg = compose(
        *dataset_overrides(dataset),
        *model_overrides(model, **model_kwargs),
        f"optimizer={optimizer}",
    )
    family = instantiate(cfg.model)
    keras_model = family.build(instantiate(cfg.dataset).input_shape)
    keras_model.compile(
        optimizer=instantiate(cfg.optimizer), loss=family.loss(), metrics=family.metrics()
    )
    return keras_model


def fit_and_save(
    dataset: str, model: list[str], epochs: int, batch_size: int | None, out_dir, overrides
):
    """Composes the CLI's config for `dataset` and `model` overrides, runs it into `out_dir`.

    A `batch_size` of None keeps the dataset's own (`dataset.batch_size`)."""
    from llexp.runner import run

    batch = [] if batch_size is None else [f"trainer.batch_size={batch_size}"]
    cfg = compose(
        *dataset_overrides(dataset), *model, f"trainer.epochs={epochs}", *batch, *overrides
    )
    return run(cfg, out_dir).history


def make_lenet_model(
    dataset: str = "mnist", width: int = 32, depth: int = 2, optimizer: str = "adam", **model_kwargs
):
    """A compiled LeNet-like classifier for a dataset's image shape and class count.

    Args:
        dataset: a dataset config name (mnist, cifar10, cifar100, digits, ...), an .npz path or
            a folder of class subfolders of images.
        width: filters of the first conv layer.
        depth: number of conv blocks.
        optimizer: an optimizer config name (adam, sgd, rmsprop).
        **model_kwargs: any other `conf/model/lenet.yaml` key (dense_units=128, dropout=0.5, ...).

    Returns:
        A `keras.Model` compiled with its loss, the optimizer and accuracy as metric.
    """
    return compiled_model(dataset, "lenet", optimizer, width=width, depth=depth, **model_kwargs)


def make_autoencoder_model(
    dataset: str = "mnist", depth: int = 2, optimizer: str = "adam", **model_kwargs
):
    """A compiled convolutional autoencoder for a dataset's image shape and channels.

    Args:
        dataset: a dataset config name (mnist, cifar10, cifar100, digits, ...), an .npz path or
            a folder of class subfolders of images.
        depth: number of encoder blocks (image sides must be divisible by 2**depth).
        optimizer: an optimizer config name (adam, sgd, rmsprop).
        **model_kwargs: any other `conf/model/autoencoder.yaml` key (width=16,
            bottleneck=[64, 16], loss="binary_crossentropy", ...).

    Returns:
        A `keras.Model` from images to their reconstructions, compiled with its loss (mse by
        default) and mse as metric; its layer "embedding" is the encoder's output.
    """
    return compiled_model(dataset, "autoencoder", optimizer, depth=depth, **model_kwargs)


def fit_model_on(
    dataset: str = "mnist",
    epochs: int = 10,
    batch_size: int | None = None,
    out_dir: str | Path = "outputs/api",
    width: int = 32,
    depth: int = 2,
    overrides: tuple[str, ...] = (),
):
    """Creates a LeNet-like model, trains it on `dataset` and writes the run folder to `out_dir`.

    Args:
        dataset: a dataset config name, an .npz path or an image folder (see `make_lenet_model`).
        epochs: training epochs.
        batch_size: images per step; None for the dataset's (`dataset.batch_size`).
        out_dir: the run folder to write (model, weights, history, metrics, figures).
        width, depth: the LeNet's first-layer filters and number of blocks.
        overrides: any further command-line overrides, e.g. `("trainer=tape", "seed=1")`.

    Returns:
        The history: a dict from each key (loss, accuracy, val_loss, ...) to its per-epoch values.
    """
    model = model_overrides("lenet", width=width, depth=depth)
    return fit_and_save(dataset, model, epochs, batch_size, out_dir, overrides)


def fit_model_cifar10(
    dataset: str = "cifar10",
    n_epochs: int = 10,
    batch_size: int | None = None,
    visualization_size: int = 8,
    verbose: int = 1,
    out_dir: str | Path = "outputs/api",
    overrides: tuple[str, ...] = (),
):
    """Trains a convolutional autoencoder on `dataset` (any dataset, MNIST or not) and
    writes its run folder to `out_dir`, reconstructions.png and the encoder included.

    Args:
        dataset: a dataset config name, an .npz path or an image folder (see
            `make_autoencoder_model`).
        n_epochs: training epochs.
        batch_size: images per step; None for the dataset's (`dataset.batch_size`).
        visualization_size: reconstructions.png shows `visualization_size**2` test images.
        verbose: 0 silent, 1 progress bar, 2 one line per epoch.
        out_dir: the run folder to write.
        overrides: any further command-line overrides, e.g. `("model.bottleneck=[64,16]",)`.

    Returns:
        The history: a dict from each key (loss, mse, val_loss, val_mse) to its per-epoch values.
    """
    model = model_overrides("autoencoder", visualization_size=visualization_size)
    overrides = (f"trainer.verbose={verbose}", *overrides)
    return fit_and_save(dataset, model, n_epochs, batch_size, out_dir, overrides)
