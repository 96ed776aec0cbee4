"""Batch norm that works on small data, in every family: 5 epochs on digits (1,437 training
images, 45 steps an epoch) with `batch_norm=true` end well above chance (10%), because every
family's moving statistics settle within tens of steps (momentum 0.9, not Keras's 0.99)."""

import pytest

from llexp.api import compose
from llexp.models.blocks import BN_MOMENTUM
from llexp.runner import run

RUN = ["dataset=digits", "trainer.epochs=5", "trainer.verbose=0", "model.batch_norm=true"]


@pytest.mark.parametrize(
    "model",
    [
        ["model=lenet", "model.width=8", "model.dense_units=32"],
        ["model=mlp", "model.hidden=[32]"],
        ["model=vgg16", "model.width=8", "model.depth=2", "model.dense=[32]"],
    ],
    ids=["lenet", "mlp", "vgg16"],
)
def test_classifiers_with_batch_norm_learn_digits_in_5_epochs(tmp_path, model):
    result = run(compose(*RUN, *model), tmp_path)
    assert result.metrics["test_accuracy"] > 0.8
    layers = [la for la in result.model.layers if type(la).__name__ == "BatchNormalization"]
    assert layers and {la.momentum for la in layers} == {BN_MOMENTUM}


def test_the_autoencoder_with_batch_norm_beats_the_mean_image_in_5_epochs(tmp_path):
    result = run(compose(*RUN, "model=autoencoder", "model.width=8", "model.depth=1"), tmp_path)
    assert result.metrics["test_loss"] < 0.5 * result.metrics["baseline_mse"]
