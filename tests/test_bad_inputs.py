"""Every row of docs/bad_inputs.md, run: the table and the tests cannot drift apart.

Each row gives the arguments of `llexp` (placeholders: `{tmp}` a fresh folder, `{npz:NAME}` a
data file built by `NPZ[NAME]`, `{file:NAME}` another file, `{run:NAME}` a folder built by
`RUNS[NAME]`), the exit status and text the one line must contain. The command line runs
in-process (`llexp.__main__.main`), with the run and sweep folders put under `{tmp}`.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
import pytest
from omegaconf import OmegaConf

from llexp.api import compose

from helpers import NO_LOGGING, TINY, run_main, write_image_folder, write_npz

TABLE = Path(__file__).parent.parent / "docs" / "bad_inputs.md"
ROW = re.compile(r"^\| *(\d+) *\| *([^|]+?) *\| *`([^`]*)` *\| *(\d+) *\| *`([^`]+)` *\|$")


def table_rows() -> list[tuple]:
    rows = [ROW.match(line) for line in TABLE.read_text().splitlines()]
    return [m.groups() for m in rows if m]


def npz_with(path: Path, **changes) -> Path:
    """A valid tiny npz (12x12, 3 classes), with some arrays replaced or (None) left out."""
    write_npz(path)
    with np.load(path) as f:
        arrays = {k: f[k] for k in f.files}
    for key, value in changes.items():
        if value is None:
            arrays.pop(key)
        else:
            arrays[key] = value(arrays[key]) if callable(value) else value
    np.savez(path, **arrays)
    return path


def with_nan(x):
    x = x.astype("float32") / 255
    x[0, 0, 0] = np.nan
    return x


NPZ = {
    "ok": lambda p: npz_with(p),
    "no_y_test": lambda p: npz_with(p, y_test=None),
    "short_y_test": lambda p: npz_with(p, y_test=lambda y: y[:-1]),
    "short_y_train": lambda p: npz_with(p, y_train=lambda y: y[:-3]),
    "flat": lambda p: npz_with(p, x_train=lambda x: x.reshape(len(x), -1)),
    "five_channels": lambda p: npz_with(p, x_train=lambda x: np.stack([x] * 5, axis=-1)),
    "test_shape": lambda p: npz_with(p, x_test=lambda x: x[:, :8, :8]),
    "nan_pixels": lambda p: npz_with(p, x_train=with_nan),
    "float_over_one": lambda p: npz_with(p, x_train=lambda x: x.astype("float32") / 100),
    "labels_to_11": lambda p: npz_with(p, y_train=lambda y: np.where(y == 2, 11, y)),
    "negative_labels": lambda p: npz_with(p, y_test=lambda y: y - 1),
    "text_pixels": lambda p: npz_with(p, x_train=lambda x: x.astype(str)),
    "object_pixels": lambda p: npz_with(p, x_train=lambda x: x.astype(object)),
    "empty_test": lambda p: npz_with(p, x_test=lambda x: x[:0], y_test=lambda y: y[:0]),
    "half_labels": lambda p: npz_with(p, y_train=lambda y: y + 0.5),
    "tenth_labels": lambda p: npz_with(p, y_train=lambda y: y / 10),
    "two_column_labels": lambda p: npz_with(p, y_train=lambda y: np.stack([y, y], axis=1)),
    "negative_int8": lambda p: npz_with(p, x_train=lambda x: (x.astype("i2") - 128).astype("i1")),
    "text_test_only": lambda p: npz_with(p, y_test=lambda y: np.array(["a", "b", "c"])[y]),
}


def not_a_zip(path: Path) -> Path:
    path.write_text("x_train,y_train\n1,2\n")
    return path


def cut_png_folder(path: Path) -> Path:
    """An image folder where one PNG's header is whole but its body is cut short."""
    root, _ = write_image_folder(path, classes=2, per_class=4)
    victim = next((root / "class_a").glob("*.png"))
    victim.write_bytes(victim.read_bytes()[:-20])
    return root


def loop_folder(path: Path) -> Path:
    """An image folder where one class folder is a link to the folder itself."""
    root, _ = write_image_folder(path, classes=2, per_class=4)
    (root / "class_c").symlink_to(root, target_is_directory=True)
    return root


