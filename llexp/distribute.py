"""`trainer.strategy`: data-parallel training on several devices with `tf.distribute`.

`strategy=mirrored` copies the model onto every visible GPU (or, with no GPU, onto the logical
CPUs that `resources.cpu_devices` made) and splits each batch between them; the gradients are
summed across the copies, so one step sees the whole (global) batch as on one device.

The whole run happens inside the strategy's scope (`distribution`): Keras then creates the model's,
the optimizer's and the metrics' variables on every device, `Model.fit` distributes its batches
itself, and the `trainer=tape` loop asks `tf.distribute.get_strategy()` which strategy it runs
under. Without a strategy the default one is in force: one device, nothing changes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from llexp.errors import LlexpError

log = logging.getLogger(__name__)

STRATEGIES = (None, "mirrored")

# One MirroredStrategy per set of devices for the whole process. A sweep runs its jobs one after
# another in one process; a fresh strategy per job would number its all-reduce operations from the
# start again, and TensorFlow then mixes them up with the previous job's ("Shape mismatch in the
# collective instance") as soon as two jobs train models of different sizes.
_strategies: dict = {}


def check_strategy(name: str | None) -> str | None:
    """`name` if llexp knows it, else one line saying which names it knows."""
    if name not in STRATEGIES:
        raise LlexpError(f"trainer.strategy={name} is not one of null, mirrored")
    return name


@contextmanager
def distribution(name: str | None, jit_compile: bool | str = "auto") -> Iterator[None]:
    """Runs the block under the strategy `name` (`None`: one device, no strategy).

    Fails with one line, before any data loads, when `mirrored` finds a single device (a mirrored
    run on one device would only be slower, and the user most likely expected several), and when
    it would XLA-compile on logical CPUs, which XLA cannot do: the step of one CPU device cannot
    reach the weights of another (`Model.fit` fails there with "Trying to access resource").

    Args:
        name: `trainer.strategy`.
        jit_compile: `trainer.jit_compile`.
    """
    if check_strategy(name) is None:
        yield
        return
    import tensorflow as tf

    devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
    names = [device.name for device in devices]
    if len(names) < 2:
        hint = (
            "in a multirun, set resources.one_gpu_per_job=false to give each job every GPU"
            if "GPU" in names[0]
            else "without GPUs, split the CPU with resources.cpu_devices=2"
        )
        raise LlexpError(
            f"trainer.strategy=mirrored needs 2 or more devices, but TensorFlow sees only "
            f"{names[0]}; {hint}"
        )
    if jit_compile is True and "CPU" in names[0]:
        raise LlexpError(
            "trainer.jit_compile=true does not work with trainer.strategy=mirrored on CPU "
            "devices (XLA cannot reach another CPU device's weights); use trainer.jit_compile=auto"
        )
    # tf.distribute logs every all-reduce it sets up at INFO, which would drown the run's log.
    logging.getLogger("tensorflow").setLevel(logging.WARNING)
    key = tuple(names)
    if key not in _strategies:
        _strategies[key] = tf.distribute.MirroredStrategy(names)
    strategy = _strategies[key]
    log.info(
        "strategy mirrored: %d replicas on %s", strategy.num_replicas_in_sync, ", ".join(names)
    )
    with strategy.scope():
        yield


def replicas() -> int:
    """How many copies of the model train in step (1 without a strategy)."""
    import tensorflow as tf

    return int(tf.distribute.get_strategy().num_replicas_in_sync)


def distribute(data):
    """`tf.data` batches, split between the replicas when a strategy is in force."""
    import tensorflow as tf

    if not tf.distribute.has_strategy():
        return data
    return tf.distribute.get_strategy().experimental_distribute_dataset(data)
