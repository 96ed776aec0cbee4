"""What `python -m llexp -m ...` adds around each job: resources, the failure report, and what a
stopped sweep left to do (which runs count as the same is `llexp.record.identity`'s).

Everything here runs in the job's process before `llexp.run` (and so TensorFlow) is imported, or
in the sweep's parent process (the Hydra callback), and imports TensorFlow only when it must.
"""

from __future__ import annotations

import logging
import os
import shlex
import time
from pathlib import Path

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from llexp import record
from llexp.errors import LlexpError, whole
from llexp.record.files import write_text

log = logging.getLogger("llexp")

# Filled by `ReportFailures` in the sweep's process; `llexp.__main__.main` turns it into the
# exit status (the callback runs in the parent process even when joblib runs the jobs elsewhere).
# Module state because Hydra makes the callback from the config and hands `main` neither it nor
# the jobs' results: this list is the one channel from the callback to the exit status.
FAILED_JOBS: list[str] = []
# The folder and job count of the sweep this process launches, for `report_unfinished`.
SWEEP: dict = {}

# The `resources` this process already applied to TensorFlow. Module state because TensorFlow's
# own settings are: threads and devices are taken once per process, before its runtime starts,
# so a later job of a sweep in the same process can only compare, not apply.
_applied: dict | None = None


def is_joblib(launcher: DictConfig | None) -> bool:
    """Whether the sweep's launcher is joblib's (`hydra/launcher=joblib` or `=parallel`)."""
    return launcher is not None and "JoblibLauncher" in str(launcher.get("_target_", ""))


def parallel_jobs(launcher: DictConfig | None) -> int:
    """How many jobs the sweep's launcher runs at once on this machine: joblib's `n_jobs` (with
    joblib's meaning of negative counts: -1 every core, -2 all but one), at most the sweep's
    number of jobs when `sweep_size` could count them; else 1."""
    if not is_joblib(launcher):
        return 1
    n_jobs, cores = int(launcher.get("n_jobs") or 1), available_cores()
    jobs = max(1, n_jobs if n_jobs > 0 else cores + 1 + n_jobs)
    size = os.environ.get(SWEEP_SIZE)
    return min(jobs, int(size)) if size and size.isdigit() and int(size) > 0 else jobs


def available_cores() -> int:
    """The cores this process may use, as joblib counts them (CPU affinity, container limits)."""
    try:
        import joblib

        return joblib.cpu_count()
    except ImportError:
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


# The number of jobs of the running sweep, set by `ReportFailures` in the launching process and
# inherited by the launcher's worker processes.
SWEEP_SIZE = "LLEXP_SWEEP_JOBS"


def sweep_size(config: DictConfig) -> int | None:
    """The number of jobs of a grid sweep from its command-line overrides (`model.depth=1,2,3`,
    `seed=range(0,8)`), or None when they do not say (another sweeper, interval sweeps)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    if OmegaConf.select(config, "hydra.sweeper.params"):
        return None
    task = list(OmegaConf.select(config, "hydra.overrides.task", default=[]) or [])
    try:
        overrides = OverridesParser.create().parse_overrides(task)
    except Exception:  # noqa: BLE001  (Hydra reports its own parse errors; here: unknown)
        return None
    size = 1
    for override in overrides:
        if override.is_sweep_override():
            if not override.is_discrete_sweep():
                return None
            size *= len(list(override.sweep_iterator()))
    return size


def configure_tensorflow(resources: DictConfig, job_num: int | None, parallel: int = 1) -> None:
    """Applies `resources` (threads, CPU devices, GPU memory growth, one GPU per job) before
    TensorFlow runs.

    TensorFlow takes these settings once per process, before its runtime starts. A sweep that runs
    its jobs in one process (the basic launcher) applies them at its first job; later jobs with
    the same settings do nothing, and different ones are reported, not silently ignored.

    With `resources.threads: null` and `parallel` jobs at once on this machine (a joblib
    sweep), each job takes an equal share of the cores, at least one thread: TensorFlow's
    default (every core, in every job) would oversubscribe the machine.

    Args:
        resources: the config's `resources` node.
        job_num: Hydra's job number in a multirun (picks the GPU), None for a single run.
        parallel: jobs running at once in other processes on this machine (`parallel_jobs`).
    """
    global _applied
    wanted = OmegaConf.to_container(resources, resolve=True)
    threads = wanted.get("threads")
    if threads is not None and (
        isinstance(threads, bool) or not isinstance(threads, int) or threads < 1
    ):
        raise LlexpError(f"resources.threads={threads} must be a positive integer or null")
    if threads is None and parallel > 1:
        threads = max(1, available_cores() // parallel)
    cpu_devices = whole("resources.cpu_devices", wanted.get("cpu_devices", 1), 1)
    if _applied is not None:
        if wanted != _applied:
            log.warning("resources=%s ignored: this process already runs with %s", wanted, _applied)
        return
    import tensorflow as tf

    if threads:
        tf.config.threading.set_intra_op_parallelism_threads(int(threads))
        tf.config.threading.set_inter_op_parallelism_threads(int(threads))
        log.info("TensorFlow uses %d intra-op and %d inter-op threads", threads, threads)
    if cpu_devices > 1:
        split_cpu(tf, cpu_devices)
    gpus = tf.config.list_physical_devices("GPU")  # lists without starting the runtime
    if gpus and wanted.get("one_gpu_per_job") and job_num is not None and len(gpus) > 1:
        gpus = [gpus[job_num % len(gpus)]]
        tf.config.set_visible_devices(gpus, "GPU")
        log.info("job %d uses %s", job_num, gpus[0].name)
    if wanted.get("gpu_memory_growth"):
        for gpu in gpus:
            tf.config.experimental.set_memory_growth(gpu, True)
    _applied = wanted


def checks_start_tensorflow(cfg: DictConfig) -> bool:
    """Whether checking this config starts TensorFlow's runtime (`Source.starts_tensorflow`:
    `dataset=codes` reads its encoder with Keras), so `resources` must be applied first."""
    from hydra.utils import get_class

    try:
        return bool(getattr(get_class(cfg.dataset._target_), "starts_tensorflow", False))
    except Exception:  # noqa: BLE001  (a wrong _target_: the config check says so in one line)
        return False


def shares_process(launcher: DictConfig | None) -> bool:
    """Whether the launcher runs several jobs at once in one process (joblib with threads)."""
    if not is_joblib(launcher):
        return False
    threads = launcher.get("backend") in ("threading", "sequential")
    return threads or launcher.get("prefer") == "threads" or launcher.get("require") == "sharedmem"


def split_cpu(tf, count: int) -> None:
    """Splits the CPU into `count` logical devices (CPU:0 ... CPU:count-1), so that
    `trainer.strategy=mirrored` can be tried, and tested, on a machine without GPUs."""
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        configs = [tf.config.LogicalDeviceConfiguration() for _ in range(count)]
        tf.config.set_logical_device_configuration(cpu, configs)
    except RuntimeError as error:  # the runtime started already (a notebook, the Python API)
        raise LlexpError(
            f"resources.cpu_devices={count} must be set before TensorFlow starts: "
            "give it on the command line, or restart the Python process"
        ) from error
    log.info("the CPU is split into %d logical devices", count)


def rss_mb() -> float | None:
    """This process's resident memory (VmRSS) in MB, from /proc (Linux); None elsewhere."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


