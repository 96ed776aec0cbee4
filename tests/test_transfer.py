"""Encoder transfer and stacked autoencoders: the encoder's weights carried over, the codes
dataset, the chain of runs, the one-line mistakes; and every new family reloading from its run."""

import json

import keras
import numpy as np
import pytest

from llexp.api import compose
from llexp.artifacts import load_model
from llexp.errors import LlexpError, instantiate
from llexp.runner import run

from helpers import write_npz

AE = ["model=autoencoder", "model.width=4", "model.depth=1", "model.visualization_size=2"]
HEAD = ["model=encoder_classifier", "model.dense=[8]"]
# The smallest real run on digits (conftest's TINY also sets LeNet-only keys).
BASE = [
    "dataset=digits",
    "dataset.subset=300",
    "trainer.epochs=1",
    "trainer.batch_size=64",
    "trainer.verbose=0",
]


def tiny(*overrides):
    return compose(*BASE, *overrides)


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    """Autoencoder 1 on digits, autoencoder 2 on its codes: two finished run folders."""
    root = tmp_path_factory.mktemp("chain")
    first = root / "ae1"
    run(tiny(*AE), first)
    second = root / "ae2"
    run(tiny(*AE, "dataset=codes", f"dataset.encoder_from={first}"), second)
    return first, second


