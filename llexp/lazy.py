"""Modules imported on first use, so that checking a config never starts TensorFlow.

`llexp --help` and a config mistake (a depth too deep, an unknown activation, a missing file) must
answer in a fraction of the time `import tensorflow` takes. The classes a config names (model
families, data sources, trainers, schedules) check their arguments when they are made, and only
their methods need Keras, TensorFlow, matplotlib or scikit-learn. Their modules therefore say

    keras = lazy("keras")

and the import happens on the first attribute read (`keras.layers.Dense`), inside a method.
A module-level class that *subclasses* a Keras class cannot wait: those live in modules that only
methods import (`llexp.trainers.state`, `llexp.models.backbone`).
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType


class LazyModule(ModuleType):
    """Stands for module `name` until an attribute is read, then forwards to the real module."""

    def __init__(self, name: str):
        super().__init__(name)

    def __getattr__(self, attr: str):
        module = sys.modules.get(self.__name__) or importlib.import_module(self.__name__)
        return getattr(module, attr)

    def __repr__(self) -> str:
        return f"<lazy module {self.__name__!r}>"


def lazy(name: str) -> ModuleType:
    """The module `name` if it is imported already, else a stand-in that imports it on first use."""
    return sys.modules.get(name) or LazyModule(name)
