"""Trainers: one signature, the same callbacks, the same history keys."""

from llexp.trainers.base import BaseTrainer
from llexp.trainers.fit import FitTrainer
from llexp.trainers.tape import TapeTrainer, Trainer

__all__ = ["BaseTrainer", "FitTrainer", "TapeTrainer", "Trainer"]
