"""`python -m llexp.stack`: the stacked-autoencoder chain as ordinary runs, in one command."""

import json
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from llexp.stack import main, stage_commands


def test_each_stage_reads_the_codes_of_the_one_before():
    out = Path("/runs")
    commands = stage_commands(3, out, ["dataset=digits", "model.width=8", "seed=1"], ["x=1"])
    assert len(commands) == 4
    assert commands[0] == [
        "model=autoencoder", "dataset=digits", "seed=1", "model.width=8",
        "hydra.run.dir=/runs/stage1",
    ]  # fmt: skip
    assert "dataset.encoder_from=/runs/stage1" in commands[1]
    assert "dataset.encoder_from=/runs/stage2" in commands[2]
    assert "dataset=digits" not in commands[2]  # the codes are its dataset
    last = commands[-1]
    assert last[:3] == ["model=encoder_classifier", "dataset=digits", "seed=1"]
    assert "model.encoder_from=[/runs/stage1,/runs/stage2,/runs/stage3]" in last
    assert "model.width=8" not in last and "x=1" in last  # autoencoder keys stay with them


def test_a_used_output_folder_or_no_stage_is_refused(tmp_path, capsys):
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "stage1").mkdir()
    with pytest.raises(SystemExit):
        main(["--out", str(tmp_path / "old"), "dataset=digits"])
    assert "is not empty: give each chain a new folder" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--stages", "0", "--out", str(tmp_path / "new")])
    assert "--stages=0: stack at least one autoencoder" in capsys.readouterr().err


@pytest.mark.slow
def test_the_chain_runs_end_to_end_with_the_tape_trainer(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "llexp.stack", "--stages", "2", "--out", str(tmp_path / "chain"),
         "dataset=digits", "dataset.subset=300", "trainer=tape", "trainer.epochs=1",
         "trainer.verbose=0", "model.width=4", "model.depth=1", "--classifier", "model.dense=[8]"],
        capture_output=True, text=True, timeout=400,
    )  # fmt: skip
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    folders = [tmp_path / "chain" / name for name in ("stage1", "stage2", "classifier")]
    for folder in folders:
        metrics = json.loads((folder / "metrics.json").read_text())
        assert metrics["status"] == "completed"
        assert (folder / ".hydra" / "config.yaml").is_file()  # each an ordinary run
    assert metrics["config"]["model"]["encoder_from"] == [str(f) for f in folders[:2]]
    from llexp.artifacts import load_model

    model = load_model(folders[2])
    assert model.output_shape == (None, 10)
    x = np.random.default_rng(0).random((2, 8, 8, 1)).astype("float32")
    assert np.allclose(model.predict(x, verbose=0).sum(axis=1), 1.0, atol=1e-5)


def test_stage_overrides_and_finetune_go_to_their_own_runs():
    out = Path("/runs")
    commands = stage_commands(
        2, out, ["dataset=digits", "model.width=8", "seed=1"], ["model.dense=[8]"],
        per_stage={2: ["model.width=16", "model.pool=false"]}, finetune=["trainer.epochs=3"],
    )  # fmt: skip
    stage1, stage2, finetune, classifier = commands
    assert "model.pool=false" not in stage1 and stage1[-2] == "model.width=8"
    assert stage2[-3:-1] == ["model.width=16", "model.pool=false"]  # after the shared ones
    assert finetune == [
        "model=stacked_autoencoder", "dataset=digits", "seed=1",
        "model.encoder_from=[/runs/stage1,/runs/stage2]", "trainer.epochs=3",
        "hydra.run.dir=/runs/finetune",
    ]  # fmt: skip
    assert "model.encoder_from=[/runs/finetune]" in classifier  # the fine-tuned stack
    assert "trainer.epochs=3" not in classifier


def test_a_stage_outside_the_stack_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--out", str(tmp_path / "new"), "--stage", "3", "model.width=8"])
    assert exit_.value.code == 2
    assert "--stage 3: name a stage from 1 to --stages=2" in capsys.readouterr().err


@pytest.fixture(scope="module")
def stages(tmp_path_factory):
    """Two finished stages on digits: stage 1 without pooling (the code keeps 8x8), stage 2 on
    its codes."""
    from llexp.api import compose
    from llexp.runner import run

    base = [
        "dataset=digits", "dataset.subset=300", "trainer.epochs=1", "trainer.verbose=0",
        "model=autoencoder", "model.width=4", "model.depth=1", "model.visualization_size=2",
    ]  # fmt: skip
    root = tmp_path_factory.mktemp("stack")
    run(compose(*base, "model.pool=false"), root / "stage1")
    codes = ["dataset=codes", f"dataset.encoder_from={root / 'stage1'}"]
    run(compose(*base, *codes), root / "stage2")
    return root / "stage1", root / "stage2"


def test_finetune_assembles_the_stages_trained_weights(stages, tmp_path):
    from llexp.artifacts import load_model
    from llexp.models import StackedAutoencoder
    from llexp.models.autoencoder import encoder_of

    model = StackedAutoencoder([str(s) for s in stages]).build((8, 8, 1))
    assert model.output_shape == (None, 8, 8, 1)
    x = np.random.default_rng(0).random((3, 8, 8, 1)).astype("float32")
    first, second = (load_model(s) for s in stages)
    codes = 1 / (1 + np.exp(-encoder_of(first).predict(x, verbose=0)))
    expected = encoder_of(second).predict(codes, verbose=0)
    np.testing.assert_allclose(encoder_of(model).predict(x, verbose=0), expected, atol=1e-5)
    assert model.get_layer("stage2_reconstruction").get_config()["activation"] == "linear"
    assert model.get_layer("reconstruction").get_config()["activation"] == "sigmoid"
    restored = keras.models.model_from_json(model.to_json())  # built-in layers only
    assert [la.name for la in restored.layers] == [la.name for la in model.layers]


@pytest.mark.slow
def test_llexp_stack_with_stage_overrides_and_finetune_end_to_end(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "llexp", "stack", "--out", str(tmp_path / "chain"),
         "dataset=digits", "dataset.subset=300", "trainer.epochs=1", "trainer.verbose=0",
         "model.width=4", "model.depth=1", "--stage", "1", "model.pool=false",
         "--stage", "2", "model.width=8", "--finetune", "trainer.epochs=2",
         "--classifier", "model.head=gap", "model.head_convs=[8]", "model.dense=[8]"],
        capture_output=True, text=True, timeout=500,
    )  # fmt: skip
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    chain = tmp_path / "chain"
    config = json.loads((chain / "stage2" / "metrics.json").read_text())["config"]
    assert config["model"]["width"] == 8 and config["model"]["pool"] is True
    tuned = json.loads((chain / "finetune" / "metrics.json").read_text())
    assert tuned["status"] == "completed" and tuned["epochs"] == 2
    assert "warnings" not in tuned, tuned["warnings"]  # every report of an autoencoder run
    for name in ("encoder.json", "clusters.csv", "reconstruction_errors.csv", "embeddings.png"):
        assert (chain / "finetune" / name).is_file(), name
    classifier = json.loads((chain / "classifier" / "metrics.json").read_text())
    assert classifier["config"]["model"]["encoder_from"] == [str(chain / "finetune")]
    assert classifier["test_accuracy"] > 0.1
