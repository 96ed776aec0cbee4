"""`python -m llexp` / `llexp`: a thin Hydra entry point around `llexp.runner.run`.

`llexp review PATH...` goes to `llexp.review` instead (no Hydra, no TensorFlow),
`llexp resume RUN_DIR` to `llexp.resume` (the run's own saved config, no Hydra),
`llexp embed RUN_DIR FOLDER` to `llexp.embed` (a trained encoder on new images), and
`llexp stack ...` to `llexp.stack` (a chain of ordinary runs, one process each).
"""

from __future__ import annotations

import gc
import importlib
import logging
import os
import shlex
import sys
import time
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

import llexp  # noqa: F401  (sets the TensorFlow log level before TensorFlow loads)
import llexp.conf  # noqa: F401  (its schemas registered before Hydra reads a defaults list)
from llexp import (
    background,
    cli_help,
    compat,
    plugins,
    record,
    resources,
    resume,
    signals,
    slurm,
    sweep,
)
from llexp.checks import check_config
from llexp.errors import LlexpError
from llexp.hydra_errors import did_you_mean, one_line_errors, reported
from llexp.record import PRUNED, identity
from llexp.record.lock import RunLock

log = logging.getLogger("llexp")

# `llexp COMMAND ARGS...`: the module whose `main(ARGS, **KWARGS)` runs it, imported only then;
# anything else is Hydra's.
COMMANDS = {
    "review": ("llexp.review", {}),
    "resume": ("llexp.resume", {}),
    "embed": ("llexp.embed", {}),
    "stack": ("llexp.stack", {"prog": "llexp stack"}),
}


@hydra.main(version_base="1.3", config_path="pkg://llexp.conf", config_name="config")
def app(cfg: DictConfig) -> float | None:
    """One job. Returns the metric named by `cfg.objective`, for sweepers such as Optuna.

    A single run that fails stops the command (one line and exit status 2 for a user's mistake).
    A job of a multirun that fails is logged at once and the sweep goes on; it returns None, which
    the Optuna sweeper records as a failed trial (NaN would crash it: it tells Optuna FAIL *with*
    the NaN value, which Optuna refuses), and the sweep ends with exit status 1.

    A job of llexp's Optuna sweeper finds its trial in the study's storage, reports each epoch to
    it and may be pruned: its folder then says `pruned` and the study records the trial PRUNED.
    """
    hydra_cfg = HydraConfig.get()
    out_dir = Path(hydra_cfg.runtime.output_dir)
    multirun = hydra_cfg.mode == RunMode.MULTIRUN
    job = f"job {hydra_cfg.job.num} ({','.join(hydra_cfg.overrides.task)})" if multirun else "run"
    lock = RunLock(out_dir, record.command())
    with signals.handled():  # here too: a sweep's worker processes do not run `main`
        try:
            lock.__enter__()  # one process at a time writes a run folder
        except LlexpError as error:
            log.error("%s", error)
            raise SystemExit(2) from None
        try:
            return run_job(cfg, out_dir, multirun, job)
        except KeyboardInterrupt as stop:  # Ctrl-C or SIGTERM: one line says how to continue
            raise resume.interrupted(out_dir, stop) from None
        finally:
            lock.__exit__()


