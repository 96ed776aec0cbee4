"""A `keras.applications` backbone with a new head (seed: "fine-tuning a pre-trained VGG-16")."""

from __future__ import annotations

import os
from pathlib import Path

from llexp import schema
from llexp.errors import LlexpError, first_line
from llexp.lazy import lazy
from llexp.models.base import APPLICATIONS, known_name
from llexp.models.classifier import Classifier

keras = lazy("keras")
layers = lazy("keras.layers")


class Pretrained(Classifier):
    """A `keras.applications` backbone (without its top), then Flatten -> dense -> softmax.

    Inside the model, before the backbone: grayscale images are repeated to 3 channels, images
    smaller than `min_size` are resized up to it, and the backbone's `preprocess_input` is applied
    as a fixed 1x1 convolution (`preprocessing_conv`), so the saved model.json holds built-in
    layers only and loads with plain `keras.models.model_from_json`.
    The backbone is frozen (`trainable_layers=0`), or its last `trainable_layers` layers that hold
    weights are trained with the head, or all of it (`trainable_layers=all`).

    Args:
        num_classes: number of output classes.
        backbone: a `keras.applications` function name: VGG16, ResNet50, MobileNetV2, ...
        weights: `imagenet` (downloaded once into $KERAS_HOME/models), a weights file, or None
            for random initialisation.
        trainable_layers: 0 (frozen backbone), N (its last N layers with weights train) or "all".
        min_size: images smaller than this (height or width) are resized up to it; the smallest
            input the backbone accepts (32 for VGG16, ResNet50, MobileNetV2; 75 for InceptionV3).
        dense: units of the head's hidden dense layers (default [512]).
        width: when given, the head's dense layers are scaled so the first has `width` units.
        dropout: dropout rate after each hidden dense layer.
        activation: activation of the head's hidden layers.
        head: `flatten` or `gap` (global average pooling) before the dense layers.
        head_convs: filter counts of 3x3 convolutions before the flatten or pooling.
        head_batch_norm: batch normalisation after each head conv and hidden dense layer.
    """

    name = "pretrained"

    def __init__(
        self,
        num_classes: int,
        backbone: str = "VGG16",
        weights: str | None = "imagenet",
        trainable_layers: int | str = 0,
        min_size: int = 32,
        dense: list[int] = (512,),
        width: int | None = None,
        dropout: float = 0.0,
        activation: str = "relu",
        head: str = "flatten",
        head_convs: list[int] | None = None,
        head_batch_norm: bool = False,
    ):
        schema.check_arguments(schema.model.PretrainedConfig, "model.", locals())
        self.check_head(num_classes, dense, width, dropout, activation)
        self.check_head_shape(head, head_convs, head_batch_norm)
        known_name("model.backbone", backbone, APPLICATIONS, "a keras.applications model", is_app)
        if weights not in ("imagenet", None) and not Path(str(weights)).expanduser().is_file():
            raise LlexpError(
                f"model.weights={weights}: use imagenet, null (random) or a weights file's path"
            )
        self.backbone, self.weights = backbone, weights
        self.trainable_layers, self.min_size = trainable_layers, min_size

    def describe(self) -> str:
        return (
            f"{self.name} {self.backbone} weights={self.weights} "
            f"trainable_layers={self.trainable_layers}"
        )

    def make_backbone(self, shape: tuple[int, ...]) -> keras.Model:
        """The backbone without its top for `shape` images, weights loaded, one line on failure."""
        application = getattr(keras.applications, self.backbone)
        try:
            return application(include_top=False, weights=self.weights, input_shape=shape)
        except ValueError as error:  # keras.applications refuses the input shape
            raise LlexpError(
                f"model.backbone={self.backbone} refuses {'x'.join(map(str, shape))} inputs "
                f"({first_line(error)}); raise model.min_size"
            ) from error
        except Exception as error:  # offline: keras's get_file raises a plain Exception
            cache = Path(os.environ.get("KERAS_HOME", "~/.keras")).expanduser() / "models"
            raise LlexpError(
                f"could not download the {self.weights} weights of {self.backbone} into {cache} "
                f"({first_line(error)}); connect to the network once, or use model.weights=null"
            ) from error

    def freeze(self, backbone: keras.Model) -> None:
        """Freezes the backbone except its last `trainable_layers` layers that hold weights."""
        weighted = [layer for layer in backbone.layers if layer.weights]
        n = len(weighted) if self.trainable_layers == "all" else self.trainable_layers
        if n > len(weighted):
            raise LlexpError(
                f"model.trainable_layers={n} but {self.backbone} has {len(weighted)} layers "
                f"with weights; use at most {len(weighted)}, or all"
            )
        for layer in backbone.layers:
            layer.trainable = False
        for layer in weighted[len(weighted) - n :]:
            layer.trainable = True

    def forward(self, inputs):
        height, width, channels = (int(s) for s in inputs.shape[1:])
        if channels not in (1, 3):
            raise LlexpError(
                f"model=pretrained takes grayscale or RGB images; these have {channels} channels"
            )
        x = inputs
        if channels == 1:  # ImageNet backbones take RGB: repeat the gray channel
            x = layers.Concatenate(name="gray_to_rgb")([x, x, x])
        size = (max(height, self.min_size), max(width, self.min_size))
        if size != (height, width):
            x = layers.Resizing(*size, name="resize")(x)
        module = getattr(keras.applications, self.backbone).__module__.rsplit(".", 1)[-1]
        x = preprocessing_conv(module, x)
        backbone = self.make_backbone((*size, 3))
        self.freeze(backbone)
        x = backbone(x)
        return self.head(x, self.dense, self.activation, self.dropout, self.num_classes)


def is_app(name) -> bool:
    """Whether `keras.applications` has a model function `name` (VGG16, ResNet50, ...)."""
    name = str(name)
    return name[:1].isupper() and callable(getattr(keras.applications, name, None))


def preprocessing_conv(module: str, x):
    """`keras.applications.<module>.preprocess_input` of images in [0, 1] (scaled to 0-255, as it
    expects), as a frozen 1x1 convolution applied to `x`.

    Every backbone's preprocessing is an affine map of each pixel's 3 channels (VGG16 and ResNet50
    flip RGB to BGR and subtract ImageNet's mean, MobileNetV2 scales to [-1, 1], DenseNet
    standardises, EfficientNet takes 0-255): `y = W x + b`, which is exactly a 1x1 convolution with
    kernel W and bias b. W and b are read off the function itself (its output for black and for
    each pure channel), and checked on a random pixel.
    """
    import numpy as np

    preprocess = getattr(keras.applications, module).preprocess_input

    def apply(rgb) -> np.ndarray:
        return np.asarray(preprocess(np.array(rgb, "float32").reshape(1, 1, 1, 3) * 255.0))[0, 0, 0]

    bias = apply([0.0, 0.0, 0.0])
    kernel = np.stack([apply(np.eye(3)[i]) - bias for i in range(3)])  # [input, output]
    probe = np.random.default_rng(0).random(3)
    if not np.allclose(apply(probe), probe @ kernel + bias, rtol=1e-4, atol=1e-3):
        raise LlexpError(f"{module}.preprocess_input is not a per-pixel affine map")
    conv = layers.Conv2D(3, 1, trainable=False, dtype="float32", name="preprocess")
    y = conv(x)
    conv.set_weights([kernel.reshape(1, 1, 3, 3).astype("float32"), bias.astype("float32")])
    return y
