"""Whether a run folder holds "the same run" as a config, and keeping a different one aside.

Which keys make two runs the same run is declared here, once: every key of the resolved config
except those that only change how a run is shown or bookkept (`NOT_IDENTITY`). A sweep re-run
with `skip_completed=true` skips a completed run of the same identity and resumes an unfinished
one; any other run already in the folder is moved aside, never deleted. A config recorded by an
earlier llexp is read in today's terms first (renamed targets, keys added since: `earlier`).
"""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from llexp import record
from llexp.record import earlier

log = logging.getLogger("llexp")

# Keys (and key prefixes) that never change a run's result: display, bookkeeping, placement;
# `dataset.label_names` is the table CIFAR-100's `class_names` is read from (that one counts).
NOT_IDENTITY = (
    "trainer.verbose",
    "logger",
    "resources",
    "hydra",
    "skip_completed",
    "objective",
    "dataset.label_names",
)

# What stays in a folder whose old run is moved aside: Hydra's files and log of the new run
# (already written, its log still open) and the folder's lock.
STAYS = (".hydra", "llexp.log", ".llexp.lock")


def flat(config: dict, prefix: str = "") -> dict:
    """A nested config as `{"model.width": 4, ...}` (lists kept whole)."""
    items = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            items |= flat(value, f"{name}.")
        else:
            items[name] = value
    return items


def counts(key: str) -> bool:
    """Whether `key` (dotted) is part of a run's identity."""
    return not any(key == k or key.startswith(f"{k}.") for k in NOT_IDENTITY)


def identity(config: DictConfig | dict) -> dict:
    """The keys of a config that make a run the same run, flattened."""
    if isinstance(config, DictConfig):
        config = OmegaConf.to_container(config, resolve=True)
    return {k: v for k, v in flat(config).items() if counts(k)}


def changed_keys(old: dict, new: DictConfig | dict) -> list[str]:
    """The identity keys whose values differ between a recorded config, read in today's terms
    (`earlier.as_today`: it may come from an earlier llexp), and `new`."""
    if isinstance(new, DictConfig):
        new = OmegaConf.to_container(new, resolve=True)
    a, b = identity(earlier.as_today(flat(old), flat(new))), identity(new)
    return sorted(k for k in a.keys() | b.keys() if a.get(k, "<absent>") != b.get(k, "<absent>"))


def same_run(cfg: DictConfig, out_dir: Path) -> bool:
    """Whether `out_dir` records a run of the same identity as `cfg`."""
    recorded = record.read(out_dir).get("config")
    return isinstance(recorded, dict) and not changed_keys(recorded, cfg)


def set_aside(out_dir: Path, reason: str) -> Path | None:
    """Moves the run recorded in `out_dir` into a hidden sibling folder, says so in one line,
    and returns that folder (None when `out_dir` records no run: nothing to keep).

    The kept folder is a run folder of its own (its config is written back from the record into
    its `.hydra/config.yaml`), so it can still be reviewed, reloaded or resumed.
    """
    out_dir = Path(out_dir).resolve()
    old = record.read(out_dir)
    if not old:
        return None
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside = out_dir.with_name(f".{out_dir.name}.replaced-{stamp}")
    number = 1
    while aside.exists():
        number += 1
        aside = out_dir.with_name(f".{out_dir.name}.replaced-{stamp}-{number}")
    aside.mkdir()
    for entry in out_dir.iterdir():
        if entry.name not in STAYS and ".tmp" not in entry.name:
            entry.rename(aside / entry.name)
    if (out_dir / "llexp.log").is_file():
        shutil.copy2(out_dir / "llexp.log", aside / "llexp.log")
    if isinstance(old.get("config"), dict):
        (aside / ".hydra").mkdir()
        OmegaConf.save(OmegaConf.create(old["config"]), aside / ".hydra" / "config.yaml")
    log.warning(
        "%s held a run (%s) %s: it is kept in %s; starting over",
        out_dir,
        old.get("status", "unknown"),
        reason,
        aside,
    )
    return aside


def prepare(cfg: DictConfig, out_dir: Path, skip_completed: bool) -> str:
    """What a new job does with its folder: `"skip"` (a completed run of the same identity is
    there), `"resume"` (an unfinished one is) or `"fresh"` (after moving any other run aside).

    Args:
        cfg: the job's config.
        out_dir: the job's folder.
        skip_completed: the user asked to reuse runs of the same identity
            (`skip_completed=true`); without it, any run found is moved aside.
    """
    old = record.read(out_dir)
    if not old or ("config" not in old and old.get("status") != record.COMPLETED):
        return "fresh"  # stopped before its model was built: nothing worth keeping
    recorded = old.get("config")
    changed = changed_keys(recorded, cfg) if isinstance(recorded, dict) else ["(no config)"]
    if skip_completed and not changed:
        if old.get("status") == record.COMPLETED:
            return "skip"
        if old.get("status") in (record.RUNNING, record.INTERRUPTED):
            return "resume"
    if changed:
        reason = f"of another config ({', '.join(changed)} changed)"
    elif old.get("status") == record.PRUNED:  # its search stopped it: now it trains in full
        reason = "of this config that its search pruned"
    elif skip_completed:
        reason = "of this config that failed"
    else:
        reason = "of this config (skip_completed=true would reuse it)"
    set_aside(out_dir, reason)
    return "fresh"
