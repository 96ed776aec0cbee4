"""The study's storage, sampler and pruner, made the same way in the sweep's process and in each
job's, so that a job anywhere finds its trial and judges it with the search's pruner.

Storage: `hydra.sweeper.storage` is an RDB URL (`sqlite:///outputs/optuna.db`, the presets'
default: one file, resumed by running the same command again) or a path (a journal file, Optuna's
`JournalFileBackend`: appends under a lock file that works on NFS, where sqlite's locks do not,
so jobs on other machines of a Slurm cluster share the study). Null keeps the study in a journal
file in the sweep folder.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

import optuna
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from llexp.errors import LlexpError

log = logging.getLogger("llexp")

JOURNAL = "optuna.journal"  # the study's file in the sweep folder when storage is null
DIRECTIONS = ("minimize", "maximize")


def open_storage(storage: str | None, sweep_dir: Path | str) -> optuna.storages.BaseStorage:
    """The study's storage (see the module's docstring); creates the folder of a file."""
    if storage is None:
        storage = str(Path(sweep_dir) / JOURNAL)
    if "://" in storage:
        if not storage.startswith("sqlite:///"):
            return rdb(storage)
        Path(storage.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        # Jobs in parallel processes write at once: wait for sqlite's lock up to 60 s, not 5.
        return rdb(storage, engine_kwargs={"connect_args": {"timeout": 60}})
    Path(storage).parent.mkdir(parents=True, exist_ok=True)
    journal = optuna.storages.journal
    return journal.JournalStorage(journal.JournalFileBackend(storage))


def rdb(url: str, **kwargs) -> optuna.storages.RDBStorage:
    """Optuna's RDB storage; one line when its tables were made by an older Optuna (a study
    of llexp's earlier sweeper, Optuna 2.10), which Optuna's own command upgrades in place."""
    try:
        return optuna.storages.RDBStorage(url, **kwargs)
    except RuntimeError as error:
        if "optuna storage upgrade" not in str(error):
            raise
        raise LlexpError(
            f"hydra.sweeper.storage={url} was written by an older Optuna; upgrade it once with "
            f"`optuna storage upgrade --storage {url}`, then run the same command again"
        ) from None


def make(kind: str, node: Any, names: dict[str, type]) -> Any:
    """A sampler or pruner from its config: an object Hydra made already, a `_target_` node, or
    a name of `names` (`hydra.sweeper.pruner=none`)."""
    if isinstance(node, DictConfig | dict):
        return instantiate(node)
    if isinstance(node, str):
        if node not in names:
            raise LlexpError(
                f"hydra.sweeper.{kind}={node}: no such {kind}; choose one of {', '.join(names)}"
            )
        return instantiate(OmegaConf.structured(names[node]))
    return node


def make_sampler(node: Any) -> Any:
    from hydra_plugins.llexp_optuna_sweeper.config import SAMPLERS

    return make("sampler", node, SAMPLERS)


def make_pruner(node: Any) -> optuna.pruners.BasePruner:
    from hydra_plugins.llexp_optuna_sweeper.config import PRUNERS

    pruner = make("pruner", node, PRUNERS)
    if not isinstance(pruner, optuna.pruners.BasePruner):
        raise LlexpError(f"hydra.sweeper.pruner: {type(pruner).__name__} is not an Optuna pruner")
    return pruner


def job_trial(hydra_cfg: DictConfig, out_dir: Path | str) -> optuna.Trial | None:
    """The trial this job runs, when llexp's Optuna sweeper launched it (`hydra.sweeper.trial`),
    found through the study's storage; else None. Records the job's folder in the trial
    (user attribute `run_folder`).

    Args:
        hydra_cfg: the job's Hydra config (`HydraConfig.get()`).
        out_dir: the job's run folder.
    """
    from hydra_plugins.llexp_optuna_sweeper.config import SWEEPER

    sweeper = hydra_cfg.get("sweeper") or {}
    if sweeper.get("_target_") != SWEEPER or sweeper.get("trial") is None:
        return None
    storage = open_storage(sweeper.get("storage"), hydra_cfg.sweep.dir)
    study = optuna.load_study(
        study_name=sweeper.study_name,
        storage=storage,
        pruner=make_pruner(sweeper.pruner),
        sampler=optuna.samplers.RandomSampler(),  # the job asks for no parameter
    )
    study_id = storage.get_study_id_from_name(study.study_name)
    trial_id = storage.get_trial_id_from_study_id_trial_number(study_id, int(sweeper.trial))
    # Optuna makes a Trial this way in `Study.ask`; no public route takes an existing trial's id.
    trial = optuna.trial.Trial(study, trial_id)
    trial.set_user_attr("run_folder", str(out_dir))
    return trial


def tell_pruned(trial: optuna.Trial) -> None:
    """Records `trial` as PRUNED in its study (its value: the last one it reported)."""
    trial.study.tell(trial, state=optuna.trial.TrialState.PRUNED)


def finite(value: Any) -> float | None:
    """A job's return value as a float, or None when it is not a finite number (a failed job)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
