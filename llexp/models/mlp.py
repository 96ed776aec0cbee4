"""The fully-connected classifier (seed notebook: "MNIST fully-connected, >= 96%")."""

from __future__ import annotations

import math

from llexp import memory, schema
from llexp.errors import number, whole
from llexp.lazy import lazy
from llexp.models.base import check_activation
from llexp.models.blocks import batch_norm
from llexp.models.classifier import Classifier, scaled, units_list

keras = lazy("keras")
layers = lazy("keras.layers")


class MLP(Classifier):
    """Multilayer perceptron: flatten -> hidden dense layers -> softmax over `num_classes`.

    Each hidden layer is dense -> (batch norm) -> activation -> (dropout). With batch norm the
    dense layer has no bias, since the normalisation's offset replaces it.

    Args:
        num_classes: number of output classes.
        hidden: units of each hidden layer, e.g. `[512, 256]`; `[]` is a linear classifier.
        width: when given, the hidden layers are scaled so the first has `width` units (the
            others keep their ratio to it); a quick way to try a narrow network.
        activation: any Keras activation name.
        dropout: dropout rate after each hidden layer (0 for none).
        batch_norm: batch normalisation before each hidden activation.

    Example:

    ```python
    model = MLP(num_classes=10, hidden=[64]).build((8, 8, 1))
    ```
    """

    name = "mlp"

    def __init__(
        self,
        num_classes: int,
        hidden: list[int] = (512, 256),
        width: int | None = None,
        activation: str = "relu",
        dropout: float = 0.0,
        batch_norm: bool = False,
    ):
        schema.check_arguments(schema.model.MLPConfig, "model.", locals())
        whole("model.num_classes", num_classes, 1)
        hidden = scaled(units_list("hidden", hidden), width)
        number("model.dropout", dropout, 0.0, 1.0, high_open=True)
        check_activation("model.activation", activation)
        self.num_classes, self.hidden, self.width = num_classes, hidden, width
        self.activation, self.dropout, self.batch_norm = activation, dropout, batch_norm

    def describe(self) -> str:
        return f"{self.name} hidden={self.hidden}" + (" batch_norm" if self.batch_norm else "")

    def size(self, input_shape):
        return memory.dense_stack(math.prod(input_shape), [*self.hidden, self.num_classes])

    def forward(self, inputs):
        x = layers.Flatten(name="flatten")(inputs)
        for i, units in enumerate(self.hidden):
            name = f"hidden{i + 1}"
            x = layers.Dense(units, use_bias=not self.batch_norm, name=name)(x)
            if self.batch_norm:
                x = batch_norm(f"{name}_bn")(x)
            x = layers.Activation(self.activation, name=f"{name}_act")(x)
            if self.dropout:
                x = layers.Dropout(self.dropout, name=f"{name}_dropout")(x)
        return self.head(x, [], self.activation, 0.0, self.num_classes)
