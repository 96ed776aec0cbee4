"""The seed projects' Python functions, running the same code as the command line."""

from __future__ import annotations

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
    """`"digits"` -> `dataset=digits`; a path to an .npz -> `dataset=npz dataset.path=...`."""
    if dataset.endswith(".npz"):
        return ["dataset=npz", f"dataset.path={Path(dataset).expanduser().resolve()}"]
    return [f"dataset={dataset}"]


def make_lenet_model(
    dataset: str = "mnist", width: int = 32, depth: int = 2, optimizer: str = "adam", **model_kwargs
):
    """A compiled LeNet-like classifier for a dataset's image shape and class count.

    Args:
        dataset: a dataset config name (mnist, fashion_mnist, cifar10, digits) or an .npz path.
        width: filters of the first conv layer.
        depth: number of conv blocks.
        optimizer: an optimizer config name (adam, sgd, rmsprop).
        **model_kwargs: any other `conf/model/lenet.yaml` key (dense_units=128, dropout=0.5, ...).

    Returns:
        A `keras.Model` compiled with its loss, the optimizer and accuracy as metric.
    """
    overrides = [
        *dataset_overrides(dataset),
        "model=lenet",
        f"model.width={width}",
        f"model.depth={depth}",
        f"optimizer={optimizer}",
        *(f"model.{k}={v}" for k, v in model_kwargs.items()),
    ]
    cfg = compose(*overrides)
    family = instantiate(cfg.model)
    model = family.build(instantiate(cfg.dataset).input_shape)
    model.compile(
        optimizer=instantiate(cfg.optimizer), loss=family.loss(), metrics=family.metrics()
    )
    return model


def fit_model_on(
    dataset: str = "mnist",
    epochs: int = 10,
    batch_size: int = 128,
    out_dir: str | Path = "outputs/api",
    width: int = 32,
    depth: int = 2,
    overrides: tuple[str, ...] = (),
):
    """Creates a LeNet-like model, trains it on `dataset` and writes the run folder to `out_dir`.

    Args:
        dataset: a dataset config name or an .npz path (see `make_lenet_model`).
        epochs: training epochs.
        batch_size: images per step.
        out_dir: the run folder to write (model, weights, history, metrics, figures).
        width, depth: the LeNet's first-layer filters and number of blocks.
        overrides: any further command-line overrides, e.g. `("trainer=tape", "seed=1")`.

    Returns:
        The history: a dict from each key (loss, accuracy, val_loss, ...) to its per-epoch values.
    """
    from llexp.run import run

    cfg = compose(
        *dataset_overrides(dataset),
        "model=lenet",
        f"model.width={width}",
        f"model.depth={depth}",
        f"trainer.epochs={epochs}",
        f"trainer.batch_size={batch_size}",
        *overrides,
    )
    return run(cfg, out_dir).history
