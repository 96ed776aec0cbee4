"""The configs of `hydra/sweeper=optuna`, its samplers and pruners, registered in Hydra's
ConfigStore (Hydra imports this module when it scans the plugins).

The keys are those of hydra-optuna-sweeper 1.3, so the presets and commands written for it keep
working: direction, study_name, storage, n_trials, n_jobs, max_failure_rate, params, sampler; plus
`pruner`. A sampler or pruner is either an option of its group (`hydra/sweeper/pruner=hyperband`,
then `hydra.sweeper.pruner.reduction_factor=2`) or a name (`hydra.sweeper.pruner=none`).
"""

# No `from __future__ import annotations`: Hydra runs this module without putting it in
# sys.modules, where dataclasses looks string annotations up.
from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING

SWEEPER = "hydra_plugins.llexp_optuna_sweeper.optuna_sweeper.OptunaSweeper"


@dataclass
class TPESamplerConf:
    _target_: str = "optuna.samplers.TPESampler"
    seed: int | None = None
    n_startup_trials: int = 10  # random trials before TPE models the good ones
    multivariate: bool = False


@dataclass
class RandomSamplerConf:
    _target_: str = "optuna.samplers.RandomSampler"
    seed: int | None = None


@dataclass
class CmaEsSamplerConf:
    _target_: str = "optuna.samplers.CmaEsSampler"
    seed: int | None = None
    n_startup_trials: int = 1


@dataclass
class NSGAIISamplerConf:
    _target_: str = "optuna.samplers.NSGAIISampler"
    seed: int | None = None
    population_size: int = 50


@dataclass
class QMCSamplerConf:
    _target_: str = "optuna.samplers.QMCSampler"
    seed: int | None = None


@dataclass
class GridSamplerConf:
    # The grid is made from `params` when the search starts (every choice, range value).
    _target_: str = "optuna.samplers.GridSampler"
    _partial_: bool = True
    seed: int | None = None


@dataclass
class MedianPrunerConf:
    """Stops a trial whose best value so far is worse than the median of the earlier trials'
    values at the same epoch."""

    _target_: str = "optuna.pruners.MedianPruner"
    n_startup_trials: int = 4  # trials that always run to the end, to compare with (Optuna: 5)
    n_warmup_steps: int = 2  # epochs a trial always trains before it may be stopped (Optuna: 0)
    interval_steps: int = 1
    n_min_trials: int = 1


@dataclass
class SuccessiveHalvingPrunerConf:
    _target_: str = "optuna.pruners.SuccessiveHalvingPruner"
    min_resource: Any = "auto"  # epochs before the first rung; auto: from the first trials
    reduction_factor: int = 4
    min_early_stopping_rate: int = 0


@dataclass
class HyperbandPrunerConf:
    _target_: str = "optuna.pruners.HyperbandPruner"
    min_resource: int = 1
    max_resource: Any = "auto"  # auto: the epochs of the first trial that completes
    reduction_factor: int = 3


@dataclass
class NopPrunerConf:
    _target_: str = "optuna.pruners.NopPruner"


@dataclass
class OptunaSweeperConf:
    _target_: str = SWEEPER
    defaults: list[Any] = field(default_factory=lambda: [{"sampler": "tpe"}, {"pruner": "none"}])
    sampler: Any = MISSING  # hydra/sweeper/sampler=NAME, or a name: tpe, random, grid, ...
    pruner: Any = MISSING  # hydra/sweeper/pruner=NAME, or a name: median, hyperband, none, ...
    direction: str = "minimize"  # or maximize: what the objective (the job's return) should do
    storage: str | None = None  # an RDB URL (sqlite:///outputs/optuna.db), a journal file
    # path (a shared file system), or null: a journal file in the sweep folder
    study_name: str | None = None
    n_trials: int = 20
    n_jobs: int = 2  # trials per batch handed to the launcher at once
    max_failure_rate: float = 0.0  # failed trials in a batch above this share stop the search
    params: dict[str, str] | None = None  # key: choice(...) / interval(...) / range(...)
    trial: int | None = None  # set by the sweeper for each job: the Optuna trial it runs


SAMPLERS = {
    "tpe": TPESamplerConf,
    "random": RandomSamplerConf,
    "cmaes": CmaEsSamplerConf,
    "nsgaii": NSGAIISamplerConf,
    "qmc": QMCSamplerConf,
    "grid": GridSamplerConf,
}
PRUNERS = {
    "median": MedianPrunerConf,
    "successive_halving": SuccessiveHalvingPrunerConf,
    "hyperband": HyperbandPrunerConf,
    "none": NopPrunerConf,
}

store = ConfigStore.instance()
store.store(group="hydra/sweeper", name="optuna", node=OptunaSweeperConf, provider="llexp")
for name, node in SAMPLERS.items():
    store.store(group="hydra/sweeper/sampler", name=name, node=node, provider="llexp")
for name, node in PRUNERS.items():
    store.store(group="hydra/sweeper/pruner", name=name, node=node, provider="llexp")
