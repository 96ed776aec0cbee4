"""Model families. A model config instantiates one of these; `.build(input_shape)` makes the Keras
model, and the family knows its loss, metrics, training targets and the figures worth drawing."""

from llexp.models.autoencoder import Autoencoder
from llexp.models.base import ImageModel, max_depth
from llexp.models.classifier import Classifier
from llexp.models.encoder_classifier import EncoderClassifier
from llexp.models.lenet import LeNet
from llexp.models.mlp import MLP
from llexp.models.pretrained import Pretrained
from llexp.models.stacked_autoencoder import StackedAutoencoder
from llexp.models.vgg16 import VGG16

__all__ = [
    "Autoencoder",
    "Classifier",
    "EncoderClassifier",
    "ImageModel",
    "LeNet",
    "MLP",
    "Pretrained",
    "StackedAutoencoder",
    "VGG16",
    "max_depth",
]
