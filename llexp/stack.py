"""Stacked autoencoder pretraining in one command: each stage an ordinary run.

    llexp stack --stages 2 --out outputs/stack dataset=digits trainer.epochs=5

(or `python -m llexp.stack ...`) runs, one after another, each into its own run folder under
`--out`:

    stage1      python -m llexp model=autoencoder OVERRIDES...
    stage2      python -m llexp model=autoencoder dataset=codes dataset.encoder_from=stage1 ...
    ...
    finetune    python -m llexp model=stacked_autoencoder model.encoder_from=[stage1,...]
                (with --finetune: the stages assembled into one autoencoder, trained end to end)
    classifier  python -m llexp model=encoder_classifier model.encoder_from=[stage1,stage2,...]
                (or =[finetune]; with the first stage's dataset and labels)

OVERRIDES go to every run (`model.*` and `experiment=...` to the stages only); `--stage K ...`
to stage K alone (`--stage 2 model.width=128`), `--finetune ...` to the fine-tuning run and
`--classifier ...` to the last run alone (`model.freeze=false`, `model.dense=[256]`,
`experiment=...`). A failed run stops the chain with its exit status. The commands are printed,
so any run can be redone by hand.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
from pathlib import Path


def stage_commands(
    stages: int,
    out: Path,
    overrides: list[str],
    classifier: list[str],
    per_stage: dict[int, list[str]] | None = None,
    finetune: list[str] | None = None,
) -> list[list[str]]:
    """The `python -m llexp` argument lists of the chain, each naming its run folder.

    Args:
        stages: autoencoders to stack.
        out: the chain's folder; run k goes to `out/stagek`.
        overrides: for every run (`model.*` ones for the stages only).
        classifier: for the classifier alone.
        per_stage: stage number (from 1) -> overrides for that stage alone.
        finetune: None for no fine-tuning; else the overrides of the fine-tuning run.
    """
    per_stage = per_stage or {}
    # A preset of the stages' settings (experiment=cifar10_stacked_autoencoder) is theirs too.
    model = [o for o in overrides if o.lstrip("+~").startswith(("model.", "experiment="))]
    shared = [o for o in overrides if o not in model]
    dataset = [o for o in shared if o.startswith("dataset")]
    others = [o for o in shared if not o.startswith("dataset")]
    folders = [out / f"stage{k}" for k in range(1, stages + 1)]
    commands = []
    for k, folder in enumerate(folders):
        source = dataset if k == 0 else ["dataset=codes", f"dataset.encoder_from={folders[k - 1]}"]
        own = per_stage.get(k + 1, [])
        commands.append(
            ["model=autoencoder", *source, *others, *model, *own, f"hydra.run.dir={folder}"]
        )
    encoders = "[" + ",".join(str(f) for f in folders) + "]"
    if finetune is not None:
        commands.append(
            [
                "model=stacked_autoencoder",
                *dataset,
                *others,
                f"model.encoder_from={encoders}",
                *finetune,
                f"hydra.run.dir={out / 'finetune'}",
            ]
        )
        encoders = f"[{out / 'finetune'}]"
    commands.append(
        [
            "model=encoder_classifier",
            *dataset,
            *others,
            f"model.encoder_from={encoders}",
            *classifier,
            f"hydra.run.dir={out / 'classifier'}",
        ]
    )
    return commands


def parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    parser.add_argument("--stages", type=int, default=2, help="autoencoders to stack (>= 1)")
    parser.add_argument("--out", type=Path, required=True, help="folder for the chain's runs")
    parser.add_argument(
        "--stage",
        nargs="+",
        action="append",
        default=[],
        metavar=("K", "OVERRIDE"),
        help="overrides for stage K alone, e.g. --stage 2 model.width=128 (repeatable)",
    )
    parser.add_argument(
        "--finetune",
        nargs="*",
        default=None,
        metavar="OVERRIDE",
        help="assemble the stages into one autoencoder and train it end to end (with these "
        "overrides) before the classifier",
    )
    parser.add_argument(
        "--classifier", nargs="*", default=[], help="overrides for the classifier run alone"
    )
    parser.add_argument("overrides", nargs="*", help="llexp overrides for every run")
    return parser


def stage_overrides(args, parse: argparse.ArgumentParser) -> dict[int, list[str]]:
    """`--stage K OVERRIDES...` options as {K: overrides}, each K checked against `--stages`."""
    per_stage: dict[int, list[str]] = {}
    for number, *overrides in args.stage:
        if not number.isdigit() or not 1 <= int(number) <= args.stages:
            parse.error(f"--stage {number}: name a stage from 1 to --stages={args.stages}")
        per_stage.setdefault(int(number), []).extend(overrides)
    return per_stage


def main(argv: list[str] | None = None, prog: str = "python -m llexp.stack") -> int:
    parse = parser(prog)
    args = parse.parse_args(argv)
    if args.stages < 1:
        parse.error(f"--stages={args.stages}: stack at least one autoencoder")
    per_stage = stage_overrides(args, parse)
    out = args.out.expanduser().resolve()
    if out.exists() and any(out.iterdir()):
        parse.error(f"--out={args.out} is not empty: give each chain a new folder")
    commands = stage_commands(
        args.stages, out, args.overrides, args.classifier, per_stage, args.finetune
    )
    for command in commands:
        full = [sys.executable, "-m", "llexp", *command]
        print("+ python -m llexp " + shlex.join(command), flush=True)
        code = subprocess.call(full)
        if code:
            print(f"run failed with exit status {code}; the chain stops here", file=sys.stderr)
            return code
    print(f"stacked classifier: {out / 'classifier'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
