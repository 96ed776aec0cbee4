"""trainer.strategy=mirrored and resources.cpu_devices: several devices, the same result as one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from omegaconf import OmegaConf

from llexp import resources
from llexp.errors import LlexpError
from llexp.runner import run

from helpers import TINY


@pytest.fixture
def no_data(monkeypatch):
    """Any attempt to load the digits fails the test: the checks must come first."""
    from llexp.data import DigitsSource

    def must_not_load(self):
        raise AssertionError("data loaded before the strategy check")

    monkeypatch.setattr(DigitsSource, "arrays", must_not_load)


def test_unknown_strategy_is_one_line_before_any_data(tiny_cfg, tmp_path, no_data):
    with pytest.raises(LlexpError, match=r"trainer.strategy='ring' must be one of null, mirrored$"):
        run(tiny_cfg("trainer.strategy=ring"), tmp_path)


@pytest.mark.parametrize("trainer", ["fit", "tape"])
def test_mirrored_on_one_device_says_how_to_get_two(tiny_cfg, tmp_path, no_data, trainer):
    # The test process has no GPU and an unsplit CPU: one device.
    with pytest.raises(LlexpError, match="needs 2 or more devices.*resources.cpu_devices=2"):
        run(tiny_cfg(f"trainer={trainer}", "trainer.strategy=mirrored"), tmp_path)
    assert not (tmp_path / "metrics.json").exists()


@pytest.mark.parametrize("count", [0, -1, 1.5, "two"])
def test_cpu_devices_must_be_a_whole_number_of_at_least_one(count):
    with pytest.raises(LlexpError, match="resources.cpu_devices=.* must be a whole number"):
        resources.configure_tensorflow(OmegaConf.create({"cpu_devices": count}), None)


def test_cpu_devices_after_tensorflow_started_is_one_line(monkeypatch):
    import tensorflow as tf

    tf.config.list_logical_devices("CPU")  # starts the runtime, as a notebook would have
    monkeypatch.setattr(resources, "_applied", None)
    with pytest.raises(LlexpError, match="must be set before TensorFlow starts"):
        resources.configure_tensorflow(OmegaConf.create({"cpu_devices": 2}), None)


# Runs one-device and mirrored runs of both trainers in a fresh process whose CPU is split in 2
# (logical devices exist only if made before TensorFlow starts), then an interrupted mirrored run
# resumed, a mirrored autoencoder and a mirrored run asking for XLA. Plain SGD, with a learning
# rate that moves the weights (Adam divides by the root of tiny squared gradients, which turns
# float32 rounding into visible weight differences). Prints each run's metrics, history, weights.
SCRIPT = """
import json, sys
from omegaconf import OmegaConf
from llexp import resources
from llexp.api import compose

resources.configure_tensorflow(OmegaConf.create({"cpu_devices": 2}), None)
from llexp.runner import run

out = {}
for trainer in ("fit", "tape"):
    for strategy in ("null", "mirrored"):
        overrides = [*TINY, "trainer=" + trainer, "trainer.strategy=" + strategy,
                     "optimizer=sgd", "optimizer.learning_rate=0.5", "trainer.epochs=2"]
        result = run(compose(*overrides), sys.argv[1] + "/" + trainer + "-" + strategy)
        out[trainer + "-" + strategy] = {
            "metrics": {k: v for k, v in result.metrics.items() if k in ("test_loss", "replicas")},
            "loss": result.history["loss"],
            "weights": [w.tolist() for w in result.model.get_weights()],
        }
# A later job of a sweep, in the same process, with a model of another size.
ae = [*TINY[:2], "model=autoencoder", "model.width=4", "model.depth=1", "trainer.epochs=1",
      "model.visualization_size=2", "trainer.verbose=0", "trainer=tape",
      "trainer.strategy=mirrored"]
out["autoencoder"] = run(compose(*ae), sys.argv[1] + "/autoencoder").metrics["replicas"]
# Interrupted in its second epoch, resumed: the same losses as the uninterrupted mirrored run.
sys.path.insert(0, TESTS)
import pauses
from llexp.trainers.base import BaseTrainer

callbacks = BaseTrainer.callbacks
BaseTrainer.callbacks = pauses.with_callback(lambda: pauses.batch_callback(7, pauses.ctrl_c))
cfg = compose(*overrides)  # tape, mirrored
try:
    run(cfg, sys.argv[1] + "/stopped")
except KeyboardInterrupt:
    BaseTrainer.callbacks = callbacks
    out["resumed"] = run(cfg, sys.argv[1] + "/stopped", resume=True).history["loss"]
try:
    run(compose(*TINY, "trainer.strategy=mirrored", "trainer.jit_compile=true"), sys.argv[1] + "/x")
except Exception as error:
    out["jit"] = type(error).__name__ + ": " + str(error)
print("RESULT" + json.dumps(out))
"""


@pytest.mark.slow
def test_mirrored_on_two_cpus_matches_one_device(tmp_path):
    tests = str(Path(__file__).parent)
    code = f"TINY = {TINY!r}\nTESTS = {tests!r}\n" + textwrap.dedent(SCRIPT)
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    runs = json.loads(done.stdout.split("RESULT", 1)[1])
    for trainer in ("fit", "tape"):
        one, two = runs[f"{trainer}-null"], runs[f"{trainer}-mirrored"]
        assert one["metrics"]["replicas"] == 1
        assert two["metrics"]["replicas"] == 2
        assert one["loss"][1] < one["loss"][0]  # it trained, so the comparison means something
        # Measured: weights within 6e-8, losses within 2.4e-7 (float32 sums in another order).
        np.testing.assert_allclose(two["loss"], one["loss"], rtol=1e-6)
        assert two["metrics"]["test_loss"] == pytest.approx(one["metrics"]["test_loss"], rel=1e-6)
        for a, b in zip(one["weights"], two["weights"], strict=True):
            np.testing.assert_allclose(np.array(b), np.array(a), atol=1e-6)
    np.testing.assert_allclose(runs["resumed"], runs["tape-mirrored"]["loss"], rtol=1e-6)
    # A second model of another size trains under the same process's strategy.
    assert runs["autoencoder"] == 2
    assert runs["jit"].startswith("LlexpError: trainer.jit_compile=true does not work with")
    # Both trainers compute the same mirrored step.
    np.testing.assert_allclose(
        runs["tape-mirrored"]["loss"], runs["fit-mirrored"]["loss"], rtol=1e-6
    )
    for a, b in zip(runs["fit-mirrored"]["weights"], runs["tape-mirrored"]["weights"], strict=True):
        np.testing.assert_allclose(np.array(b), np.array(a), atol=1e-6)
