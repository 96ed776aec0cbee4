"""The seed projects' Python functions run the same code as the command line."""

import json

import llexp

from helpers import write_npz


def test_fit_model_on_writes_the_run_folder_and_returns_the_history(tmp_path):
    history = llexp.fit_model_on(
        "digits",
        epochs=2,
        batch_size=64,
        out_dir=tmp_path / "run",
        width=4,
        depth=1,
        overrides=("trainer.verbose=0", "model.dense_units=8", "dataset.subset=200"),
    )
    assert len(history["loss"]) == 2 and "val_accuracy" in history
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["status"] == "completed" and metrics["epochs"] == 2


def test_fit_model_on_accepts_an_npz_path(tmp_path):
    path = write_npz(tmp_path / "data.npz", num_classes=10, n_train=100)
    history = llexp.fit_model_on(
        str(path),
        epochs=1,
        batch_size=32,
        out_dir=tmp_path / "r",
        width=4,
        depth=1,
        overrides=("trainer.verbose=0", "model.dense_units=8"),
    )
    assert len(history["loss"]) == 1
    assert (tmp_path / "r" / "model.weights.h5").exists()
