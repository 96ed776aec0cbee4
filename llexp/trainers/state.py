"""What a run leaves after every epoch so that it can be continued: `resume.npz`, history, best.

Both trainers drive the same three callbacks, so a `fit` run and a `tape` run resume alike:

- `RunState` writes `resume.npz` at the end of each epoch: the model's variables (weights, batch
  norm statistics, dropout seed state), the optimizer's (step count, moments), the epoch, the
  history so far and the early-stopping and best-checkpoint state. On resume it puts them back
  after the other callbacks have reset themselves in `on_train_begin`.
- `HistoryCSV` rewrites `history.csv` with every epoch so far (restored ones included, each once).
- `BestCheckpoint` keeps the best epoch's weights in `best.weights.h5`, never NaN ones.

Every file goes through `llexp.record.files` (temporary name, fsync, rename), so a kill at any
moment leaves the previous complete file, never a truncated one. Arrays are stored in an .npz
without pickles (`allow_pickle=False` on load), the small state as JSON inside it.
"""

from __future__ import annotations

import json
import math
import zipfile
from pathlib import Path

import keras
import numpy as np

from llexp.errors import LlexpError
from llexp.record.files import save_weights, write_csv, write_npz
from llexp.trainers.early_stopping import EarlyStopping, higher_is_better, improves

RESUME_FILE = "resume.npz"


def finite(arrays) -> bool:
    """True when every value of every array is finite."""
    return all(np.isfinite(a).all() for a in arrays if np.issubdtype(a.dtype, np.floating))


class ResumeState:
    """The content of `resume.npz`: `epoch` (epochs finished), `history`, callback `states`."""

    def __init__(self, epoch, history, states, model_vars, optimizer_vars, best_weights):
        self.epoch, self.history, self.states = epoch, history, states
        self.model_vars, self.optimizer_vars = model_vars, optimizer_vars
        self.best_weights = best_weights

    @classmethod
    def load(cls, out_dir: Path) -> ResumeState | None:
        """The state saved in `out_dir`, or None when no epoch finished there."""
        path = Path(out_dir) / RESUME_FILE
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as f:
                meta = json.loads(str(f["meta"]))
                arrays = {k: f[k] for k in f.files if k != "meta"}
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
            raise LlexpError(
                f"{path} cannot be read ({error}); delete it to start the run over"
            ) from None

        def group(prefix, count):
            return [arrays[f"{prefix}{i}"] for i in range(count)]

        return cls(
            meta["epoch"],
            meta["history"],
            meta["states"],
            group("model_", meta["model_vars"]),
            group("optimizer_", meta["optimizer_vars"]),
            group("best_", meta["best_weights"]) if meta["best_weights"] is not None else None,
        )

    def training_done(self, epochs: int) -> bool:
        """True when the run had trained all `epochs`, or early stopping had ended it, and was
        stopped before it could write its results: there is nothing left to train."""
        return self.epoch >= epochs or bool(self.states.get("stopped"))

    def save(self, out_dir: Path) -> None:
        arrays = {f"model_{i}": a for i, a in enumerate(self.model_vars)}
        arrays |= {f"optimizer_{i}": a for i, a in enumerate(self.optimizer_vars)}
        arrays |= {f"best_{i}": a for i, a in enumerate(self.best_weights or [])}
        meta = {
            "epoch": self.epoch,
            "history": self.history,
            "states": self.states,
            "model_vars": len(self.model_vars),
            "optimizer_vars": len(self.optimizer_vars),
            "best_weights": None if self.best_weights is None else len(self.best_weights),
        }
        write_npz(Path(out_dir) / RESUME_FILE, meta=np.array(json.dumps(meta)), **arrays)


def assign(variables, values, what: str) -> None:
    """Puts saved `values` back into `variables`, refusing a state of another model."""
    if len(variables) != len(values) or any(
        tuple(v.shape) != a.shape for v, a in zip(variables, values, strict=False)
    ):
        raise LlexpError(
            f"resume.npz holds a {what} state of another shape than this run's model; "
            "the run folder's config was changed: start a new run instead"
        )
    for variable, value in zip(variables, values, strict=True):
        variable.assign(value)


