"""`TapeLoop`: a training loop written by hand with `tf.GradientTape`, a full peer of `Model.fit`.

`TapeLoop` is the notebook class, also exported as `llexp.Trainer` (the name notebooks give their
own `Trainer(model, loss_function, optimizer)`); `TapeTrainer` (`trainer=tape` on the command
line, in `tape.py`) runs it inside the shared training protocol. The loop has the shape of the
Keras guide "writing a training loop from scratch": compiled train and eval steps around
`tf.GradientTape` and `optimizer.apply` (`TapeSteps`, in `steps.py`), Keras metric objects reset
every epoch, and the callbacks driven through `keras.callbacks.CallbackList` exactly where
`Model.fit` calls them, so early stopping, checkpoints, CSV history, NaN stop, TensorBoard and the
progress bar work unchanged and the history has the same keys and meaning as `fit`'s.
"""

from __future__ import annotations

import sys
from pathlib import Path

from llexp.data import array_splits, batches
from llexp.distribute import distribute
from llexp.lazy import lazy
from llexp.trainers.notebook import Predictions
from llexp.trainers.steps import TapeSteps

keras = lazy("keras")
figures = lazy("llexp.figures")


class TapeLoop(TapeSteps):
    """Trains a Keras model with a `tf.GradientTape` loop.

    The loop only knows a loss, metrics and `(x, y)` pairs, so any model works: a classifier with
    labels, an autoencoder with `y = x`, ...

    The model may be unbuilt (a `keras.Sequential` without an `Input`): it is built on the first
    batch. A second `fit` trains on from where the first stopped and extends the same history.

    Args:
        model: a `keras.Model`.
        loss_function: a `keras.losses.Loss` or its name (`"sparse_categorical_crossentropy"`).
        optimizer: a `keras.optimizers.Optimizer` or its name; its learning rate may be a schedule.
        metrics: Keras metric objects (e.g. `[keras.metrics.SparseCategoricalAccuracy(name=
            "accuracy")]`); their names are the history's keys. None: accuracy for a
            (sparse) categorical cross-entropy loss, nothing else for other losses.
        jit_compile: XLA-compile the steps; `"auto"` decides as `Model.fit` does (on when a GPU
            is visible and the model supports it).
        class_weight: `{class index: weight}` for the training loss, as `Model.fit`'s
            `class_weight` (labels must be class indices; metrics stay unweighted); None for none.

    Example:
        >>> trainer = TapeLoop(model, "sparse_categorical_crossentropy", "adam")
        >>> history = trainer.fit(x_train, y_train, x_val, y_val, epochs=5, batch_size=64)
        >>> trainer.plot_history("history.png")
    """

    def fit(
        self,
        x_train,
        y_train,
        x_val=None,
        y_val=None,
        epochs: int = 1,
        batch_size: int = 32,
        callbacks=None,
        verbose: int = 1,
        seed: int = 0,
    ) -> dict[str, list[float]]:
        """Trains for `epochs` passes over `(x_train, y_train)`, validating on `(x_val, y_val)`.

        Args:
            x_train, y_train: training inputs and targets (arrays).
            x_val, y_val: validation inputs and targets; `None` or empty for none.
            epochs: passes over the training set.
            batch_size: samples per step.
            callbacks: Keras callbacks, called where `Model.fit` calls them.
            verbose: 0 silent, 1 progress bar, 2 one line per epoch.
            seed: seeds the shuffling (reshuffled every epoch).

        Returns:
            The history of every `fit` so far: `{"loss": [...], "<metric>": [...],
            "val_loss": [...], ...}` per epoch, also kept in `self.history`. A second call trains
            `epochs` more epochs (shuffled as the epochs after the first call's) and extends it.
        """
        splits = array_splits(x_train, y_train, x_val, y_val)
        val = splits.batches("val", batch_size) if len(splits.val) else None
        done, before = self.epochs_done, self.history
        self.fit_batches(
            splits.train_batches(batch_size, seed, done + epochs, start_epoch=done),
            val,
            splits.steps_per_epoch(batch_size),
            epochs,  # callbacks and the progress bar count this call's epochs
            callbacks,
            verbose,
        )
        self.history = {k: [*before.get(k, []), *v] for k, v in self.history.items()}
        self.epochs_done = done + len(self.history.get("loss", [])) - len(before.get("loss", []))
        return self.history

    def fit_batches(
        self,
        train,
        val,
        steps_per_epoch: int,
        epochs: int,
        callbacks=None,
        verbose: int = 1,
        initial_epoch: int = 0,
    ) -> dict[str, list[float]]:
        """Trains on `tf.data` batches: `train` holds every epoch's `steps_per_epoch` batches
        in a row (`Splits.train_batches`), `val` the validation batches or None. Returns the
        history, as `fit` does. `initial_epoch`: the first epoch (a resumed run's `train` starts
        there)."""
        model = self.model
        history = keras.callbacks.History()
        callbacks = keras.callbacks.CallbackList(
            [*(callbacks or []), history],
            add_progbar=verbose != 0,
            model=model,
            verbose=verbose,
            epochs=epochs,
            steps=steps_per_epoch,
        )
        train = distribute(train)  # split between the replicas under a strategy
        train_step = self.compiled(self._train_step, train.element_spec)
        batches_left = iter(train)
        model.stop_training = False
        callbacks.on_train_begin()
        logs = {}
        for epoch in range(initial_epoch, epochs):
            self.reset()
            callbacks.on_epoch_begin(epoch)
            for step in range(steps_per_epoch):
                x, y = next(batches_left)
                callbacks.on_train_batch_begin(step)
                callbacks.on_train_batch_end(step, train_step(x, y))
                if model.stop_training:  # TerminateOnNaN stops within the epoch
                    break
            logs = self.results()
            if val is not None:
                val_logs = self.run_evaluation(val, callbacks)
                logs.update({f"val_{name}": value for name, value in val_logs.items()})
            callbacks.on_epoch_end(epoch, logs)
            if model.stop_training:  # EarlyStopping stops between epochs
                break
        self.optimizer.finalize_variable_values(model.trainable_variables)
        callbacks.on_train_end(logs)
        self.history = history.history
        return self.history

    def run_evaluation(self, data, callbacks) -> dict[str, float]:
        data = distribute(data)
        test_step = self.compiled(self._test_step, data.element_spec)
        self.reset()
        callbacks.on_test_begin()
        for step, (x, y) in enumerate(data):
            callbacks.on_test_batch_begin(step)
            callbacks.on_test_batch_end(step, test_step(x, y))
        logs = self.results()
        callbacks.on_test_end(logs)
        return logs

    def evaluate(self, x, y, batch_size: int = 32) -> dict[str, float]:
        """Loss and metrics on `(x, y)`: `{"loss": ..., "<metric>": ...}`."""
        return self.run_evaluation(batches(x, y, batch_size), keras.callbacks.CallbackList())

    def predict(self, x, batch_size: int = 32):
        """The model's outputs for inputs `x`, as a NumPy array (which also answers `.numpy()`,
        as the tensor a model call returns does)."""
        outputs = self.model.predict(x, batch_size=batch_size, verbose=0)
        # A model with several outputs gives a list of arrays: left as it is.
        return outputs.view(Predictions) if hasattr(outputs, "view") else outputs

    def plot_history(self, path: str | Path | None = None, title: str | None = None):
        """Draws the history (one panel per quantity, training vs validation); saves it to `path`
        if given. Returns the matplotlib figure (a notebook displays it)."""
        if "IPython" in sys.modules:
            # llexp draws without pyplot; importing it lets a notebook's inline backend register
            # its display of figures, so the returned figure shows as a picture.
            import matplotlib.pyplot  # noqa: F401
        fig = figures.history_figure(self.history, title or self.model.name)
        if path is not None:
            figures.save_figure(fig, Path(path))
        return fig


# The notebook name (`llexp.Trainer`, `from llexp import Trainer`), kept beside the one that says
# which trainer it is.
Trainer = TapeLoop
