"""`trainer=fit`: Keras `Model.fit`."""

from __future__ import annotations

from pathlib import Path

from llexp.data import batches
from llexp.trainers.base import BaseTrainer


class FitTrainer(BaseTrainer):
    """Compiles the model and trains it with `Model.fit` over the shared `tf.data` pipeline."""

    def train(
        self, model, loss, metrics, optimizer, train, val, out_dir: Path, seed: int, callbacks=()
    ) -> dict:
        model.compile(optimizer=optimizer, loss=loss, metrics=metrics, jit_compile=self.jit_compile)
        has_val = len(val[0]) > 0
        history = model.fit(
            batches(*train, self.batch_size, shuffle=True, seed=seed),
            validation_data=batches(*val, self.batch_size) if has_val else None,
            epochs=self.epochs,
            shuffle=False,  # the pipeline already shuffles, seeded, every epoch
            callbacks=self.callbacks(out_dir, has_val, callbacks),
            verbose=self.verbose,
        )
        return history.history

    def evaluate(self, model, x, y) -> dict[str, float]:
        result = model.evaluate(batches(x, y, self.batch_size), verbose=0, return_dict=True)
        return {key: float(value) for key, value in result.items()}
