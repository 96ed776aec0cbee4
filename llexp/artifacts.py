"""Files a run writes into its folder: model, weights, history plot, metrics.

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

import matplotlib

matplotlib.use("Agg")  # headless: runs on servers and in sweeps without a display
import matplotlib.pyplot as plt  # noqa: E402


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

    import llexp.models  # noqa: F401  registers llexp's own layers (pretrained's preprocessing)

    run_dir = Path(run_dir)
    config = json.loads((run_dir / f"{stem}.json").read_text())
    model = keras.saving.deserialize_keras_object(config, safe_mode=True)
    model.load_weights(str(run_dir / f"{stem}.weights.h5"))
    return model


def plot_history(history: dict, path: Path, title: str) -> None:
    """One panel per quantity (loss, accuracy, ...), training vs validation, against epochs."""
    save_figure(history_figure(history, title), path)


def history_figure(history: dict, title: str):
    """The figure `plot_history` saves, for notebooks to show."""
    names = [k for k in history if not k.startswith("val_") and k != "learning_rate"]
    fig, axes = plt.subplots(1, len(names), figsize=(5 * len(names), 4), squeeze=False)
    for ax, name in zip(axes[0], names, strict=True):
        epochs = range(1, len(history[name]) + 1)
        ax.plot(epochs, history[name], "o-", label="train")
        if f"val_{name}" in history:
            ax.plot(epochs, history[f"val_{name}"], "o-", label="validation")
        ax.set(xlabel="epoch", ylabel=name, title=name)
        ax.xaxis.get_major_locator().set_params(integer=True)  # no epoch 1.5
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def save_figure(fig, path: Path) -> None:
    """Saves and closes `fig` (closing keeps long sweeps from leaking figures)."""
    tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
    try:
        fig.savefig(tmp, dpi=100)
        os.replace(tmp, path)
    finally:
        plt.close(fig)


def versions() -> dict[str, str]:
    """Versions of what produced a run, for metrics.json."""
    found = {"python": platform.python_version()}
    for package in ("llexp", "tensorflow", "keras", "hydra-core", "numpy"):
        try:
            found[package.removesuffix("-core")] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package.removesuffix("-core")] = "not installed"
    return found
