"""Experiment trackers (`logger=mlflow | tensorboard | wandb`): each run reports to one.

A tracker is configured in `conf/logger/` and instantiated by `tracking`, which `llexp.run` wraps
around a run. It opens its run when training starts (`start` returns the Keras callbacks that both
trainers drive), is told the final metrics (`finish`) and closes its run, as failed when the run
raised. `PrepareStore` creates a tracker's store once in the launching process of a sweep, before
parallel jobs could race to create it.

Nothing here imports a tracker's package or TensorFlow until a run needs it.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from llexp.errors import LlexpError, install_command, instantiate

log = logging.getLogger("llexp")


class Logger:
    """The tracker interface, and the tracker of `logger: null`, which records nothing.

    Subclasses override `prepare`, `start`, `finish` and `close`.
    """

    def prepare(self) -> None:
        """Creates the tracker's store if it does not exist (once per sweep, before its jobs)."""

    def start(self, cfg: DictConfig, out_dir: Path) -> list:
        """Opens this run in the tracker; returns the Keras callbacks that log each epoch."""
        return []

    def finish(self, metrics: dict, out_dir: Path) -> None:
        """Records the final metrics (those of metrics.json) and the run folder's files."""

    def close(self, failed: bool) -> None:
        """Ends the tracker's run, as failed when the run raised."""


def require(module: str, logger: str) -> None:
    """One line, before any data loads, when a tracker's package is not installed."""
    if importlib.util.find_spec(module) is None:
        raise LlexpError(
            f"logger={logger} needs the {module} package: "
            f"{install_command(logger)} (or pip install {module})"
        )


def flatten(config: dict, prefix: str = "") -> dict[str, bool | int | float | str]:
    """A nested config as `{"model.width": 16, ...}`; lists and None as their text."""
    flat = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{name}."))
        elif isinstance(value, (bool, int, float, str)):
            flat[name] = value
        else:
            flat[name] = "null" if value is None else str(value)
    return flat


def final_metrics(metrics: dict) -> dict[str, float]:
    """The numbers of metrics.json (test_*, val_*, epochs, params, train_seconds, ...)."""
    return {
        k: float(v)
        for k, v in metrics.items()
        if isinstance(v, (int, float)) and not isinstance(v, bool)
    }


def make(cfg: DictConfig) -> Logger:
    """The configured tracker (checks its package is installed), or one that records nothing."""
    node = cfg.get("logger")
    return instantiate(node) if node else Logger()


@contextmanager
def tracking(cfg: DictConfig, out_dir: Path) -> Iterator[Logger]:
    """The run's tracker; its run is closed at the end, as failed when the body raised.

    Example:
        >>> with tracking(cfg, out_dir) as tracker:
        ...     trainer.train(..., callbacks=tracker.start(cfg, out_dir))
        ...     tracker.finish(metrics, out_dir)
    """
    tracker = make(cfg)
    try:
        yield tracker
    except BaseException:
        tracker.close(failed=True)
        raise
    tracker.close(failed=False)


class PrepareStore(Callback):
    """Hydra callback: creates the tracker's store in the launching process of a multirun.

    A fresh sqlite store used for the first time by several jobs at once fails; created here, the
    jobs find it made. A tracker that is not installed ends the sweep with one line before any job
    starts.
    """

    def on_multirun_start(self, config: DictConfig, **kwargs) -> None:
        if not config.get("logger"):
            return
        try:
            make(OmegaConf.masked_copy(config, ["logger"])).prepare()
        except LlexpError as error:
            log.error("%s", error)
            raise SystemExit(2) from None