def outside_link_folder(path: Path) -> Path:
    """An image folder where one class folder is a link to images outside it."""
    root, _ = write_image_folder(path / "root", classes=2, per_class=4)
    elsewhere, _ = write_image_folder(path / "elsewhere", classes=1, per_class=4)
    (root / "class_c").symlink_to(elsewhere / "class_a", target_is_directory=True)
    return root


def non_utf8_folder(path: Path) -> Path:
    """An image folder holding a file whose name is not valid UTF-8 (Latin-1 bytes)."""
    root, _ = write_image_folder(path, classes=2, per_class=4)
    image = next((root / "class_a").glob("*.png"))
    target = os.path.join(os.fsencode(root / "class_a"), b"caf\xe9.png")
    with open(target, "wb") as file:
        file.write(image.read_bytes())
    return root


FILES = {
    "not_a_zip": not_a_zip,
    "cut_png_folder": cut_png_folder,
    "loop_folder": loop_folder,
    "outside_link_folder": outside_link_folder,
    "non_utf8_folder": non_utf8_folder,
}


def tiny_run(folder: Path, status: str | None, **metrics) -> Path:
    """A run folder of the tiny config, with a metrics.json of `status` (None: none)."""
    (folder / ".hydra").mkdir(parents=True)
    OmegaConf.save(compose(*TINY), folder / ".hydra" / "config.yaml")
    if status is not None:
        (folder / "metrics.json").write_text(json.dumps({"status": status, **metrics}))
    return folder


def failed_sweep(folder: Path) -> Path:
    tiny_run(folder / "0", "failed", error="training diverged: the loss became nan")
    tiny_run(folder / "1", "interrupted", epoch=2)
    return folder


def bad_state(folder: Path) -> Path:
    tiny_run(folder, "running", epoch=1)
    (folder / "resume.npz").write_bytes(b"PK\x03\x04 truncated")
    return folder


def bad_yaml(folder: Path) -> Path:
    (folder / ".hydra").mkdir(parents=True)
    (folder / ".hydra" / "config.yaml").write_text("model: [unclosed\n")
    return folder


RUNS = {
    "completed": lambda p: tiny_run(p, "completed", val_accuracy=0.5, test_accuracy=0.5),
    "failed_sweep": failed_sweep,
    "metrics_only": lambda p: (p.mkdir(), (p / "metrics.json").write_text("{}"), p)[-1],
    "bad_state": bad_state,
    "bad_yaml": bad_yaml,
}


def expand(arguments: str, tmp: Path) -> list[str]:
    def build(match):
        kind, name = match.group(1), match.group(2)
        target = tmp / f"{kind}-{name}"
        if not target.exists():
            builders = {"npz": NPZ, "file": FILES, "run": RUNS}[kind]
            path = target.with_suffix(".npz") if kind == "npz" else target
            target = builders[name](path) if kind != "npz" else builders[name](path)
        return str(target if kind != "npz" else tmp / f"npz-{name}.npz")

    text = re.sub(r"\{(npz|file|run):(\w+)\}", build, arguments).replace("{tmp}", str(tmp))
    return text.split()


# In-process, Hydra must not reconfigure logging: its dictConfig closes every handler made so
# far, and absl's (made when TensorFlow loaded) then closes pytest's captured stderr. The log
# lines are read from pytest's log capture instead.
def test_the_table_has_at_least_40_rows_numbered_in_order():
    numbers = [int(row[0]) for row in table_rows()]
    assert len(numbers) >= 40
    assert numbers == list(range(1, len(numbers) + 1))
    assert {row[1] for row in table_rows()} >= {"config", "data", "path", "run folder", "review"}


@pytest.mark.parametrize("number, area, arguments, status, says", table_rows())
def test_bad_input(number, area, arguments, status, says, tmp_path, capsys, caplog):
    argv = expand(arguments, tmp_path)
    if argv[0] not in ("review", "resume"):
        if not any(a.startswith("hydra.run.dir=") for a in argv):  # a row about the run folder
            argv += [f"hydra.run.dir={tmp_path}/run"]
        argv += [f"hydra.sweep.dir={tmp_path}/sweep", *NO_LOGGING]
    code = run_main(argv)
    out = capsys.readouterr()
    text = out.out + out.err + caplog.text
    assert code == int(status), text
    assert "Traceback" not in text, text
    lines = [line for line in text.splitlines() if says in line]
    assert lines, f"row {number}: {says!r} not in:\n{text}"
