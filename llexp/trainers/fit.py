"""`trainer=fit`: Keras `Model.fit`."""

from __future__ import annotations

from llexp.trainers.base import BaseTrainer


class FitTrainer(BaseTrainer):
    """Compiles the model and trains it with `Model.fit` over the shared `tf.data` pipeline."""

    def compile(self, model, loss, metrics, optimizer) -> None:
        model.compile(optimizer=optimizer, loss=loss, metrics=metrics, jit_compile=self.jit_compile)

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
        model.fit(
            train,  # every epoch's batches in a row: with steps_per_epoch, fit keeps one iterator
            validation_data=val,
            epochs=self.epochs,
            initial_epoch=initial_epoch,  # a resumed run's `train` starts at that epoch
            steps_per_epoch=steps_per_epoch,
            shuffle=False,  # the pipeline orders each epoch itself, seeded with (seed, epoch)
            callbacks=callbacks,
            verbose=self.verbose,
            class_weight=class_weight,
        )
