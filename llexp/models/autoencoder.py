"""The convolutional autoencoder (also `llexp.make_autoencoder_model`)."""

from __future__ import annotations

import math
from pathlib import Path

from llexp import memory, schema
from llexp.background import Files
from llexp.errors import LlexpError, whole
from llexp.lazy import lazy
from llexp.models import autoencoder_report
from llexp.models.base import ImageModel, check_activation, check_loss, grown, keras_loss
from llexp.models.blocks import BN_MOMENTUM, batch_norm, dividing_blocks, per_block, shrinking

keras = lazy("keras")
layers = lazy("keras.layers")


class Autoencoder(ImageModel):
    """Convolutional autoencoder, trained to reproduce its input (targets are the images).

    Encoder: `depth` blocks of conv -> (batch norm) -> activation -> (dropout) -> max-pool, each
    halving height and width (more with `strides`; not at all without `pool`); optionally a
    dense bottleneck (flatten -> dense layers -> embedding -> dense layers -> reshape, the
    "CNN -> MLP -> embedding -> MLP -> CNN" shape). Decoder: the
    blocks mirrored, with upsampling giving the size back, then a conv to the input's channels
    (with batch norm before its activation if `output_batch_norm`).
    The encoder's last layer is named "embedding", so the trained encoder can be cut out as
    `keras.Model(model.input, model.get_layer("embedding").output)`.

    Args:
        width: filters of the first encoder block (when `filters` is not given).
        depth: number of encoder blocks; image height and width must be divisible by 2**depth
            (by the product of each block's stride, times 2 when it pools).
        growth: filter multiplier from one block to the next.
        filters: one filter count per encoder block (replaces `width` and `growth`).
        kernel_size: conv kernel size: one for every block, or a list with one per block (the
            decoder mirrors them).
        strides: encoder conv strides: one, or a list with one per block.
        pool: whether each encoder block ends in a 2x2 max-pool: one switch, or one per block.
        activation: any Keras activation name, for every hidden layer.
        batch_norm: batch normalisation after each conv (on by default: on 8x8 digits, 5 epochs
            of 11 steps reach test MSE 0.043 with it and 0.070 without).
        dropout: dropout rate after each block's activation (0 for none).
        bottleneck: sizes of the dense layers between encoder and decoder, the last being the
            embedding size; `None` keeps the convolutional code.
        last_activation: activation of the output layer (sigmoid for images in [0, 1]).
        output_batch_norm: batch normalisation between the output conv and `last_activation`.
        loss: any Keras loss name (mse, binary_crossentropy, mae, ...).
        visualization_size: reconstructions.png shows `visualization_size**2` test images.
        clusters: k of the k-means whose cluster of each image clusters.csv gives; `None`: the
            number of classes.
    """

    name = "autoencoder"
    metric_names = ("mse",)
    needs_labels = False

    def __init__(
        self,
        width: int = 32,
        depth: int = 2,
        growth: float = 0.5,
        filters: list[int] | None = None,
        kernel_size: int | list[int] = 3,
        strides: int | list[int] = 1,
        pool: bool | list[bool] = True,
        activation: str = "relu",
        batch_norm: bool = True,
        dropout: float = 0.0,
        bottleneck: list[int] | int | None = None,
        last_activation: str = "sigmoid",
        output_batch_norm: bool = False,
        loss: str = "mse",
        visualization_size: int = 8,
        clusters: int | None = None,
    ):
        schema.check_arguments(schema.model.AutoencoderConfig, "model.", locals())
        self.check_shared(width, depth, growth, dropout, activation)
        whole("model.visualization_size", visualization_size, 1)
        if filters is not None:
            filters = positive_list("filters", filters)
            if len(filters) != depth:
                raise LlexpError(
                    f"model.filters={filters} gives {len(filters)} blocks but model.depth={depth}"
                    f"; give one filter count per block, or set model.depth={len(filters)}"
                )
        if bottleneck is not None:
            bottleneck = positive_list("bottleneck", bottleneck)
        if depth == 0 and bottleneck is None:
            raise LlexpError(
                "model.depth=0 with model.bottleneck=null leaves nothing to compress the images; "
                "use model.depth>=1 or a bottleneck such as model.bottleneck=[32]"
            )
        check_activation("model.last_activation", last_activation)
        check_loss("model.loss", loss)  # fails now, not after the data has loaded
        self.kernel_sizes = per_block("kernel_size", kernel_size, depth, "whole")
        self.strides = per_block("strides", strides, depth, "whole")
        self.pools = per_block("pool", pool, depth, "switch")
        self.given = (strides, pool)  # as configured: one value extends to any depth
        self.output_kernel = self.kernel_sizes[0] if depth else kernel_size
        whole("model.kernel_size", self.output_kernel, 1)
        self.width, self.depth, self.growth = width, depth, growth
        self.output_batch_norm = output_batch_norm
        self.filters = filters or [grown(width, growth, i) for i in range(depth)]
        self.activation, self.batch_norm, self.dropout = activation, batch_norm, dropout
        self.bottleneck, self.last_activation = bottleneck, last_activation
        self.loss_name, self.visualization_size = loss, int(visualization_size)
        self.clusters = clusters

    @property
    def depth_rule(self) -> str:
        factors = [self.factor(i) for i in range(self.depth)]
        if all(f == 2 for f in factors):
            return (
                "the autoencoder halves height and width {depth} times and doubles them back, "
                "which needs both divisible by 2**{depth}={factor}"
            )
        return (
            "the autoencoder divides height and width by each block's stride (and by 2 when it "
            f"pools) and multiplies them back, which needs both divisible by {math.prod(factors)}"
        )

    def deepest(self, input_shape) -> int:
        strides, pools = shrinking(*self.given, self.depth)
        if not any(pools) and all(s == 1 for s in strides):
            return max(self.depth, len(strides))  # no block shrinks the image
        return min(dividing_blocks(int(s), strides, pools) for s in input_shape[:2])

    def factor(self, block: int) -> int:
        """How much encoder block `block` shrinks height and width (its decoder block's
        upsampling)."""
        return self.strides[block] * (2 if self.pools[block] else 1)

    def describe(self) -> str:
        code = f" bottleneck={self.bottleneck}" if self.bottleneck else ""
        return f"{self.name} depth={self.depth} filters={self.filters}{code} loss={self.loss_name}"

    def block(self, x, filters: int, kernel_size: int, strides: int, name: str):
        x = layers.Conv2D(
            filters,
            kernel_size,
            strides=strides,
            padding="same",
            use_bias=not self.batch_norm,
            name=name,
        )(x)
        if self.batch_norm:
            x = batch_norm(f"{name}_bn")(x)
        x = layers.Activation(self.activation, name=f"{name}_act")(x)
        if self.dropout:
            x = layers.Dropout(self.dropout, name=f"{name}_dropout")(x)
        return x

    def size(self, input_shape):
        """The encoder's convolutions twice (the decoder mirrors them) and the bottleneck."""
        convs, largest, code = memory.conv_stack(
            input_shape, self.filters, self.kernel_sizes, self.pools, self.strides
        )
        units = [*(self.bottleneck or []), *reversed((self.bottleneck or [])[:-1])]
        units = [*units, math.prod(code)] if units else []
        dense, widest = memory.dense_stack(math.prod(code), units)
        return 2 * convs + dense, max(largest, widest)

    def forward(self, inputs):
        x = inputs
        for i, filters in enumerate(self.filters):
            x = self.block(x, filters, self.kernel_sizes[i], self.strides[i], f"encoder{i + 1}")
            last = i == self.depth - 1 and not self.bottleneck
            if self.pools[i]:
                x = layers.MaxPooling2D(2, name="embedding" if last else f"encoder{i + 1}_pool")(x)
            elif last:  # the encoder's output keeps its name, whichever layer ends it
                x = layers.Identity(name="embedding")(x)
        if self.bottleneck:
            code_shape = tuple(x.shape[1:])
            x = layers.Flatten(name="flatten")(x)
            for i, units in enumerate(self.bottleneck[:-1]):
                x = layers.Dense(units, activation=self.activation, name=f"dense{i + 1}")(x)
            x = layers.Dense(self.bottleneck[-1], name="embedding")(x)  # linear code
            for i, units in enumerate(reversed(self.bottleneck[:-1])):
                x = layers.Dense(units, activation=self.activation, name=f"undense{i + 1}")(x)
            x = layers.Dense(math.prod(code_shape), activation=self.activation, name="unflat")(x)
            x = layers.Reshape(code_shape, name="reshape")(x)
        for i in reversed(range(self.depth)):
            name = f"decoder{self.depth - i}"
            x = self.block(x, self.filters[i], self.kernel_sizes[i], 1, name)
            if self.factor(i) > 1:
                x = layers.UpSampling2D(self.factor(i), name=f"{name}_up")(x)
        return self.output_layers(x, inputs.shape[-1])

    def output_layers(self, x, channels: int):
        """The conv back to the input's channels, then `last_activation` (with batch norm
        between them if `output_batch_norm`). float32, so reconstructions stay exact under mixed
        precision; the last layer is named "reconstruction"."""
        conv = dict(padding="same", dtype="float32")
        if not self.output_batch_norm:
            return layers.Conv2D(
                channels, self.output_kernel, activation=self.last_activation,
                name="reconstruction", **conv,
            )(x)  # fmt: skip
        x = layers.Conv2D(channels, self.output_kernel, name="reconstruction_conv", **conv)(x)
        x = layers.BatchNormalization(
            momentum=BN_MOMENTUM, dtype="float32", name="reconstruction_bn"
        )(x)
        return layers.Activation(self.last_activation, dtype="float32", name="reconstruction")(x)

    def loss(self):
        return keras_loss("model.loss", self.loss_name)

    def metrics(self):
        return [keras.metrics.MeanSquaredError(name=self.metric_names[0])]

    def targets(self, x, y):
        return x

    def report(self, model: keras.Model, data, out_dir: Path, title: str, files=None) -> dict:
        """reconstructions.png, the encoder as its own model, the mean-image baseline, the test
        set's embeddings (embeddings.npz, embeddings.png) and their k-means scores; per image of
        every split its reconstruction error (reconstruction_errors.csv) and k-means cluster
        (clusters.csv, clusters.npz); worst_reconstructions.png and neighbours.png
        (`llexp.models.autoencoder_report`)."""
        return autoencoder_report.report(
            model, encoder_of(model), data, out_dir, title,
            self.visualization_size, self.clusters, files or Files(out_dir),
        )  # fmt: skip


def encoder_of(model: keras.Model) -> keras.Model:
    """The trained encoder of an autoencoder: its input up to the "embedding" layer."""
    return keras.Model(model.input, model.get_layer("embedding").output, name="encoder")


def positive_list(key: str, value) -> list[int]:
    """A list of positive ints from the config (a single number is a list of one)."""
    try:
        values = [int(v) for v in ([value] if isinstance(value, (int, float)) else value)]
    except (TypeError, ValueError):
        values = []
    if not values or min(values) < 1:
        raise LlexpError(
            f"model.{key}={value} must be a list of positive sizes, e.g. model.{key}=[32,16]"
        )
    return values
