"""The layer that prepared images for a `keras.applications` backbone in run folders written
before `model=pretrained` did it with a built-in 1x1 convolution (`preprocessing_conv`); kept so
that `llexp.load_model` still reads those runs. New models do not use it.

A module of its own: defining a Keras layer class imports Keras, and `llexp.models.pretrained`
must not (checking a config never starts TensorFlow; see `llexp.lazy`).
"""

from __future__ import annotations

import keras
from keras import layers


@keras.saving.register_keras_serializable(package="llexp")
class BackbonePreprocess(layers.Layer):
    """Images in [0, 1] -> the input a `keras.applications` backbone was trained on.

    Calls the backbone module's own `preprocess_input` on the images scaled to 0-255 (what it
    expects), inside the model: a saved run reloads and predicts on images as llexp loads them.

    Args:
        module: the `keras.applications` module of the backbone (vgg16, resnet, mobilenet_v2...).
    """

    def __init__(self, module: str, **kwargs):
        super().__init__(**kwargs)
        self.module = module

    def call(self, x):
        return getattr(keras.applications, self.module).preprocess_input(x * 255.0)

    def get_config(self):
        return {**super().get_config(), "module": self.module}
