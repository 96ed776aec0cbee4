"""Shared fixtures: configs composed in-process and tiny data, so each test runs in seconds.

No test imports this module: plain helpers are in helpers.py.
"""

from __future__ import annotations

import gc
import logging

import pytest

from llexp.api import compose

from helpers import TINY, completed, make_run, write_npz


@pytest.fixture(scope="module", autouse=True)
def settled_objects():
    """Keeps the objects that outlive a test module out of the garbage collector's reach, as the
    command line does after its imports (`llexp.__main__.settle_imports`, `gc.freeze`).

    Every run's `keras.backend.clear_session()` makes a full collection, which walks every
    object not frozen: TensorFlow's and Keras's imports (half a million objects), then what
    later modules import (mlflow alone adds 260,000). Unfrozen, a tiny run spent 0.3-0.6 s
    there. After each module (its own fixtures already finalised, the garbage collected first),
    whatever is left is live and is frozen once it amounts to enough to matter.
    """
    import matplotlib.pyplot  # noqa: F401
    import tensorflow  # noqa: F401

    import llexp.runner  # noqa: F401
    from llexp.__main__ import settle_imports

    settle_imports()  # the first module: the imports
    yield
    if len(gc.get_objects()) > 50_000:
        gc.collect()
        gc.freeze()


@pytest.fixture(autouse=True)
def dropped_traced_gradients():
    """Forgets the gradient functions each test's traces registered in TensorFlow's global
    registry, as the command line does after each job (`compat.dropping_traced_gradients`):
    kept, they hold every traced step's graphs, and the suite's process grew to 880,000
    objects, which each run's garbage collection walked (0.6 s a run by the end)."""
    from llexp import compat

    with compat.dropping_traced_gradients():
        yield


@pytest.fixture(autouse=True)
def no_handler_on_a_closed_stream():
    """No log handler outlives the stream it writes to. An in-process run of the command line
    can leave Hydra's handlers on the root logger (`--info` logs to a `StreamHandler` on the
    sys.stdout of the moment: the test's capture, closed when the test ends); every later log
    line in that process then failed with "I/O operation on closed file" (bad_inputs row 112,
    then the Ctrl-C test on the same worker)."""
    yield
    for logger in [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]:
        for handler in getattr(logger, "handlers", [])[:]:
            stream = getattr(handler, "stream", None)
            if getattr(stream, "closed", False):
                logger.removeHandler(handler)


@pytest.fixture(autouse=True)
def fresh_dataset_cache():
    """Each test decodes its own data: the process-wide cache must not make tests order-bound."""
    from llexp import data

    data._cache.clear()
    yield
    data._cache.clear()


@pytest.fixture
def tiny_cfg():
    """Composes the tiny config plus any extra overrides."""

    def make(*overrides: str):
        return compose(*TINY, *overrides)

    return make


@pytest.fixture(scope="session")
def autoencoder_run(tmp_path_factory):
    """The folder of a finished tiny autoencoder run on digits (8x8x1 -> a 4x4x4 code)."""
    from llexp.runner import run

    folder = tmp_path_factory.mktemp("autoencoder") / "run"
    ae = ["model=autoencoder", "model.width=4", "model.depth=1", "model.visualization_size=2"]
    run(compose(*[o for o in TINY if not o.startswith("model.")], *ae), folder)
    return folder


@pytest.fixture
def npz_file(tmp_path):
    return write_npz(tmp_path / "tiny.npz")


@pytest.fixture
def sweep(tmp_path):
    """A 2x2 depth x width sweep, a failed job, an incomplete job and a broken folder."""
    root = tmp_path / "sweep"
    accuracy = {(1, 4): 0.5, (1, 8): 0.6, (2, 4): 0.7, (2, 8): 0.9}
    for job, ((depth, width), acc) in enumerate(accuracy.items()):
        make_run(
            root / str(job),
            ["dataset=digits", f"model.depth={depth}", f"model.width={width}"],
            completed(acc, params=100 * depth + width),
            history=[acc - 0.2, acc],
        )
    make_run(
        root / "4",
        ["dataset=digits", "model.depth=4", "model.width=4"],
        {"status": "failed", "error": "model.depth=4 is too deep for 8x8 images"},
        png=False,
    )
    make_run(root / "5", ["dataset=digits", "model.depth=3", "model.width=4"], png=False)
    broken = make_run(root / "10", ["dataset=digits", "model.depth=3", "model.width=8"])
    (broken / "metrics.json").write_text('{"status": "compl')  # killed mid-write by an old llexp
    return root
