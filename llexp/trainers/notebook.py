"""What the notebook loop (`TapeLoop`, `llexp.Trainer`) gives without being asked: accuracy for
a classifier's loss, and predictions that work where notebook code expects a tensor."""

from __future__ import annotations

import numpy as np

from llexp.lazy import lazy

keras = lazy("keras")


def default_metrics(loss) -> list:
    """Accuracy for a classification loss (named `accuracy`, as `trainer=fit` names it), else
    none: what a notebook expects to see in the history without asking."""
    name = getattr(loss, "__name__", type(loss).__name__).replace("_", "").lower()
    if name == "sparsecategoricalcrossentropy":
        return [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]
    if name == "categoricalcrossentropy":
        return [keras.metrics.CategoricalAccuracy(name="accuracy")]
    return []


class Predictions(np.ndarray):
    """A NumPy array of predictions that also has the `.numpy()` of a tensor (notebook code
    written for `model(x)` calls it)."""

    def numpy(self) -> np.ndarray:
        return np.asarray(self)
