"""`llexp embed RUN_DIR FOLDER`: embed new images with the encoder an autoencoder run trained,
and give each one the k-means cluster of that run (clusters.npz).

Writes, into `--out` (default `RUN_DIR/embedded/<FOLDER's name>/`), `embeddings.npz` (`paths`,
`embeddings`) and `clusters.csv` (path, cluster, distance to the cluster's centre). The images
are read at any depth under FOLDER and resized to the encoder's input size. The run's own files
are left as they are.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from llexp import artifacts, per_image
from llexp.errors import LlexpError

USAGE = "usage: llexp embed RUN_DIR FOLDER [--out DIR] (RUN_DIR: an autoencoder run's folder)"


def embed(run_dir: Path | str, folder: Path | str, out_dir: Path | str | None = None) -> Path:
    """Embeds the images under `folder` with `run_dir`'s encoder; returns the output folder.

    Args:
        run_dir: the folder of a completed autoencoder run (encoder.json, clusters.npz).
        folder: a folder of images (png, jpg, bmp, gif), read at any depth.
        out_dir: where the files go; default `run_dir/embedded/<folder's name>`.
    """
    run_dir, folder = Path(run_dir), Path(folder)
    for name in ("encoder.json", "encoder.weights.h5", "clusters.npz"):
        if not (run_dir / name).is_file():
            raise LlexpError(
                f"{run_dir} has no {name}: give the folder of a completed autoencoder run "
                "(model=autoencoder)"
            )
    from llexp.data.files import image_files

    if not folder.is_dir():
        raise LlexpError(f"{folder}: no such folder of images")
    paths = image_files(folder)
    if not paths:
        raise LlexpError(f"{folder} holds no images (png, jpg, jpeg, bmp or gif files)")
    out_dir = Path(out_dir) if out_dir else run_dir / "embedded" / folder.resolve().name
    centers = np.load(run_dir / "clusters.npz")["centers"]

    import tensorflow as tf

    from llexp.data.files import decoder

    encoder = artifacts.load_model(run_dir, "encoder")
    shape = tuple(int(s) for s in encoder.input_shape[1:])
    images = tf.data.Dataset.from_tensor_slices([str(p) for p in paths])
    images = images.map(decoder(shape)).batch(256)
    codes = encoder.predict(images, verbose=0).reshape(len(paths), -1)
    clusters, distances = per_image.assign(centers, codes)
    out_dir.mkdir(parents=True, exist_ok=True)
    names = [str(p.relative_to(folder)) for p in paths]
    artifacts.write_npz(out_dir / "embeddings.npz", paths=np.array(names), embeddings=codes)
    rows = [["path", "cluster", "distance"]]
    rows += [[n, int(c), f"{d:.6g}"] for n, c, d in zip(names, clusters, distances, strict=True)]
    artifacts.write_csv(out_dir / "clusters.csv", rows)
    return out_dir


def main(argv: list[str]) -> int:
    """`llexp embed RUN_DIR FOLDER [--out DIR]`; returns the exit status (2 for a mistake)."""
    parser = argparse.ArgumentParser(prog="llexp embed", description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dir", type=Path, help="the folder of an autoencoder run")
    parser.add_argument("folder", type=Path, help="a folder of images to embed")
    parser.add_argument("--out", type=Path, default=None, help="where the files go")
    args = parser.parse_args(argv)
    try:
        out = embed(args.run_dir, args.folder, args.out)
    except LlexpError as error:
        print(f"llexp embed: error: {error}", file=sys.stderr)
        return 2
    print(f"embedded images: {out / 'embeddings.npz'}, clusters: {out / 'clusters.csv'}")
    return 0