def run_job(cfg: DictConfig, out_dir: Path, multirun: bool, job: str) -> float | None:
    """`app` once the folder is locked: skips, resumes or runs the job, reporting failures."""
    hydra_cfg = HydraConfig.get()
    restarts = slurm.restarts()
    if restarts:  # requeued, preempted, or timed out and requeued: continue the same folder
        log.info("%s: Slurm started this job again (restart %d)", job, restarts)
    reuse = bool(cfg.get("skip_completed")) or restarts > 0
    decision = identity.prepare(cfg, out_dir, reuse)
    if decision == "skip":
        done = record.read(out_dir)
        log.info("%s already completed in %s: skipped", job, out_dir)
        return done.get(done.get("objective"))
    resuming = decision == "resume"
    if resuming:
        log.info("%s was stopped before it completed: resuming it in %s", job, out_dir)
    started = time.perf_counter()
    trial = None
    try:
        if multirun and hydra_cfg.sweeper.get("trial") is not None:  # a trial of a search
            from llexp.search import study

            trial = study.job_trial(hydra_cfg, out_dir)
        job_num = hydra_cfg.job.num if multirun else None
        parallel = resources.parallel_jobs(hydra_cfg.launcher) if multirun else 1
        # Every mistake the config can hold ends here, before TensorFlow starts (seconds);
        # unless checking it starts TensorFlow's runtime, whose settings must then come first.
        early = resources.checks_start_tensorflow(cfg)
        if early:
            resources.configure_tensorflow(cfg.resources, job_num, parallel)
        parts = check_config(cfg)
        if not early:
            resources.configure_tensorflow(cfg.resources, job_num, parallel)
        from llexp.runner import run

        settle_imports()
        alone = not resources.shares_process(hydra_cfg.launcher)
        pruning = []
        if trial is not None:
            from llexp.search.pruning import PruneTrial

            pruning.append(PruneTrial(trial, parts.objective))
        # One job after another in this process (Hydra's basic launcher, not one that starts a
        # process per job and may end it at once): the next job trains while this one's
        # figures and tables are written (`llexp.background`; flushed before the command ends).
        launcher = str(hydra_cfg.launcher.get("_target_", "")) if multirun else ""
        in_background = launcher.endswith("BasicLauncher")
        with compat.dropping_traced_gradients(enabled=alone), slurm.requeue_signal():
            result = run(
                cfg,
                out_dir,
                resume=resuming,
                checked=parts,
                callbacks=pruning,
                background=in_background,
            )
        if result.metrics["status"] == PRUNED:
            study.tell_pruned(trial)
    except Exception as error:
        user_mistake = isinstance(error, LlexpError)
        message = resume.failed(out_dir, error)
        if multirun:  # keep the sweep going; the callback reports failures at its end
            log.error("%s FAILED: %s", job, message)
            return None
        if user_mistake:  # the user's mistake: one line says what and how to fix it
            log.error("%s", message)
            raise SystemExit(2) from None
        raise  # a bug or an environment problem: keep the traceback
    rss = resources.rss_mb()
    log.info(
        "%s finished in %.2f s; process memory (VmRSS) %s MB",
        job,
        time.perf_counter() - started,
        f"{rss:.0f}" if rss else "?",
    )
    return result.metrics.get(result.metrics["objective"])


def settle_imports() -> None:
    """Once per process, after TensorFlow is imported: moves the objects the imports made out of
    the garbage collector's reach (`gc.freeze`).

    TensorFlow, Keras and matplotlib leave about half a million objects, which every full
    collection walks: the one `keras.backend.clear_session()` makes at the start of each job
    took 0.27 s of a 1.4 s job's time outside training. Frozen, they are skipped; what a job
    makes is still collected. (Only the command line does this: in a notebook, the frozen
    objects would include the user's.)
    """
    if gc.get_freeze_count() == 0:
        gc.collect()
        gc.freeze()


def main() -> int:
    """Console script `llexp`: `llexp review ...` reviews run folders, `llexp resume ...` resumes
    one, anything else runs Hydra (after checking that the launcher and sweeper it names are
    installed). Every job records this command line (`record.command`)."""
    if not llexp.TF_LOG_LEVEL_SET_BY_USER:  # else the user asked for TensorFlow's messages
        compat.QuietTensorFlowImport.install()
    previous = os.environ.get(record.COMMAND_ENV)
    os.environ[record.COMMAND_ENV] = shlex.join(["llexp", *sys.argv[1:]])
    try:
        with signals.handled():
            return command(sys.argv[1:])
    finally:
        if previous is None:
            os.environ.pop(record.COMMAND_ENV, None)
        else:
            os.environ[record.COMMAND_ENV] = previous


def command(argv: list[str]) -> int:
    """What `main` runs, under its signal handling; returns the exit status."""
    if argv and argv[0] in COMMANDS:
        module, kwargs = COMMANDS[argv[0]]
        return importlib.import_module(module).main(argv[1:], **kwargs)
    word = argv[0] if argv else ""
    if word and word[0] not in "-+~" and "=" not in word:  # neither an override nor a flag
        print(
            f"llexp: error: {word}: no such command; the commands are {', '.join(COMMANDS)}, "
            f"anything else is key=value{did_you_mean(word, COMMANDS)}",
            file=sys.stderr,
        )
        return 2
    try:  # before Hydra's "Could not find 'hydra/launcher/joblib'": name the extra to install
        plugins.check(argv)
    except LlexpError as error:
        print(f"llexp: error: {error}", file=sys.stderr)
        return 2
    with one_line_errors():  # Hydra's own errors (unknown option, misspelt key): one line, 2
        if cli_help.wants_fast_help(argv):
            overrides = [a for a in argv if a not in cli_help.HELP_FLAGS]
            print(reported(lambda: cli_help.help_text(overrides)))
            return 0
        try:
            reported(app)  # and around the whole app: `--info` composes outside Hydra's reporting
        except (KeyboardInterrupt, SystemExit) as stop:
            code = stop.code if isinstance(stop, SystemExit) else signals.exit_status(stop)
            if code in (130, 143):  # a sweep stopped: which jobs are left, how to finish them
                sweep.report_unfinished(argv, signals.name_of(code))
            if isinstance(stop, SystemExit):
                raise
            return code
        finally:
            background.flush()  # every run's figures and tables written before the exit
    return 1 if sweep.FAILED_JOBS else 0


if __name__ == "__main__":
    sys.exit(main())
