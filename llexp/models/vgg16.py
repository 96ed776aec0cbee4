"""VGG-16 from scratch for small images (seed: "VGG-16 from scratch to fine tuning")."""

from __future__ import annotations

import math

from llexp import memory, schema
from llexp.lazy import lazy
from llexp.models.base import check_activation
from llexp.models.classifier import Classifier
from llexp.schema.keys import as_sizes

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
    last conv, so it never stands directly before (or after) a pooling layer.

    Args:
        num_classes: number of output classes.
        width: filters of the first block (64 in the paper); the others scale with it.
        depth: how many of the 5 blocks to use (5 is VGG-16; fewer for tiny images).
        batch_norm: batch normalisation after each conv (the conv then has no bias).
        dropout: dropout rate after each conv not followed by pooling (0 for none).
        dense: units of the head's hidden dense layers (the paper's are 4096, 4096).
        head_dropout: dropout rate after each hidden dense layer.
        activation: any Keras activation name.
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
    ):
        schema.check_arguments(schema.model.VGG16, "model.", locals())
        # Types and ranges (depth 1 to 5): llexp/schema/model.py, checked when composed.
        check_activation("model.activation", activation)
        self.num_classes, self.width, self.depth = num_classes, width, depth
        self.batch_norm, self.dropout, self.activation = batch_norm, dropout, activation
        self.dense, self.head_dropout = as_sizes(dense), head_dropout

    depth_rule = "VGG-16's {depth} max-pools halve height and width, which need at least {factor}"

    def describe(self) -> str:
        text = f"{self.name} width={self.width} depth={self.depth}"
        text += " batch_norm" * self.batch_norm
        return text + f" dropout={self.dropout}" * (self.dropout > 0)

    def filters(self, block: int) -> int:
        return max(1, round(BLOCKS[block][1] * self.width / 64))

    def size(self, input_shape):
        weights, largest, shape = 0, 0, input_shape
        for b, (convs, _) in enumerate(BLOCKS[: self.depth]):
            filters = [self.filters(b)] * convs
            w, top, out = memory.conv_stack(shape, filters, 3, pool=False)
            weights, largest = weights + w, max(largest, top)
            shape = (max(1, out[0] // 2), max(1, out[1] // 2), out[2])
        dense, widest = memory.dense_stack(math.prod(shape), [*self.dense, self.num_classes])
        return weights + dense, max(largest, widest)

    def forward(self, inputs):
        x = inputs
        for b, (convs, _) in enumerate(BLOCKS[: self.depth]):
            for c in range(convs):
                name = f"block{b + 1}_conv{c + 1}"
                x = layers.Conv2D(
                    self.filters(b), 3, padding="same", use_bias=not self.batch_norm, name=name
                )(x)
                if self.batch_norm:
                    # Moving statistics that settle within tens of steps (as the autoencoder),
                    # not the hundreds of Keras's 0.99: short runs are evaluated with them.
                    x = layers.BatchNormalization(momentum=0.9, name=f"{name}_bn")(x)
                x = layers.Activation(self.activation, name=f"{name}_act")(x)
                if self.dropout and c < convs - 1:  # the last conv is followed by pooling
                    x = layers.Dropout(self.dropout, name=f"{name}_dropout")(x)
            x = layers.MaxPooling2D(2, name=f"block{b + 1}_pool")(x)
        return self.head(x, self.dense, self.activation, self.head_dropout, self.num_classes)
