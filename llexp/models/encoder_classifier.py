"""A classifier on the trained encoder(s) of earlier autoencoder runs."""

from __future__ import annotations

import json
from pathlib import Path

from llexp import record, schema
from llexp.errors import LlexpError
from llexp.lazy import lazy
from llexp.models.classifier import Classifier
from llexp.record import earlier

keras = lazy("keras")
layers = lazy("keras.layers")

CODES_TARGET = "llexp.codes.EncoderCodesSource"


def encoder_run_dir(path, key: str = "model.encoder_from") -> Path:
    """The folder of a finished autoencoder run (it holds encoder.json), or one line on why not."""
    run_dir = Path(str(path)).expanduser()
    if not run_dir.is_dir():
        raise LlexpError(f"{key}={path}: no such folder; pass the run folder of an autoencoder run")
    if not (run_dir / "metrics.json").is_file() or not (run_dir / "model.json").is_file():
        raise LlexpError(
            f"{key}={path} is not a finished llexp run folder (no metrics.json and model.json); "
            "pass the folder an autoencoder run printed at its end"
        )
    status = record.status(run_dir)
    if status != "completed":
        raise LlexpError(
            f"{key}={path} holds a run that did not complete (status: {status}); "
            "pass the folder of a completed autoencoder run"
        )
    if not (run_dir / "encoder.json").is_file():
        target = run_config(run_dir).get("model", {}).get("_target_", "?")
        raise LlexpError(
            f"{key}={path} is a run of {target}, not of an autoencoder (it has no encoder.json); "
            "pass the folder of a model=autoencoder run"
        )
    return run_dir.resolve()


def run_config(run_dir: Path) -> dict:
    """The resolved config a finished run recorded in its metrics.json."""
    return record.read(run_dir).get("config", {})


def load_encoder(run_dir: Path, name: str) -> keras.Model:
    """The trained encoder saved by an autoencoder run, renamed `name` (two stacked encoders
    must not share a name inside one model)."""
    spec = json.loads((run_dir / "encoder.json").read_text())
    spec["config"]["name"] = name
    encoder = keras.models.model_from_json(json.dumps(spec))
    encoder.load_weights(str(run_dir / "encoder.weights.h5"))
    return encoder


def chained_run_dirs(encoder_from) -> list[Path]:
    """The autoencoder run folders of `model.encoder_from` (one, or a list, bottom first), each
    trained on the codes of the one before, or one line on why not."""
    paths = [encoder_from] if isinstance(encoder_from, (str, Path)) else list(encoder_from)
    if not paths:
        raise LlexpError("model.encoder_from=[] names no run; pass an autoencoder run folder")
    run_dirs = [encoder_run_dir(p) for p in paths]
    for lower, upper in zip(run_dirs, run_dirs[1:], strict=False):
        dataset = run_config(upper).get("dataset", {})
        source = dataset.get("encoder_from")
        # a run made before the rename names the codes source `llexp.codes.EncoderCodes`
        codes = earlier.same_target(dataset.get("_target_"), CODES_TARGET)
        if not codes or encoder_run_dir(source) != lower:
            raise LlexpError(
                f"model.encoder_from: {upper} was not trained on the codes of {lower}; "
                f"train it with dataset=codes dataset.encoder_from={lower}"
            )
    return run_dirs


def shape_text(shape) -> str:
    return "x".join(str(s) for s in shape)


class EncoderClassifier(Classifier):
    """The encoder of one autoencoder run, or a stack of them, then a dense head and a softmax.

    With a list of runs, run k+1 must have been trained on the codes of run k's encoder
    (`dataset=codes dataset.encoder_from=RUN_k`): the stack is encoder 1 -> sigmoid -> encoder 2
    -> ..., the sigmoid being the squashing the codes dataset applies (the stacked
    autoencoders). The encoders are frozen (`freeze=true`) or fine-tuned with the head.

    Args:
        num_classes: number of output classes.
        encoder_from: the run folder of an autoencoder run, or a list of them (bottom first).
        freeze: keep the encoders' weights fixed; only the head trains.
        dense: units of the head's hidden dense layers.
        width: when given, the head's dense layers are scaled so the first has `width` units.
        dropout: dropout rate after each hidden dense layer.
        activation: activation of the head's hidden layers.
        head: `flatten` or `gap` (global average pooling) before the dense layers.
        head_convs: filter counts of 3x3 convolutions before the flatten or pooling.
        head_batch_norm: batch normalisation after each head conv and hidden dense layer.
    """

    name = "encoder_classifier"

    def __init__(
        self,
        num_classes: int,
        encoder_from: str | list[str],
        freeze: bool = True,
        dense: list[int] = (512,),
        width: int | None = None,
        dropout: float = 0.0,
        activation: str = "relu",
        head: str = "flatten",
        head_convs: list[int] | None = None,
        head_batch_norm: bool = False,
    ):
        schema.check_arguments(schema.model.EncoderClassifierConfig, "model.", locals())
        self.check_head(num_classes, dense, width, dropout, activation)
        self.check_head_shape(head, head_convs, head_batch_norm)
        self.run_dirs = chained_run_dirs(encoder_from)
        self.freeze = bool(freeze)

    def describe(self) -> str:
        state = "frozen" if self.freeze else "fine-tuned"
        return f"{self.name} {len(self.run_dirs)} {state} encoder(s) dense={self.dense}"

    def forward(self, inputs):
        x = inputs
        for k, run_dir in enumerate(self.run_dirs):
            encoder = load_encoder(run_dir, f"encoder{k + 1}")
            expected = tuple(encoder.input_shape[1:])
            if tuple(x.shape[1:]) != expected:
                given = "images" if k == 0 else f"codes of {self.run_dirs[k - 1]}"
                raise LlexpError(
                    f"the encoder of {run_dir} takes {shape_text(expected)} inputs but gets "
                    f"{shape_text(x.shape[1:])} {given}; use the dataset it was trained on"
                )
            encoder.trainable = not self.freeze
            x = encoder(x)
            if k < len(self.run_dirs) - 1:  # what the codes dataset fed the next autoencoder
                x = layers.Activation("sigmoid", name=f"codes{k + 1}")(x)
        return self.head(x, self.dense, self.activation, self.dropout, self.num_classes)
