"""Mixed precision: the global Keras dtype policy, set for one run and restored after it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import keras

from llexp.errors import LlexpError

POLICIES = ("float32", "mixed_float16", "mixed_bfloat16")


@contextmanager
def dtype_policy(name: str) -> Iterator[None]:
    """Layers built inside the block compute in `name`; the previous global policy comes back after.

    Restoring matters: sweeps and tests run many runs in one process, and a policy left behind
    would silently build the next run's model in float16.

    Args:
        name: `float32`, `mixed_float16` (GPUs with tensor cores) or `mixed_bfloat16` (TPUs, recent
            CPUs). Keras wraps the optimizer in a `LossScaleOptimizer` under `mixed_float16`; both
            trainers then scale the loss.
    """
    if name not in POLICIES:
        raise LlexpError(f"precision={name} is not one of {', '.join(POLICIES)}")
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)
