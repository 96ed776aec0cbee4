"""The mlp, vgg16 and pretrained families: shapes, switches, freezing and their one-line errors."""

import keras
import numpy as np
import pytest

from llexp.errors import LlexpError
from llexp.models import MLP, VGG16, Pretrained

from helpers import keras_downloads


def kinds(model):
    return [type(layer).__name__ for layer in model.layers]


def test_mlp_stacks_its_hidden_layers_with_batch_norm_and_dropout():
    model = MLP(num_classes=4, hidden=[16, 8], dropout=0.3, batch_norm=True).build((8, 8, 1))
    assert [model.get_layer(f"hidden{i}").units for i in (1, 2)] == [16, 8]
    assert not model.get_layer("hidden1").use_bias  # the batch norm's offset replaces it
    assert kinds(model)[1:] == ["Flatten"] + [
        "Dense",
        "BatchNormalization",
        "Activation",
        "Dropout",
    ] * 2 + ["Dense", "Activation"]
    assert model.output_shape == (None, 4)
    plain = MLP(num_classes=4, hidden=[16]).build((8, 8, 1))
    assert "Dropout" not in kinds(plain) and "BatchNormalization" not in kinds(plain)


def test_mlp_width_scales_the_hidden_layers():
    assert MLP(num_classes=2, hidden=[512, 256], width=8).hidden == [8, 4]
    assert MLP(num_classes=2, hidden=[]).build((4, 4, 1)).count_params() == 16 * 2 + 2


def test_vgg16_has_13_convs_in_5_blocks_and_a_width_multiplier():
    model = VGG16(num_classes=10, width=4, dense=[8]).build((32, 32, 3))
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert len(convs) == 13
    assert [c.filters for c in convs] == [4, 4, 8, 8, 16, 16, 16, 32, 32, 32, 32, 32, 32]
    pools = [layer.output.shape[1] for layer in model.layers if "pool" in layer.name]
    assert pools == [16, 8, 4, 2, 1]
    assert model.output_shape == (None, 10)


def test_vgg16_batch_norm_follows_every_conv():
    model = VGG16(num_classes=2, width=4, batch_norm=True).build((32, 32, 3))
    names = kinds(model)
    assert names.count("BatchNormalization") == 13
    for i, name in enumerate(names):
        if name == "Conv2D":
            assert names[i + 1] == "BatchNormalization"


def test_vgg16_dropout_never_touches_a_pooling_layer():
    model = VGG16(num_classes=2, width=4, dropout=0.2, head_dropout=0.0).build((32, 32, 3))
    names = kinds(model)
    assert names.count("Dropout") == 13 - 5  # after every conv but each block's last
    for i, name in enumerate(names):
        if name == "MaxPooling2D":
            assert names[i - 1] != "Dropout" and names[i + 1] != "Dropout"


def test_vgg16_depth_rule_is_one_line_for_small_images():
    with pytest.raises(LlexpError, match=r"model.depth=5 is too deep for 28x28 images.*need"):
        VGG16(num_classes=10, width=4).build((28, 28, 1))
    VGG16(num_classes=10, width=4, depth=4).build((28, 28, 1))  # four blocks fit


def test_pretrained_adapts_grayscale_and_small_images_inside_the_model():
    model = Pretrained(num_classes=3, weights=None, dense=[8]).build((8, 8, 1))
    assert model.input_shape == (None, 8, 8, 1)
    assert model.get_layer("gray_to_rgb").output.shape[-1] == 3
    assert tuple(model.get_layer("resize").output.shape[1:]) == (32, 32, 3)
    assert model.output_shape == (None, 3)


