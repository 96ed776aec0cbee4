"""What every model family shares: the depth rule, building on an input, loss and metrics."""

from __future__ import annotations

import difflib
import math
from importlib import metadata
from pathlib import Path

from llexp.errors import LlexpError, number, whole
from llexp.lazy import lazy

keras = lazy("keras")


def max_depth(input_shape) -> int:
    """Largest number of halving blocks an image of `input_shape` (H, W, C) survives (size >= 1)."""
    return int(math.floor(math.log2(min(input_shape[:2]))))


# Names Keras knows, as of Keras 3.15 (tests/test_models.py compares them with the installed
# Keras's): a config's activation or backbone is checked against them without starting TensorFlow.
KNOWN_FROM = (3, 15)
ACTIVATIONS = frozenset(
    "celu elu exponential gelu glu hard_shrink hard_sigmoid hard_silu hard_swish hard_tanh "
    "leaky_relu linear log_sigmoid log_softmax mish relu relu6 selu sigmoid silu soft_shrink "
    "softmax softplus softsign sparse_plus sparse_sigmoid sparsemax squareplus swish tanh "
    "tanh_shrink threshold".split()
)
APPLICATIONS = frozenset(
    "ConvNeXtBase ConvNeXtLarge ConvNeXtSmall ConvNeXtTiny ConvNeXtXLarge DenseNet121 DenseNet169 "
    "DenseNet201 EfficientNetB0 EfficientNetB1 EfficientNetB2 EfficientNetB3 EfficientNetB4 "
    "EfficientNetB5 EfficientNetB6 EfficientNetB7 EfficientNetV2B0 EfficientNetV2B1 "
    "EfficientNetV2B2 EfficientNetV2B3 EfficientNetV2L EfficientNetV2M EfficientNetV2S "
    "InceptionResNetV2 InceptionV3 MobileNet MobileNetV2 MobileNetV3Large MobileNetV3Small "
    "NASNetLarge NASNetMobile ResNet101 ResNet101V2 ResNet152 ResNet152V2 ResNet50 ResNet50V2 "
    "VGG16 VGG19 Xception".split()
)

# Losses `keras_loss` turns into a Keras loss object: aliases, functions' and classes' names.
LOSSES = frozenset(
    "BCE BinaryCrossentropy BinaryFocalCrossentropy CTC CategoricalCrossentropy "
    "CategoricalFocalCrossentropy CategoricalHinge Circle CosineSimilarity Dice Hinge Huber "
    "KLDivergence LogCosh MAE MAPE MSE MSLE MeanAbsoluteError MeanAbsolutePercentageError "
    "MeanSquaredError MeanSquaredLogarithmicError Poisson SparseCategoricalCrossentropy "
    "SquaredHinge Tversky bce binary_crossentropy binary_focal_crossentropy "
    "categorical_crossentropy categorical_focal_crossentropy categorical_hinge circle "
    "cosine_similarity dice hinge huber log_cosh mae mape mean_absolute_error "
    "mean_absolute_percentage_error mean_squared_error mean_squared_logarithmic_error mse msle "
    "poisson sparse_categorical_crossentropy squared_hinge tversky".split()
)


def check_loss(key: str, name) -> None:
    """Fails with one line when `keras_loss` would not know `name`."""
    known_name(key, name, LOSSES, "a Keras loss", is_keras_loss, shown=LOSSES_SHOWN)


LOSSES_SHOWN = sorted(n for n in LOSSES if n.islower() and len(n) > 4)  # the error lists these


def is_keras_loss(name) -> bool:
    try:
        keras_loss("", name)
    except LlexpError:
        return False
    return True


def check_activation(key: str, value) -> None:
    """Fails with one line when `value` is no Keras activation (None is linear)."""
    if value is not None:
        known_name(key, value, ACTIVATIONS, "a Keras activation", keras_activation)


def keras_activation(value) -> bool:
    try:
        keras.activations.get(value)
    except (ValueError, TypeError):
        return False
    return True


def known_name(key: str, value, names: frozenset, what: str, in_keras, shown=None) -> None:
    """Fails with one line, naming the closest of `names` (and listing `shown`, by default all
    of them), when `value` is not one of them.

    A name of `names` passes without importing Keras when the installed Keras is `KNOWN_FROM` or
    newer. Anything else (a callable given from Python, any name with an older Keras, a name a
    newer Keras may have added) is asked of Keras: `in_keras(value)` says whether it knows it.
    """
    version = keras_version()
    if isinstance(value, str) and value in names and version >= KNOWN_FROM:
        return
    # A callable, a Keras newer than the lists (it may know more names) or older (it may lack
    # some of them): Keras decides.
    if (not isinstance(value, str) or version != KNOWN_FROM) and in_keras(value):
        return
    close = difflib.get_close_matches(str(value), sorted(names), n=1)
    hint = f"did you mean {close[0]}? " if close else ""
    shown = ", ".join(sorted(names) if shown is None else shown)
    raise LlexpError(f"{key}={value} is not {what}; {hint}use one of {shown}")


def keras_version() -> tuple[int, int]:
    """(major, minor) of the installed Keras, read from its metadata (no import)."""
    try:
        major, minor = metadata.version("keras").split(".")[:2]
        return int(major), int("".join(c for c in minor if c.isdigit()) or 0)
    except (metadata.PackageNotFoundError, ValueError):
        return (0, 0)


def grown(width: int, growth: float, block: int) -> int:
    """Filters of block `block` (from 0): `width` multiplied by `growth` once per block."""
    return max(1, round(width * growth**block))


