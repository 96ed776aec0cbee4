"""Will the model fit in memory? An estimate from the config, before anything is built.

A width or batch size far too large for the machine would otherwise end in a traceback from
TensorFlow's allocator (or the system's out-of-memory killer) after the data has loaded. Each
family says, without Keras, how many weights it has and how many numbers its largest layer output
holds per image (`ImageModel.size`); training keeps four float32 copies of the weights (the
weights, their gradients and two optimizer slots, as Adam has) and, per batch, at least the
largest output and its gradient. A model whose estimate exceeds the memory the system says is
available is refused in one line. The estimate is a lower bound: a model that passes may still
need more.
"""

from __future__ import annotations

import os

from llexp.errors import LlexpError

BYTES = 4  # float32
WEIGHT_COPIES = 4  # weights, gradients, two optimizer slots (Adam's m and v)
ACTIVATION_COPIES = 2  # the largest layer output and its gradient


def conv_stack(shape, filters: list[int], kernels, pools=True, strides=1):
    """(weights, largest output per image, output shape) of 'same' conv layers, one per entry of
    `filters`; `kernels`, `pools` (a 2x2 max-pool after it) and `strides` are one value or one
    per layer."""
    height, width, channels = shape
    weights, largest = 0, height * width * channels
    n = len(filters)
    kernels, pools, strides = (v if isinstance(v, (list, tuple)) else [v] * n
                               for v in (kernels, pools, strides))  # fmt: skip
    for count, kernel, pool, stride in zip(filters, kernels, pools, strides, strict=True):
        height, width = max(1, -(-height // stride)), max(1, -(-width // stride))
        weights += kernel * kernel * channels * count + count
        largest = max(largest, height * width * count)
        channels = count
        if pool:
            height, width = max(1, height // 2), max(1, width // 2)
    return weights, largest, (height, width, channels)


def dense_stack(inputs: int, units: list[int]):
    """(weights, largest output per image) of dense layers on `inputs` numbers."""
    weights, largest = 0, inputs
    for count in units:
        weights += inputs * count + count
        largest, inputs = max(largest, count), count
    return weights, largest


def available_bytes() -> int | None:
    """The memory the system says new work can take (Linux's MemAvailable), or None."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def gigabytes(n: float) -> str:
    return f"{n / 2**30:.1f} GB"


def check_memory(family, input_shape, batch_size: int, available: int | None = None) -> None:
    """One line when the model's weights and one batch's largest output cannot fit."""
    size = family.size(tuple(int(s) for s in input_shape))
    available = available_bytes() if available is None else available
    if size is None or available is None:
        return  # a family that cannot say (a Keras backbone), or a system that does not
    weights, largest = size
    weight_bytes = weights * BYTES * WEIGHT_COPIES
    batch_bytes = largest * batch_size * BYTES * ACTIVATION_COPIES
    if weight_bytes + batch_bytes > available:
        width = getattr(family, "width", None)
        knob = f"model.width (now {width})" if width else "the model's layer sizes"
        raise LlexpError(
            f"the model does not fit in memory: {weights:,} weights need "
            f"{gigabytes(weight_bytes)} to train and its largest layer output "
            f"{gigabytes(batch_bytes)} per batch of {batch_size}, but "
            f"{gigabytes(available)} is available; lower {knob} or trainer.batch_size"
        )
