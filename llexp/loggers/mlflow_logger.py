"""`logger=mlflow`: each run is an MLflow run (params, per-epoch metrics, final metrics, files)."""

from __future__ import annotations

import logging
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from llexp.loggers import Logger, final_metrics, flatten, require

log = logging.getLogger("llexp")


class MlflowLogger(Logger):
    """Logs the run to MLflow through MLflow's Keras callback (`mlflow.keras.MlflowCallback`).

    The callback, unlike `mlflow.autolog` (which patches only `Model.fit`), is driven by both
    trainers. The run gets the flattened resolved config as params, every epoch's logs as metrics
    (step = epoch), the numbers of metrics.json at the last epoch's step, and the run folder's
    files as artifacts.

    Args:
        tracking_uri: where runs are stored; default a local sqlite file, no server needed.
            A relative sqlite path is relative to the working directory, like `outputs/`.
        experiment: the MLflow experiment the runs belong to (created when missing).
        artifact_location: where a new experiment keeps its runs' files; default the folder
            `mlflow-artifacts` beside a sqlite store (MLflow's own default is `./mlruns`).

    Example:
        `python -m llexp -m logger=mlflow dataset=digits model.width=8,16`, then
        `mlflow ui --backend-store-uri sqlite:///outputs/mlflow.db`.
    """

    def __init__(
        self,
        tracking_uri: str = "sqlite:///outputs/mlflow.db",
        experiment: str = "llexp",
        artifact_location: str | None = None,
    ):
        require("mlflow", "mlflow")
        self.tracking_uri, self.experiment = tracking_uri, experiment
        self.artifact_location = artifact_location
        self.run_id: str | None = None

    def sqlite_file(self) -> Path | None:
        prefix = "sqlite:///"
        if not self.tracking_uri.startswith(prefix):
            return None
        return Path(self.tracking_uri[len(prefix) :])

    def prepare(self) -> str:
        """Creates the store and the experiment when missing; returns the experiment's id."""
        from mlflow import MlflowClient

        database = self.sqlite_file()
        location = self.artifact_location
        if database is not None:
            database.parent.mkdir(parents=True, exist_ok=True)  # sqlite does not create it
            location = location or (database.parent / "mlflow-artifacts").resolve().as_uri()
        client = MlflowClient(self.tracking_uri)
        experiment = client.get_experiment_by_name(self.experiment)
        if experiment is not None:
            return experiment.experiment_id
        return client.create_experiment(self.experiment, artifact_location=location)

    def start(self, cfg: DictConfig, out_dir: Path) -> list:
        import mlflow
        from mlflow.keras import MlflowCallback

        mlflow.set_tracking_uri(self.tracking_uri)
        run = mlflow.start_run(
            experiment_id=self.prepare(),
            run_name=f"{out_dir.parent.name}/{out_dir.name}",
            tags={"llexp.run_dir": str(out_dir.resolve())},
        )
        self.run_id = run.info.run_id
        mlflow.log_params(flatten(OmegaConf.to_container(cfg, resolve=True)))
        log.info("MLflow run %s in %s", self.run_id, self.tracking_uri)
        return [MlflowCallback()]

    def finish(self, metrics: dict, out_dir: Path) -> None:
        import mlflow

        mlflow.log_metrics(final_metrics(metrics), step=max(int(metrics.get("epochs", 1)) - 1, 0))
        mlflow.log_artifacts(str(out_dir))

    def close(self, failed: bool) -> None:
        if self.run_id is not None:
            import mlflow

            mlflow.end_run("FAILED" if failed else "FINISHED")
            self.run_id = None
