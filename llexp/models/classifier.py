"""What every classifier family shares: the softmax head, its loss, accuracy and figures."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from llexp import artifacts, evaluation
from llexp.lazy import lazy
from llexp.models.base import ImageModel, check_activation
from llexp.schema.keys import as_sizes

keras = lazy("keras")
layers = lazy("keras.layers")
figures = lazy("llexp.figures")


class Classifier(ImageModel):
    """A family whose model maps images to class probabilities (labels are the targets)."""

    objective = "val_accuracy"
    metric_names = ("accuracy",)
    learns_classes = True

    def check_head(self, num_classes, dense, width, dropout, activation) -> None:
        """Checks and keeps the arguments of a head of dense layers on a backbone or encoders
        (`self.dense`, scaled so the first has `width` units when given)."""
        check_activation("model.activation", activation)
        self.num_classes, self.dropout, self.activation = num_classes, dropout, activation
        self.dense = scaled(as_sizes(dense), width)

    def head(self, x, units: list[int], activation: str, dropout: float, num_classes: int):
        """Flatten -> dense `units` (each followed by dropout) -> float32 softmax.

        The softmax runs in float32, so probabilities stay exact under mixed precision.
        """
        if len(x.shape) > 2:
            x = layers.Flatten(name="flatten")(x)
        for i, n in enumerate(units):
            x = layers.Dense(n, activation=activation, name=f"fc{i + 1}")(x)
            if dropout:
                x = layers.Dropout(dropout, name=f"fc{i + 1}_dropout")(x)
        x = layers.Dense(num_classes, name="logits")(x)
        return layers.Activation("softmax", dtype="float32", name="probabilities")(x)

    def loss(self):
        return keras.losses.SparseCategoricalCrossentropy()

    def metrics(self):
        return [keras.metrics.SparseCategoricalAccuracy(name=self.metric_names[0])]

    def report(self, model: keras.Model, data, out_dir: Path, title: str) -> dict:
        """samples.png, predictions.png, probabilities.png, the test set's confusion matrix
        (confusion_matrix.png and .csv, rows the true classes, columns the predicted ones) and
        per-class precision, recall and F1 (per_class_metrics.csv and metrics.json)."""
        from sklearn.metrics import confusion_matrix

        names = data.class_names
        figures.samples(*data.sample("train", 25), names, out_dir / "samples.png", title)
        probs, labels = data.predict(model, "test"), data.test.labels  # the run's own pass
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


def scaled(units: list[int], width: int | None) -> list[int]:
    """`units` scaled so the first is `width` (the others keep their ratio); as given if None."""
    if width is None or not units:
        return units
    return [max(1, round(n * width / units[0])) for n in units]
