"""The pipelines: per-epoch seeded order, augmentation on training batches only, standardisation
statistics from the training split only, inside the model."""

import keras
import numpy as np
import pytest

from llexp.data import NpzSource, array_splits
from llexp.data.pipeline import ArrayPart, Splits
from llexp.data.preprocess import check_augment, make_augment, normalization
from llexp.errors import LlexpError, instantiate
from llexp.runner import run


def epochs_of(data, batch_size, seed, epochs, start_epoch=0):
    labels = [
        y.numpy().tolist()
        for _, y in data.train_batches(batch_size, seed, epochs, None, start_epoch)
    ]
    steps = data.steps_per_epoch(batch_size)
    return [sum(labels[i : i + steps], []) for i in range(0, len(labels), steps)]


def test_each_epoch_order_depends_on_seed_and_epoch_only():
    x, y = np.zeros((10, 2, 2, 1), "float32"), np.arange(10)
    data = array_splits(x, y)
    three = epochs_of(data, 4, seed=1, epochs=3)
    assert [sorted(e) for e in three] == [list(range(10))] * 3  # each epoch: every image once
    assert three[0] != three[1] != three[2]  # reshuffled every epoch
    assert epochs_of(data, 4, seed=1, epochs=3, start_epoch=2) == three[2:]  # resumable
    assert epochs_of(data, 4, seed=1, epochs=3) == three  # reproducible
    assert epochs_of(data, 4, seed=2, epochs=1) != three[:1]


class AddOne(keras.layers.Layer):
    """Marks whatever it touches (an 'augmentation' that is easy to detect)."""

    def call(self, x, training=None):
        return x + 1.0 if training else x


def test_augmentation_touches_training_batches_only():
    rng = np.random.default_rng(0)
    parts = [ArrayPart(rng.random((6, 4, 4, 1)).astype("float32"), np.arange(6) % 2) for _ in "abc"]
    data = Splits("t", ["0", "1"], (4, 4, 1), *parts, augment=[AddOne()])
    for x, _ in data.train_batches(3, seed=0, epochs=2):
        assert x.numpy().min() >= 1.0  # every training batch went through it
    for split in ("val", "test"):
        seen = np.concatenate([x for x, _ in data.batches(split, 4).as_numpy_iterator()])
        np.testing.assert_array_equal(seen, getattr(data, split).x)  # untouched
    np.testing.assert_array_equal(data.sample("train", 6)[0], parts[0].x)  # figures: raw


def test_augment_config_builds_layers_in_the_unit_pixel_range():
    layers = make_augment(
        check_augment(
            [
                {"_target_": "keras.layers.RandomFlip", "mode": "horizontal", "seed": 0},
                {"_target_": "keras.layers.RandomBrightness", "factor": 0.1},
                {"_target_": "keras.layers.RandomContrast", "factor": 0.1, "value_range": [0, 255]},
            ]
        )
    )
    assert [type(layer).__name__ for layer in layers] == [
        "RandomFlip",
        "RandomBrightness",
        "RandomContrast",
    ]
    assert tuple(layers[1].value_range) == (0.0, 1.0)  # llexp's images lie in [0, 1]
    assert tuple(layers[2].value_range) == (0, 255)  # the config's own value is kept


@pytest.mark.parametrize(
    "override, message",
    [
        ("dataset.normalize=zscore", "dataset.normalize='zscore' must be one of scale, standa"),
        ("dataset.augment=[{_target_:keras.layers.RandomFlap}]", "RandomFlap is no class"),
        ("dataset.augment=[3]", "dataset.augment holds 3, not a Keras layer"),
        ("dataset.augment=[{_target_:keras.optimizers.Adam}]", "Adam is not a Keras layer"),
        ("dataset.augment=[{_target_:keras.layers.RandomFlip,colour:red}]", "colour"),
    ],
)
def test_preprocessing_mistakes_fail_before_any_data_loads(
    override, message, tiny_cfg, tmp_path, monkeypatch
):
    from llexp.data import DigitsSource

    monkeypatch.setattr(DigitsSource, "arrays", lambda self: pytest.fail("data was loaded"))
    with pytest.raises(LlexpError, match=message) as error:
        run(tiny_cfg(override), tmp_path)
    assert "\n" not in str(error.value)


