"""The LeNet-like classifier: its shape, the depth rule and its error."""

import keras
import numpy as np
import pytest

from llexp.api import make_lenet_model
from llexp.errors import LlexpError
from llexp.models import LeNet, max_depth


@pytest.mark.parametrize(
    "shape, deepest", [((28, 28, 1), 4), ((8, 8, 1), 3), ((32, 32, 3), 5), ((12, 20, 1), 3)]
)
def test_max_depth_keeps_every_side_at_least_one_pixel(shape, deepest):
    assert max_depth(shape) == deepest
    LeNet(num_classes=2, width=4, depth=deepest, dense_units=4).build(shape)  # fits


@pytest.mark.parametrize("shape, deepest", [((28, 28, 1), 4), ((8, 8, 1), 3)])
def test_one_block_too_many_names_the_largest_depth(shape, deepest):
    with pytest.raises(LlexpError, match=rf"model.depth={deepest + 1} is too deep .* is {deepest}"):
        LeNet(num_classes=2, width=4, depth=deepest + 1).build(shape)


def test_each_block_halves_the_image_and_grows_the_filters():
    model = LeNet(num_classes=3, width=4, depth=3, growth=2.0, dense_units=8).build((32, 32, 3))
    pools = [layer.output.shape for layer in model.layers if "pool" in layer.name]
    assert [tuple(s[1:]) for s in pools] == [(16, 16, 4), (8, 8, 8), (4, 4, 16)]
    assert model.get_layer("fc1").units == 8
    assert model.output_shape == (None, 3)


def test_block_has_no_input_until_called():
    block = LeNet(num_classes=5, width=4, depth=1, dense_units=4)
    outputs = block(keras.Input(shape=(8, 8, 1)))
    assert tuple(outputs.shape) == (None, 5)


def test_options_change_the_graph():
    plain = LeNet(num_classes=2, width=4, depth=2, dense_units=4).build((8, 8, 1))
    fancy = LeNet(
        num_classes=2, width=4, depth=2, dense_units=4, batch_norm=True, dropout=0.5, kernel_size=5
    ).build((8, 8, 1))
    names = {layer.name for layer in fancy.layers}
    assert {"block1_bn", "block2_bn", "fc1_dropout"} <= names
    assert not {"block1_bn", "fc1_dropout"} & {layer.name for layer in plain.layers}
    assert fancy.get_layer("block1_conv").kernel_size == (5, 5)


def test_make_lenet_model_is_compiled_for_the_dataset():
    model = make_lenet_model("digits", width=4, depth=2, dense_units=8)
    assert model.input_shape == (None, 8, 8, 1) and model.output_shape == (None, 10)
    assert model.optimizer is not None
    x, y = np.zeros((4, 8, 8, 1), "float32"), np.arange(4)
    logs = model.train_on_batch(x, y, return_dict=True)
    assert set(logs) == {"loss", "accuracy"}


def test_make_lenet_model_checks_depth_before_anything_loads():
    with pytest.raises(LlexpError, match="largest depth that fits is 4"):
        make_lenet_model("mnist", width=4, depth=6)  # mnist is never downloaded for this


def test_calling_the_block_on_a_too_small_input_checks_the_depth_rule_too():
    with pytest.raises(LlexpError, match="largest depth that fits is 3"):
        LeNet(num_classes=2, width=4, depth=4)(keras.Input(shape=(8, 8, 1)))
