"""Architectures written block by block: per-block kernel sizes, strides and pooling, the
autoencoder's output batch norm, the classifiers' convolution + global-average-pooling head, and
every family's model.json loading in plain Keras."""

import json
import subprocess
import sys

import keras
import numpy as np
import pytest

from llexp.artifacts import save_model
from llexp.errors import LlexpError
from llexp.models import MLP, VGG16, Autoencoder, EncoderClassifier, LeNet, Pretrained
from llexp.models.autoencoder import encoder_of


def test_lenet_takes_kernel_size_strides_and_pool_per_block():
    model = LeNet(
        num_classes=3, width=4, depth=3, kernel_size=[5, 3, 1], strides=[2, 1, 1],
        pool=[False, True, False], dense_units=8,
    ).build((16, 16, 1))  # fmt: skip
    assert [model.get_layer(f"block{i}_conv").kernel_size for i in (1, 2, 3)] == [
        (5, 5), (3, 3), (1, 1),
    ]  # fmt: skip
    assert model.get_layer("block1_conv").strides == (2, 2)
    assert [layer.name for layer in model.layers if "pool" in layer.name] == ["block2_pool"]
    assert tuple(model.get_layer("block3_act").output.shape[1:]) == (4, 4, 16)  # 16 /2 /2


def test_one_value_is_every_blocks_value():
    model = LeNet(num_classes=2, width=4, depth=2, kernel_size=5, pool=False).build((8, 8, 1))
    assert {model.get_layer(f"block{i}_conv").kernel_size for i in (1, 2)} == {(5, 5)}
    assert not [layer for layer in model.layers if "pool" in layer.name]


@pytest.mark.parametrize(
    "make",
    [
        lambda: LeNet(num_classes=2, depth=2, kernel_size=[3, 3, 3]),
        lambda: VGG16(num_classes=2, depth=2, strides=[1]),
        lambda: Autoencoder(depth=2, pool=[True, False, True]),
    ],
)
def test_a_list_of_the_wrong_length_is_one_line(make):
    with pytest.raises(LlexpError, match=r"gives \d values for 2 blocks \(model.depth=2\)") as e:
        make()
    assert "\n" not in str(e.value)


def test_pool_entries_must_be_switches():
    with pytest.raises(
        LlexpError,
        match=r"model.pool=\['yes', True\] must be true or false, one for every block or a list",
    ):
        LeNet(num_classes=2, depth=2, pool=["yes", True])


def test_vgg_blocks_without_pooling_fit_smaller_images():
    with pytest.raises(LlexpError, match="model.depth=4 is too deep for 8x8 images"):
        VGG16(num_classes=2, width=4, depth=4).build((8, 8, 1))
    model = VGG16(
        num_classes=2, width=4, depth=4, pool=[True, True, False, False], kernel_size=[3, 3, 1, 1]
    ).build((8, 8, 1))
    assert tuple(model.get_layer("block4_conv3").output.shape[1:3]) == (2, 2)
    assert model.get_layer("block4_conv1").kernel_size == (1, 1)


def test_autoencoder_mirrors_per_block_strides_and_pooling():
    ae = Autoencoder(
        width=4, depth=2, growth=1.0, kernel_size=[5, 3], strides=[1, 2], pool=[False, True]
    )
    model = ae.build((8, 8, 1))
    assert tuple(model.get_layer("embedding").output.shape[1:]) == (2, 2, 4)  # 8 -> 8 -> 2
    assert model.get_layer("decoder1_up").size == (4, 4)  # the stride-2 pooling block, undone
    assert "decoder2_up" not in [layer.name for layer in model.layers]
    assert model.get_layer("decoder2").kernel_size == (5, 5)  # mirrored
    assert model.output_shape == (None, 8, 8, 1)
    with pytest.raises(LlexpError, match="divisible by 4"):
        Autoencoder(depth=1, strides=2).build((6, 6, 1))


def test_autoencoder_without_pooling_keeps_the_image_size_and_names_its_code():
    model = Autoencoder(width=4, depth=1, pool=False).build((8, 8, 3))
    assert tuple(model.get_layer("embedding").output.shape[1:]) == (8, 8, 4)
    assert tuple(encoder_of(model).output_shape[1:]) == (8, 8, 4)


