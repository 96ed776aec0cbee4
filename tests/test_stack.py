"""`python -m llexp.stack`: the stacked-autoencoder chain as ordinary runs, in one command."""

import json
import subprocess
import sys
from pathlib import Path

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
