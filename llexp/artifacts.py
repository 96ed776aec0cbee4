"""Files a run writes into its folder: model, weights, metrics, tables (figures: `llexp.figures`).

Each file goes through `llexp.record.files` (a temporary name, fsync, rename), so a killed run never
leaves a half-written file behind.
"""

from __future__ import annotations

import json
import platform
from importlib import metadata
from pathlib import Path

# The writers every module uses through `artifacts`: all of them are the atomic ones.
from llexp.record.files import save_weights, write_csv, write_json, write_npz, write_text

__all__ = ["load_model", "save_model", "versions", "write_csv", "write_json", "write_npz"]


def save_model(model, out_dir: Path, stem: str = "model") -> None:
    """`<stem>.json` (architecture) + `<stem>.weights.h5`; reload with `load_model`."""
    write_text(out_dir / f"{stem}.json", model.to_json())
    save_weights(model, out_dir / f"{stem}.weights.h5")


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