class RunState(keras.callbacks.Callback):
    """Saves a resumable state every epoch and restores one on `on_train_begin`.

    Must come after the callbacks whose state it keeps (`EarlyStopping`, `BestCheckpoint`,
    `HistoryCSV`) so that it saves them after their `on_epoch_end` and restores them after
    their `on_train_begin` has reset them.

    Args:
        out_dir: the run folder.
        callbacks: the other callbacks of the run (their state is kept).
        resume: the state to continue from, or None to start at epoch 0.
        on_epoch_saved: called with the number of finished epochs after each save (the run
            updates its `metrics.json` status with it).
    """

    def __init__(self, out_dir: Path, callbacks, resume: ResumeState | None, on_epoch_saved=None):
        super().__init__()
        self.out_dir = Path(out_dir)
        self.resume = resume
        self.on_epoch_saved = on_epoch_saved
        self.history: dict[str, list[float]] = dict(resume.history) if resume else {}
        self.early_stopping = next((c for c in callbacks if isinstance(c, EarlyStopping)), None)
        self.stateful = [
            c for c in callbacks if hasattr(c, "get_state") and c is not self.early_stopping
        ]

    def on_train_begin(self, logs=None):
        if self.resume is None:
            return
        optimizer = self.model.optimizer
        if not optimizer.built:
            optimizer.build(self.model.trainable_variables)
        assign(self.model.variables, self.resume.model_vars, "model")
        assign(optimizer.variables, self.resume.optimizer_vars, "optimizer")
        for callback in self.stateful:
            callback.set_state(self.resume.states.get(type(callback).__name__, {}), self.history)
        if self.early_stopping is not None:
            saved = self.resume.states.get("EarlyStopping", {})
            self.early_stopping.set_state(saved, self.history, self.resume.best_weights)

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        for key, value in logs.items():
            self.history.setdefault(key, []).append(float(value))
        model_vars = [keras.ops.convert_to_numpy(v) for v in self.model.variables]
        if not all(math.isfinite(float(v)) for v in logs.values()) or not finite(model_vars):
            return  # a diverged epoch is no state to resume from; the run fails on it
        states = {type(c).__name__: c.get_state() for c in self.stateful}
        best_weights = None
        if self.early_stopping is not None:
            states["EarlyStopping"] = self.early_stopping.get_state()
            if self.early_stopping.best_weights is not None:
                best_weights = [np.asarray(w) for w in self.early_stopping.best_weights]
        optimizer_vars = [keras.ops.convert_to_numpy(v) for v in self.model.optimizer.variables]
        states["stopped"] = bool(self.model.stop_training)  # early stopping ended training
        ResumeState(epoch + 1, self.history, states, model_vars, optimizer_vars, best_weights).save(
            self.out_dir
        )
        if self.on_epoch_saved is not None:
            self.on_epoch_saved(epoch + 1)


class HistoryCSV(keras.callbacks.Callback):
    """`history.csv`, rewritten whole and atomically at every epoch end.

    Same columns as Keras's `CSVLogger` (`epoch`, then the log keys sorted). On resume it starts
    from the restored epochs, so each epoch appears exactly once.
    """

    def __init__(self, path: Path):
        super().__init__()
        self.path = Path(path)
        self.rows: list[dict] = []

    def get_state(self) -> dict:
        return {}

    def set_state(self, state: dict, history: dict[str, list[float]]) -> None:
        count = len(history.get("loss", []))
        self.rows = [{k: v[i] for k, v in history.items()} | {"epoch": i} for i in range(count)]

    def on_train_begin(self, logs=None):
        self.rows = []

    def on_epoch_end(self, epoch, logs=None):
        self.rows.append({"epoch": epoch, **{k: float(v) for k, v in (logs or {}).items()}})
        keys = ["epoch", *sorted({k for row in self.rows for k in row} - {"epoch"})]
        write_csv(self.path, [keys, *([row.get(k, "") for k in keys] for row in self.rows)])


class BestCheckpoint(keras.callbacks.Callback):
    """The weights of the best epoch by `monitor`, in `path`, written atomically, never NaN.

    Args:
        path: a `.weights.h5` file.
        monitor: the history key compared between epochs.
    """

    def __init__(self, path: Path, monitor: str):
        super().__init__()
        self.path, self.monitor = Path(path), monitor
        self.higher_is_better = higher_is_better(monitor)
        self.best: float | None = None

    def get_state(self) -> dict:
        return {"best": self.best}

    def set_state(self, state: dict, history: dict[str, list[float]]) -> None:
        self.best = state.get("best")

    def on_train_begin(self, logs=None):
        self.best = None

    def on_epoch_end(self, epoch, logs=None):
        current = (logs or {}).get(self.monitor)
        if current is None or not math.isfinite(float(current)):
            return
        current = float(current)
        better = improves(current, self.best, self.higher_is_better)
        weights = [keras.ops.convert_to_numpy(w) for w in self.model.weights]
        if better and finite(weights):
            save_weights(self.model, self.path)
            self.best = current


class LearningRateLogger(keras.callbacks.Callback):
    """Adds the optimizer's learning rate at the end of each epoch to the epoch's logs.

    With a schedule the rate changes every step; this is the rate the next step will use, read
    from the optimizer the same way whichever trainer runs (as Keras's ReduceLROnPlateau does).
    """

    def on_epoch_end(self, epoch, logs=None):
        optimizer = getattr(self.model, "optimizer", None)
        if logs is not None and optimizer is not None:
            logs["learning_rate"] = float(keras.ops.convert_to_numpy(optimizer.learning_rate))
