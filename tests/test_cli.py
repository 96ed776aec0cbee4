"""The real command line, in subprocesses (slow: each one starts TensorFlow)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import TINY, run_llexp

pytestmark = pytest.mark.slow


def llexp(*args, cwd):
    return run_llexp(*args, cwd=cwd)


def test_one_run_writes_a_complete_folder_under_outputs(tmp_path):
    done = llexp(*TINY, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    (run_dir,) = [p.parent for p in tmp_path.glob("outputs/*/*/metrics.json")]
    names = {p.name for p in run_dir.iterdir()}
    assert {
        "model.json",
        "model.weights.h5",
        "history.csv",
        "history.png",
        "metrics.json",
        "llexp.log",
        ".hydra",
    } <= names
    assert json.loads((run_dir / "metrics.json").read_text())["status"] == "completed"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["outputs"]  # nothing else written


def test_multirun_makes_one_complete_folder_per_job(tmp_path):
    done = llexp(
        "-m", *TINY, "model.depth=1,2", "model.width=4,8", "hydra.sweep.dir=sweep", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr[-3000:]
    runs = sorted((tmp_path / "sweep").glob("*/metrics.json"))
    assert len(runs) == 4
    assert all(json.loads(p.read_text())["status"] == "completed" for p in runs)
    params = {json.loads(p.read_text())["params"] for p in runs}
    assert len(params) == 4  # four different models


def test_user_mistake_is_one_line_and_exit_status_2(tmp_path):
    done = llexp(*TINY, "model.depth=6", cwd=tmp_path)
    assert done.returncode == 2
    errors = [line for line in (done.stdout + done.stderr).splitlines() if "ERROR" in line]
    assert len(errors) == 1 and "largest depth that fits is 3" in errors[0]
    assert "Traceback" not in done.stdout + done.stderr
    (metrics,) = tmp_path.glob("outputs/*/*/metrics.json")
    assert json.loads(metrics.read_text())["status"] == "failed"


def test_config_is_found_outside_the_repository(tmp_path):
    done = llexp("--cfg", "job", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "_target_: llexp.models.LeNet" in done.stdout
    helped = llexp("--help", cwd=tmp_path)
    assert (
        "model: autoencoder, encoder_classifier, lenet, mlp, pretrained, stacked_autoencoder, vgg16"
        in helped.stdout
    )
    assert (
        "dataset: cifar10, cifar100, codes, digits, fashion_mnist, folder, mnist, npz"
        in helped.stdout
    )
    assert "experiment: cifar10_autoencoder" in helped.stdout
    assert "llexp review PATH..." in helped.stdout  # the subcommand is named, not only Hydra's
    assert "logger: mlflow, tensorboard, wandb" in helped.stdout


def test_console_script_is_the_same_entry_point(tmp_path):
    script = Path(sys.executable).parent / "llexp"
    done = subprocess.run(
        [str(script), "--cfg", "job", "dataset=digits"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "_target_: llexp.data.DigitsSource" in done.stdout


def test_plain_install_still_finds_the_configs(tmp_path):
    repo = Path(__file__).resolve().parents[1]
    pip = [sys.executable, "-m", "pip", "-q"]
    subprocess.run(
        [
            *pip,
            "wheel",
            str(repo),
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path / "wheel"),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = (tmp_path / "wheel").glob("llexp-*.whl")
    subprocess.run(
        [*pip, "install", "--no-deps", "--target", str(tmp_path / "site"), str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site")}  # shadows the editable install
    done = subprocess.run(
        [sys.executable, "-c", "import llexp.conf; print(llexp.conf.__file__)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.stdout.startswith(str(tmp_path / "site")), done.stderr
    done = subprocess.run(
        [sys.executable, "-m", "llexp", "--cfg", "job", "dataset=cifar10"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "image_shape:\n  - 32\n  - 32\n  - 3" in done.stdout


@pytest.mark.parametrize("info", ["defaults", "defaults-tree"])
def test_info_lists_every_group_and_its_schema(info, tmp_path):
    # A fresh process: the schemas each option's defaults list names are registered before
    # Hydra reads the list (`--info defaults` reads it before anything else imports them).
    done = llexp("--info", info, "dataset=digits", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    for shown in ("model_lenet_schema", "dataset_digits_schema", "schedule_constant_schema"):
        assert shown in done.stdout, shown
    assert not (tmp_path / "outputs").exists()
