"""llexp.compat: the private TensorFlow, Keras and Hydra APIs it wraps still do what it expects."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from llexp import compat

# What TensorFlow 2.21 printed before each run on a machine without a GPU (seen on this project's
# machines), and a line of another kind that must still show.
NOISE = [
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n",
    "I0000 00:00:1795998533.259061    9027 port.cc:153] oneDNN custom operations are on. You may "
    "see slightly different numerical results due to floating-point round-off errors.\n",
    "I0000 00:00:1795998533.287475    9027 cudart_stub.cc:31] Could not find cuda drivers on your "
    "machine, GPU will not be used.\n",
    "E0000 00:00:1795998364.456558    2870 cuda_platform.cc:52] failed call to cuInit: INTERNAL: "
    "CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)\n",
    "To enable the following instructions: AVX2 AVX512F FMA, in other operations, rebuild "
    "TensorFlow with the appropriate compiler flags.\n",
]
OTHER = "E0000 00:00:1795998364.456558    2870 some_op.cc:52] a real error\n"


def test_start_up_noise_is_dropped_and_other_native_output_kept(capfd):
    with compat.quiet_native_start_up():
        for line in [*NOISE, OTHER]:
            os.write(2, line.encode())
    assert capfd.readouterr().err == OTHER


def test_deterministic_ops_are_switched_back_off():
    from tensorflow.python.framework import config

    assert not config.is_op_determinism_enabled()
    with compat.op_determinism(True):
        assert config.is_op_determinism_enabled()
    assert not config.is_op_determinism_enabled()


@pytest.mark.slow
def test_a_run_starts_without_tensorflows_start_up_messages(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    args = ["dataset=digits", "dataset.subset=100", "model.width=4", "trainer.epochs=1"]
    done = subprocess.run(
        [sys.executable, "-m", "llexp", *args, "trainer.verbose=0", f"hydra.run.dir={tmp_path}"],
        cwd=Path(__file__).parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    for noise in ("absl::InitializeLog", "oneDNN", "cuda drivers", "cuInit"):
        assert noise not in done.stderr + done.stdout
    assert "test: loss=" in done.stdout + done.stderr  # llexp's own log still shows
