"""llexp's benchmark suite: every figure of issue 11 in one run, as ratios, into a Markdown report.

    python benchmarks/run.py            # the full suite, about 10 minutes on 2 CPU cores
    python benchmarks/run.py --quick    # fewer repeats, jobs and epochs: about 4 minutes

Ratios are of medians of repeats taken in this one run on this machine, the commands taking turns
so that a load spike on a shared machine hits all of them. Writes the report to a file in the
system's temporary folder and prints it; `--report PATH` writes it there instead (the report kept
in the repository: `--report benchmarks/report.md`). Not part of the unit tests.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `benchmarks` and `llexp`

from benchmarks import measure  # noqa: E402


def machine() -> str:
    """CPU model, cores, versions and load: the line the report names the machine with."""
    cpu = platform.processor() or "?"
    if Path("/proc/cpuinfo").exists():
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    import keras
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    return (
        f"{cpu}, {os.cpu_count()} cores, {'GPU: ' + gpus[0].name if gpus else 'no GPU'}, "
        f"Python {platform.python_version()}, TensorFlow {tf.__version__}, "
        f"Keras {keras.__version__}"
    )


def row(name: str, value: str, target: str = "", met: bool | None = None) -> str:
    verdict = "" if met is None else ("met" if met else "**missed**")
    return f"| {name} | {value} | {target} | {verdict} |"


def report(r: dict) -> str:
    """The Markdown report from the measurements `r` (see `main`)."""
    s, tf_import = r["startup"], r["startup"]["import tensorflow"]
    lines = [
        "# llexp benchmark report",
        "",
        f"Machine: {r['machine']}. Load average before / after: {r['load']}.",
        f"Command: `{r['command']}` ({r['minutes']:.1f} minutes).",
        "",
        "| measure | value | target | |",
        "|---|---|---|---|",
        row("`python -c 'import tensorflow'`", f"{tf_import:.2f} s (the unit below)"),
        row(
            "`llexp --help`",
            f"{s['llexp --help']:.2f} s = {s['llexp --help'] / tf_import:.2f}x",
            "<= 0.2x",
            s["llexp --help"] / tf_import <= 0.2,
        ),
    ]
    for name in measure.MISTAKES:
        t = s[f"mistake: {name}"]
        lines.append(
            row(
                f"config mistake: {name}",
                f"{t:.2f} s = {t / tf_import:.2f}x",
                "<= 0.35x",
                t / tf_import <= 0.35,
            )  # fmt: skip
        )
    jobs = r["sweep"]["jobs"]
    outside = statistics.median(total - train for total, train, _ in jobs[1:])
    lines.append(
        row(
            f"per-job time outside training ({len(jobs)}-job digits sweep, median of jobs 2+)",
            f"{outside:.2f} s = {outside / tf_import:.2f}x",
            "<= 0.12x",
            outside / tf_import <= 0.12,
        )  # fmt: skip
    )
    share = statistics.median(train / total for total, train, _ in jobs[1:])
    per_job = r["sweep"]["wall"] / len(jobs)
    lines.append(
        row(
            "share of job time spent training (same sweep, median of jobs 2+)",
            f"{100 * share:.0f}%; the whole sweep {r['sweep']['wall']:.1f} s = {per_job:.2f} s "
            "per job, process start and last files included",
            "report",
        )  # fmt: skip
    )
    t = r["throughput"]["rates"]
    for name in ("fit", "tape"):
        ratio = t[name] / t["plain keras"]
        lines.append(
            row(
                f"trainer={name} vs plain Keras (batch {r['throughput']['batch']})",
                f"{t[name]:,.0f} vs {t['plain keras']:,.0f} img/s = {ratio:.2f}x",
                ">= 1.0x",
                ratio >= 1.0,
            )  # fmt: skip
        )
    lines.append(
        row("tape vs fit", f"{t['tape'] / t['fit']:.2f}x", ">= 0.95x", t["tape"] / t["fit"] >= 0.95)
    )
    p = r["parallel"]
    lines.append(
        row(
            f"`hydra/launcher=parallel` ({p['cores']} processes, 1 thread each) vs one job "
            f"at a time ({p['jobs']} digits jobs)",
            f"{p['basic']:.1f} s -> {p['joblib']:.1f} s = {p['basic'] / p['joblib']:.2f}x speed-up",
            "report",
        )  # fmt: skip
    )
    m = r["memory"]
    lines.append(
        row(
            f"memory over a {m['jobs']}-job sweep in one process",
            f"{m['first']:.0f} MB after job 1, {m['last']:.0f} MB after job {m['jobs']}; "
            f"{m['per_job']:+.1f} MB/job over jobs 5+",
            "report",
        )  # fmt: skip
    )
    achieved = t["fit"] * 3 * r["throughput"]["forward_flops"]  # backward ~ 2x forward
    lines.append(
        row(
            "default LeNet training FLOP/s vs float32 matmul FLOP/s",
            f"{achieved / 1e9:.2f} vs {r['matmul'] / 1e9:.1f} GFLOP/s = "
            f"{100 * achieved / r['matmul']:.1f}%",
            "report",
        )  # fmt: skip
    )
    f32, bf16 = r["precision"]["float32"], r["precision"]["mixed_bfloat16"]
    lines.append(
        row(
            f"mixed_bfloat16 vs float32 on CPU ({r['precision_epochs']} epochs)",
            f"training {bf16['seconds']:.2f} vs {f32['seconds']:.2f} s = "
            f"{f32['seconds'] / bf16['seconds']:.2f}x speed; test accuracy "
            f"{bf16['accuracy']:.3f} vs {f32['accuracy']:.3f}",
            "report",
        )  # fmt: skip
    )
    lines += ["", "Per job of the memory sweep (job seconds, training seconds, VmRSS MB):", ""]
    lines += [", ".join(f"{a:.2f}/{b:.2f}/{c:.0f}" for a, b, c in r["memory_jobs"])]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, jobs and epochs")
    parser.add_argument(
        "--report",
        "--out",
        dest="out",
        type=Path,
        default=Path(tempfile.gettempdir()) / "llexp-benchmark-report.md",
        help="where to write the report (default: %(default)s; the repository's own report is "
        "benchmarks/report.md)",
    )
    args = parser.parse_args(argv)
    q = args.quick
    started, load = time.perf_counter(), os.getloadavg()[0]
    r: dict = {"command": " ".join(["python benchmarks/run.py", *(argv or sys.argv[1:])])}

    def step(name: str) -> None:
        print(f"[{(time.perf_counter() - started) / 60:4.1f} min] {name}", flush=True)

    step("startup: import tensorflow, llexp --help, config mistakes")
    r["startup"] = measure.startup(3 if q else 7)
    step("sweep of small jobs, one at a time, then side by side (hydra/launcher=parallel)")
    jobs, epochs = (4, 2) if q else (8, 3)
    basic = measure.sweep(jobs, epochs)
    joblib = measure.sweep(jobs, epochs, ["hydra/launcher=parallel"])
    r["parallel"] = {
        "jobs": jobs, "basic": basic["wall"], "joblib": joblib["wall"], "cores": os.cpu_count()
    }  # fmt: skip
    step("memory and time outside training over a sweep in one process")
    r["sweep"] = measure.sweep(8 if q else 20, 1)
    rows = r["memory_jobs"] = r["sweep"]["jobs"]
    tail = [rss for *_, rss in rows[4:]]
    per_job = statistics.linear_regression(range(len(tail)), tail).slope if len(tail) > 1 else 0
    r["memory"] = {"jobs": len(rows), "first": rows[0][2], "last": rows[-1][2], "per_job": per_job}
    step("training throughput: fit, tape, plain Keras")
    r["throughput"] = measure.throughput(2 if q else 5, 2 if q else 5)
    step("float32 matmul FLOP/s")
    r["matmul"] = measure.matmul_flops()
    step("mixed_bfloat16 against float32")
    r["precision_epochs"] = 3 if q else 10
    r["precision"] = measure.precision(1 if q else 3, r["precision_epochs"])
    r["machine"] = machine()
    r["load"] = f"{load:.1f} / {os.getloadavg()[0]:.1f}"
    r["minutes"] = (time.perf_counter() - started) / 60
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report(r))
    print(args.out.read_text())
    print(f"report written to {args.out}")
    return args.out


if __name__ == "__main__":
    main()