def test_standardisation_statistics_come_from_the_training_split_only(tmp_path):
    # Training images are dark, test images bright: test statistics would show at once.
    path = tmp_path / "d.npz"
    rng = np.random.default_rng(0)
    x_train = (rng.random((40, 4, 4, 3)) * 0.2).astype("float32")
    x_test = (0.8 + rng.random((10, 4, 4, 3)) * 0.2).astype("float32")
    y = np.arange(40) % 2
    np.savez(path, x_train=x_train, y_train=y, x_test=x_test, y_test=y[:10])
    source = NpzSource(path, num_classes=2, val_split=8, seed=0, normalize="standardize")
    data = source.splits()
    (layer,) = normalization(data, source.normalize)
    train = data.train.x  # the training split after the validation split was held out
    assert len(train) == 32
    saved = layer.get_config()  # what model.json keeps
    np.testing.assert_allclose(saved["mean"], train.mean(axis=(0, 1, 2)), rtol=1e-5)
    np.testing.assert_allclose(np.sqrt(saved["variance"]), train.std(axis=(0, 1, 2)), rtol=1e-4)
    assert normalization(data, "scale") == []


@pytest.mark.parametrize("trainer", ["fit", "tape"])
def test_standardised_run_reloads_and_predicts_on_raw_images(trainer, tiny_cfg, tmp_path):
    from llexp import load_model

    cfg = tiny_cfg(
        f"trainer={trainer}",
        "dataset.normalize=standardize",
        "dataset.augment=[{_target_:keras.layers.RandomTranslation,height_factor:0.1,"
        "width_factor:0.1,seed:0}]",
    )
    result = run(cfg, tmp_path)
    layer = result.model.get_layer("standardize")
    source = instantiate(cfg.dataset)
    expected = source.splits().train.x.mean()
    assert layer.get_config()["mean"] == [pytest.approx(expected, rel=1e-5)]
    raw = source.splits().test.x[:16]  # images as the dataset gives them, in [0, 1]
    np.testing.assert_allclose(
        load_model(tmp_path).predict(raw, verbose=0), result.model.predict(raw, verbose=0)
    )
    assert (tmp_path / "augmented.png").is_file()


def augmented_epochs(data, start_epoch=0):
    return [x for x, _ in data.train_batches(5, 3, 3, None, start_epoch).as_numpy_iterator()]


def test_augmentation_depends_on_seed_epoch_and_batch_only():
    rng = np.random.default_rng(0)
    parts = [ArrayPart(rng.random((10, 8, 8, 1)).astype("float32"), np.arange(10) % 2)] * 3
    layers = [keras.layers.RandomFlip("horizontal"), keras.layers.RandomTranslation(0.3, 0.3)]
    data = Splits("t", ["0", "1"], (8, 8, 1), *parts, augment=layers)
    # A second pipeline with fresh layers (their own generators in another state).
    again = Splits(
        "t",
        ["0", "1"],
        (8, 8, 1),
        *parts,
        augment=[type(x).from_config(x.get_config()) for x in layers],
    )
    full = augmented_epochs(data)
    assert len(full) == 6
    for a, b in zip(full, augmented_epochs(again), strict=True):
        np.testing.assert_array_equal(a, b)  # same seed: same draws
    for a, b in zip(full[4:], augmented_epochs(data, start_epoch=2), strict=True):
        np.testing.assert_array_equal(a, b)  # resumed at epoch 2: the same draws
    one = Splits(
        "t",
        ["0"],
        (8, 8, 1),
        *[ArrayPart(parts[0].x[:1], np.zeros(1, "int32"))] * 3,
        augment=layers,
    )
    draws = [x for x, _ in one.train_batches(1, 3, 4).as_numpy_iterator()]
    assert any((draws[0] != d).any() for d in draws[1:])  # same image, other epoch: other draws
