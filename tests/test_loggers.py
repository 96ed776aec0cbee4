"""Experiment trackers: real two-job sweeps into MLflow, TensorBoard and W&B, read back (slow),
and the one-line message when a tracker is not installed (fast)."""

import importlib.util
import json
import struct

import pytest

from llexp import loggers
from llexp.errors import LlexpError
from llexp.runner import run

from helpers import TINY, run_llexp


def hide(monkeypatch, module):
    """Makes `module` look not installed to llexp's check."""
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == module else find_spec(name)
    )


@pytest.mark.parametrize(
    ("logger", "module"), [("mlflow", "mlflow"), ("tensorboard", "tensorboard"), ("wandb", "wandb")]
)
def test_a_tracker_not_installed_is_one_line_before_any_work(
    logger, module, tiny_cfg, tmp_path, monkeypatch
):
    hide(monkeypatch, module)
    hint = rf'logger={logger} needs .*pip install -e "[^"]*\[{logger}\]"'
    with pytest.raises(LlexpError, match=hint):
        run(tiny_cfg(f"logger={logger}"), tmp_path / "run")
    assert not (tmp_path / "run").exists()  # nothing written, no data loaded
    with pytest.raises(SystemExit) as stop:  # a sweep stops in its launching process
        loggers.PrepareStore().on_multirun_start(tiny_cfg(f"logger={logger}"))
    assert stop.value.code == 2


def test_the_config_is_flattened_into_dotted_params():
    flat = loggers.flatten({"model": {"width": 4, "filters": None}, "class_names": ["a", "b"]})
    assert flat == {"model.width": 4, "model.filters": "null", "class_names": "['a', 'b']"}


def sweep(*args, cwd):
    """A two-job multirun (fit and tape: both trainers log the same way) of the tiny config."""
    done = run_llexp(
        "-m", *TINY, "trainer.epochs=2", "trainer=fit,tape", "hydra.sweep.dir=sweep", *args,
        cwd=cwd, timeout=400,
    )  # fmt: skip
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    return [json.loads((cwd / "sweep" / j / "metrics.json").read_text()) for j in "01"]


