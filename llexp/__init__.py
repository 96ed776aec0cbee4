"""llexp: configuration-driven deep-learning experiments on Keras 3 and Hydra.

Command line: `python -m llexp` (or `llexp`). Python: `make_lenet_model`, `fit_model_on`,
`make_autoencoder_model`, `fit_model_cifar10`, `run`, `Trainer` (`TapeLoop`, the GradientTape
training loop).
"""

import os

# Quiet TensorFlow's C++ informational and warning messages unless the user set a level. (TF still
# prints a few lines before its logging starts, about oneDNN and CUDA, whatever the level: the
# command line drops those too, with `llexp.compat.QuietTensorFlowImport`.)
TF_LOG_LEVEL_SET_BY_USER = "TF_CPP_MIN_LOG_LEVEL" in os.environ
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"

_API = {
    "make_lenet_model": "llexp.api",
    "fit_model_on": "llexp.api",
    "make_autoencoder_model": "llexp.api",
    "fit_model_cifar10": "llexp.api",
    "compose": "llexp.api",
    "run": "llexp.runner",
    "Trainer": "llexp.trainers.loop",  # the notebook name of TapeLoop
    "TapeLoop": "llexp.trainers.loop",
    "load_model": "llexp.artifacts",
    "LlexpError": "llexp.errors",
}
__all__ = [*_API, "__version__"]


def __getattr__(name):
    # Lazy: `import llexp` stays cheap (no TensorFlow) for tools like `llexp review`.
    if name in _API:
        import importlib

        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'llexp' has no attribute {name!r}")
