"""Every private or version-dependent use of TensorFlow, Keras and Hydra, in one place.

llexp otherwise uses only public APIs. Each function here reaches into a library's internals,
because no public route does the same yet, and says which public API it waits for; each degrades
to doing nothing (or to a public approximation) when the internal it needs has moved, rather than
failing a run. pyproject.toml bounds the versions these were tested with; `scripts/oldest-versions`
runs the fast tests against the oldest.

Nothing here imports TensorFlow or Keras at module level: `llexp.__main__` imports this module
before any config is checked.
"""

from __future__ import annotations

import functools
import importlib.abc
import importlib.util
import logging
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager

log = logging.getLogger("llexp")


# --- TensorFlow --------------------------------------------------------------------------------


@contextmanager
def op_determinism(enabled: bool) -> Iterator[None]:
    """Deterministic TensorFlow ops inside the block when `enabled`; the previous setting after.

    `tf.config.experimental.enable_op_determinism()` is process-wide and has no public opposite:
    without undoing it, every later job of a sweep that runs its jobs in one process would run
    deterministic (and slower) ops whether it asked for them or not.
    Waits for: a public `tf.config.experimental.disable_op_determinism` (it exists, unexported,
    in `tensorflow.python.framework.config` with `is_op_determinism_enabled`).
    """
    if not enabled:
        yield
        return
    import tensorflow as tf

    try:
        from tensorflow.python.framework import config
    except ImportError:  # moved: determinism stays on for the process, as TF documents it
        config = None
    before = config.is_op_determinism_enabled() if config is not None else None
    tf.config.experimental.enable_op_determinism()
    try:
        yield
    finally:
        if before is False:
            config.disable_op_determinism()


def gradient_registry() -> dict | None:
    """TensorFlow's registry of gradient functions by op name, or None if it has moved.

    Waits for: a public way to unregister a `tf.custom_gradient` (there is none; the registry is
    `tensorflow.python.framework.ops.gradient_registry`, a private `Registry` object).
    """
    try:
        from tensorflow.python.framework import ops

        registry = ops.gradient_registry._registry
    except (ImportError, AttributeError):
        return None
    return registry if isinstance(registry, dict) else None


@contextmanager
def dropping_traced_gradients(enabled: bool = True) -> Iterator[None]:
    """Around one job of the command line: forgets the gradient functions its traces registered
    in TensorFlow's global registry, so a sweep's process does not grow with every job.

    Each trace of a train step goes through Keras's `_all_reduce_sum_gradients` (TensorFlow
    backend), whose `tf.custom_gradient` registers a new `CustomGradient-N` entry, never removed;
    its closure keeps the traced step's graphs alive: 9 MB a job in a sweep of small jobs, 0.1 MB
    with this. The entries are only looked up while a step is traced, and the job's model is gone
    when it ends (the Python API, whose caller keeps the model, does not do this; nor do jobs that
    share a process: one would drop what another is tracing). If the registry moves, nothing is
    dropped (`gradient_registry`).
    """
    registry = gradient_registry() if enabled else None
    before = set(registry) if registry is not None else None
    try:
        yield
    finally:
        if before is not None:
            for name in set(registry) - before:
                if name.startswith("CustomGradient-"):
                    del registry[name]


# --- Keras -------------------------------------------------------------------------------------


def takes_seed(layer) -> bool:
    """Whether `layer` is one of Keras's image-preprocessing layers, whose random draws can be
    given a seed: `get_random_transformation(x, training, seed)` then `transform_images`.

    Waits for: a public export of `BaseImagePreprocessingLayer` (today only under `keras.src`).
    Without it (a Keras that moved it), any layer with both methods is taken for one.
    """
    try:
        from keras.src.layers.preprocessing.image_preprocessing import (
            base_image_preprocessing_layer as base,
        )

        return isinstance(layer, base.BaseImagePreprocessingLayer)
    except ImportError:
        return callable(getattr(layer, "get_random_transformation", None)) and callable(
            getattr(layer, "transform_images", None)
        )


