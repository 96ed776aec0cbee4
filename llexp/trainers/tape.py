"""`trainer=tape`: the configured trainer that trains with `TapeLoop`, a full peer of `fit`."""

from __future__ import annotations

from llexp.trainers.base import BaseTrainer
from llexp.trainers.loop import TapeLoop


class TapeTrainer(BaseTrainer):
    """`trainer=tape`: the same settings and callbacks as `trainer=fit`, trained by `TapeLoop`."""

    loop: TapeLoop | None = None  # made by `compile`, for the model being trained

    def compile(self, model, loss, metrics, optimizer) -> None:
        self.loop = TapeLoop(model, loss, optimizer, metrics, jit_compile=self.jit_compile)

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
