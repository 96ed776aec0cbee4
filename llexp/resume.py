"""`llexp resume RUN_DIR`: continue an interrupted or killed run in its own folder.

The run goes on from the last epoch it finished (`resume.npz`), with the config it was started
with (`.hydra/config.yaml`), appending to its `llexp.log`; its history ends with every epoch once.
"""

from __future__ import annotations

import logging
import sys
import traceback
from pathlib import Path

from omegaconf import OmegaConf

from llexp import record, signals
from llexp.errors import LlexpError, first_line
from llexp.record.lock import RunLock

log = logging.getLogger("llexp")

USAGE = "usage: llexp resume RUN_DIR (a run folder of an interrupted or killed run)"


def interrupted(out_dir: Path, error: BaseException) -> SystemExit:
    """Marks the run interrupted (unless it had completed: then nothing changes) and says in
    one line how to continue; exit status 130 for SIGINT, 143 for SIGTERM."""
    signal = signals.name(error)
    kept = record.stop(out_dir, record.INTERRUPTED)
    if kept.get("status") in record.FINAL:
        ended = "completed" if kept["status"] == record.COMPLETED else "was pruned"
        log.error("%s after the run %s: its results are kept in %s", signal, ended, out_dir)
    else:
        log.error(
            "%s: interrupted after %d finished epochs; continue with: llexp resume %s",
            signal,
            kept.get("epoch", 0),
            out_dir,
        )
    return SystemExit(signals.exit_status(error))


def failed(out_dir: Path, error: Exception) -> str:
    """Marks the run failed with `error` (unless it had completed); returns the line to show."""
    user_mistake = isinstance(error, LlexpError)
    message = str(error) if user_mistake else f"{type(error).__name__}: {error}"
    record.stop(out_dir, record.FAILED, error=message, traceback=traceback.format_exc())
    return message


def run_folder(argv: list[str]) -> Path:
    """The folder named by `argv`, checked: one line for each way it cannot be resumed."""
    if len(argv) != 1 or argv[0].startswith("-"):
        raise LlexpError(USAGE)
    run_dir = Path(argv[0])
    if not run_dir.is_dir():
        raise LlexpError(f"{run_dir}: no such folder; {USAGE}")
    if not (run_dir / ".hydra" / "config.yaml").is_file():
        raise LlexpError(f"{run_dir} is no run folder (it has no .hydra/config.yaml); {USAGE}")
    ended = record.status(run_dir)
    if ended in record.FINAL:  # pruned: its search stopped it on purpose
        raise LlexpError(f"{run_dir} holds a {ended} run: nothing to resume")
    return run_dir


def main(argv: list[str]) -> int:
    """Resumes the run in `argv[0]`; returns the exit status (2 for a mistake or a folder another
    process is writing, 130 on Ctrl-C, 143 on SIGTERM)."""
    try:
        run_dir = run_folder(argv)
        cfg = OmegaConf.load(run_dir / ".hydra" / "config.yaml")
    except LlexpError as error:
        print(f"llexp resume: error: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # noqa: BLE001  (an unreadable config.yaml is the user's folder)
        print(
            f"llexp resume: error: {argv[0]}/.hydra/config.yaml cannot be read "
            f"({first_line(error)}); it is no run folder llexp can resume",
            file=sys.stderr,
        )
        return 2
    with signals.handled():
        try:
            lock = RunLock(run_dir, record.command()).__enter__()
        except LlexpError as error:
            print(f"llexp resume: error: {error}", file=sys.stderr)
            return 2
        try:
            return resume_locked(cfg, run_dir)
        finally:
            lock.__exit__()


def resume_locked(cfg, run_dir: Path) -> int:
    """`main` once the folder is locked: runs, logging to the console and the run's log."""
    # The console and the run's log (appended to, as a Hydra job's), for this run only.
    handlers = [logging.StreamHandler(sys.stderr), logging.FileHandler(run_dir / "llexp.log")]
    root = logging.getLogger("llexp")  # every llexp module logs below it; only there, for now
    level, propagate = root.level, root.propagate
    root.setLevel(logging.INFO)
    root.propagate = False
    for handler in handlers:
        handler.setFormatter(
            logging.Formatter("[%(asctime)s][%(name)s][%(levelname)s] - %(message)s")
        )
        root.addHandler(handler)
    log.info("resuming %s (%s)", run_dir, record.command())
    try:
        from llexp import resources

        resources.configure_tensorflow(cfg.resources, None)
        from llexp.runner import run

        run(cfg, run_dir, resume=True)
    except KeyboardInterrupt as stop:
        return interrupted(run_dir, stop).code
    except LlexpError as error:
        print(f"llexp resume: error: {failed(run_dir, error)}", file=sys.stderr)
        return 2
    except Exception as error:
        failed(run_dir, error)
        raise
    finally:
        root.setLevel(level)
        root.propagate = propagate
        for handler in handlers:
            root.removeHandler(handler)
            handler.close()
    return 0
