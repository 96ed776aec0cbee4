"""`trainer=fit`: Keras `Model.fit`."""

from __future__ import annotations

from pathlib import Path

from llexp.trainers.base import BaseTrainer


class FitTrainer(BaseTrainer):
    """Compiles the model and trains it with `Model.fit` over the shared `tf.data` pipeline."""

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
    ) -> dict:
        model.compile(optimizer=optimizer, loss=loss, metrics=metrics, jit_compile=self.jit_compile)
        history = model.fit(
            train,  # every epoch's batches in a row: with steps_per_epoch, fit keeps one iterator
            validation_data=val,
            epochs=self.epochs,
            steps_per_epoch=steps_per_epoch,
            shuffle=False,  # the pipeline orders each epoch itself, seeded with (seed, epoch)
            callbacks=self.callbacks(out_dir, val is not None, callbacks),
            verbose=self.verbose,
        )
        return history.history

    def evaluate(self, model, data) -> dict[str, float]:
        result = model.evaluate(data, verbose=0, return_dict=True)
        return {key: float(value) for key, value in result.items()}
