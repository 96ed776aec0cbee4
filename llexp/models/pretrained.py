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
    smaller than `min_size` are resized up to it, and the backbone's `preprocess_input` is applied.
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
        dense: units of the head's hidden dense layers (the seed's: [512]).
        width: when given, the head's dense layers are scaled so the first has `width` units.
        dropout: dropout rate after each hidden dense layer.
        activation: activation of the head's hidden layers.
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
    ):
        schema.check_arguments(schema.model.Pretrained, "model.", locals())
        self.check_head(num_classes, dense, width, dropout, activation)
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
        from llexp.models.backbone import BackbonePreprocess

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
        x = BackbonePreprocess(module, name="preprocess")(x)
        backbone = self.make_backbone((*size, 3))
        self.freeze(backbone)
        x = backbone(x)
        return self.head(x, self.dense, self.activation, self.dropout, self.num_classes)


def is_app(name) -> bool:
    """Whether `keras.applications` has a model function `name` (VGG16, ResNet50, ...)."""
    name = str(name)
    return name[:1].isupper() and callable(getattr(keras.applications, name, None))
