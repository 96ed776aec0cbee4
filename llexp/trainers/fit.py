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
        class_weight: dict[int, float] | None = None,
    ) -> dict:
        model.compile(optimizer=optimizer, loss=loss, metrics=metrics, jit_compile=self.jit_compile)
        callbacks = self.callbacks(out_dir, val is not None, callbacks)
        if self.training_done(model):  # resumed after its last epoch: nothing left to train
            return self.full_history({})
        history = model.fit(
            train,  # every epoch's batches in a row: with steps_per_epoch, fit keeps one iterator
            validation_data=val,
            epochs=self.epochs,
            initial_epoch=self.initial_epoch,  # a resumed run's `train` starts at that epoch
            steps_per_epoch=steps_per_epoch,
            shuffle=False,  # the pipeline orders each epoch itself, seeded with (seed, epoch)
            callbacks=callbacks,
            verbose=self.verbose,
            class_weight=class_weight,
        )
        return self.full_history(history.history)

    def evaluate(self, model, data) -> dict[str, float]:
        result = model.evaluate(data, verbose=0, return_dict=True)
        return {key: float(value) for key, value in result.items()}
