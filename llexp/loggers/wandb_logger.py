"""`logger=wandb`: Weights & Biases, offline by default (no account, no network)."""

from __future__ import annotations

from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from llexp.loggers import Logger, final_metrics, require


class WandbLogger(Logger):
    """Logs the run to Weights & Biases with its Keras callback (`WandbMetricsLogger`).

    Offline, the run is written into `<run>/wandb/offline-run-*` and can be uploaded later with
    `wandb sync <run>/wandb/offline-run-*` (after `wandb login`). The run gets the resolved config,
    every epoch's logs and, in its summary, the numbers of metrics.json.

    Args:
        project: the W&B project.
        mode: `offline` (default), `online` (needs `wandb login`) or `disabled`.
        dir: where W&B writes its files; default the run folder.
        entity, group: W&B's team or user, and a group name for the runs (e.g. one sweep).
    """

    def __init__(
        self,
        project: str = "llexp",
        mode: str = "offline",
        dir: str | None = None,  # noqa: A002  (W&B's own name for it)
        entity: str | None = None,
        group: str | None = None,
    ):
        require("wandb", "wandb")
        self.project, self.mode, self.dir = project, mode, dir
        self.entity, self.group = entity, group
        self.run = None

    def start(self, cfg: DictConfig, out_dir: Path) -> list:
        import wandb
        from wandb.integration.keras import WandbMetricsLogger

        self.run = wandb.init(
            project=self.project,
            entity=self.entity,
            group=self.group,
            mode=self.mode,
            dir=str(self.dir or out_dir),
            name=f"{out_dir.parent.name}/{out_dir.name}",
            config=OmegaConf.to_container(cfg, resolve=True),
            settings=wandb.Settings(console="off", silent=True),  # Hydra owns the console
        )
        return [WandbMetricsLogger(log_freq="epoch")]

    def finish(self, metrics: dict, out_dir: Path) -> None:
        self.run.summary.update(final_metrics(metrics))

    def close(self, failed: bool) -> None:
        if self.run is not None:
            self.run.finish(exit_code=1 if failed else 0)
            self.run = None
