"""Stacked autoencoder pretraining in one command (seed 002): each stage an ordinary run.

    python -m llexp.stack --stages 2 --out outputs/stack dataset=digits trainer.epochs=5

runs, one after another, each into its own run folder under `--out`:

    stage1      python -m llexp model=autoencoder OVERRIDES...
    stage2      python -m llexp model=autoencoder dataset=codes dataset.encoder_from=stage1 ...
    ...
    classifier  python -m llexp model=encoder_classifier model.encoder_from=[stage1,stage2,...]
                (with the first stage's dataset and labels)

OVERRIDES go to every stage (`model.*` to the autoencoders only); `--classifier` takes overrides
for the last run alone (`model.freeze=false`, `model.dense=[256]`). A failed stage stops the chain
with its exit status. The commands are printed, so any stage can be rerun by hand.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
from pathlib import Path


def stage_commands(
    stages: int, out: Path, overrides: list[str], classifier: list[str]
) -> list[list[str]]:
    """The `python -m llexp` argument lists of the chain, each naming its run folder."""
    model = [o for o in overrides if o.lstrip("+~").startswith("model.")]
    shared = [o for o in overrides if o not in model]
    dataset = [o for o in shared if o.startswith("dataset")]
    others = [o for o in shared if not o.startswith("dataset")]
    folders = [out / f"stage{k}" for k in range(1, stages + 1)]
    commands = []
    for k, folder in enumerate(folders):
        source = dataset if k == 0 else ["dataset=codes", f"dataset.encoder_from={folders[k - 1]}"]
        commands.append(["model=autoencoder", *source, *others, *model, f"hydra.run.dir={folder}"])
    encoders = ",".join(str(f) for f in folders)
    commands.append(
        [
            "model=encoder_classifier",
            *dataset,
            *others,
            f"model.encoder_from=[{encoders}]",
            *classifier,
            f"hydra.run.dir={out / 'classifier'}",
        ]
    )
    return commands


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m llexp.stack", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--stages", type=int, default=2, help="autoencoders to stack (>= 1)")
    parser.add_argument("--out", type=Path, required=True, help="folder for the chain's runs")
    parser.add_argument(
        "--classifier", nargs="*", default=[], help="overrides for the classifier run alone"
    )
    parser.add_argument("overrides", nargs="*", help="llexp overrides for every stage")
    args = parser.parse_args(argv)
    if args.stages < 1:
        parser.error(f"--stages={args.stages}: stack at least one autoencoder")
    out = args.out.expanduser().resolve()
    if out.exists() and any(out.iterdir()):
        parser.error(f"--out={args.out} is not empty: give each chain a new folder")
    for command in stage_commands(args.stages, out, args.overrides, args.classifier):
        full = [sys.executable, "-m", "llexp", *command]
        print("+ python -m llexp " + shlex.join(command), flush=True)
        code = subprocess.call(full)
        if code:
            print(f"stage failed with exit status {code}; the chain stops here", file=sys.stderr)
            return code
    print(f"stacked classifier: {out / 'classifier'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
