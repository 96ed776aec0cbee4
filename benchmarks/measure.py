"""The measurements of `benchmarks/run.py`, one function each; each returns plain numbers.

Timings that include starting Python (imports, `--help`, a config mistake, sweeps) run the real
command line in a child process; throughput, FLOP/s and precision run in this process.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PY = sys.executable
# Config mistakes a user makes: each must end with one line and exit status 2.
MISTAKES = {
    "depth too deep": ["dataset=digits", "model.depth=9"],
    "unknown activation": ["dataset=digits", "model.activation=relux"],
    "missing npz file": ["dataset=npz", "dataset.path=/nonexistent/data.npz"],
    "negative learning rate": ["dataset=digits", "optimizer.learning_rate=-1"],
}


def seconds(command: list[str], expect: int = 0) -> float:
    """Wall seconds of one child process; checks its exit status."""
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != expect:
        raise RuntimeError(f"{' '.join(command)} exited {done.returncode}:\n{done.stderr[-2000:]}")
    return elapsed


def startup(repeats: int) -> dict:
    """Median seconds of `import tensorflow`, `llexp --help` and each config mistake; the
    commands take turns within each repeat, so a load spike hits all of them."""
    commands = {
        "import tensorflow": ([PY, "-c", "import tensorflow"], 0),
        "llexp --help": ([PY, "-m", "llexp", "--help"], 0),
        **{
            f"mistake: {name}": ([PY, "-m", "llexp", *args, "hydra.run.dir=/tmp/llexp-bench"], 2)
            for name, args in MISTAKES.items()
        },
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeats):
        for name, (command, expect) in commands.items():
            times[name].append(seconds(command, expect))
    return {name: statistics.median(t) for name, t in times.items()}


def sweep(jobs: int, epochs: int, extra: list[str] = ()) -> dict:
    """A real multirun of `jobs` small digits jobs; per job (from its llexp.log and metrics.json)
    the seconds of the whole job, of training alone and the process memory after it."""
    with tempfile.TemporaryDirectory() as tmp:
        command = [
            PY, "-m", "llexp", "-m", "dataset=digits", f"trainer.epochs={epochs}",
            "trainer.verbose=0", f"seed=range(0,{jobs})", f"hydra.sweep.dir={tmp}", *extra,
        ]  # fmt: skip
        wall = seconds(command)
        rows = []
        for num in range(jobs):
            log = (Path(tmp) / str(num) / "llexp.log").read_text()
            found = re.search(r"finished in ([\d.]+) s; process memory \(VmRSS\) (\S+) MB", log)
            metrics = json.loads((Path(tmp) / str(num) / "metrics.json").read_text())
            rss = float(found[2]) if found[2] != "?" else float("nan")
            rows.append((float(found[1]), metrics["train_seconds"], rss))
    return {"wall": wall, "jobs": rows}


def matmul_flops(n: int = 1024, repeats: int = 5, inner: int = 20) -> float:
    """The machine's float32 matmul FLOP/s (TensorFlow, all its threads): median of repeats.

    Each product multiplies the previous one (`x = x @ b`), so every one is computed: products
    of the same operands would be merged into one by TensorFlow's graph optimiser (an earlier
    version of this function, summing `a @ b` 20 times, reported 20 times the real rate).
    """
    import tensorflow as tf

    a = tf.random.normal((n, n))
    b = tf.random.normal((n, n)) / n**0.5  # keeps the chain's values near 1

    @tf.function
    def chain(x, b):
        for _ in range(inner):
            x = tf.matmul(x, b)
        return x

    chain(a, b).numpy()  # traces
    rates = []
    for _ in range(repeats):
        started = time.perf_counter()
        chain(a, b).numpy()
        rates.append(2 * n**3 * inner / (time.perf_counter() - started))
    return statistics.median(rates)


def forward_flops(model) -> int:
    """Multiply-adds x 2 of one image through the model's Conv2D and Dense layers."""
    import keras

    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            kh, kw = layer.kernel_size
            _, h, w, c_out = layer.output.shape
            total += 2 * h * w * kh * kw * layer.input.shape[-1] * c_out
        elif isinstance(layer, keras.layers.Dense):
            total += 2 * layer.input.shape[-1] * layer.units
    return total


def throughput(repeats: int, epochs: int) -> dict:
    """Images per second of `trainer=fit`, `trainer=tape` (llexp.benchmark's timed loops) and
    the plain Keras script, on digits at batch 32, taking turns within each repeat."""
    import keras

    from benchmarks import plain_keras
    from llexp.api import compose
    from llexp.benchmark import TRAINERS
    from llexp.errors import instantiate

    cfg = compose("dataset=digits")
    source, family = instantiate(cfg.dataset), instantiate(cfg.model)
    data, batch = source.splits(), cfg.trainer.batch_size
    x, y = plain_keras.digits()
    assert len(x) == len(data.train), (len(x), len(data.train))
    rates: dict[str, list[float]] = {"fit": [], "tape": [], "plain keras": []}
    model = None
    for repeat in range(repeats):
        for name, timed in TRAINERS.items():
            keras.utils.set_random_seed(cfg.seed + repeat)
            model = family.build(source.input_shape)
            optimizer = instantiate(cfg.optimizer)
            _, elapsed = timed(model, family, optimizer, data, batch, epochs, cfg.seed)
            rates[name].append(len(data.train) * epochs / elapsed)
        _, elapsed = plain_keras.timed_fit(x, y, batch, epochs, cfg.seed + repeat)
        rates["plain keras"].append(len(x) * epochs / elapsed)
    plain = plain_keras.lenet(x.shape[1:])
    assert plain.count_params() == model.count_params(), "not the same model"
    medians = {name: statistics.median(r) for name, r in rates.items()}
    return {"rates": medians, "batch": batch, "forward_flops": forward_flops(model)}


def precision(repeats: int, epochs: int) -> dict:
    """Training seconds and test accuracy of full llexp runs on digits, float32 against
    mixed_bfloat16, taking turns; medians."""
    from llexp.api import compose
    from llexp.runner import run

    found: dict[str, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for repeat in range(repeats):
            for policy in ("float32", "mixed_bfloat16"):
                cfg = compose(
                    "dataset=digits", f"precision={policy}", f"trainer.epochs={epochs}",
                    "trainer.verbose=0", "trainer.checkpoint_best=false",
                )  # fmt: skip
                metrics = run(cfg, os.path.join(tmp, f"{policy}-{repeat}")).metrics
                entry = found.setdefault(policy, {"seconds": [], "accuracy": []})
                entry["seconds"].append(metrics["train_seconds"])
                entry["accuracy"].append(metrics["test_accuracy"])
    return {p: {k: statistics.median(v) for k, v in e.items()} for p, e in found.items()}
