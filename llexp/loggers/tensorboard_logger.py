"""`logger=tensorboard`: TensorBoard's HParams plugin on top of each run's event files."""

from __future__ import annotations

from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from llexp.loggers import Logger, final_metrics, flatten, require


class TensorBoardLogger(Logger):
    """Writes the run's hyperparameters and final metrics beside its TensorBoard event files.

    `conf/logger/tensorboard.yaml` also sets `trainer.tensorboard=true`, so Keras's TensorBoard
    callback writes the per-epoch curves into `<run>/tensorboard/{train,validation}`; this adds
    the HParams plugin's session summary (the flattened resolved config) and the numbers of
    metrics.json as scalars, so `tensorboard --logdir outputs/` compares the runs of a sweep by
    hyperparameter (HPARAMS tab: table, parallel coordinates, scatter plots).

    Args:
        subdir: the folder inside the run folder, the one Keras's callback writes into.
    """

    def __init__(self, subdir: str = "tensorboard"):
        require("tensorboard", "tensorboard")
        self.subdir = subdir
        self.log_dir: Path | None = None

    def writer(self):
        import tensorflow as tf

        return tf.summary.create_file_writer(str(self.log_dir))

    def start(self, cfg: DictConfig, out_dir: Path) -> list:
        from tensorboard.plugins.hparams import api as hp

        self.log_dir = out_dir / self.subdir
        hparams = flatten(OmegaConf.to_container(cfg, resolve=True))
        with self.writer().as_default():
            hp.hparams(hparams, trial_id=str(out_dir))
        return []

    def finish(self, metrics: dict, out_dir: Path) -> None:
        import tensorflow as tf

        step = max(int(metrics.get("epochs", 1)) - 1, 0)
        writer = self.writer()
        with writer.as_default():
            for key, value in final_metrics(metrics).items():
                tf.summary.scalar(key, value, step=step)
        writer.close()
