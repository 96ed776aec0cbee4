"""Trainers: one protocol (`BaseTrainer.train`), the same callbacks, the same history keys.

`FitTrainer` (`trainer=fit`) and `TapeTrainer` (`trainer=tape`) are the configured trainers;
`TapeLoop` (also `llexp.Trainer`) is the GradientTape loop a notebook uses on arrays.
"""

from llexp.trainers.base import BaseTrainer
from llexp.trainers.fit import FitTrainer
from llexp.trainers.loop import TapeLoop, Trainer
from llexp.trainers.tape import TapeTrainer

__all__ = ["BaseTrainer", "FitTrainer", "TapeLoop", "TapeTrainer", "Trainer"]
