"""Loaded at start-up by the child processes of signal tests (their PYTHONPATH holds this folder):
installs the pause that `tests/pauses.py` describes, from the environment."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import pauses  # noqa: E402

pauses.install_from_env()
