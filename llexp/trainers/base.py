"""What every trainer shares: its settings, the callbacks, resuming, and the shape of `train`."""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Callable
from pathlib import Path

from llexp import schema
from llexp.callbacks import check_class_weight
from llexp.distribute import check_strategy
from llexp.errors import LlexpError, install_command
from llexp.lazy import lazy

keras = lazy("keras")
state = lazy("llexp.trainers.state")  # Keras callbacks: imported with Keras, when training starts

log = logging.getLogger(__name__)


class BaseTrainer:
    """Settings, callbacks and the training protocol shared by `trainer=fit` and `trainer=tape`.

    `train` is the same for every trainer, as `Model.fit` is in Keras: it makes the callbacks,
    continues a resumed run, and returns the history of all its epochs. A trainer fills in two
    hooks, as a Keras model fills in `train_step`: `compile` (make the model ready to train) and
    `fit` (run the epochs, driving the callbacks where `Model.fit` calls them).

    Args:
        epochs: passes over the training set.
        batch_size: images per step.
        verbose: 0 silent, 1 progress bar, 2 one line per epoch.
        early_stopping: stop once `monitor` has not improved for `patience` epochs.
        patience: epochs without improvement that early stopping tolerates.
        monitor: the history key watched by early stopping and the best checkpoint.
        restore_best: with early stopping, end with the weights of the best epoch.
        checkpoint_best: keep the best epoch's weights in `best.weights.h5`.
        tensorboard: write TensorBoard logs into `<run>/tensorboard`.
        jit_compile: XLA-compile the train step: true, false or "auto" (Keras's rule: on when a
            GPU is visible and the model supports it).
        strategy: `null` (one device) or `mirrored` (data-parallel on every visible GPU, or on
            the logical CPUs of `resources.cpu_devices`); applied by `llexp.run` around the whole
            run (`llexp.distribute`).
        class_weight: `null`, `balanced` (class c weighs N / (K * count_c) in the training
            loss) or a mapping of class (index or name) to weight; `llexp.runner` turns it into
            the per-class weights `train` receives.
    """

    def __init__(
        self,
        epochs: int = 10,
        batch_size: int = 128,
        verbose: int = 1,
        early_stopping: bool = False,
        patience: int = 3,
        monitor: str = "val_loss",
        restore_best: bool = False,
        checkpoint_best: bool = True,
        tensorboard: bool = False,
        jit_compile: bool | str = "auto",
        strategy: str | None = None,
        class_weight=None,
    ):
        schema.check_arguments(schema.train.TrainerConfig, "trainer.", locals())
        self.epochs, self.batch_size, self.verbose = epochs, batch_size, verbose
        self.early_stopping, self.patience, self.monitor = early_stopping, patience, monitor
        self.restore_best, self.checkpoint_best = restore_best, checkpoint_best
        if tensorboard and not tensorboard_installed():
            raise LlexpError(
                "trainer.tensorboard=true needs the tensorboard package: "
                f"{install_command('tensorboard')} (or pip install tensorboard)"
            )
        self.tensorboard = tensorboard
        self.jit_compile = jit_compile
        self.strategy = check_strategy(strategy)
        check_class_weight(class_weight)
        self.class_weight = class_weight

    def check_monitor(self, metric_names: list[str]) -> None:
        """Fails with one line, before any data loads, when `monitor` names no history key."""
        keys = ["loss", *metric_names]
        keys += [f"val_{key}" for key in keys]
        if self.monitor not in keys:
            raise LlexpError(
                f"trainer.monitor={self.monitor} is not in this model's history; "
                f"use one of {', '.join(keys)}"
            )

    def callbacks(self, out_dir: Path, has_validation: bool) -> list[keras.callbacks.Callback]:
        """The trainer's own callbacks, in the order Keras calls them."""
        monitor = self.monitor
        if monitor.startswith("val_") and not has_validation:
            monitor = monitor.removeprefix("val_")
            log.warning("no validation split (dataset.val_split=0): monitoring %s", monitor)
        callbacks = [
            state.LearningRateLogger(),  # first, so the CSV history and History see its value
            state.HistoryCSV(
                out_dir / "history.csv"
            ),  # rewritten atomically, resumed runs included
            keras.callbacks.TerminateOnNaN(),
        ]
        if self.early_stopping:
            callbacks.append(
                state.EarlyStopping(  # llexp's own: its state is resumed with the run
                    monitor=monitor,
                    patience=self.patience,
                    restore_best_weights=self.restore_best,
                    verbose=min(self.verbose, 1),
                )
            )
        if self.checkpoint_best:
            callbacks.append(state.BestCheckpoint(out_dir / "best.weights.h5", monitor))
        if self.tensorboard:
            callbacks.append(keras.callbacks.TensorBoard(log_dir=str(out_dir / "tensorboard")))
        return callbacks

    def train(
        self,
        model,
        loss,
        metrics,
        optimizer,
        train,
        val,
        out_dir: Path,
        steps_per_epoch: int,
        callbacks=(),
        resume: state.ResumeState | None = None,
        on_epoch_saved: Callable[[int], None] | None = None,
        class_weight: dict[int, float] | None = None,
    ) -> dict[str, list[float]]:
        """Trains `model`; returns the history of every epoch, a resumed run's earlier ones
        included.

        Args:
            train: `tf.data` batches of `(x, target)` for the epochs left to train, one after
                another (`Splits.train_batches`), `steps_per_epoch` batches to an epoch.
            val: `tf.data` batches to validate on after each epoch, or None.
            out_dir: the run folder: history.csv, best.weights.h5 and resume.npz go there.
            callbacks: added after the trainer's own (the config's `callbacks`, an experiment
                tracker's).
            resume: the state of a run to continue (`ResumeState.load`): training starts at the
                epoch after its last finished one, with its weights, optimizer and callbacks.
            on_epoch_saved: called with the number of epochs finished, after each epoch's
                resumable state is saved.
            class_weight: each class index's weight in the training loss, or None.
        """
        self.compile(model, loss, metrics, optimizer)
        own = self.callbacks(out_dir, val is not None)
        # Last: it saves the others' state after their epoch end, restores it after their reset.
        run_state = state.RunState(out_dir, own, resume, on_epoch_saved)
        if resume is not None and resume.training_done(self.epochs):
            # Stopped while writing its results: restore the last state, nothing left to train.
            run_state.set_model(model)
            run_state.on_train_begin()
        else:
            # The given callbacks after the trainer's own, so they see the logs those added
            # (learning_rate).
            callbacks = [*own, *callbacks, run_state]
            initial_epoch = resume.epoch if resume else 0
            self.fit(model, train, val, steps_per_epoch, callbacks, initial_epoch, class_weight)
        return run_state.history

    def compile(self, model, loss, metrics, optimizer) -> None:
        """Hook: makes `model` ready to train with `loss`, `metrics` and `optimizer` (sets
        `model.optimizer`, which the callbacks read)."""
        raise NotImplementedError

    def fit(
        self,
        model,
        train,
        val,
        steps_per_epoch: int,
        callbacks: list,
        initial_epoch: int,
        class_weight: dict[int, float] | None = None,
    ) -> None:
        """Hook: trains epochs `initial_epoch` to `epochs` on `train`, validating on `val`,
        calling `callbacks` where `Model.fit` calls them (their logs are the history), the
        training loss weighted by `class_weight` (as `Model.fit`'s) when given."""
        raise NotImplementedError


def tensorboard_installed() -> bool:
    """keras.callbacks.TensorBoard writes through tf.summary, implemented by `tensorboard`."""
    return importlib.util.find_spec("tensorboard") is not None
