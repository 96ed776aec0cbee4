"""Learning-rate schedules counted in epochs, turned into Keras schedules once steps are known.

A schedule config instantiates one of these. It is cheap and checks its values; once the data is
loaded and the steps per epoch are known, calling it with the optimizer's base learning rate gives
what the optimizer takes as `learning_rate`. The schedule then lives inside the optimizer, so every
trainer (Keras `fit` or the tape loop) follows it in exactly the same way, step by step.
"""

from __future__ import annotations

from llexp import schema
from llexp.lazy import lazy

keras = lazy("keras")


class Constant:
    """The optimizer's `learning_rate`, unchanged for the whole run (the default)."""

    name = "constant"

    def __call__(self, learning_rate: float, steps_per_epoch: int):
        return float(learning_rate)


class Cosine:
    """Cosine decay from the base learning rate to `alpha` times it over `decay_epochs`.

    Args:
        decay_epochs: epochs until the rate reaches its floor (the config uses `trainer.epochs`).
        alpha: the floor, as a fraction of the base learning rate.
    """

    name = "cosine"

    def __init__(self, decay_epochs: float, alpha: float = 0.0):
        schema.check_arguments(schema.train.CosineConfig, "schedule.", locals())
        self.decay_epochs, self.alpha = decay_epochs, alpha

    def __call__(self, learning_rate: float, steps_per_epoch: int):
        return keras.optimizers.schedules.CosineDecay(
            float(learning_rate),
            decay_steps=max(1, round(self.decay_epochs * steps_per_epoch)),
            alpha=self.alpha,
        )


class Exponential:
    """Multiplies the learning rate by `factor` every `every` epochs.

    Args:
        factor: multiplier per `every` epochs, in (0, 1] to decay.
        every: epochs over which the rate is multiplied by `factor`.
        staircase: drop in steps at whole multiples of `every` (step decay) instead of smoothly.
    """

    name = "exponential"

    def __init__(self, factor: float = 0.5, every: float = 1, staircase: bool = False):
        schema.check_arguments(schema.train.ExponentialConfig, "schedule.", locals())
        self.factor, self.every, self.staircase = factor, every, staircase

    def __call__(self, learning_rate: float, steps_per_epoch: int):
        return keras.optimizers.schedules.ExponentialDecay(
            float(learning_rate),
            decay_steps=max(1, round(self.every * steps_per_epoch)),
            decay_rate=self.factor,
            staircase=self.staircase,
        )
