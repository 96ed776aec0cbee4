"""Every config option composes and instantiates; config mistakes fail with one clear line."""

from pathlib import Path

import keras
import pytest

from llexp.api import compose
from llexp.checks import check_config
from llexp.errors import LlexpError, instantiate
from llexp.hydra_errors import reported

CONF = Path(__file__).resolve().parents[1] / "conf"


def options(group):
    return sorted(p.stem for p in (CONF / group).glob("*.yaml"))


def test_defaults_are_those_the_docs_promise():
    cfg = compose()
    assert cfg.model._target_ == "llexp.models.LeNet"
    assert cfg.dataset.name == "mnist"
    assert cfg.trainer._target_ == "llexp.trainers.FitTrainer"
    assert cfg.optimizer._target_ == "keras.optimizers.Adam"
    assert cfg.model.num_classes == 10  # interpolated from the dataset, not copied


@pytest.mark.parametrize("option", options("dataset"))
def test_every_dataset_composes_and_describes_itself(option, npz_file, autoencoder_run, tmp_path):
    from helpers import write_image_folder

    # The options that read a file, a folder or a run folder are given one.
    extra = {
        "npz": lambda: [f"dataset.path={npz_file}"],
        "folder": lambda: [
            f"dataset.path={write_image_folder(tmp_path / 'images', classes=2, per_class=2)[0]}"
        ],
        "codes": lambda: [f"dataset.encoder_from={autoencoder_run}"],
    }.get(option, list)()
    source = instantiate(compose(f"dataset={option}", *extra).dataset)
    assert len(source.input_shape) == 3
    assert source.num_classes >= 2
    assert len(source.class_names) == source.num_classes


@pytest.mark.parametrize("option", options("model"))
def test_every_model_composes_and_builds(option, autoencoder_run):
    extra = {
        "vgg16": ["model.depth=3"],  # VGG-16's 5 blocks need 32x32 images; 8x8 fits 3
        "pretrained": ["model.weights=null"],  # no ImageNet download here
        "encoder_classifier": [f"model.encoder_from={autoencoder_run}"],
        "stacked_autoencoder": [f"model.encoder_from=[{autoencoder_run}]"],
    }.get(option, [])
    family = instantiate(
        compose(f"model={option}", "dataset=digits", "model.width=4", *extra).model
    )
    assert isinstance(family.build((8, 8, 1)), keras.Model)


@pytest.mark.parametrize("option", options("trainer"))
def test_every_trainer_composes(option):
    trainer = instantiate(compose(f"trainer={option}").trainer)
    assert trainer.epochs >= 1 and trainer.batch_size >= 1


@pytest.mark.parametrize("option", options("optimizer"))
def test_every_optimizer_composes(option):
    optimizer = instantiate(compose(f"optimizer={option}").optimizer)
    assert isinstance(optimizer, keras.optimizers.Optimizer)
    assert float(optimizer.learning_rate) > 0


def test_fashion_mnist_carries_its_class_names():
    source = instantiate(compose("dataset=fashion_mnist").dataset)
    assert source.class_names[0] == "T-shirt/top" and source.class_names[-1] == "Ankle boot"


def test_missing_required_value_is_one_clear_line():
    with pytest.raises(LlexpError, match=r"dataset.path is required: pass dataset.path="):
        instantiate(compose("dataset=npz").dataset)


def test_an_added_key_no_part_reads_is_one_clear_line():
    with pytest.raises(LlexpError, match="model.foo: no such key"):
        check_config(compose("dataset=digits", "+model.foo=1"))
    with pytest.raises(LlexpError, match="epochs: no such key.*did you mean trainer.epochs"):
        check_config(compose("dataset=digits", "+epochs=5"))
    with pytest.raises(LlexpError, match="lr: no such key.*did you mean optimizer.learning_rate"):
        check_config(compose("dataset=digits", "+lr=0.1"))


@pytest.mark.parametrize(
    "override, message",
    [
        (
            "model.activation=relux",
            "model.activation=relux is not a Keras activation; did you mean relu\\?",
        ),
        ("model.dropout=1.5", r"model.dropout=1.5 must be a number in \[0, 1\)"),
        ("model.width=0", "model.width=0 must be a whole number of at least 1"),
        ("trainer.epochs=0", "trainer.epochs=0 must be a whole number of at least 1"),
    ],
)
def test_bad_values_fail_when_checked(override, message):
    with pytest.raises(LlexpError, match=message):
        check_config(compose("dataset=digits", override))


def test_batch_size_defaults_to_the_datasets_and_yields_to_an_override():
    assert compose("dataset=digits").trainer.batch_size == 32  # 1,293 images: small steps
    assert compose("dataset=mnist", "trainer=tape").trainer.batch_size == 128
    assert compose("dataset=digits", "trainer.batch_size=7").trainer.batch_size == 7


@pytest.mark.parametrize(
    "override, message",
    [
        ("model.width=abc", "model.width='abc' must be a whole number of at least 1"),
        ("model.depth=1.5", "model.depth='1.5' must be a whole number of at least 0"),
        ("model=autoencoder model.freeze=no", "model.freeze: no such key"),
        ("model=encoder_classifier model.freeze=maybe", "model.freeze='maybe' must be true or"),
        ("trainer.epochs=abc", "trainer.epochs='abc' must be a whole number of at least 1"),
        ("dataset.class_names=abc", "dataset.class_names='abc' must be a list"),
    ],
)
def test_wrongly_typed_values_are_one_line_when_composed(override, message, capsys):
    with pytest.raises(SystemExit) as stop:
        reported(lambda: compose(*override.split()))
    assert stop.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    "override, message",
    [
        ("model=autoencoder model.growth=0", "model.growth=0 must be a number in (0, inf]"),
        ("optimizer=sgd optimizer.momentum=-1", "optimizer.momentum=-1 must be a number in"),
    ],
)
def test_values_out_of_range_are_one_line_when_checked(override, message):
    with pytest.raises(LlexpError) as error:
        check_config(compose("dataset=digits", *override.split()))
    assert message in str(error.value)


@pytest.mark.parametrize("switch", ["no", "false", "off"])
def test_no_reads_as_false_not_true(switch):
    cfg = compose("model=encoder_classifier", f"model.freeze={switch}")
    assert cfg.model.freeze is False
    cfg = compose("dataset=folder", f"dataset.cache={switch}")
    assert cfg.dataset.cache is False