def test_autoencoder_output_batch_norm_sits_between_the_conv_and_the_activation():
    model = Autoencoder(width=4, depth=1, output_batch_norm=True).build((8, 8, 1))
    names = [layer.name for layer in model.layers]
    assert names[-3:] == ["reconstruction_conv", "reconstruction_bn", "reconstruction"]
    out = model.predict(np.random.default_rng(0).random((2, 8, 8, 1)), verbose=0)
    assert out.min() >= 0 and out.max() <= 1  # the sigmoid still comes last


def test_gap_head_with_convs_and_batch_norm():
    model = LeNet(
        num_classes=3, width=4, depth=1, dense_units=[16], head="gap", head_convs=[8, 8],
        head_batch_norm=True,
    ).build((8, 8, 1))  # fmt: skip
    names = [layer.name for layer in model.layers]
    i = names.index
    assert i("head_conv1") < i("head_conv2") < i("gap") < i("fc1") < i("fc1_bn") < i("logits")
    assert "flatten" not in names
    assert tuple(model.get_layer("gap").output.shape[1:]) == (8,)


def test_gap_head_needs_a_feature_map():
    ae = Autoencoder(width=4, depth=1, bottleneck=[4]).build((8, 8, 1))
    with pytest.raises(LlexpError, match="model.head=gap .* needs a feature map"):
        LeNet(num_classes=2, depth=0, head="gap")(ae.get_layer("embedding").output)
    with pytest.raises(LlexpError, match="model.head='pool' must be one of flatten, gap$"):
        VGG16(num_classes=2, head="pool")


def fake_autoencoder_run(folder):
    """A finished autoencoder run folder, as `encoder_classifier` reads it."""
    folder.mkdir()
    model = Autoencoder(width=4, depth=1).build((8, 8, 1))
    save_model(model, folder)
    save_model(encoder_of(model), folder, "encoder")
    (folder / "metrics.json").write_text(json.dumps({"status": "completed", "config": {}}))
    return folder


def test_every_familys_model_json_loads_in_plain_keras(tmp_path):
    """Each family's architecture file stands alone: a fresh Python with only Keras imported
    (no llexp, so no custom layer registered) rebuilds it and predicts."""
    ae_dir = fake_autoencoder_run(tmp_path / "ae")
    models = {
        "lenet": LeNet(num_classes=2, width=4, depth=1, dense_units=4, head="gap",
                       head_convs=[4], head_batch_norm=True, batch_norm=True),
        "mlp": MLP(num_classes=2, hidden=[4], batch_norm=True),
        "vgg16": VGG16(num_classes=2, width=4, depth=2, dense=[4], pool=[True, False]),
        "autoencoder": Autoencoder(width=4, depth=2, bottleneck=[4], pool=[False, True],
                                   output_batch_norm=True),
        "encoder_classifier": EncoderClassifier(num_classes=2, encoder_from=str(ae_dir), dense=[4]),
        "pretrained": Pretrained(num_classes=2, weights=None, dense=[4]),
    }  # fmt: skip
    x = np.random.default_rng(0).random((2, 8, 8, 1)).astype("float32")
    for name, family in models.items():
        model = family.build((8, 8, 1))
        (tmp_path / f"{name}.json").write_text(model.to_json())
        model.save_weights(str(tmp_path / f"{name}.weights.h5"))
        np.save(tmp_path / f"{name}.npy", model.predict(x, verbose=0))
    np.save(tmp_path / "x.npy", x)
    script = (
        "import sys, numpy as np, keras\n"
        "x = np.load(sys.argv[1] + '/x.npy')\n"
        f"for name in {list(models)}:\n"
        "    model = keras.models.model_from_json(open(f'{sys.argv[1]}/{name}.json').read())\n"
        "    model.load_weights(f'{sys.argv[1]}/{name}.weights.h5')\n"
        "    same = np.allclose(model.predict(x, verbose=0), np.load(f'{sys.argv[1]}/{name}.npy'),"
        " atol=1e-5)\n"
        "    print(name, same)\n"
        "assert 'llexp' not in sys.modules\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, cwd="/"
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == [w for name in models for w in (name, "True")]


def test_pretrained_preprocessing_is_a_frozen_built_in_convolution():
    model = Pretrained(num_classes=2, weights=None, dense=[4]).build((32, 32, 3))
    layer = model.get_layer("preprocess")
    assert type(layer) is keras.layers.Conv2D and not layer.trainable
    assert layer.kernel_size == (1, 1)
