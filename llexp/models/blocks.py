"""Per-block settings (kernel size, strides, pooling) and the layers every family shares.

A convolutional family has `depth` blocks. `kernel_size`, `strides` and `pool` are each one value
for every block or a list with one entry per block (`model.pool=[false,true,true]`), as
hand-written architectures vary them block by block.
"""

from __future__ import annotations

from collections.abc import Sequence

from llexp.errors import LlexpError, whole
from llexp.lazy import lazy

layers = lazy("keras.layers")

# Batch norm's moving statistics settle within tens of steps with 0.9; with Keras's default 0.99
# they need hundreds, and a short run on small data is evaluated with unsettled statistics (LeNet
# with batch norm stayed at chance on digits for 5 epochs). One momentum for every family.
BN_MOMENTUM = 0.9


def batch_norm(name: str):
    """The batch normalisation layer every family uses (`BN_MOMENTUM`)."""
    return layers.BatchNormalization(momentum=BN_MOMENTUM, name=name)


def is_list(value) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def per_block(key: str, value, blocks: int, kind: str) -> list:
    """`value` for each of `blocks` blocks: one value repeated, or a list of exactly `blocks`.

    Args:
        key: the config key, for the error line (`kernel_size`).
        value: one value, or a list with one per block.
        blocks: the number of blocks (the model's depth).
        kind: `"whole"` (a whole number >= 1) or `"switch"` (true or false).
    """
    values = list(value) if is_list(value) else [value] * blocks
    if is_list(value) and len(values) != blocks:
        raise LlexpError(
            f"model.{key}={format_list(values)} gives {len(values)} values for {blocks} blocks "
            f"(model.depth={blocks}); give one value for every block, or one per block"
        )
    for v in values:
        if kind == "switch" and not isinstance(v, bool):
            raise LlexpError(f"model.{key}={format_list(values)}: each entry must be true or false")
        if kind == "whole":
            whole(f"model.{key}", v, 1)
    return values


def format_list(values) -> str:
    return "[" + ",".join(str(v).lower() if isinstance(v, bool) else str(v) for v in values) + "]"


def fitting_blocks(size: int, strides: list[int], pools: list[bool]) -> int:
    """How many of the blocks, in order, keep an image side of `size` at least 1 pixel: a block
    divides it by its stride (rounding up: "same" padding) and halves it (rounding down) when it
    pools."""
    for i, (stride, pool) in enumerate(zip(strides, pools, strict=True)):
        size = -(-size // stride)
        if pool:
            size //= 2
        if size < 1:
            return i
    return len(strides)


def dividing_blocks(size: int, strides: list[int], pools: list[bool]) -> int:
    """How many of the blocks, in order, divide an image side of `size` exactly (what a decoder
    mirroring them needs to give the input's size back)."""
    factor = 1
    for i, (stride, pool) in enumerate(zip(strides, pools, strict=True)):
        factor *= stride * (2 if pool else 1)
        if size % factor:
            return i
    return len(strides)


def shrinking(strides, pool, depth: int) -> tuple[list[int], list[bool]]:
    """The strides and pool switches to test the depth rule with: per block as given, or, when
    both are one value for every block, repeated well past `depth` (so that the error can name
    the largest depth that fits)."""
    blocks = depth if is_list(strides) or is_list(pool) else depth + 32
    return per_block("strides", strides, blocks, "whole"), per_block("pool", pool, blocks, "switch")


def conv_head(x, convs: list[int], kernel_size: int, activation: str, batch_norm_: bool):
    """`head_convs`: 3x3 ("same") convolutions with `activation`, each with batch norm if asked."""
    for i, filters in enumerate(convs):
        name = f"head_conv{i + 1}"
        x = layers.Conv2D(
            filters, kernel_size, padding="same", use_bias=not batch_norm_, name=name
        )(x)
        if batch_norm_:
            x = batch_norm(f"{name}_bn")(x)
        x = layers.Activation(activation, name=f"{name}_act")(x)
    return x
