"""What an autoencoder writes after training: its reconstructions, its encoder, per-image
errors, embeddings and k-means clusters, and the numbers to beat (`Autoencoder.report`)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from llexp import artifacts, evaluation, per_image
from llexp.background import Files
from llexp.lazy import lazy

keras = lazy("keras")
figures = lazy("llexp.figures")
galleries = lazy("llexp.galleries")


def report(
    model: keras.Model,
    encoder: keras.Model,
    data,
    out_dir: Path,
    title: str,
    size: int,
    clusters: int | None,
    files: Files,
) -> dict:
    """Writes the figures and files of a trained autoencoder into `out_dir` (through `files`,
    in the background) and returns its metrics: `baseline_mse`, `embedding_shape` and the
    k-means scores.

    Args:
        model: the trained autoencoder (its encoder ends in a layer named "embedding").
        encoder: its encoder as a model of its own, saved as encoder.json/encoder.weights.h5.
        data: the run's data (`llexp.data.Splits`).
        out_dir: the run folder.
        title: the figures' title.
        size: the figures show `size**2` images (`model.visualization_size`).
        clusters: k of the k-means; `None`: one per class (10 for images without labels).
        files: the background writer the figures go through.
    """
    shown, _ = data.sample("test", size**2)
    outputs = np.asarray(model(shown, training=False))  # a few images: no predict loop
    files.add(figures.reconstructions, shown, outputs, size,
              out_dir / "reconstructions.png", title)  # fmt: skip
    artifacts.save_model(encoder, out_dir, "encoder")
    errors, codes = per_image_pass(model, data)
    labels = {split: getattr(data, split).labels for split in per_image.SPLITS}
    embeddings, labels_test = codes["test"], labels["test"]
    names = data.class_names
    files.add(artifacts.write_npz, out_dir / "embeddings.npz", embeddings=embeddings,
              labels=labels_test, class_names=np.array(names))  # fmt: skip
    files.add(per_image.write_reconstruction_errors, out_dir / "reconstruction_errors.csv",
              errors, labels, names)  # fmt: skip
    # k: model.clusters, else one cluster per class (10 for images without labels).
    k = clusters or (data.num_classes if data.num_classes > 1 else 10)
    files.add(per_image.write_clusters, out_dir, codes, labels, names, k)
    # The test images reconstructed worst, and the nearest training images of a few.
    worst = np.argsort(-errors["test"], kind="stable")[: size**2]
    worst_x = data.test.images_at(worst)
    worst_out = np.asarray(model(worst_x, training=False))
    files.add(figures.reconstructions, worst_x, worst_out, size,
              out_dir / "worst_reconstructions.png", title,
              f"the {len(worst)} test images reconstructed worst (largest MSE first), "
              "each above its reconstruction")  # fmt: skip
    queries = min(6, len(embeddings))
    found, distances = per_image.nearest(embeddings[:queries], codes["train"], 6)
    near = data.train.images_at(found.reshape(-1)).reshape(*found.shape, *data.input_shape)
    files.add(galleries.neighbours, data.test.images_at(np.arange(queries)), near, distances,
              out_dir / "neighbours.png", title)  # fmt: skip
    # k-means on the raw test pixels is the baseline, when the test set fits in memory.
    fits = len(labels_test) * math.prod(data.input_shape) <= evaluation.MAX_PIXEL_VALUES
    pixels = data.sample("test", len(labels_test))[0] if fits else None
    scores, note = {}, "no classes to cluster"  # a folder of images without labels
    if data.num_classes > 1:
        scores = evaluation.clustering(embeddings, labels_test, pixels, k=data.num_classes, seed=0)
        note = f"k-means NMI {scores['test_kmeans_nmi']:.3f}"
        if "kmeans_pixels_nmi" in scores:
            note += f" (on raw pixels {scores['kmeans_pixels_nmi']:.3f})"
    files.add(galleries.embedding_projection, projection(embeddings), labels_test, names,
              out_dir / "embeddings.png", title, note)  # fmt: skip
    return {
        "baseline_mse": baseline_mse(data),
        "embedding_shape": list(encoder.output_shape[1:]),
        **scores,
    }


def per_image_pass(model: keras.Model, data) -> tuple[dict, dict]:
    """One pass over every split: each image's reconstruction MSE and its flattened embedding,
    by split (a model with both outputs, so each image goes through the network once)."""
    code = model.get_layer("embedding").output
    error = keras.ops.mean(keras.ops.square(model.output - model.input), axis=(1, 2, 3))
    probe = keras.Model(model.input, [error, keras.layers.Flatten(name="per_image_code")(code)])
    errors, codes = {}, {}
    for split in per_image.SPLITS:
        part = getattr(data, split)
        if len(part) == 0:
            errors[split], codes[split] = np.zeros(0), np.zeros((0, math.prod(code.shape[1:])))
            continue
        images = data.batches(split, 256).map(lambda x, y: x)
        errors[split], codes[split] = probe.predict(images, verbose=0)
    return errors, codes


def projection(embeddings: np.ndarray) -> np.ndarray:
    """The embeddings' first two principal components (a 1-D code gets a zero second axis)."""
    from sklearn.decomposition import PCA

    components = min(2, *embeddings.shape)
    points = PCA(n_components=components).fit_transform(embeddings)
    return np.pad(points, ((0, 0), (0, 2 - components)))


def baseline_mse(data) -> float:
    """The test MSE of predicting the mean training image for every test image: the number to
    beat. Both passes stream, batch by batch."""
    total, count = 0.0, 0
    for x, _ in data.batches("train", 256).as_numpy_iterator():
        total, count = total + x.astype("float64").sum(axis=0), count + len(x)
    mean, error, pixels = total / count, 0.0, 0
    for x, _ in data.batches("test", 256).as_numpy_iterator():
        error, pixels = error + float(((x - mean) ** 2).sum()), pixels + x.size
    return error / pixels
