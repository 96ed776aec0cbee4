"""`trainer=fit`: Keras `Model.fit`."""

from __future__ import annotations

from pathlib import Path

from llexp.data import batches, steps_per_epoch
from llexp.trainers.base import BaseTrainer


class FitTrainer(BaseTrainer):
    """Compiles the model and trains it with `Model.fit` over the shared `tf.data` pipeline."""

    def train(
        self, model, loss, metrics, optimizer, train, val, out_dir: Path, seed: int, callbacks=()
    ) -> dict:
        model.compile(optimizer=optimizer, loss=loss, metrics=metrics, jit_compile=self.jit_compile)
        has_val = len(val[0]) > 0
        callbacks = self.callbacks(out_dir, has_val, callbacks)
        if self.training_done(model):
            return self.full_history({})
        history = model.fit(
            batches(*train, self.batch_size, True, seed, self.epochs, self.initial_epoch),
            validation_data=batches(*val, self.batch_size) if has_val else None,
            epochs=self.epochs,
            initial_epoch=self.initial_epoch,
            # The pipeline holds every remaining epoch, each shuffled from seed + epoch.
            steps_per_epoch=steps_per_epoch(len(train[0]), self.batch_size),
            shuffle=False,
            callbacks=callbacks,
            verbose=self.verbose,
        )
        return self.full_history(history.history)

    def evaluate(self, model, x, y) -> dict[str, float]:
        result = model.evaluate(batches(x, y, self.batch_size), verbose=0, return_dict=True)
        return {key: float(value) for key, value in result.items()}
