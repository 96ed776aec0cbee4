"""The plain Keras script llexp's trainers are measured against: what a user would write by hand.

    python benchmarks/plain_keras.py --epochs 10 --batch-size 32

The same LeNet as `model=lenet` (two conv blocks of 32 and 64 filters, a 512-unit dense layer,
softmax), the same 1,293 digits training images (80% train / 20% test, 10% of train held out),
Keras `Model.fit` on NumPy arrays with Keras's own shuffling. No llexp import.
"""

from __future__ import annotations

import argparse
import time

import keras
import numpy as np
from keras import layers


def digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 8x8 digits scaled to [0, 1], the training part (as many as llexp's split)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).reshape(-1, 8, 8, 1).astype("float32")
    x_train, _, y_train, _ = train_test_split(x, y, test_size=0.2, stratify=y, random_state=42)
    x_train, _, y_train, _ = train_test_split(
        x_train, y_train, test_size=0.1, stratify=y_train, random_state=42
    )
    return x_train, y_train.astype("int32")


def lenet(input_shape, num_classes: int = 10, width: int = 32, depth: int = 2, dense: int = 512):
    """LeNet-like: `depth` blocks of conv -> relu -> max-pool, dense, softmax."""
    inputs = keras.Input(input_shape)
    x = inputs
    for i in range(depth):
        x = layers.Conv2D(width * 2**i, 3, padding="same", activation="relu")(x)
        x = layers.MaxPooling2D(2)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(dense, activation="relu")(x)
    outputs = layers.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs)


def timed_fit(x, y, batch_size: int, epochs: int, seed: int = 42) -> tuple[float, float]:
    """Seconds of one warm-up epoch (compile and tracing included) and of `epochs` timed ones."""
    keras.utils.set_random_seed(seed)
    started = time.perf_counter()
    model = lenet(x.shape[1:])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)
    warmed = time.perf_counter()
    model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0)
    return warmed - started, time.perf_counter() - warmed


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()
    x, y = digits()
    first, elapsed = timed_fit(x, y, args.batch_size, args.epochs)
    print(
        f"{len(x)} images, first epoch {first:.2f} s, {len(x) * args.epochs / elapsed:,.0f} img/s"
    )
