"""Files a run writes into its folder: model, weights, metrics, tables (figures: `llexp.figures`).

Each file is written under a temporary name and moved into place, so a killed run never leaves a
half-written file behind.
"""

from __future__ import annotations

import csv
import io
import json
import os
import platform
from importlib import metadata
from pathlib import Path


def write_text(path: Path, text: str) -> None:
    """Writes `text` to `path` atomically."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def write_json(path: Path, data: dict) -> None:
    write_text(path, json.dumps(data, indent=2, sort_keys=True, default=float) + "\n")


def write_csv(path: Path, rows: list[list]) -> None:
    """Writes `rows` (the first one the header) to `path` as CSV, atomically."""
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(rows)
    write_text(path, text.getvalue())


def write_npz(path: Path, **arrays) -> None:
    """Writes NumPy arrays to an .npz at `path`, atomically."""
    import numpy as np

    tmp = path.with_name(f".{path.stem}.tmp.npz")  # np.savez insists on the .npz suffix
    np.savez(tmp, **arrays)
    os.replace(tmp, path)


def save_model(model, out_dir: Path, stem: str = "model") -> None:
    """`<stem>.json` (architecture) + `<stem>.weights.h5`; reload with `load_model`."""
    write_text(out_dir / f"{stem}.json", model.to_json())
    tmp = out_dir / f".{stem}.tmp.weights.h5"  # Keras insists on the .weights.h5 suffix
    model.save_weights(str(tmp))
    os.replace(tmp, out_dir / f"{stem}.weights.h5")


def load_model(run_dir: Path | str, stem: str = "model"):
    """Rebuilds the model saved in a run folder, with its trained weights.

    The architecture is deserialized in Keras's safe mode: a `model.json` holding a `Lambda`
    layer's bytecode is refused rather than run (a run folder may come from anyone). The weights
    file holds arrays only.
    """
    import keras

    import llexp.models.backbone  # noqa: F401  the layer older pretrained runs saved

    run_dir = Path(run_dir)
    config = json.loads((run_dir / f"{stem}.json").read_text())
    model = keras.saving.deserialize_keras_object(config, safe_mode=True)
    model.load_weights(str(run_dir / f"{stem}.weights.h5"))
    return model


def versions() -> dict[str, str]:
    """Versions of what produced a run, for metrics.json."""
    found = {"python": platform.python_version()}
    for package in ("llexp", "tensorflow", "keras", "hydra-core", "numpy"):
        try:
            found[package.removesuffix("-core")] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package.removesuffix("-core")] = "not installed"
    return found
