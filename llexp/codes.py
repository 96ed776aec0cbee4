"""The codes of an earlier autoencoder run's encoder, as a dataset: stacked pretraining's input.

`dataset=codes dataset.encoder_from=RUN` reads the images of the dataset RUN was trained on,
passes them through RUN's trained encoder and gives the codes, with the same labels, as images to
the next run (stacked autoencoders: autoencoder 2 learns to reproduce autoencoder 1's codes).
"""

from __future__ import annotations

import numpy as np

from llexp.data import Source
from llexp.errors import LlexpError, instantiate
from llexp.models.encoder_classifier import encoder_run_dir, load_encoder, run_config, shape_text


class EncoderCodesSource(Source):
    """Codes of `encoder_from`'s encoder on the images of its own dataset, squashed into (0, 1).

    llexp's images lie in [0, 1] and an autoencoder's sigmoid output reproduces that range, so
    the codes (ReLU outputs, unbounded) go through a sigmoid, which keeps their order and
    information; `model=encoder_classifier` applies the same sigmoid between stacked encoders.

    Args:
        encoder_from: the run folder of a finished autoencoder run with a convolutional code.
        val_split, subset, seed, batch_size: see `Source`.
    """

    starts_tensorflow = True  # the codes' shape comes from the encoder, read with Keras

    def __init__(self, encoder_from, **kwargs):
        self.run_dir = encoder_run_dir(encoder_from, "dataset.encoder_from")
        self.images = instantiate(run_config(self.run_dir)["dataset"])
        super().__init__(self.images.num_classes, self.images.class_names, **kwargs)
        self.name = f"codes({self.images.name})"
        self.input_shape = tuple(load_encoder(self.run_dir, "encoder").output_shape[1:])
        if len(self.input_shape) != 3:
            raise LlexpError(
                f"dataset.encoder_from={encoder_from}: its encoder gives flat codes of shape "
                f"{shape_text(self.input_shape)} (a dense bottleneck); stacking needs a "
                "convolutional code: train that autoencoder with model.bottleneck=null"
            )

    def cache_key(self) -> tuple:
        weights = self.run_dir / "encoder.weights.h5"
        return (*super().cache_key(), str(self.run_dir), weights.stat().st_mtime_ns)

    def arrays(self):
        x_train, y_train, x_test, y_test = self.images.decoded()
        encoder = load_encoder(self.run_dir, "encoder")

        def codes(x):
            z = encoder.predict(x, batch_size=256, verbose=0).astype("float32")
            return (1.0 / (1.0 + np.exp(-z))).astype("float32")

        return (codes(x_train), y_train), (codes(x_test), y_test)


# The earlier name: the `_target_` recorded by runs made before the sources were named `*Source`,
# which reloading, resuming and `model=encoder_classifier`'s stack check read again.
EncoderCodes = EncoderCodesSource
