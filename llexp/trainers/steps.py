"""`TapeSteps`: one training or evaluation step of `TapeLoop`, on one batch.

The part of the Keras guide "writing a training loop from scratch" that runs inside the graph:
the loss (the mean over the samples, class weights, the layers' regularization losses), the
gradient under `tf.GradientTape`, `optimizer.apply` (loss scaling under mixed precision, the
replicas' gradients summed under a strategy), the metrics' updates, and the step traced once per
batch shape. The epochs, callbacks and the notebook methods around it are in `loop.py`.
"""

from __future__ import annotations

from llexp.lazy import lazy
from llexp.models.base import unreduced
from llexp.trainers.notebook import default_metrics

keras = lazy("keras")
tf = lazy("tensorflow")


class TapeSteps:
    """The compiled train and test steps of a `tf.GradientTape` loop, and the loss and metrics
    they update (the arguments are `TapeLoop`'s)."""

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