class ReportFailures(Callback):
    """Lists a multirun's failed jobs at its end and makes the command's exit status 1.

    Configured under `hydra.callbacks` in conf/config.yaml. It reads the metrics.json files the
    jobs wrote (jobs may have run in other processes), counting only those written by this sweep:
    those no older than a marker file it writes into the sweep folder as the sweep starts (the
    same file system's clock and time resolution as the jobs' files; a sweep run again at once,
    with `skip_completed`, must not count the jobs the previous one finished a moment before).
    """

    MARKER = ".llexp-sweep-started"

    def on_multirun_start(self, config: DictConfig, **kwargs) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        sweep_dir.mkdir(parents=True, exist_ok=True)
        write_text(sweep_dir / self.MARKER, f"{time.time()}\n")
        FAILED_JOBS.clear()
        size = sweep_size(config)  # parallel workers share the cores among this many jobs
        SWEEP.update(folder=sweep_dir, size=size)
        if size:
            os.environ[SWEEP_SIZE] = str(size)
        else:
            os.environ.pop(SWEEP_SIZE, None)

    def on_multirun_end(self, config: DictConfig, **kwargs) -> None:
        from llexp import background

        background.flush()  # the last jobs' files and statuses are written before counting
        sweep_dir = Path(config.hydra.sweep.dir)
        try:
            started = (sweep_dir / self.MARKER).stat().st_mtime_ns
        except OSError:
            started = 0
        total = 0
        for path in sorted(sweep_dir.rglob("metrics.json")):
            if path.stat().st_mtime_ns < started:
                continue
            total += 1
            metrics = record.read(path.parent)
            if metrics.get("status") == record.FAILED:
                FAILED_JOBS.append(f"{path.parent}: {metrics.get('error')}")
        os.environ.pop(SWEEP_SIZE, None)
        if FAILED_JOBS:
            log.error(
                "%d of %d jobs failed:\n  %s", len(FAILED_JOBS), total, "\n  ".join(FAILED_JOBS)
            )
        log.info("review the sweep: llexp review %s", sweep_dir)
        SWEEP.clear()


def report_unfinished(argv: list[str], signal: str) -> None:
    """After a sweep was stopped by `signal`: one line naming the jobs that did not finish and
    the command that finishes them (the same sweep into the same folder, `skip_completed=true`:
    completed jobs are skipped, interrupted ones resume)."""
    sweep_dir, size = SWEEP.pop("folder", None), SWEEP.pop("size", None)
    if sweep_dir is None:
        return
    jobs = sorted(
        # Runs kept aside (`.N.replaced-...`) are hidden: not jobs of this sweep.
        (p for p in Path(sweep_dir).iterdir() if (p / ".hydra").is_dir() and p.name[0] != "."),
        key=lambda p: (len(p.name), p.name),
    )
    left = [f"{p.name} ({record.status(p) or 'not started'})" for p in jobs]
    left = [
        text for p, text in zip(jobs, left, strict=True) if record.status(p) not in record.FINAL
    ]
    if size and size > len(jobs):
        left.append(f"{size - len(jobs)} not started")
    pinned = [a for a in argv if not a.startswith(("skip_completed=", "hydra.sweep.dir="))]
    again = shlex.join(
        ["llexp", *pinned, "skip_completed=true", f"hydra.sweep.dir={Path(sweep_dir).resolve()}"]
    )
    log.error(
        "%s: the sweep stopped; jobs left: %s; finish them with: %s",
        signal,
        ", ".join(left) or "none",
        again,
    )
