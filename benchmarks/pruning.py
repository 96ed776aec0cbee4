"""Pruning's saving, measured: the same 16-trial LeNet search on digits (10 epochs a trial) with
the presets' default pruner (median) and without (`hydra.sweeper.pruner=none`).

    python benchmarks/pruning.py [--trials 16] [--epochs 10] [--seed 0] [--out DIR]

Both searches use a seeded sampler, so their first (random) trials are the same; each keeps its
study in its own sweep folder. Prints, for each: epochs trained (from the jobs' metrics.json),
trials complete/pruned/failed, the best validation accuracy, and the wall time (rough: the
machine may be shared).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from omegaconf import OmegaConf


def search(out: Path, name: str, trials: int, epochs: int, seed: int, *extra: str) -> dict:
    """Runs one search into `out/name`; returns its numbers."""
    sweep = out / name
    command = [
        sys.executable, "-m", "llexp", "hparams_search=lenet_optuna", "dataset=digits",
        f"trainer.epochs={epochs}", f"hydra.sweeper.n_trials={trials}",
        f"hydra.sweeper.sampler.seed={seed}", "hydra.sweeper.storage=null",
        f"hydra.sweep.dir={sweep}", *extra,
    ]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=out)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{name}: exit status {done.returncode}\n{done.stderr[-3000:]}")
    runs = [json.loads(p.read_text()) for p in sorted(sweep.glob("*/metrics.json"))]
    results = OmegaConf.load(sweep / "optimization_results.yaml")
    best = json.loads((Path(results.best_folder) / "metrics.json").read_text())
    return {
        "search": name,
        "epochs": sum(r.get("epochs", 0) for r in runs),
        "trials": dict(results.trials),
        "best_val_accuracy": results.get("best_value"),
        "its_test_accuracy": round(best["test_accuracy"], 4),  # a larger split than validation
        "best_trial": results.best_trial,
        "wall_s": round(wall),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="llexp-pruning-"))
    out.mkdir(parents=True, exist_ok=True)
    rows = [
        search(out, "pruned", args.trials, args.epochs, args.seed),
        search(out, "unpruned", args.trials, args.epochs, args.seed, "hydra.sweeper.pruner=none"),
    ]
    for row in rows:
        print(json.dumps(row))
    ratio = rows[0]["epochs"] / rows[1]["epochs"]
    gap = abs(rows[0]["best_val_accuracy"] - rows[1]["best_val_accuracy"])
    print(f"epochs pruned/unpruned: {ratio:.2f}; best val_accuracy difference: {gap:.4f}")
    print(f"sweep folders: {out}")


if __name__ == "__main__":
    main()
