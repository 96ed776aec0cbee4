"""benchmarks/run.py's report: each ratio against its target (a smoke test of the writer only;
the suite itself is not part of the unit tests)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.measure import MISTAKES  # noqa: E402
from benchmarks.run import report  # noqa: E402


def test_report_gives_each_ratio_and_whether_its_target_is_met():
    startup = {"import tensorflow": 4.0, "llexp --help": 0.4}  # 0.10x: met
    startup |= {f"mistake: {name}": 2.0 for name in MISTAKES}  # 0.50x: missed
    results = {
        "machine": "test CPU, 2 cores",
        "load": "0.1 / 0.2",
        "command": "python benchmarks/run.py --quick",
        "minutes": 3.0,
        "startup": startup,
        "sweep": {"wall": 10.0, "jobs": [(9.0, 5.0, 500.0), (3.0, 2.5, 510.0), (3.5, 2.5, 512.0)]},
        "memory_jobs": [(9.0, 5.0, 500.0), (3.0, 2.5, 510.0), (3.5, 2.5, 512.0)],
        "memory": {"jobs": 3, "first": 500.0, "last": 512.0, "per_job": 1.0},
        "throughput": {
            "rates": {"fit": 5000.0, "tape": 5500.0, "plain keras": 5000.0},
            "batch": 32,
            "forward_flops": 1_000_000,
        },
        "parallel": {"jobs": 4, "basic": 20.0, "joblib": 12.5, "cores": 2},
        "matmul": 1e11,
        "precision_epochs": 3,
        "precision": {
            "float32": {"seconds": 2.0, "accuracy": 0.95},
            "mixed_bfloat16": {"seconds": 4.0, "accuracy": 0.94},
        },
    }
    text = report(results)
    lines = {line.split(" | ")[0].lstrip("| "): line for line in text.splitlines()}
    assert "0.40 s = 0.10x | <= 0.2x | met" in lines["`llexp --help`"]
    assert "0.50x | <= 0.35x | **missed**" in lines["config mistake: depth too deep"]
    # jobs 2+ spend 0.5 and 1.0 s outside training: median 0.75 s = 0.19x of 4 s (the target
    # is 0.12x since runs write their figures off the critical path of a sweep)
    assert "0.75 s = 0.19x | <= 0.12x | **missed**" in text
    # ... and train 2.5 of 3.0 s and 2.5 of 3.5 s: median share 77%; 10 s for 3 jobs
    assert "| 77%; the whole sweep 10.0 s = 3.33 s per job" in text
    assert "tape vs fit | 1.10x | >= 0.95x | met" in text
    assert (
        "(2 processes, 1 thread each) vs one job at a time (4 digits jobs) | "
        "20.0 s -> 12.5 s = 1.60x speed-up" in text
    )
    assert "15.00 vs 100.0 GFLOP/s = 15.0%" in text  # 5000 img/s x 3 x 1 MFLOP
    assert "test CPU, 2 cores" in text
