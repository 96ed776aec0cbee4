"""`logger=mlflow`: each run is an MLflow run (params, per-epoch metrics, final metrics, files)."""

from __future__ import annotations

import logging
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from llexp.errors import LlexpError
from llexp.loggers import Logger, final_metrics, flatten, require

log = logging.getLogger("llexp")


# Stores MLflow reads without a server, and servers it talks to over HTTP.
LOCAL = ("sqlite", "file", "postgresql", "mysql", "mssql", "databricks", "databricks-uc")
SERVERS = ("http", "https")
ANSWER_WITHIN_S = 3.0  # MLflow's own client retries an unreachable server for minutes


def check_tracking_uri(uri: str) -> None:
    """One line, within seconds, for a tracking URI MLflow cannot use: an unknown scheme, a
    sqlite URI without its three slashes, a server that does not answer."""
    import socket
    from urllib.parse import urlsplit

    fix = "use sqlite:///outputs/mlflow.db (no server), a folder, or http://HOST:PORT"
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    if len(scheme) <= 1:  # a plain path (or a Windows drive letter): a local folder store
        return
    if scheme not in LOCAL + SERVERS:
        raise LlexpError(f"logger.tracking_uri={uri}: unknown scheme {scheme}:; {fix}")
    if scheme == "sqlite" and not uri.startswith("sqlite:///"):
        raise LlexpError(f"logger.tracking_uri={uri}: a sqlite URI is sqlite:///PATH; {fix}")
    if scheme not in SERVERS:
        return
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise LlexpError(f"logger.tracking_uri={uri}: the port is not a number; {fix}") from None
    if not parts.hostname:
        raise LlexpError(f"logger.tracking_uri={uri}: no host; {fix}")
    try:
        socket.create_connection((parts.hostname, port), timeout=ANSWER_WITHIN_S).close()
    except OSError as error:
        raise LlexpError(
            f"logger.tracking_uri={uri}: no MLflow server answers at {parts.hostname}:{port} "
            f"({getattr(error, 'strerror', None) or error}); start it (mlflow server --port "
            f"{port}) or use sqlite:///outputs/mlflow.db"
        ) from None


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
        check_tracking_uri(tracking_uri)
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
