"""The LeNet-like CNN classifier (seed: "Lenet_like")."""

from __future__ import annotations

import math

from llexp import memory, schema
from llexp.lazy import lazy
from llexp.models.base import check_activation, grown
from llexp.models.classifier import Classifier

layers = lazy("keras.layers")


class LeNet(Classifier):
    """LeNet-like classifier: `depth` blocks of conv -> (batch norm) -> activation -> max-pool.

    Each block halves height and width; the first has `width` filters and each next one
    `growth` times more. Then a hidden dense layer and a softmax over `num_classes`.
    The block has no input tensor: call it on one (`LeNet(...)(inputs)`) or use `build`.

    Args:
        num_classes: number of output classes.
        width: filters of the first conv layer.
        depth: number of conv blocks.
        growth: filter multiplier from one block to the next.
        kernel_size: conv kernel size.
        activation: any Keras activation name.
        dense_units: units of the hidden dense layer.
        batch_norm: batch normalisation after each conv.
        dropout: dropout rate before the output layer (0 for none).
    """

    name = "lenet"

    def __init__(
        self,
        num_classes: int,
        width: int = 32,
        depth: int = 2,
        growth: float = 2.0,
        kernel_size: int = 3,
        activation: str = "relu",
        dense_units: int = 512,
        batch_norm: bool = False,
        dropout: float = 0.0,
    ):
        schema.check_arguments(schema.model.LeNet, "model.", locals())
        # Types and ranges: llexp/schema/model.py, checked when the config is composed.
        check_activation("model.activation", activation)
        self.num_classes, self.width, self.depth, self.growth = num_classes, width, depth, growth
        self.kernel_size, self.activation, self.dense_units = kernel_size, activation, dense_units
        self.batch_norm, self.dropout = batch_norm, dropout

    def filters(self, block: int) -> int:
        return grown(self.width, self.growth, block)

    def size(self, input_shape):
        filters = [self.filters(i) for i in range(self.depth)]
        convs, largest, out = memory.conv_stack(input_shape, filters, self.kernel_size)
        dense, widest = memory.dense_stack(math.prod(out), [self.dense_units, self.num_classes])
        return convs + dense, max(largest, widest)

    def forward(self, inputs):
        x = inputs
        for i in range(self.depth):
            x = layers.Conv2D(
                self.filters(i),
                self.kernel_size,
                padding="same",
                use_bias=not self.batch_norm,
                name=f"block{i + 1}_conv",
            )(x)
            if self.batch_norm:
                x = layers.BatchNormalization(name=f"block{i + 1}_bn")(x)
            x = layers.Activation(self.activation, name=f"block{i + 1}_act")(x)
            x = layers.MaxPooling2D(2, name=f"block{i + 1}_pool")(x)
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(self.dense_units, activation=self.activation, name="hidden")(x)
        if self.dropout:
            x = layers.Dropout(self.dropout, name="dropout")(x)
        x = layers.Dense(self.num_classes, name="logits")(x)
        # float32 softmax keeps probabilities exact under mixed precision.
        return layers.Activation("softmax", dtype="float32", name="probabilities")(x)