def test_codes_dataset_gives_the_encoders_codes_with_the_same_labels(chain):
    first, _ = chain
    source = instantiate(compose("dataset=codes", f"dataset.encoder_from={first}").dataset)
    assert source.input_shape == (4, 4, 4) and source.num_classes == 10  # 8x8 halved, 4 filters
    data = source.load()
    images = instantiate(compose("dataset=digits").dataset).load()
    expected = load_model(first, "encoder").predict(images.x_test, verbose=0)
    np.testing.assert_allclose(data.x_test, 1 / (1 + np.exp(-expected)), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(data.y_test, images.y_test)


@pytest.mark.parametrize("trainer", ["fit", pytest.param("tape", marks=pytest.mark.slow)])
def test_classifier_on_one_encoder_starts_from_its_weights_and_keeps_them_frozen(
    chain, tmp_path, trainer
):
    first, _ = chain
    encoder = load_model(first, "encoder")
    cfg = tiny(*HEAD, f"model.encoder_from={first}", f"trainer={trainer}")
    family = instantiate(cfg.model)
    built = family.build((8, 8, 1)).get_layer("encoder1")
    for mine, theirs in zip(built.get_weights(), encoder.get_weights(), strict=True):
        np.testing.assert_array_equal(mine, theirs)  # the encoder's, not fresh ones
    result = run(cfg, tmp_path)
    trained = result.model.get_layer("encoder1")
    for mine, theirs in zip(trained.get_weights(), encoder.get_weights(), strict=True):
        np.testing.assert_array_equal(mine, theirs)  # frozen: untouched by training
    assert result.metrics["params"] < result.model.count_params()
    x = np.random.default_rng(0).random((4, 8, 8, 1)).astype("float32")
    np.testing.assert_allclose(
        load_model(tmp_path).predict(x, verbose=0),
        result.model.predict(x, verbose=0),
        rtol=1e-5,
        atol=1e-6,
    )


def test_unfrozen_encoder_is_fine_tuned(chain, tmp_path):
    first, _ = chain
    cfg = tiny(*HEAD, f"model.encoder_from={first}", "model.freeze=false")
    result = run(cfg, tmp_path)
    tuned = result.model.get_layer("encoder1").get_weights()[0]
    assert not np.array_equal(tuned, load_model(first, "encoder").get_weights()[0])
    assert result.metrics["params"] == sum(
        int(np.prod(w.shape)) for w in result.model.trainable_weights
    )


@pytest.mark.parametrize("trainer", ["fit", pytest.param("tape", marks=pytest.mark.slow)])
def test_stacked_encoders_classify_and_reload_to_the_same_predictions(chain, tmp_path, trainer):
    first, second = chain
    cfg = tiny(*HEAD, f"model.encoder_from=[{first},{second}]", f"trainer={trainer}")
    result = run(cfg, tmp_path)
    model = result.model
    assert [layer.name for layer in model.layers[1:4]] == ["encoder1", "codes1", "encoder2"]
    for k, folder in ((1, first), (2, second)):
        for mine, theirs in zip(
            model.get_layer(f"encoder{k}").get_weights(),
            load_model(folder, "encoder").get_weights(),
            strict=True,
        ):
            np.testing.assert_array_equal(mine, theirs)
    x = np.random.default_rng(0).random((4, 8, 8, 1)).astype("float32")
    reloaded = load_model(tmp_path)
    np.testing.assert_allclose(
        reloaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5, atol=1e-6
    )
    assert json.loads((tmp_path / "metrics.json").read_text())["status"] == "completed"


def test_transfer_mistakes_are_one_line_before_any_data_loads(chain, tmp_path, monkeypatch):
    first, second = chain
    from llexp import data

    monkeypatch.setattr(data.Source, "decoded", lambda self: pytest.fail("data was loaded"))
    lenet_run = tmp_path / "lenet"
    lenet_run.mkdir()
    (lenet_run / "model.json").write_text("{}")
    (lenet_run / "metrics.json").write_text(
        json.dumps({"status": "completed", "config": {"model": {"_target_": "llexp.models.LeNet"}}})
    )
    failed = tmp_path / "failed"
    failed.mkdir()
    (failed / "model.json").write_text("{}")
    (failed / "metrics.json").write_text(json.dumps({"status": "failed", "error": "diverged"}))
    cases = [
        (f"model.encoder_from={tmp_path / 'nowhere'}", "no such folder"),
        (f"model.encoder_from={tmp_path}", "is not a finished llexp run folder"),
        (f"model.encoder_from={failed}", r"holds a run that did not complete \(status: failed\)"),
        (
            f"model.encoder_from={lenet_run}",
            "is a run of llexp.models.LeNet, not of an autoencoder",
        ),
        (f"model.encoder_from=[{second},{first}]", "was not trained on the codes of"),
        (f"model.encoder_from={second}", "takes 4x4x4 inputs but gets 8x8x1 images"),
    ]
    for override, message in cases:
        with pytest.raises(LlexpError, match=message) as error:
            run(tiny(*HEAD, override), tmp_path / "out")
        assert "\n" not in str(error.value)
    with pytest.raises(LlexpError, match="model.encoder_from is required"):
        run(tiny(*HEAD), tmp_path / "out")
    with pytest.raises(LlexpError, match="dataset.encoder_from=.* is a run of llexp.models.LeNet"):
        run(tiny(*AE, "dataset=codes", f"dataset.encoder_from={lenet_run}"), tmp_path / "out")


@pytest.mark.slow
def test_codes_of_a_flat_bottleneck_are_refused(tmp_path):
    flat = tmp_path / "flat"
    run(tiny(*AE, "model.bottleneck=[8]"), flat)
    with pytest.raises(LlexpError, match="gives flat codes of shape 8 .* model.bottleneck=null"):
        run(tiny(*AE, "dataset=codes", f"dataset.encoder_from={flat}"), tmp_path / "out")


@pytest.mark.parametrize("trainer", ["fit", "tape"])
@pytest.mark.parametrize(
    "model",
    [  # the two larger families take half a minute each: the slow tier
        ["model=mlp", "model.hidden=[16]", "model.batch_norm=true", "model.dropout=0.1"],
        pytest.param(
            [
                "model=vgg16",
                "model.width=2",
                "model.dense=[8]",
                "model.batch_norm=true",
                "model.dropout=0.1",
            ],
            marks=pytest.mark.slow,
        ),
        pytest.param(
            [
                "model=pretrained",
                "model.weights=null",
                "model.backbone=MobileNetV2",
                "model.trainable_layers=2",
                "model.dense=[8]",
            ],
            marks=pytest.mark.slow,
        ),
    ],
    ids=["mlp", "vgg16", "pretrained"],
)
def test_each_family_writes_a_run_folder_that_reloads_to_the_same_predictions(
    tmp_path, model, trainer
):
    path = write_npz(tmp_path / "rgb.npz", shape=(32, 32, 3), n_train=40, n_test=8)
    cfg = compose(
        "dataset=npz",
        f"dataset.path={path}",
        "dataset.num_classes=3",
        *model,
        f"trainer={trainer}",
        "trainer.epochs=1",
        "trainer.batch_size=16",
        "trainer.verbose=0",
    )
    result = run(cfg, tmp_path / "run")
    for name in (
        "model.json",
        "model.weights.h5",
        "metrics.json",
        "history.csv",
        "confusion_matrix.png",
    ):
        assert (tmp_path / "run" / name).is_file(), name
    x = np.random.default_rng(1).random((3, 32, 32, 3)).astype("float32")
    keras.backend.clear_session()
    np.testing.assert_allclose(
        load_model(tmp_path / "run").predict(x, verbose=0),
        result.model.predict(x, verbose=0),
        rtol=1e-5,
        atol=1e-6,
    )