@functools.cache
def key_seeds_class() -> type:
    """`KeySeeds`: a Keras `SeedGenerator` whose n-th seed is a stateless key folded with n.

    Keras's random ops take an int or a `SeedGenerator`, not a seed tensor; one int would give a
    layer's several draws (e.g. RandomTranslation's height and width) the same numbers. Draws are
    counted while tf.data traces the map, so a layer's n-th draw always gets the same seed. It
    needs no variable (`SeedGenerator.__init__` makes one; tf.data cannot), so it skips the
    constructor and relies on Keras calling only `next()` on it.
    Waits for: Keras random ops that accept a stateless seed tensor (as `tf.random.stateless_*`
    do). Made on first use, so that importing llexp does not import Keras.
    """
    import tensorflow as tf
    from keras.random import SeedGenerator

    class KeySeeds(SeedGenerator):
        def __init__(self, key: tf.Tensor):  # deliberately no super().__init__: no state
            self.key, self.draws = key, 0

        def next(self, ordered: bool = True) -> tf.Tensor:
            self.draws += 1
            return tf.random.experimental.stateless_fold_in(self.key, self.draws)

    return KeySeeds


# --- Hydra -------------------------------------------------------------------------------------


@contextmanager
def hydra_error_reporting(wrap: Callable[[Callable], object]) -> Iterator[None]:
    """While active, Hydra runs the task function it reports errors around through `wrap`
    (`wrap(func)` calls `func`), so that llexp can turn the composition errors a user causes into
    one line and exit status 2 (`llexp.hydra_errors`).

    Hydra reports them in `hydra._internal.utils.run_and_report`, with several lines and exit
    status 1. Waits for: a public hook for `@hydra.main`'s error reporting. If the function has
    moved, Hydra's own reporting stays.
    """
    try:
        from hydra._internal import utils
    except ImportError:
        utils = None
    original = getattr(utils, "run_and_report", None)
    if original is None:
        yield
        return

    def run_and_report(func):
        return original(lambda: wrap(func))

    utils.run_and_report = run_and_report
    try:
        yield
    finally:
        utils.run_and_report = original


# --- TensorFlow's start-up messages ------------------------------------------------------------

# What TensorFlow's native code prints on a machine that runs it as intended, before its logging
# honours TF_CPP_MIN_LOG_LEVEL: informational and warning lines (oneDNN, "Could not find cuda
# drivers", CPU instructions), and the error that a machine without a GPU driver is expected to
# give. Anything else it prints still shows.
START_UP_NOISE = re.compile(
    r"WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|[IW]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ \S+\] "  # absl's INFO and WARNING lines
    r"|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IW] "  # TensorFlow's own (older releases)
    r"|To enable the following instructions: .* rebuild TensorFlow"
    r"|.*failed call to cuInit: .*(CUDA_ERROR_NO_DEVICE|UNKNOWN ERROR \(303\))"
)


@contextmanager
def quiet_native_start_up() -> Iterator[None]:
    """Drops TensorFlow's start-up noise (`START_UP_NOISE`) from what native code writes to the
    process's stderr inside the block; its other lines are written out after it.

    Waits for: TensorFlow honouring TF_CPP_MIN_LOG_LEVEL before absl's logging is initialised
    (TensorFlow issue 100442); until then that variable does not silence these lines.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            lines = captured.read().decode(errors="replace").splitlines(keepends=True)
            kept = "".join(line for line in lines if not START_UP_NOISE.match(line))
            if kept:
                sys.stderr.write(kept)


class QuietTensorFlowImport(importlib.abc.MetaPathFinder):
    """Imports TensorFlow, and lists its devices (which starts CUDA), inside
    `quiet_native_start_up`, on the first `import tensorflow` after `install()`.

    The command line installs it when the user has not set TF_CPP_MIN_LOG_LEVEL, so that every
    run does not begin with lines that look like errors; nothing is imported before it is needed.
    """

    @classmethod
    def install(cls) -> None:
        if "tensorflow" not in sys.modules and not any(isinstance(f, cls) for f in sys.meta_path):
            sys.meta_path.insert(0, cls())

    def find_spec(self, name, path, target=None):
        if name != "tensorflow":
            return None
        sys.meta_path.remove(self)  # once: the real finders find it
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        run = spec.loader.exec_module

        def exec_module(module):
            with quiet_native_start_up():
                run(module)
                module.config.list_physical_devices("GPU")  # starts CUDA, when it is there

        spec.loader.exec_module = exec_module
        return spec
