"""Trainers: one signature, the same callbacks, the same history keys."""

from llexp.trainers.base import BaseTrainer
from llexp.trainers.fit import FitTrainer

__all__ = ["BaseTrainer", "FitTrainer"]
