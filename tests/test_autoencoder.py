"""The convolutional autoencoder: shapes, the depth rule, the bottleneck, its run folder, its
separately saved encoder, and that it learns more than the mean image."""

import json
from pathlib import Path

import keras
import numpy as np
import pytest

import llexp
from llexp.artifacts import load_model
from llexp.errors import LlexpError, instantiate
from llexp.models import Autoencoder
from llexp.runner import run

from helpers import TINY_AE, assert_drawn, write_npz


@pytest.mark.parametrize(
    "shape, depth",
    [((8, 8, 1), 1), ((8, 8, 1), 2), ((8, 8, 1), 3), ((28, 28, 1), 2), ((32, 32, 3), 1),
     ((32, 32, 3), 3), ((12, 20, 3), 2)],
)  # fmt: skip
def test_output_has_the_input_shape_and_the_code_is_halved_depth_times(shape, depth):
    model = Autoencoder(width=8, depth=depth, growth=0.5).build(shape)
    assert model.output_shape == (None, *shape)
    h, w = shape[0] // 2**depth, shape[1] // 2**depth
    assert model.get_layer("embedding").output.shape == (None, h, w, max(1, 8 // 2 ** (depth - 1)))


def test_per_block_filters_are_mirrored_by_the_decoder():
    model = Autoencoder(filters=[8, 4, 2], depth=3).build((16, 16, 3))
    convs = [layer.filters for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert convs == [8, 4, 2, 2, 4, 8, 3]  # the last conv gives back the three channels


def test_dense_bottleneck_makes_the_embedding_a_vector():
    model = Autoencoder(width=4, depth=2, bottleneck=[32, 6]).build((8, 8, 1))
    assert model.get_layer("embedding").output.shape == (None, 6)
    assert [model.get_layer(n).units for n in ("dense1", "undense1")] == [32, 32]
    assert model.output_shape == (None, 8, 8, 1)
    plain = Autoencoder(width=4, depth=2).build((8, 8, 1))
    assert not any(isinstance(layer, keras.layers.Dense) for layer in plain.layers)


def test_bottleneck_alone_is_a_dense_autoencoder():
    model = Autoencoder(depth=0, bottleneck=16).build((8, 8, 1))
    assert model.get_layer("embedding").output.shape == (None, 16)


def test_block_has_no_input_until_called():
    outputs = Autoencoder(width=4, depth=1)(keras.Input(shape=(8, 8, 3)))
    assert tuple(outputs.shape) == (None, 8, 8, 3)


@pytest.mark.parametrize(
    "shape, depth, fits",
    [((28, 28, 1), 3, 2), ((8, 8, 1), 4, 3), ((12, 20, 1), 3, 2), ((7, 8, 1), 1, 0)],
)
def test_sizes_not_divisible_by_two_to_the_depth_name_the_depths_that_fit(shape, depth, fits):
    with pytest.raises(
        LlexpError, match=rf"divisible by 2\*\*{depth}.* largest depth that fits is {fits}"
    ):  # noqa: E501
        Autoencoder(width=4, depth=depth).build(shape)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"filters": [8, 4], "depth": 3}, r"gives 2 blocks but model.depth=3"),
        ({"depth": 0}, "leaves nothing to compress"),
        ({"bottleneck": [16, 0]}, "model.bottleneck=.* must be a list of whole sizes >= 1"),
        ({"bottleneck": "big"}, "model.bottleneck='big' must be a list of whole sizes >= 1"),
        ({"loss": "msq"}, "model.loss=msq is not a Keras loss; did you mean mse\\?"),
        (
            {"last_activation": "sigmoidd"},
            "model.last_activation=sigmoidd is not a Keras activation; did you mean sigmoid\\?",
        ),
        (
            {"visualization_size": 0},
            "model.visualization_size=0 must be a whole number of at least 1",
        ),
    ],
)
def test_config_mistakes_are_one_clear_line(kwargs, message):
    with pytest.raises(LlexpError, match=message):
        Autoencoder(**kwargs)


def test_loss_is_mse_by_default_and_binary_crossentropy_on_request():
    rng = np.random.default_rng(0)
    x, y = rng.random((2, 4, 8, 8, 1)).astype("float32")
    assert float(Autoencoder().loss()(x, y)) == pytest.approx(np.mean((x - y) ** 2), rel=1e-5)
    bce = Autoencoder(loss="binary_crossentropy").loss()(x, y)
    assert float(bce) == pytest.approx(float(keras.losses.BinaryCrossentropy()(x, y)), rel=1e-5)


def test_targets_are_the_images_themselves():
    x = np.zeros((2, 8, 8, 1))
    assert Autoencoder().targets(x, np.array([3, 4])) is x