@pytest.mark.slow
def test_mlflow_sweep_of_parallel_jobs_writes_one_run_per_job(tmp_path):
    from mlflow import MlflowClient

    jobs = sweep("logger=mlflow", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", cwd=tmp_path)
    client = MlflowClient(f"sqlite:///{tmp_path}/outputs/mlflow.db")  # the default store
    experiment = client.get_experiment_by_name("llexp")
    runs = client.search_runs([experiment.experiment_id])
    by_trainer = {r.data.params["trainer._target_"].rsplit(".", 1)[1]: r for r in runs}
    assert sorted(by_trainer) == ["FitTrainer", "TapeTrainer"]
    for metrics, name in zip(jobs, ["FitTrainer", "TapeTrainer"], strict=True):
        mlrun = by_trainer[name]
        assert mlrun.info.status == "FINISHED"
        assert mlrun.data.params["model.width"] == "4"  # the flattened resolved config
        assert mlrun.data.metrics["test_accuracy"] == pytest.approx(metrics["test_accuracy"])
        history = client.get_metric_history(mlrun.info.run_id, "loss")  # per epoch, from Keras
        assert [m.step for m in history] == [0, 1]
        files = {a.path for a in client.list_artifacts(mlrun.info.run_id)}
        assert {"metrics.json", "history.csv", "model.weights.h5", "history.png"} <= files
    assert (tmp_path / "outputs" / "mlflow-artifacts").is_dir()  # nothing written outside outputs/
    assert not (tmp_path / "mlruns").exists()


@pytest.mark.slow
def test_tensorboard_sweep_writes_hparams_beside_the_event_files(tmp_path):
    from tensorboard.backend.event_processing.event_multiplexer import EventMultiplexer
    from tensorboard.plugins.hparams import metadata
    from tensorboard.util import tensor_util

    jobs = sweep("logger=tensorboard", cwd=tmp_path)
    events = EventMultiplexer().AddRunsFromDirectory(str(tmp_path / "sweep")).Reload()
    sessions = events.PluginRunToTagToContent(metadata.PLUGIN_NAME)
    assert sorted(sessions) == ["0/tensorboard", "1/tensorboard"]  # one session per job
    for j, metrics in zip("01", jobs, strict=True):
        content = sessions[f"{j}/tensorboard"][metadata.SESSION_START_INFO_TAG]
        hparams = metadata.parse_session_start_info_plugin_data(content).hparams
        assert hparams["model.width"].number_value == 4
        trainer = hparams["trainer._target_"].string_value
        assert trainer.endswith(["FitTrainer", "TapeTrainer"][int(j)])
        (final,) = events.Tensors(f"{j}/tensorboard", "test_accuracy")
        value = tensor_util.make_ndarray(final.tensor_proto)
        assert value == pytest.approx(metrics["test_accuracy"])
        curve = events.Tensors(f"{j}/tensorboard/validation", "epoch_loss")  # Keras's callback
        assert [e.step for e in curve] == [0, 1]


def wandb_records(path):
    """The records of a W&B offline run file (`run-ID.wandb`), decoded with W&B's own protobuf
    schema. (wandb's Python package no longer ships a reader; the file is a LevelDB-style log.)"""
    from wandb.proto import wandb_internal_pb2

    data = path.read_bytes()
    assert data[:4] == b":W&B"
    pos, block, chunks = 7, 32768, []
    while pos + 7 <= len(data):
        if block - pos % block < 7:  # a block's tail too short for a header is padding
            pos += block - pos % block
            continue
        _, length, kind = struct.unpack("<IHB", data[pos : pos + 7])
        chunks.append(data[pos + 7 : pos + 7 + length])
        pos += 7 + length
        if kind in (1, 4):  # a full record, or the last piece of one
            record = wandb_internal_pb2.Record()
            record.ParseFromString(b"".join(chunks))
            chunks = []
            yield record


@pytest.mark.slow
def test_wandb_sweep_is_written_offline_into_each_run_folder(tmp_path):
    jobs = sweep("logger=wandb", cwd=tmp_path)
    for j, metrics in zip("01", jobs, strict=True):
        (path,) = (tmp_path / "sweep" / j / "wandb").glob("offline-run-*/run-*.wandb")
        records = list(wandb_records(path))
        kinds = [r.WhichOneof("record_type") for r in records]
        (started,) = [r.run for r in records if r.HasField("run")]
        config = {item.key: json.loads(item.value_json) for item in started.config.update}
        assert config["model"]["width"] == 4 and config["trainer"]["epochs"] == 2
        epochs = [r.history for r in records if r.HasField("history")]
        assert len(epochs) == 2  # one history row per epoch, from WandbMetricsLogger
        keys = {"/".join(item.nested_key) or item.key for item in epochs[0].item}
        assert {"epoch/loss", "epoch/val_accuracy", "epoch/learning_rate"} <= keys
        summary = {
            item.key: json.loads(item.value_json)
            for r in records
            if r.HasField("summary")
            for item in r.summary.update
        }
        assert summary["test_accuracy"] == pytest.approx(metrics["test_accuracy"])
        assert "exit" in kinds and [r.exit.exit_code for r in records if r.HasField("exit")] == [0]


def test_a_run_that_fails_is_a_failed_mlflow_run_and_the_next_one_starts_clean(tiny_cfg, tmp_path):
    from mlflow import MlflowClient

    store = f"sqlite:///{tmp_path}/store/mlflow.db"
    tracked = ["logger=mlflow", f"logger.tracking_uri={store}", "logger.experiment=e"]
    # 1e12 stopped diverging once the batch order became seeded per epoch; 1e20 does.
    diverging = tiny_cfg(*tracked, "optimizer=sgd", "optimizer.learning_rate=1e20")
    with pytest.raises(LlexpError, match="training diverged"):
        run(diverging, tmp_path / "failed")
    run(tiny_cfg(*tracked), tmp_path / "completed")  # no run left open by the failed one
    client = MlflowClient(store)
    runs = client.search_runs([client.get_experiment_by_name("e").experiment_id])
    by_folder = {r.data.tags["llexp.run_dir"]: r.info.status for r in runs}
    assert by_folder == {
        str(tmp_path / "failed"): "FAILED",
        str(tmp_path / "completed"): "FINISHED",
    }
    assert (tmp_path / "store" / "mlflow-artifacts").is_dir()  # beside the store, not ./mlruns
