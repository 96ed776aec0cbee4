"""`trainer=tape`: a training loop written by hand with `tf.GradientTape`, a full peer of `fit`.

`Trainer` is the notebook class (the seed's `Trainer(model, loss_function, optimizer)`);
`TapeTrainer` is `trainer=tape` on the command line and runs that same class. The loop has the shape
of the Keras guide "writing a training loop from scratch": compiled train and eval steps around
`tf.GradientTape` and `optimizer.apply`, Keras metric objects reset every epoch, and the callbacks
driven through `keras.callbacks.CallbackList` exactly where `Model.fit` calls them, so early
stopping, checkpoints, CSV history, NaN stop, TensorBoard and the progress bar work unchanged and
the history has the same keys and meaning as `fit`'s.
"""

from __future__ import annotations

import sys
from pathlib import Path

from llexp.data import array_splits, batches
from llexp.distribute import distribute
from llexp.lazy import lazy
from llexp.models.base import unreduced
from llexp.trainers.base import BaseTrainer
from llexp.trainers.notebook import Predictions, default_metrics

keras = lazy("keras")
tf = lazy("tensorflow")
figures = lazy("llexp.figures")


class Trainer:
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
        >>> trainer = Trainer(model, "sparse_categorical_crossentropy", "adam")
        >>> history = trainer.fit(x_train, y_train, x_val, y_val, epochs=5, batch_size=64)
        >>> trainer.plot_history("history.png")
    """

    def __init__(
        self, model, loss_function, optimizer, metrics=None, jit_compile="auto", class_weight=None
    ):
        self.model = model
        self.class_weight = None
        self._compiled = {}
        self.use_class_weight(class_weight)
        self.loss_function = keras.losses.get(loss_function)
        self.loss_values = unreduced(self.loss_function)  # per sample: `compute_loss` averages
        self.metrics = default_metrics(self.loss_function) if metrics is None else list(metrics)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        # Compiling sets `model.optimizer`, which callbacks read (TensorBoard's learning rate,
        # ReduceLROnPlateau), wraps it in a LossScaleOptimizer under mixed_float16 exactly as fit
        # does, and resolves jit_compile="auto" by Keras's own rule. The loop below is ours.
        model.compile(optimizer=optimizer, loss=self.loss_function, jit_compile=jit_compile)
        self.optimizer = model.optimizer
        self.history: dict[str, list[float]] = {}
        self.epochs_done = 0  # by `fit`: a second call shuffles as the epochs after these

    def use_class_weight(self, class_weight: dict[int, float] | None) -> None:
        """Weighs each sample's training loss by its class's weight from now on (1 for a class
        not named), as `Model.fit`'s `class_weight` does; None for none."""
        weights = None
        if class_weight:
            weights = [class_weight.get(c, 1.0) for c in range(max(class_weight) + 1)]
            weights = tf.constant(weights, tf.float32)
        if weights is not None or self.class_weight is not None:
            self._compiled.clear()  # the train step captures the weights: trace it again
        self.class_weight = weights

    def compiled(self, step, spec):
        """`step` as a graph for batches of `spec`, traced once, up front, run on every replica.

        The batch size is left open, so the last, smaller batch of an epoch reuses the graph
        instead of tracing another, and tracing ahead of the first call keeps TensorFlow's
        "frequent retracing" warning quiet when a sweep trains many models in one process.
        As in `Model.fit`, `strategy.run` runs the (XLA-compiled, if asked) step on each replica's
        share of the batch, and the metrics are read once all replicas have updated them. Without
        a strategy, the default one runs the step once, on one device.
        """
        key = (step.__name__, spec)
        if key not in self._compiled:
            if not self.model.built:  # e.g. Sequential([Flatten(), Dense(10)]): no Input yet
                self.model(tf.zeros([1, *spec[0].shape[1:]], spec[0].dtype))
            if not self.optimizer.built:  # its slots exist before tracing, as in fit
                self.optimizer.build(self.model.trainable_variables)
            strategy = tf.distribute.get_strategy()
            step = tf.function(step, jit_compile=self.model.jit_compile, autograph=False)

            def on_replicas(x, y):
                strategy.run(step, args=(x, y))
                return {m.name: m.result() for m in (self.loss_tracker, *self.metrics)}

            function = tf.function(on_replicas, input_signature=spec, autograph=False)
            function.get_concrete_function()
            self._compiled[key] = function
        return self._compiled[key]

    def compute_loss(self, y, y_pred, sample_weight=None):
        """The mean loss over this replica's samples, plus the regularization losses the layers
        added: what `fit` reports as `loss`. With `sample_weight` (class weights), each sample's
        loss is weighted first and the mean still taken over the samples, as Keras does."""
        values = self.loss_values(y, y_pred)
        if sample_weight is not None:
            values = values * keras.ops.cast(sample_weight, values.dtype)
        loss = keras.ops.mean(values)
        if self.model.losses:
            loss = loss + keras.ops.cast(keras.ops.sum(self.model.losses), loss.dtype)
        return loss

    def _train_step(self, x, y):
        variables = self.model.trainable_variables
        weight = None
        if self.class_weight is not None:  # the weight of each sample's class
            weight = tf.gather(self.class_weight, tf.cast(tf.reshape(y, [-1]), tf.int32))
        with tf.GradientTape() as tape:
            y_pred = self.model(x, training=True)
            loss = self.compute_loss(y, y_pred, weight)
            # Under a strategy `apply` sums the replicas' gradients: each replica contributes its
            # share of the global batch's mean loss, as `fit` does.
            replicas = tf.distribute.get_strategy().num_replicas_in_sync
            # Multiplies by the loss scale under mixed_float16 (so small float16 gradients do not
            # underflow); the LossScaleOptimizer unscales them in `apply`. A no-op otherwise.
            scaled = self.optimizer.scale_loss(loss / replicas)
        # Under a strategy, `apply` sums the replicas' gradients before updating the weights.
        self.optimizer.apply(tape.gradient(scaled, variables), variables)
        self.update_metrics(y, y_pred, loss)  # metrics unweighted, as fit's `metrics=` are

    def _test_step(self, x, y):
        y_pred = self.model(x, training=False)
        self.update_metrics(y, y_pred, self.compute_loss(y, y_pred))

    def update_metrics(self, y, y_pred, loss):
        # The loss is averaged over samples, not batches, as fit does (the last batch is smaller);
        # each replica adds its own samples' mean loss.
        self.loss_tracker.update_state(loss, sample_weight=tf.shape(y_pred)[0])
        for metric in self.metrics:
            metric.update_state(y, y_pred)

    def results(self) -> dict[str, float]:
        return {m.name: float(m.result()) for m in (self.loss_tracker, *self.metrics)}

    def reset(self) -> None:
        for metric in (self.loss_tracker, *self.metrics):
            metric.reset_state()

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


class TapeTrainer(BaseTrainer):
    """`trainer=tape`: the same settings and callbacks as `trainer=fit`, trained by `Trainer`."""

    loop: Trainer | None = None  # made by `compile`, for the model being trained

    def compile(self, model, loss, metrics, optimizer) -> None:
        self.loop = Trainer(model, loss, optimizer, metrics, jit_compile=self.jit_compile)

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
        self.loop.use_class_weight(class_weight)
        self.loop.fit_batches(
            train,
            val,
            steps_per_epoch,
            epochs=self.epochs,
            callbacks=callbacks,
            verbose=self.verbose,
            initial_epoch=initial_epoch,
        )