def test_config_group_builds_and_depth_too_deep_fails_before_data_loads(tmp_path, monkeypatch):
    from llexp.api import compose
    from llexp.data import DigitsSource

    monkeypatch.setattr(DigitsSource, "arrays", lambda self: pytest.fail("data was loaded"))
    with pytest.raises(LlexpError, match="largest depth that fits is 3"):
        run(compose(*TINY_AE, "model.depth=4"), tmp_path)
    family = instantiate(compose(*TINY_AE, "model.bottleneck=[16,4]").model)
    assert family.bottleneck == [16, 4]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A real, small run: all of digits, long enough to learn (about 10 s on a shared CPU)."""
    from llexp.api import compose

    out = tmp_path_factory.mktemp("autoencoder")
    cfg = compose(
        *TINY_AE,
        "dataset.subset=null",
        "model.width=16",
        "trainer.epochs=8",
        "trainer.batch_size=32",
    )
    return out, run(cfg, out)


def test_run_folder_holds_reconstructions_and_the_encoder(trained):
    out, _ = trained
    names = {p.name for p in out.iterdir()}
    assert {"model.json", "model.weights.h5", "history.csv", "history.png", "metrics.json"} <= names
    assert {"encoder.json", "encoder.weights.h5", "reconstructions.png"} <= names
    assert_drawn(out / "reconstructions.png")
    assert_drawn(out / "history.png")
    assert not {"samples.png", "confusion_matrix.csv"} & names  # no labels drawn


def test_metrics_report_reconstruction_error_far_below_the_mean_image(trained):
    out, result = trained
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(result.history) == {"loss", "mse", "val_loss", "val_mse", "learning_rate"}
    for key in ("test_loss", "test_mse", "val_loss", "val_mse", "baseline_mse"):
        assert isinstance(metrics[key], float), key
    assert metrics["embedding_shape"] == [2, 2, 8]  # 8x8 halved twice; filters 16 -> 8
    # Seed 42 gave test_mse 0.029 against 0.074 for predicting the mean training image.
    assert metrics["test_mse"] < 0.5 * metrics["baseline_mse"]


def test_encoder_reloads_and_predicts_exactly_like_the_trained_one(trained):
    out, result = trained
    x = np.random.default_rng(0).random((5, 8, 8, 1)).astype("float32")
    encoder = load_model(out, "encoder")
    cut = keras.Model(result.model.input, result.model.get_layer("embedding").output)
    assert encoder.output_shape == (None, 2, 2, 8)
    np.testing.assert_array_equal(encoder.predict(x, verbose=0), cut.predict(x, verbose=0))
    whole = load_model(out)
    np.testing.assert_array_equal(whole.predict(x, verbose=0), result.model.predict(x, verbose=0))


TRAINERS = sorted(p.stem for p in (Path(__file__).parents[1] / "conf" / "trainer").glob("*.yaml"))


@pytest.mark.parametrize(
    "trainer", [pytest.param(t, marks=pytest.mark.slow) if t == "tape" else t for t in TRAINERS]
)
def test_every_trainer_trains_it_on_the_images_alone(trainer, tmp_path):
    from llexp.api import compose

    result = run(compose(*TINY_AE, f"trainer={trainer}", "trainer.verbose=0"), tmp_path)
    assert set(result.history) >= {"loss", "mse", "val_loss", "val_mse"}
    assert result.metrics["test_mse"] == pytest.approx(result.metrics["test_loss"], rel=1e-4)


@pytest.mark.slow
def test_rgb_images_train_with_a_bottleneck(tmp_path):
    from llexp.api import compose

    path = write_npz(tmp_path / "rgb.npz", shape=(8, 8, 3), n_train=40, n_test=10)
    cfg = compose(*TINY_AE, "dataset=npz", f"dataset.path={path}", "model.bottleneck=[8]")
    result = run(cfg, tmp_path / "run")
    assert result.model.output_shape == (None, 8, 8, 3)
    assert result.metrics["embedding_shape"] == [8]
    assert_drawn(tmp_path / "run" / "reconstructions.png", min_bytes=1_000)
    assert load_model(tmp_path / "run", "encoder").output_shape == (None, 8)


def test_make_autoencoder_model_is_compiled_for_the_dataset():
    model = llexp.make_autoencoder_model("digits", depth=3, width=4, bottleneck=None)
    assert model.input_shape == model.output_shape == (None, 8, 8, 1)
    x = np.random.default_rng(0).random((4, 8, 8, 1)).astype("float32")
    assert set(model.train_on_batch(x, x, return_dict=True)) == {"loss", "mse"}


def test_fit_model_cifar10_trains_any_dataset_into_a_run_folder(tmp_path):
    history = llexp.fit_model_cifar10(
        "digits",
        n_epochs=1,
        batch_size=64,
        visualization_size=2,
        verbose=0,
        out_dir=tmp_path / "run",
        overrides=("model.width=4", "dataset.subset=200"),
    )
    assert len(history["loss"]) == 1 and "val_mse" in history
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["status"] == "completed" and "test_mse" in metrics
    assert (tmp_path / "run" / "encoder.weights.h5").is_file()
