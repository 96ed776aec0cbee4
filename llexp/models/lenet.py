"""The LeNet-like CNN classifier (seed: "Lenet_like")."""

from __future__ import annotations

import math

from llexp import memory, schema
from llexp.errors import whole
from llexp.lazy import lazy
from llexp.models.base import grown
from llexp.models.blocks import batch_norm, fitting_blocks, is_list, per_block, shrinking
from llexp.models.classifier import Classifier, units_list

layers = lazy("keras.layers")


class LeNet(Classifier):
    """LeNet-like classifier: `depth` blocks of conv -> (batch norm) -> activation -> max-pool.

    Each block halves height and width (more with `strides`, not at all without `pool`); the
    first has `width` filters and each next one `growth` times more. Then the head: optional
    convolutions, flatten or global average pooling, the hidden dense layers and a softmax over
    `num_classes`. The block has no input tensor: call it on one (`LeNet(...)(inputs)`) or use
    `build`.

    Args:
        num_classes: number of output classes.
        width: filters of the first conv layer.
        depth: number of conv blocks.
        growth: filter multiplier from one block to the next.
        kernel_size: conv kernel size: one for every block, or a list with one per block.
        strides: conv strides: one, or a list with one per block.
        pool: whether each block ends in a 2x2 max-pool: one switch, or a list with one per block.
        activation: any Keras activation name.
        dense_units: units of the hidden dense layer, or a list of them (one layer each).
        batch_norm: batch normalisation after each conv (and in the head, see `head_batch_norm`).
        dropout: dropout rate after each hidden dense layer (0 for none).
        head: `flatten` or `gap` (global average pooling) before the dense layers.
        head_convs: filter counts of 3x3 convolutions before the flatten or pooling.
        head_batch_norm: batch normalisation after each head conv and hidden dense layer.
    """

    name = "lenet"

    def __init__(
        self,
        num_classes: int,
        width: int = 32,
        depth: int = 2,
        growth: float = 2.0,
        kernel_size: int | list[int] = 3,
        strides: int | list[int] = 1,
        pool: bool | list[bool] = True,
        activation: str = "relu",
        dense_units: int | list[int] = 512,
        batch_norm: bool = False,
        dropout: float = 0.0,
        head: str = "flatten",
        head_convs: list[int] | None = None,
        head_batch_norm: bool = False,
    ):
        schema.check_arguments(schema.model.LeNetConfig, "model.", locals())
        self.check_shared(width, depth, growth, dropout, activation)
        if not is_list(dense_units):
            whole("model.dense_units", dense_units, 1)  # one hidden layer, as usual
        dense_units = units_list("dense_units", dense_units)
        self.check_head(num_classes, dense_units, None, dropout, activation)
        self.check_head_shape(head, head_convs, head_batch_norm)
        self.kernel_sizes = per_block("kernel_size", kernel_size, depth, "whole")
        self.strides = per_block("strides", strides, depth, "whole")
        self.pools = per_block("pool", pool, depth, "switch")
        self.width, self.depth, self.growth = width, depth, growth
        self.dense_units, self.batch_norm = dense_units, batch_norm
        self.given = (strides, pool)  # as configured: one value extends to any depth

    depth_rule = (
        "each block divides height and width by its stride and halves them when it pools, "
        "and they must stay at least 1 pixel"
    )

    def deepest(self, input_shape) -> int:
        strides, pools = shrinking(*self.given, self.depth)
        if not any(pools) and all(s == 1 for s in strides):
            return max(self.depth, len(strides))  # no block shrinks the image
        return min(fitting_blocks(int(s), strides, pools) for s in input_shape[:2])

    def size(self, input_shape):
        filters = [self.filters(i) for i in range(self.depth)]
        convs, largest, out = memory.conv_stack(
            input_shape, filters, self.kernel_sizes, self.pools, self.strides
        )
        units = [*self.dense_units, self.num_classes]
        dense, widest = memory.dense_stack(math.prod(out), units)
        return convs + dense, max(largest, widest)

    def filters(self, block: int) -> int:
        return grown(self.width, self.growth, block)

    def forward(self, inputs):
        x = inputs
        for i in range(self.depth):
            x = layers.Conv2D(
                self.filters(i),
                self.kernel_sizes[i],
                strides=self.strides[i],
                padding="same",
                use_bias=not self.batch_norm,
                name=f"block{i + 1}_conv",
            )(x)
            if self.batch_norm:
                x = batch_norm(f"block{i + 1}_bn")(x)
            x = layers.Activation(self.activation, name=f"block{i + 1}_act")(x)
            if self.pools[i]:
                x = layers.MaxPooling2D(2, name=f"block{i + 1}_pool")(x)
        return self.head(x, self.dense_units, self.activation, self.dropout, self.num_classes)
