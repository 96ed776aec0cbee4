"""Early stopping whose state llexp owns, so that a resumed run goes on counting where it stopped.

Keras's `EarlyStopping` keeps its count (`wait`, `best`, `best_weights`) in undocumented
attributes that its `on_train_begin` resets; a resumed run would have to reach into them. This
callback stops as Keras's does (with its defaults: `min_delta=0`, no baseline, from epoch 0) and
hands its state over through `get_state` / `set_state`, like llexp's other resumable callbacks.
"""

from __future__ import annotations

import keras  # imported by methods only (`BaseTrainer.callbacks`), as llexp.trainers.state


def higher_is_better(monitor: str) -> bool:
    """Accuracy-like metrics grow, losses and errors shrink (Keras's rule for mode "auto")."""
    return "acc" in monitor or "auc" in monitor


class EarlyStopping(keras.callbacks.Callback):
    """Stops training once `monitor` has not improved for `patience` epochs.

    Args:
        monitor: the history key watched (`val_loss`, `val_accuracy`, ...).
        patience: epochs without improvement tolerated before stopping.
        restore_best_weights: end training with the weights of the best epoch.
        verbose: 1 prints when it stops and when it restores the best weights.

    The resumable state: `get_state()` (`wait`, `best`, `best_epoch`, plain numbers) and
    `best_weights` (arrays, or None), given back by `set_state(state, history, best_weights)`.
    """

    def __init__(self, monitor="val_loss", patience=0, restore_best_weights=False, verbose=0):
        super().__init__()
        self.monitor, self.patience, self.verbose = monitor, patience, verbose
        self.restore_best_weights = restore_best_weights
        self.higher_is_better = higher_is_better(monitor)
        self.reset()

    def reset(self) -> None:
        self.wait, self.best, self.best_epoch, self.stopped_epoch = 0, None, 0, 0
        self.best_weights: list | None = None

    def get_state(self) -> dict:
        best = None if self.best is None else float(self.best)
        return {"wait": self.wait, "best": best, "best_epoch": self.best_epoch}

    def set_state(self, state: dict, history=None, best_weights=None) -> None:
        self.wait = state.get("wait", 0)
        self.best = state.get("best")
        self.best_epoch = state.get("best_epoch", 0)
        self.best_weights = best_weights

    def on_train_begin(self, logs=None):
        self.reset()

    def improved(self, current: float) -> bool:
        return improves(current, self.best, self.higher_is_better)

    def on_epoch_end(self, epoch, logs=None):
        current = (logs or {}).get(self.monitor)
        if current is None:
            return
        current = float(current)
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights, self.best_epoch = self.model.get_weights(), epoch
        self.wait += 1
        if self.improved(current):
            self.best, self.best_epoch, self.wait = current, epoch, 0
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(
                    f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}"
                )
            self.model.set_weights(self.best_weights)


def improves(current: float, best: float | None, higher_is_better: bool) -> bool:
    """Whether `current` beats `best` (None: nothing to beat yet) for a metric of that sense."""
    if best is None:
        return True
    return current > best if higher_is_better else current < best
