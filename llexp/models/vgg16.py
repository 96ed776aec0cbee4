"""VGG-16 from scratch for small images (seed: "VGG-16 from scratch to fine tuning")."""

from __future__ import annotations

import math

from llexp import memory, schema
from llexp.errors import LlexpError, number, whole
from llexp.lazy import lazy
from llexp.models.base import check_activation
from llexp.models.blocks import batch_norm, fitting_blocks, per_block
from llexp.models.classifier import Classifier, units_list

keras = lazy("keras")
layers = lazy("keras.layers")

# The 13 convolutions of VGG-16: (convs, filters at width 64) for each of the 5 blocks.
BLOCKS = ((2, 64), (2, 128), (3, 256), (3, 512), (3, 512))


class VGG16(Classifier):
    """VGG-16 (Simonyan & Zisserman): 5 blocks of 3x3 convs, each ending in a 2x2 max-pool,
    then a dense head and a softmax over `num_classes`.

    Block k has (2, 2, 3, 3, 3)[k] convs of (64, 128, 256, 512, 512)[k] filters, scaled by
    `width / 64`, so `width=16` is a quarter-width VGG that trains on a laptop. Each conv is
    conv -> (batch norm) -> activation -> (dropout); the dropout is left out after each block's
    last conv, so it never stands directly before (or after) a pooling layer. `kernel_size`,
    `strides` (of each block's first conv) and `pool` may differ from block to block.

    Args:
        num_classes: number of output classes.
        width: filters of the first block (64 in the paper); the others scale with it.
        depth: how many of the 5 blocks to use (5 is VGG-16; fewer for tiny images).
        batch_norm: batch normalisation after each conv (the conv then has no bias).
        dropout: dropout rate after each conv not followed by pooling (0 for none).
        dense: units of the head's hidden dense layers (the paper's are 4096, 4096).
        head_dropout: dropout rate after each hidden dense layer.
        activation: any Keras activation name.
        kernel_size: kernel size of every conv of a block: one, or a list with one per block.
        strides: strides of each block's first conv: one, or a list with one per block.
        pool: whether each block ends in a 2x2 max-pool: one switch, or one per block.
        head: `flatten` or `gap` (global average pooling) before the dense layers.
        head_convs: filter counts of 3x3 convolutions before the flatten or pooling.
        head_batch_norm: batch normalisation after each head conv and hidden dense layer.
    """

    name = "vgg16"

    def __init__(
        self,
        num_classes: int,
        width: int = 64,
        depth: int = 5,
        batch_norm: bool = False,
        dropout: float = 0.0,
        dense: list[int] = (512, 512),
        head_dropout: float = 0.5,
        activation: str = "relu",
        kernel_size: int | list[int] = 3,
        strides: int | list[int] = 1,
        pool: bool | list[bool] = True,
        head: str = "flatten",
        head_convs: list[int] | None = None,
        head_batch_norm: bool = False,
    ):
        schema.check_arguments(schema.model.VGG16Config, "model.", locals())
        whole("model.num_classes", num_classes, 1)
        whole("model.width", width, 1)
        if whole("model.depth", depth, 1) > len(BLOCKS):
            raise LlexpError(f"model.depth={depth}: VGG-16 has 5 blocks; use 1 to 5")
        number("model.dropout", dropout, 0.0, 1.0, high_open=True)
        number("model.head_dropout", head_dropout, 0.0, 1.0, high_open=True)
        check_activation("model.activation", activation)
        self.num_classes, self.width, self.depth = num_classes, width, depth
        self.batch_norm, self.dropout, self.activation = batch_norm, dropout, activation
        self.dense, self.head_dropout = units_list("dense", dense), head_dropout
        self.check_head_shape(head, head_convs, head_batch_norm)
        self.kernel_sizes = per_block("kernel_size", kernel_size, depth, "whole")
        self.strides = per_block("strides", strides, depth, "whole")
        self.pools = per_block("pool", pool, depth, "switch")

    depth_rule = (
        "each of VGG-16's {depth} blocks divides height and width by its stride and halves them "
        "when it pools, and they need to stay at least 1 pixel"
    )

    def deepest(self, input_shape) -> int:
        return min(fitting_blocks(int(s), self.strides, self.pools) for s in input_shape[:2])

    def describe(self) -> str:
        text = f"{self.name} width={self.width} depth={self.depth}"
        text += " batch_norm" * self.batch_norm
        return text + f" dropout={self.dropout}" * (self.dropout > 0)

    def size(self, input_shape):
        weights, largest, shape = 0, 0, input_shape
        for b, (convs, _) in enumerate(BLOCKS[: self.depth]):
            strides = [self.strides[b]] + [1] * (convs - 1)  # the block's first conv strides
            pools = [False] * (convs - 1) + [self.pools[b]]
            w, top, shape = memory.conv_stack(
                shape, [self.filters(b)] * convs, self.kernel_sizes[b], pools, strides
            )
            weights, largest = weights + w, max(largest, top)
        dense, widest = memory.dense_stack(math.prod(shape), [*self.dense, self.num_classes])
        return weights + dense, max(largest, widest)

    def filters(self, block: int) -> int:
        return max(1, round(BLOCKS[block][1] * self.width / 64))

    def forward(self, inputs):
        x = inputs
        for b, (convs, _) in enumerate(BLOCKS[: self.depth]):
            for c in range(convs):
                name = f"block{b + 1}_conv{c + 1}"
                x = layers.Conv2D(
                    self.filters(b),
                    self.kernel_sizes[b],
                    strides=self.strides[b] if c == 0 else 1,
                    padding="same",
                    use_bias=not self.batch_norm,
                    name=name,
                )(x)
                if self.batch_norm:
                    x = batch_norm(f"{name}_bn")(x)
                x = layers.Activation(self.activation, name=f"{name}_act")(x)
                if self.dropout and c < convs - 1:  # the last conv is followed by pooling
                    x = layers.Dropout(self.dropout, name=f"{name}_dropout")(x)
            if self.pools[b]:
                x = layers.MaxPooling2D(2, name=f"block{b + 1}_pool")(x)
        return self.head(x, self.dense, self.activation, self.head_dropout, self.num_classes)
