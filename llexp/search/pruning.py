"""The Keras callback through which a job of a search reports each epoch to its Optuna trial and
stops, at the end of an epoch, when the study's pruner says the trial is hopeless."""

from __future__ import annotations

import logging
import math

import keras

log = logging.getLogger("llexp")


class PruneTrial(keras.callbacks.Callback):
    """Reports `objective` after each epoch (step = epochs finished) and stops training when the
    trial should be pruned; `pruned` then says so, for the run to record. The last epoch is
    reported but never pruned: nothing would be saved, and the trial's value would be lost.

    Works with both trainers: `Model.fit` and the tape loop both end an epoch's callbacks and
    then stop when `model.stop_training` is set.

    Args:
        trial: the job's `optuna.Trial` (`llexp.search.study.job_trial`).
        objective: the history key the trial optimises (`val_accuracy`); an objective that is
            not in the epoch's logs (a test metric) cannot prune, and the trial runs to its end.
    """

    def __init__(self, trial, objective: str):
        super().__init__()
        self.trial, self.objective = trial, objective
        self.pruned = False
        self.warned = False

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.objective)
        if value is None:
            if not self.warned:
                log.warning(
                    "objective %s is not in the epoch's logs: trial %d cannot be pruned",
                    self.objective,
                    self.trial.number,
                )
                self.warned = True
            return
        value = float(value)
        if not math.isfinite(value):
            return  # TerminateOnNaN ends the run; the trial fails
        self.trial.report(value, epoch + 1)
        if epoch + 1 >= self.params.get("epochs", math.inf):
            return  # trained to the end: a complete trial, whose value the sampler learns from
        if self.trial.should_prune():
            log.info(
                "trial %d pruned after epoch %d (%s=%.4f)",
                self.trial.number,
                epoch + 1,
                self.objective,
                value,
            )
            self.pruned = True
            self.model.stop_training = True
