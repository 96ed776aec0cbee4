"""The LeNet-like CNN classifier (seed: "Lenet_like")."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
from keras import layers

from llexp import artifacts, evaluation, figures
from llexp.errors import whole
from llexp.models.base import ImageModel, grown


class LeNet(ImageModel):
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
    objective = "val_accuracy"

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
        self.check_shared(width, depth, growth, kernel_size, dropout, activation)
        whole("model.num_classes", num_classes, 1)
        whole("model.dense_units", dense_units, 1)
        self.num_classes, self.width, self.depth, self.growth = num_classes, width, depth, growth
        self.kernel_size, self.activation, self.dense_units = kernel_size, activation, dense_units
        self.batch_norm, self.dropout = batch_norm, dropout

    def filters(self, block: int) -> int:
        return grown(self.width, self.growth, block)

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

    def loss(self):
        return keras.losses.SparseCategoricalCrossentropy()

    def metrics(self):
        return [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]

    def report(self, model: keras.Model, data, out_dir: Path, title: str) -> dict:
        """samples.png, predictions.png, probabilities.png, the test set's confusion matrix
        (confusion_matrix.png and .csv, rows the true classes, columns the predicted ones) and
        per-class precision, recall and F1 (per_class_metrics.csv and metrics.json)."""
        from sklearn.metrics import confusion_matrix

        names = data.class_names
        figures.samples(*data.sample("train", 25), names, out_dir / "samples.png", title)
        probs, labels = data.predict(model, "test"), data.test.labels
        pred = np.argmax(probs, axis=-1)
        shown, _ = data.sample("test", 25)
        figures.predictions(shown, labels, pred, names, out_dir / "predictions.png", title)
        figures.probabilities(shown, labels, probs, names, out_dir / "probabilities.png", title)
        matrix = confusion_matrix(labels, pred, labels=range(len(names)))
        rows = [["true \\ predicted", *names]]
        rows += [[name, *counts] for name, counts in zip(names, matrix, strict=True)]
        artifacts.write_csv(out_dir / "confusion_matrix.csv", rows)
        figures.confusion_matrix(matrix, names, out_dir / "confusion_matrix.png", title)
        return evaluation.classification(probs, labels, names, out_dir)
