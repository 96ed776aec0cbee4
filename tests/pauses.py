"""Test hooks that stop a run at a chosen point, so a test can signal it exactly there.

In-process: `after_batches(monkeypatch, n, action)` adds a Keras callback to every trainer that
calls `action()` after `n` training batches (raise KeyboardInterrupt to act as Ctrl-C).

In a subprocess: `hooks/sitecustomize.py` (put `hooks_env(...)` into the child's environment)
reads `LLEXP_TEST_PAUSE_AT` and, when the named code is imported, makes it touch
`LLEXP_TEST_PAUSE_MARKER` and sleep, so the test sends its signal once the marker exists:

- `batches:N`: after N training batches (N = steps per epoch + 1: early in the second epoch);
- `module:Qualified.name`: just before that function runs (`llexp.evaluation:scores`).
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import os
import sys
import time
from pathlib import Path

HOOKS = Path(__file__).parent / "hooks"
PAUSE_AT, MARKER = "LLEXP_TEST_PAUSE_AT", "LLEXP_TEST_PAUSE_MARKER"
ONCE = "LLEXP_TEST_PAUSE_ONCE"


def hooks_env(env: dict, at: str, marker: Path, once: bool = False) -> dict:
    """`env` for a child process that pauses `at` and touches `marker` there. With `once`, only
    the first process to get there pauses (the others go on): `marker` then holds its Slurm
    array task id (empty outside a job array), for a test of several Slurm jobs, which all get
    this environment, including a job that Slurm starts again."""
    path = os.pathsep.join(p for p in (str(HOOKS), env.get("PYTHONPATH")) if p)
    once_env = {ONCE: "1"} if once else {}
    return {**env, "PYTHONPATH": path, PAUSE_AT: at, MARKER: str(marker), **once_env}


def batch_callback(batches: int, action):
    """A Keras callback calling `action()` once, after `batches` training batches."""
    import keras

    class AfterBatches(keras.callbacks.Callback):
        seen = 0

        def on_train_batch_end(self, batch, logs=None):
            self.seen += 1
            if self.seen == batches:
                action()

    return AfterBatches()


def with_callback(make):
    """Wraps `BaseTrainer.callbacks` so every trainer also drives `make()`'s callback."""
    from llexp.trainers.base import BaseTrainer

    original = BaseTrainer.callbacks

    def callbacks(self, *args, **kwargs):
        return [*original(self, *args, **kwargs), make()]

    return callbacks


def after_batches(monkeypatch, batches: int, action) -> None:
    """In this process: every run calls `action()` after `batches` training batches."""
    from llexp.trainers.base import BaseTrainer

    patched = with_callback(lambda: batch_callback(batches, action))
    monkeypatch.setattr(BaseTrainer, "callbacks", patched)


def ctrl_c() -> None:
    raise KeyboardInterrupt


def sleep_at_marker() -> None:
    marker = Path(os.environ[MARKER])
    if os.environ.get(ONCE):
        # Made whole, then linked into place: linking fails when another process paused first.
        made = marker.with_name(f"{marker.name}.{os.getpid()}")
        made.write_text(os.environ.get("SLURM_ARRAY_TASK_ID", ""))
        try:
            os.link(made, marker)
        except FileExistsError:
            return
        finally:
            made.unlink()
    else:
        marker.touch()
    time.sleep(120)


def paused(function):
    def wrapper(*args, **kwargs):
        sleep_at_marker()
        return function(*args, **kwargs)

    return wrapper


def patch(module, qualname: str) -> None:
    *owners, attr = qualname.split(".")
    owner = module
    for name in owners:
        owner = getattr(owner, name)
    setattr(owner, attr, paused(getattr(owner, attr)))


class PatchOnImport(importlib.abc.MetaPathFinder):
    """Patches `qualname` of module `name` as soon as that module is imported."""

    def __init__(self, name: str, patcher):
        self.name, self.patcher = name, patcher

    def find_spec(self, name, path, target=None):
        if name != self.name:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        run_module = spec.loader.exec_module

        def exec_module(module):
            run_module(module)
            self.patcher(module)

        spec.loader.exec_module = exec_module
        return spec


def install_from_env() -> None:
    """What `hooks/sitecustomize.py` runs in a child process."""
    at = os.environ.get(PAUSE_AT)
    if not at:
        return
    if at.startswith("batches:"):
        batches = int(at.removeprefix("batches:"))

        def patcher(module):
            callbacks = with_callback(lambda: batch_callback(batches, sleep_at_marker))
            module.BaseTrainer.callbacks = callbacks

        sys.meta_path.insert(0, PatchOnImport("llexp.trainers.base", patcher))
    else:
        name, qualname = at.split(":")
        sys.meta_path.insert(0, PatchOnImport(name, lambda module: patch(module, qualname)))
