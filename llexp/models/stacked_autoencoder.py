"""Stacked autoencoders fine-tuned end to end: the encoders and decoders of a chain of
autoencoder runs assembled into one autoencoder (`llexp stack --finetune`)."""

from __future__ import annotations

from pathlib import Path

from llexp import schema
from llexp.errors import LlexpError, whole
from llexp.lazy import lazy
from llexp.models.autoencoder import Autoencoder
from llexp.models.base import check_loss
from llexp.models.encoder_classifier import chained_run_dirs, run_config, shape_text

keras = lazy("keras")
layers = lazy("keras.layers")


class StackedAutoencoder(Autoencoder):
    """One autoencoder made of the trained stages of a stack, trained on the images end to end.

    Stage k (run k of `encoder_from`, bottom first) was trained on the codes of stage k-1,
    squashed by a sigmoid (`dataset=codes`). The assembled model is encoder 1 -> sigmoid ->
    encoder 2 -> ... -> encoder N (its code is the layer "embedding") -> decoder N -> ... ->
    decoder 1, each layer a copy of the stage's trained layer (built-in Keras layers only).
    Decoder k > 1 learnt to output sigmoid(code k-1) through its sigmoid output; without that
    last sigmoid it outputs the code itself (the sigmoid's input), which is what decoder k-1
    takes, so its output activation is dropped (linear).

    Args:
        encoder_from: the run folders of the stack's autoencoders, bottom first.
        loss: any Keras loss name (mse, binary_crossentropy, ...).
        visualization_size: reconstructions.png shows `visualization_size**2` test images.
        clusters: k of the k-means whose cluster of each image clusters.csv gives; `None`: the
            number of classes.
        width: no effect (the stages' runs fix every size); accepted, like every family's
            `width`, so that `debug=tiny` (which sets it) composes with this family too.
    """

    name = "stacked_autoencoder"

    def __init__(  # Autoencoder's keys describe one stage; the stages' own runs hold theirs.
        self,
        encoder_from: list[str],
        loss: str = "mse",
        visualization_size: int = 8,
        clusters: int | None = None,
        width: int | None = None,
    ):
        schema.check_arguments(schema.model.StackedAutoencoderConfig, "model.", locals())
        self.run_dirs = chained_run_dirs(encoder_from)
        for k, run_dir in enumerate(self.run_dirs[1:], start=2):
            last = run_config(run_dir).get("model", {}).get("last_activation")
            if last != "sigmoid":
                raise LlexpError(
                    f"model.encoder_from: stage {k} ({run_dir}) has last_activation={last}; stages "
                    "above the first need sigmoid (the codes they learn are squashed by one) to "
                    "be fine-tuned together"
                )
        check_loss("model.loss", loss)
        self.loss_name = loss
        self.visualization_size = whole("model.visualization_size", visualization_size, 1)
        self.clusters = clusters  # a whole number of at least 1, or None: checked above
        self.depth, self.bottleneck = 0, None

    def describe(self) -> str:
        return f"{self.name} of {len(self.run_dirs)} stage(s) loss={self.loss_name}"

    def check(self, input_shape) -> None:
        """The first stage's images are the ones it takes (checked when built)."""

    def size(self, input_shape) -> None:
        """Not estimated: the stages' runs fixed every size, and each of them trained (fit)."""
        return None

    def forward(self, inputs):
        stages = [stage_model(run_dir) for run_dir in self.run_dirs]
        x, last = inputs, len(stages)
        for k, model in enumerate(stages, start=1):
            expected = tuple(model.input_shape[1:])
            if tuple(x.shape[1:]) != expected:
                raise LlexpError(
                    f"stage {k} ({self.run_dirs[k - 1]}) takes {shape_text(expected)} inputs but "
                    f"gets {shape_text(x.shape[1:])}; use the dataset stage 1 was trained on"
                )
            for layer in encoder_layers(model):
                top = k == last and layer.name == "embedding"
                x = copied(layer, "embedding" if top else f"stage{k}_{layer.name}")(x)
            if k < last:  # what the codes dataset fed stage k + 1
                x = layers.Activation("sigmoid", name=f"stage{k}_codes")(x)
        for k in range(last, 0, -1):
            for layer in decoder_layers(stages[k - 1]):
                out = layer.name == "reconstruction"
                name = "reconstruction" if out and k == 1 else f"stage{k}_{layer.name}"
                x = copied(layer, name, linear=out and k > 1)(x)
        return x


def stage_model(run_dir: Path):
    """The whole trained autoencoder of a stage's run folder."""
    from llexp.artifacts import load_model

    return load_model(run_dir)


def encoder_layers(model) -> list:
    """The layers from the input to "embedding", in order (the autoencoder is one chain)."""
    chain = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    names = [layer.name for layer in chain]
    return chain[: names.index("embedding") + 1]


def decoder_layers(model) -> list:
    """The layers after "embedding", up to the output, in order."""
    chain = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    names = [layer.name for layer in chain]
    return chain[names.index("embedding") + 1 :]


def copied(layer, name: str, linear: bool = False):
    """A new layer like `layer`, named `name`, that takes `layer`'s weights once built."""
    config = {**layer.get_config(), "name": name}
    if linear:
        config["activation"] = "linear"
    copy = type(layer).from_config(config)

    def call(x):
        y = copy(x)
        copy.set_weights(layer.get_weights())
        return y

    return call
