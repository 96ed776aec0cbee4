"""What every classifier family shares: the softmax head, its loss, accuracy and figures."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from llexp import artifacts, evaluation, per_image
from llexp.background import Files
from llexp.errors import LlexpError, number, whole
from llexp.lazy import lazy
from llexp.models.base import ImageModel, check_activation
from llexp.models.blocks import batch_norm, conv_head

keras = lazy("keras")
layers = lazy("keras.layers")
figures = lazy("llexp.figures")
galleries = lazy("llexp.galleries")


class Classifier(ImageModel):
    """A family whose model maps images to class probabilities (labels are the targets)."""

    objective = "val_accuracy"
    metric_names = ("accuracy",)

    def check_head(self, num_classes, dense, width, dropout, activation) -> None:
        """Checks and keeps the arguments of a head of dense layers on a backbone or encoders
        (`self.dense`, scaled so the first has `width` units when given)."""
        whole("model.num_classes", num_classes, 1)
        number("model.dropout", dropout, 0.0, 1.0, high_open=True)
        check_activation("model.activation", activation)
        self.num_classes, self.dropout, self.activation = num_classes, dropout, activation
        self.dense = scaled(units_list("dense", dense), width)

    def check_head_shape(self, head: str, head_convs, head_batch_norm: bool) -> None:
        """Checks and keeps how the head starts: `head` (`flatten` or `gap`, global average
        pooling), the convolutions before it (`head_convs`, a list of filter counts) and batch
        norm in the head (after each head conv and hidden dense layer)."""
        if head not in ("flatten", "gap"):
            raise LlexpError(f"model.head={head} must be flatten or gap (global average pooling)")
        self.head_kind = head
        self.head_convs = [] if head_convs is None else units_list("head_convs", head_convs)
        self.head_batch_norm = head_batch_norm

    head_kind, head_convs, head_batch_norm = "flatten", (), False

    def head(self, x, units: list[int], activation: str, dropout: float, num_classes: int):
        """(`head_convs`) -> flatten or global average pooling -> dense `units` (each with batch
        norm if `head_batch_norm`, then dropout) -> float32 softmax.

        The softmax runs in float32, so probabilities stay exact under mixed precision.
        """
        bn = bool(self.head_batch_norm)
        if (self.head_convs or self.head_kind == "gap") and len(x.shape) != 4:
            raise LlexpError(
                f"model.head={self.head_kind} with model.head_convs={self.head_convs} needs a "
                f"feature map (height x width x channels) but the features are "
                f"{tuple(x.shape[1:])}; use model.head=flatten model.head_convs=[]"
            )
        x = conv_head(x, list(self.head_convs), 3, activation, bn)
        if self.head_kind == "gap":
            x = layers.GlobalAveragePooling2D(name="gap")(x)
        elif len(x.shape) > 2:
            x = layers.Flatten(name="flatten")(x)
        for i, n in enumerate(units):
            name = f"fc{i + 1}"
            if bn:  # dense -> batch norm -> activation (the norm's offset replaces the bias)
                x = layers.Dense(n, use_bias=False, name=name)(x)
                x = batch_norm(f"{name}_bn")(x)
                x = layers.Activation(activation, name=f"{name}_act")(x)
            else:
                x = layers.Dense(n, activation=activation, name=name)(x)
            if dropout:
                x = layers.Dropout(dropout, name=f"{name}_dropout")(x)
        x = layers.Dense(num_classes, name="logits")(x)
        return layers.Activation("softmax", dtype="float32", name="probabilities")(x)

    def loss(self):
        return keras.losses.SparseCategoricalCrossentropy()

    def metrics(self):
        return [keras.metrics.SparseCategoricalAccuracy(name=self.metric_names[0])]

    def report(self, model: keras.Model, data, out_dir: Path, title: str, files=None) -> dict:
        """samples.png, predictions.png, probabilities.png, the test set's confusion matrix
        (confusion_matrix.png and .csv, rows the true classes, columns the predicted ones),
        per-class precision, recall and F1 (per_class_metrics.csv and metrics.json), and per
        image: predictions.csv and misclassified.png (the most confident mistakes).

        The model passes happen here; the drawing and writing go to `files` (a
        `llexp.background.Files`; by default done at once)."""
        from sklearn.metrics import confusion_matrix

        files = files or Files(out_dir)
        names = data.class_names
        train_x, train_y = data.sample("train", 25)
        probs, labels = data.predict(model, "test"), data.test.labels  # the run's own pass
        pred = np.argmax(probs, axis=-1)
        shown, _ = data.sample("test", 40)
        mistakes = galleries.most_confident_mistakes(labels, probs, 25)
        wrong = data.test.images_at(mistakes)
        matrix = confusion_matrix(labels, pred, labels=range(len(names)))
        rows = [["true \\ predicted", *names]]
        rows += [[name, *counts] for name, counts in zip(names, matrix, strict=True)]
        files.add(figures.samples, train_x, train_y, names, out_dir / "samples.png", title)
        files.add(figures.predictions, shown[:25], labels, pred, names,
                  out_dir / "predictions.png", title)  # fmt: skip
        files.add(figures.probabilities, shown, labels, probs, names,
                  out_dir / "probabilities.png", title)  # fmt: skip
        files.add(artifacts.write_csv, out_dir / "confusion_matrix.csv", rows)
        files.add(figures.confusion_matrix, matrix, names, out_dir / "confusion_matrix.png", title)
        files.add(per_image.write_predictions, out_dir / "predictions.csv", probs, labels, names)
        files.add(galleries.misclassified, wrong, mistakes, labels, probs, names,
                  out_dir / "misclassified.png", title)  # fmt: skip
        return evaluation.classification(probs, labels, names, out_dir)


def units_list(key: str, value) -> list[int]:
    """Layer sizes from the config: a list of whole numbers >= 1 (one number is a list of one)."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value]
    try:
        values = list(value)
    except TypeError:
        values = [None]
    if isinstance(value, str) or not all(
        isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in values
    ):
        raise LlexpError(
            f"model.{key}={value} must be a list of whole sizes >= 1, e.g. model.{key}=[512,256]"
        )
    return values


def scaled(units: list[int], width: int | None) -> list[int]:
    """`units` scaled so the first is `width` (the others keep their ratio); as given if None."""
    if width is None or not units:
        return units
    whole("model.width", width, 1)
    return [max(1, round(n * width / units[0])) for n in units]
