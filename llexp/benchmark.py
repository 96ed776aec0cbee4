"""Training throughput of `trainer=fit` against `trainer=tape`: same model, data and batch size.

    python -m llexp.benchmark                                  # LeNet width 32 on digits
    python -m llexp.benchmark --repeats 7 --epochs 3 model.width=16 trainer.batch_size=64

Trailing arguments are the command line's overrides. Each trainer gets a fresh model and optimizer
per repeat and one untimed warm-up epoch (tracing, first allocations), then `--epochs` timed epochs
with no validation, callbacks or progress bar. The trainers take turns within each repeat, so a
load spike on a shared machine hits both; the table gives the median images per second and the
tape/fit ratio, and the median time of the warm-up epoch (building the step, tracing).
"""

from __future__ import annotations

import argparse
import statistics
import time

import keras

from llexp.api import compose
from llexp.errors import instantiate
from llexp.trainers import TapeLoop


def fit_seconds(model, family, optimizer, data, batch_size, epochs, seed) -> tuple[float, float]:
    """Seconds of the warm-up epoch (compile and trace included) and of the timed epochs."""
    started = time.perf_counter()
    model.compile(optimizer=optimizer, loss=family.loss(), metrics=family.metrics())
    steps = data.steps_per_epoch(batch_size)
    warm_up = data.train_batches(batch_size, seed, 1, family.targets)
    model.fit(warm_up, epochs=1, steps_per_epoch=steps, verbose=0, shuffle=False)  # traces
    warmed = time.perf_counter()
    train = data.train_batches(batch_size, seed, epochs, family.targets)
    model.fit(train, epochs=epochs, steps_per_epoch=steps, verbose=0, shuffle=False)
    return warmed - started, time.perf_counter() - warmed


def tape_seconds(model, family, optimizer, data, batch_size, epochs, seed) -> tuple[float, float]:
    started = time.perf_counter()
    loop = TapeLoop(model, family.loss(), optimizer, family.metrics())
    steps = data.steps_per_epoch(batch_size)
    warm_up = data.train_batches(batch_size, seed, 1, family.targets)
    loop.fit_batches(warm_up, None, steps, epochs=1, verbose=0)  # traces the step
    warmed = time.perf_counter()
    train = data.train_batches(batch_size, seed, epochs, family.targets)
    loop.fit_batches(train, None, steps, epochs=epochs, verbose=0)
    return warmed - started, time.perf_counter() - warmed


TRAINERS = {"fit": fit_seconds, "tape": tape_seconds}


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Runs the benchmark, prints the table; returns the median images/second per trainer."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per trainer")
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs per run")
    parser.add_argument("overrides", nargs="*", help="config overrides, e.g. model.width=16")
    args = parser.parse_args(argv)
    cfg = compose("dataset=digits", *args.overrides)
    source, family = instantiate(cfg.dataset), instantiate(cfg.model)
    data = source.splits()  # the pipelines `python -m llexp` trains on, any dataset
    batch_size = cfg.trainer.batch_size
    images = len(data.train) * args.epochs
    print(
        f"{family.describe()} on {source.name}: {len(data.train)} images, batch {batch_size}, "
        f"{args.epochs} timed epochs x {args.repeats} repeats, keras {keras.__version__}"
    )
    rates: dict[str, list[float]] = {name: [] for name in TRAINERS}
    firsts: dict[str, list[float]] = {name: [] for name in TRAINERS}
    for repeat in range(args.repeats):
        for name, seconds in TRAINERS.items():
            keras.utils.set_random_seed(cfg.seed + repeat)
            model = family.build(source.input_shape)
            optimizer = instantiate(cfg.optimizer)
            first, elapsed = seconds(
                model, family, optimizer, data, batch_size, args.epochs, cfg.seed
            )
            rates[name].append(images / elapsed)
            firsts[name].append(first)
        done = ", ".join(f"{name} {r[-1]:,.0f}/s" for name, r in rates.items())
        print(f"  repeat {repeat + 1}: {done}")
    medians = {name: statistics.median(r) for name, r in rates.items()}
    print(f"\n{'trainer':<8}{'median img/s':>14}{'min':>10}{'max':>10}{'first epoch s':>15}")
    for name, r in rates.items():
        first = statistics.median(firsts[name])
        print(f"{name:<8}{medians[name]:>14,.0f}{min(r):>10,.0f}{max(r):>10,.0f}{first:>15.2f}")
    print(f"tape / fit = {medians['tape'] / medians['fit']:.3f}")
    return medians


if __name__ == "__main__":
    main()