def test_pretrained_applies_the_backbones_own_preprocessing():
    model = Pretrained(num_classes=2, weights=None, dense=[4]).build((32, 32, 3))
    x = np.random.default_rng(0).random((2, 32, 32, 3)).astype("float32")
    seen = model.get_layer("preprocess")(x)
    expected = keras.applications.vgg16.preprocess_input(x * 255.0)  # caffe: BGR, mean removed
    np.testing.assert_allclose(np.asarray(seen), np.asarray(expected), rtol=1e-5)
    mobile = Pretrained(num_classes=2, backbone="MobileNetV2", weights=None, dense=[4])
    seen = mobile.build((32, 32, 3)).get_layer("preprocess")(x)
    np.testing.assert_allclose(np.asarray(seen), x * 2.0 - 1.0, rtol=1e-5, atol=1e-6)  # [-1, 1]


def weighted(backbone):
    return [layer for layer in backbone.layers if layer.weights]


def test_pretrained_backbone_is_frozen_by_default_and_only_the_head_trains():
    model = Pretrained(num_classes=2, weights=None, dense=[4]).build((32, 32, 3))
    backbone = model.get_layer("vgg16")
    assert not any(layer.trainable for layer in weighted(backbone))
    assert backbone.trainable_weights == []
    before = [w.copy() for w in backbone.get_weights()]
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x = np.random.default_rng(0).random((8, 32, 32, 3)).astype("float32")
    model.fit(x, np.arange(8) % 2, epochs=1, verbose=0)
    for old, new in zip(before, backbone.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)  # really frozen, not only flagged


@pytest.mark.parametrize("n", [1, 3])
def test_pretrained_trainable_layers_counts_the_last_layers_with_weights(n):
    model = Pretrained(num_classes=2, weights=None, trainable_layers=n, dense=[4])
    backbone = model.build((32, 32, 3)).get_layer("vgg16")
    flags = [layer.trainable for layer in weighted(backbone)]
    assert flags == [False] * (13 - n) + [True] * n  # VGG16's 13 convs
    assert [layer.name for layer in weighted(backbone) if layer.trainable][-1] == "block5_conv3"


def test_pretrained_offline_imagenet_download_is_one_line(monkeypatch):
    def offline(*args, **kwargs):
        raise Exception("URL fetch failure on https://storage.googleapis.com/x.h5: None")

    keras_downloads(monkeypatch, "applications.vgg16.file_utils", offline)
    with pytest.raises(LlexpError) as error:
        Pretrained(num_classes=2, weights="imagenet").build((32, 32, 3))
    message = str(error.value)
    assert "\n" not in message and "could not download the imagenet weights of VGG16" in message
    assert "model.weights=null" in message


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"backbone": "VGG17"}, "model.backbone=VGG17 is not a keras.applications model"),
        ({"backbone": "vgg16"}, "model.backbone=vgg16 is not a keras.applications model"),
        ({"weights": "imagenet21k"}, "model.weights=imagenet21k: use imagenet, null"),
        ({"trainable_layers": -1}, "model.trainable_layers=-1 must be a whole number"),
        ({"trainable_layers": 14}, "model.trainable_layers=14 but VGG16 has 13 layers"),
        ({"dense": [0]}, "model.dense=[0] must be a list of whole sizes"),
    ],
)
def test_pretrained_mistakes_are_one_line(kwargs, message):
    with pytest.raises(LlexpError, match=message.replace("[", r"\[").replace("]", r"\]")):
        Pretrained(**{"num_classes": 2, "weights": None, **kwargs}).build((32, 32, 3))


def test_pretrained_refuses_images_with_other_channel_counts():
    with pytest.raises(LlexpError, match="grayscale or RGB images; these have 4 channels"):
        Pretrained(num_classes=2, weights=None).build((32, 32, 4))


@pytest.mark.parametrize(
    "family, message",
    [
        (lambda: MLP(num_classes=2, hidden="wide"), "model.hidden='wide' must be a list"),
        (lambda: MLP(num_classes=2, dropout=1.0), r"model.dropout=1 must be a number in \[0, 1\)"),
        (lambda: VGG16(num_classes=2, depth=6), "model.depth=6 must be a whole number from 1 to 5"),
        (lambda: VGG16(num_classes=2, activation="relux"), "model.activation=relux is not"),
    ],
)
def test_mlp_and_vgg16_mistakes_are_one_line(family, message):
    with pytest.raises(LlexpError, match=message):
        family()