class ImageModel:
    """A model family: a block with no input tensor that is called on one later (`__call__`),
    plus what training it needs. Subclasses set `name`, `depth` and implement `forward`."""

    name = "model"
    depth = 0
    objective = "val_loss"  # what a sweep optimises unless `objective` says otherwise
    needs_labels = True  # False: trains on images alone (a folder without classes will do)
    metric_names: tuple[str, ...] = ()  # the names of `metrics()`, known without Keras

    def __call__(self, inputs):
        """The family's layers on `inputs`, once the depth rule holds for their shape."""
        self.check(tuple(int(s) for s in inputs.shape[1:]))
        return self.forward(inputs)

    def forward(self, inputs):
        """The layers from the input to the output tensor; subclasses implement it."""
        raise NotImplementedError

    @staticmethod
    def check_shared(width, depth, growth, dropout, activation) -> None:
        """Checks the keys every convolutional family shares, each failing with one line
        (`kernel_size`, `strides` and `pool`, one per block, with `llexp.models.blocks`)."""
        whole("model.width", width, 1)
        whole("model.depth", depth, 0)
        if number("model.growth", growth, 0) == 0:
            raise LlexpError(f"model.growth={growth} must be positive")
        number("model.dropout", dropout, 0.0, 1.0, high_open=True)
        check_activation("model.activation", activation)

    # The depth rule, stated for the error message ({depth}, {factor} = 2**depth are filled in);
    # subclasses with a stricter rule override both `depth_rule` and `deepest`.
    depth_rule = "each block halves height and width, which must stay at least 1 pixel"

    def deepest(self, input_shape) -> int:
        """The largest depth that fits images of `input_shape`."""
        return max_depth(input_shape)

    def check(self, input_shape) -> None:
        """Fails with one line when `depth` breaks the depth rule for these images."""
        deepest = self.deepest(input_shape)
        if self.depth > deepest:
            size = "x".join(str(s) for s in input_shape[:2])
            raise LlexpError(
                f"model.depth={self.depth} is too deep for {size} images: "
                f"{self.depth_rule.format(depth=self.depth, factor=2**self.depth)}, "
                f"so the largest depth that fits is {deepest}; use model.depth<={deepest}"
            )

    def size(self, input_shape) -> tuple[int, int] | None:
        """(weights, numbers in the largest layer output per image), estimated without Keras,
        or None when the family cannot tell (`llexp.memory` checks it fits)."""
        return None

    def describe(self) -> str:
        """Short name with the key hyperparameters, for figure titles and logs."""
        return f"{self.name} depth={self.depth} width={getattr(self, 'width', '?')}"

    def build(self, input_shape, preprocessing=()) -> keras.Model:
        """Calls the block (which checks the depth rule) on a fresh `keras.Input`.

        Args:
            input_shape: `(H, W, C)` of the images.
            preprocessing: layers between the input and the block, for every family alike
                (the dataset's normalisation), saved with the model.
        """
        input_shape = tuple(int(s) for s in input_shape)
        inputs = x = keras.Input(shape=input_shape, name="image")
        for layer in preprocessing:
            x = layer(x)
        return keras.Model(inputs, self(x), name=self.name)

    def loss(self) -> keras.losses.Loss:
        raise NotImplementedError

    def metrics(self) -> list[keras.metrics.Metric]:
        """Fresh metric objects (each trainer keeps its own state)."""
        return []

    def targets(self, x, y):
        """What the model learns to output for images `x` with labels `y`."""
        return y

    def report(self, model: keras.Model, data, out_dir: Path, title: str, files=None) -> dict:
        """Writes the family's figures into `out_dir`; returns extra metrics for metrics.json.

        `data` is the run's `llexp.data.Splits`: `data.sample(...)` for figures,
        `data.predict(model, "test")` and `data.test.labels` for the whole test set. `files` (a
        `llexp.background.Files`, or None to write at once) takes the drawing and writing, so
        that a sweep's next job need not wait for them: give it NumPy arrays, not models."""
        return {}


def keras_loss(key: str, name: str) -> keras.losses.Loss:
    """A built-in Keras loss object from a name: an alias (`mse`, `binary_crossentropy`, `mae`,
    `huber`, ...) or a class name (`MeanSquaredError`).

    The object, not the alias's function: it reduces to one number per batch, as every trainer
    expects, and being built in, `model.to_json()` of a compiled model reloads without custom
    objects. An alias's class is the CamelCase of its function's name (binary_crossentropy ->
    BinaryCrossentropy).
    """
    try:
        found = keras.losses.get(name)
        if not isinstance(found, keras.losses.Loss):
            found = keras.losses.get("".join(p.title() for p in found.__name__.split("_")))
    except (ValueError, TypeError, AttributeError) as error:
        raise LlexpError(
            f"{key}={name!r} is not a Keras loss; use e.g. mse, binary_crossentropy, mae, huber "
            f"or a keras.losses class name ({error})"
        ) from error
    return found


def unreduced(loss):
    """`loss` giving its values per sample (or per pixel) instead of their mean over the batch.

    Inside a `tf.distribute` strategy (trainer.strategy=mirrored) a Keras loss divides the mean
    it returns by the number of replicas, expecting the replicas' values to be summed; with
    `reduction="none"` it returns the values as they are, and the caller averages what it holds.
    A function (a loss given by name to the Python API) returns them already.
    """
    if not isinstance(loss, keras.losses.Loss):
        return loss
    try:
        return type(loss).from_config({**loss.get_config(), "reduction": "none"})
    except (TypeError, ValueError):  # a loss of the user's that takes no `reduction`
        return loss.call  # its values before reduction, as every Loss subclass computes them
