"""Model families. A model config instantiates one of these; `.build(input_shape)` makes the Keras
model, and the family knows its loss, metrics, training targets and the figures worth drawing."""

from llexp.models.autoencoder import Autoencoder
from llexp.models.base import ImageModel, max_depth
from llexp.models.lenet import LeNet

__all__ = ["Autoencoder", "ImageModel", "LeNet", "max_depth"]
