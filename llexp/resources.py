"""The config's `resources` applied to TensorFlow (threads, logical CPU devices, GPUs), the
cores a job may use when a sweep runs several at once, and this process's memory.

Runs in the job's process before `llexp.run` (and so TensorFlow) is imported, and imports
TensorFlow only when it must: its threads and devices are taken once per process, before its
runtime starts.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from llexp.errors import LlexpError, whole

log = logging.getLogger("llexp")

# The number of jobs of the running sweep, set by `llexp.sweep.ReportFailures` in the launching
# process and inherited by the launcher's worker processes.
SWEEP_SIZE = "LLEXP_SWEEP_JOBS"

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
