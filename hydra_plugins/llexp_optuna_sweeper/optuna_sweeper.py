"""The `hydra/sweeper=optuna` plugin class: Hydra instantiates it with the sweeper's config and
calls `setup` then `sweep`; the search runs in `llexp.search.sweeper` (Optuna is imported only
then, not whenever Hydra scans its plugins)."""

from __future__ import annotations

from typing import Any

from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig


class OptunaSweeper(Sweeper):
    """Runs an Optuna study: asks for trials in batches of `n_jobs`, launches each as a job
    (with `hydra.sweeper.trial` set, so the job can report epochs and be pruned), and tells the
    study what each job returned. See `llexp.search.sweeper.Search` for the arguments."""

    def __init__(self, **settings: Any) -> None:
        settings.pop("trial", None)  # a job's own trial number, meaningless to the sweeper
        self.settings = settings
        self.search = None

    def setup(
        self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig
    ) -> None:
        from llexp.search.sweeper import Search

        self.search = Search(
            **self.settings, hydra_context=hydra_context, task_function=task_function, config=config
        )

    def sweep(self, arguments: list[str]) -> None:
        return self.search.sweep(arguments)
