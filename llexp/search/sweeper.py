"""The search loop of `hydra/sweeper=optuna`: ask the study for a batch of trials, launch them as
jobs, tell the study what each returned, until `n_trials` trials have run; then write the
study's best into the sweep folder (`optimization_results.yaml`).

A job that its pruner stopped has told the study itself (its trial is PRUNED already, wherever
the job ran); a job that failed returned None and its trial is told FAIL.
"""

from __future__ import annotations

import functools
import logging
import math
from pathlib import Path
from typing import Any

import optuna
from hydra.core.plugins import Plugins
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf

from llexp.errors import LlexpError
from llexp.search import space, study
from llexp.search.results import RESULTS, describe, write_results

log = logging.getLogger("llexp")

State = optuna.trial.TrialState
FINISHED = (State.COMPLETE, State.PRUNED, State.FAIL)


class Search:
    """One search, configured by `hydra.sweeper` (hydra_plugins/llexp_optuna_sweeper/config.py).

    Args:
        sampler: an Optuna sampler (made by Hydra from `hydra/sweeper/sampler=...`) or its name.
        pruner: an Optuna pruner (`hydra/sweeper/pruner=...`) or its name (`none`, `median`).
        direction: `minimize` or `maximize` the jobs' return value (`objective`).
        storage: where the study is kept (`llexp.search.study.open_storage`).
        study_name: the study to create, or continue when the storage holds it.
        n_trials: trials to run in this command (on top of those the study holds).
        n_jobs: trials launched at once (the launcher decides whether they run in parallel).
        max_failure_rate: the share of a batch's trials that may fail before the search stops.
        params: `{key: "choice(...)" | "interval(...)" | ...}`, the search space.
    """

    def __init__(
        self,
        sampler: Any,
        pruner: Any,
        direction: str,
        storage: str | None,
        study_name: str | None,
        n_trials: int,
        n_jobs: int,
        max_failure_rate: float,
        params: DictConfig | None,
        hydra_context: HydraContext,
        task_function: TaskFunction,
        config: DictConfig,
    ) -> None:
        if direction not in study.DIRECTIONS:
            raise LlexpError(f"hydra.sweeper.direction={direction} must be minimize or maximize")
        for key, value, low in (("n_trials", n_trials, 1), ("n_jobs", n_jobs, 1)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise LlexpError(f"hydra.sweeper.{key}={value} must be a whole number >= {low}")
        if not 0.0 <= float(max_failure_rate) <= 1.0:
            raise LlexpError(f"hydra.sweeper.max_failure_rate={max_failure_rate} must be in [0, 1]")
        self.sampler = study.make_sampler(sampler)  # a partial (the grid's) comes back as it is
        self.pruner = study.make_pruner(pruner)
        self.direction, self.storage, self.study_name = direction, storage, study_name
        self.n_trials, self.n_jobs = n_trials, n_jobs
        self.max_failure_rate = float(max_failure_rate)
        self.params = OmegaConf.to_container(params) if params else {}
        self.config = config
        self.sweep_dir = Path(config.hydra.sweep.dir)
        self.launcher = Plugins.instance().instantiate_launcher(
            config=config, hydra_context=hydra_context, task_function=task_function
        )

    def sweep(self, arguments: list[str]) -> None:
        """Runs the search; `arguments` are the command line's overrides."""
        distributions, fixed = space.search_space(
            [f"{key}={value}" for key, value in self.params.items()] + list(arguments)
        )
        if not distributions:
            raise LlexpError("hydra.sweeper.params: nothing to search (no choice or interval)")
        n_trials = self.n_trials
        if isinstance(self.sampler, functools.partial):  # the grid: every combination once
            values = space.grid(distributions)
            self.sampler = self.sampler(values)
            n_trials = min(n_trials, math.prod(len(v) for v in values.values()))
        storage = study.open_storage(self.storage, self.sweep_dir)
        search = optuna.create_study(
            study_name=self.study_name,
            storage=storage,
            sampler=self.sampler,
            pruner=self.pruner,
            direction=self.direction,
            load_if_exists=True,
        )
        if search.direction.name.lower() != self.direction:  # Optuna keeps the stored one
            raise LlexpError(
                f"study {search.study_name} in {self.storage} was made to "
                f"{search.direction.name.lower()}, not to {self.direction} "
                "(hydra.sweeper.direction): name another study with hydra.sweeper.study_name"
            )
        log.info(
            "study %s (%s) holds %d finished trials; %s, %s, %s %d more, %d at a time",
            search.study_name,
            self.storage or self.sweep_dir / study.JOURNAL,
            len(search.get_trials(deepcopy=False, states=FINISHED)),
            type(self.sampler).__name__,
            type(self.pruner).__name__,
            self.direction,
            n_trials,
            self.n_jobs,
        )
        job_idx = 0
        while job_idx < n_trials:
            batch = [search.ask(distributions) for _ in range(min(self.n_jobs, n_trials - job_idx))]
            overrides = [self.job_overrides(trial, fixed, search.study_name) for trial in batch]
            returns = self.launcher.launch(overrides, initial_job_idx=job_idx)
            job_idx += len(returns)
            failed = self.tell(search, batch, returns)
            if failed / len(batch) > self.max_failure_rate:  # the failure report follows
                log.error(
                    "%d of %d trials failed (hydra.sweeper.max_failure_rate=%s): the search stops",
                    failed,
                    len(batch),
                    self.max_failure_rate,
                )
                break
        results = self.sweep_dir / RESULTS
        write_results(search, results)
        log.info("%s (%s)", describe(results), results)

    @staticmethod
    def job_overrides(trial: optuna.Trial, fixed: dict[str, str], name: str) -> list[str]:
        """A trial's overrides: its parameters, the fixed ones, and where its job finds it."""
        quoted = "'" + name.replace("\\", "\\\\").replace("'", "\\'") + "'"
        return [
            *(f"{key}={value}" for key, value in trial.params.items()),
            *(f"{key}={value}" for key, value in fixed.items()),
            f"hydra.sweeper.study_name={quoted}",  # resolved here: it may interpolate a choice
            f"hydra.sweeper.trial={trial.number}",
        ]

    @staticmethod
    def tell(search: optuna.Study, batch: list[optuna.Trial], returns) -> int:
        """Tells the study each job's result; returns the number of failed trials."""
        pruned = {t.number for t in search.get_trials(deepcopy=False, states=(State.PRUNED,))}
        failed = 0
        for trial, job in zip(batch, returns, strict=True):
            if trial.number in pruned:
                log.info("trial %d pruned (job %s)", trial.number, job.hydra_cfg.hydra.job.num)
                continue
            try:
                value, why = study.finite(job.return_value), "its job failed"
            except Exception as error:  # noqa: BLE001  (the job raised: Hydra kept the error)
                value, why = None, f"its job raised {type(error).__name__}: {error}"
            if value is None:
                log.warning("trial %d failed: %s", trial.number, why)
                search.tell(trial, state=State.FAIL)
                failed += 1
            else:
                search.tell(trial, value)
        return failed
