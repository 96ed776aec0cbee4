"""A whole run in-process: the run folder's files, metrics, and reloading the model."""

import csv
import json

import numpy as np
import pytest

from llexp.artifacts import load_model
from llexp.errors import LlexpError, instantiate
from llexp.runner import run

RUN_FILES = {
    "model.json",
    "model.weights.h5",
    "history.csv",
    "history.png",
    "metrics.json",
    "best.weights.h5",
}


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    from llexp.api import compose

    from helpers import TINY

    out = tmp_path_factory.mktemp("run")
    result = run(compose(*TINY, "trainer.epochs=2"), out)
    return out, result


def test_run_folder_holds_every_artifact(finished):
    out, _ = finished
    assert RUN_FILES <= {p.name for p in out.iterdir()}
    assert (out / "history.png").stat().st_size > 10_000  # a drawn figure, not an empty canvas
    assert not [p for p in out.iterdir() if ".tmp" in p.name]  # atomic writes leave no temp file


def test_history_csv_has_one_row_per_epoch(finished):
    out, result = finished
    rows = list(csv.DictReader((out / "history.csv").open()))
    assert len(rows) == 2
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(rows[0])
    assert float(rows[-1]["val_loss"]) == pytest.approx(result.history["val_loss"][-1])


def test_metrics_json_reports_the_run(finished):
    out, result = finished
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["status"] == "completed" and metrics["epochs"] == 2
    for key in ("test_loss", "test_accuracy", "val_loss", "val_accuracy", "train_seconds"):
        assert isinstance(metrics[key], float), key
    predicted, labels = predicted_classes(result)
    assert metrics["test_accuracy"] == pytest.approx(np.mean(predicted == labels), abs=1e-6)
    assert metrics["params"] == result.model.count_params()  # LeNet has no frozen weights
    assert set(metrics["versions"]) >= {"python", "tensorflow", "keras", "hydra", "llexp"}


def predicted_classes(result) -> tuple[np.ndarray, np.ndarray]:
    """The trained model's classes for the run's test split, and the split's labels."""
    from llexp.api import compose

    from helpers import TINY

    test = instantiate(compose(*TINY).dataset).splits().test
    probs = result.model.predict(test.x, verbose=0)
    return np.argmax(probs, axis=-1), np.asarray(test.labels)


def test_reloaded_model_predicts_exactly_the_same(finished):
    out, result = finished
    x = np.random.default_rng(0).random((16, 8, 8, 1)).astype("float32")
    reloaded = load_model(out)
    np.testing.assert_array_equal(
        reloaded.predict(x, verbose=0), result.model.predict(x, verbose=0)
    )


@pytest.mark.slow
def test_training_learns_digits(tiny_cfg, tmp_path):
    result = run(
        tiny_cfg(
            "dataset.subset=null",
            "model.width=8",
            "model.dense_units=32",
            "trainer.epochs=5",
            "trainer.batch_size=32",
        ),
        tmp_path,
    )
    assert result.metrics["test_accuracy"] > 0.7  # chance is 0.1; seeds 1 and 2 gave 0.90, 0.79


def test_too_deep_fails_before_loading_any_data(tiny_cfg, tmp_path, monkeypatch):
    from llexp.data import DigitsSource

    def must_not_load(self):
        raise AssertionError("data loaded before the depth check")

    monkeypatch.setattr(DigitsSource, "arrays", must_not_load)
    with pytest.raises(LlexpError, match="largest depth that fits is 3"):
        run(tiny_cfg("model.depth=4"), tmp_path)
    assert not (tmp_path / "model.weights.h5").exists()


@pytest.mark.parametrize(
    "overrides, message",
    [
        (["trainer.monitor=val_acc"], "trainer.monitor=val_acc is not in this model's history"),
        (["objective=nonexistent"], "objective=nonexistent is not a metric of this run"),
        (
            ["objective=val_mse"],
            "objective=val_mse is not a metric of this run; use one of val_loss",
        ),
    ],
)
def test_monitor_and_objective_typos_fail_before_any_data_loads(
    tiny_cfg, tmp_path, monkeypatch, overrides, message
):
    from llexp.data import DigitsSource

    monkeypatch.setattr(DigitsSource, "arrays", lambda self: pytest.fail("data loaded"))
    with pytest.raises(LlexpError, match=message):
        run(tiny_cfg(*overrides), tmp_path)


def test_the_objective_defaults_to_the_models_own(finished):
    _, result = finished
    assert result.metrics["objective"] == "val_accuracy"  # lenet; the autoencoder's is val_loss


def test_an_autoencoder_has_no_accuracy_to_monitor():
    from llexp.models import Autoencoder
    from llexp.trainers import FitTrainer

    names = [m.name for m in Autoencoder(width=4, depth=1).metrics()]
    with pytest.raises(LlexpError, match="use one of loss, mse, val_loss, val_mse"):
        FitTrainer(monitor="val_accuracy").check_monitor(names)
