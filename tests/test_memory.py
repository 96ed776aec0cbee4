"""The memory estimate counts the weights Keras builds, and refuses what cannot fit."""

import pytest

from llexp.errors import LlexpError
from llexp.memory import check_memory
from llexp.models import MLP, VGG16, Autoencoder, LeNet


@pytest.mark.parametrize(
    "family, shape",
    [
        (LeNet(num_classes=10, width=8, depth=2, dense_units=16), (28, 28, 1)),
        (VGG16(num_classes=10, width=4, dense=[32]), (32, 32, 3)),
        (MLP(num_classes=3, hidden=[64, 32]), (8, 8, 1)),
    ],
)
def test_the_estimate_counts_the_weights_keras_builds(family, shape):
    weights, _ = family.size(shape)
    assert weights == family.build(shape).count_params()


def test_the_autoencoder_estimate_is_a_lower_bound():
    family = Autoencoder(width=8, depth=2, bottleneck=[32, 6])
    weights, _ = family.size((16, 16, 3))
    assert 0.8 * family.build((16, 16, 3)).count_params() <= weights
    assert weights <= family.build((16, 16, 3)).count_params()


def test_a_model_that_cannot_fit_is_refused_with_the_knob_to_turn():
    family = LeNet(num_classes=10, width=32, depth=2)
    check_memory(family, (28, 28, 1), 32, available=2**30)  # ~3.3M weights fit in 1 GB
    with pytest.raises(LlexpError, match=r"lower model.width \(now 32\) or trainer.batch_size"):
        check_memory(family, (28, 28, 1), 32, available=2**20)
    with pytest.raises(LlexpError, match="per batch of 100000"):
        check_memory(family, (28, 28, 1), 100_000, available=2**30)
