"""`python -m llexp` / `llexp`: a thin Hydra entry point around `llexp.run.run`."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

import llexp  # noqa: F401  (sets the TensorFlow log level before TensorFlow loads)
from llexp.artifacts import write_json
from llexp.errors import LlexpError

log = logging.getLogger("llexp")


@hydra.main(version_base="1.3", config_path="pkg://llexp.conf", config_name="config")
def app(cfg: DictConfig) -> float | None:
    from llexp.run import run

    out_dir = Path(HydraConfig.get().runtime.output_dir)
    try:
        result = run(cfg, out_dir)
    except LlexpError as error:  # the user's mistake: one line says what and how to fix it
        write_json(out_dir / "metrics.json", {"status": "failed", "error": str(error)})
        log.error("%s", error)
        raise SystemExit(2) from None
    except Exception as error:  # a bug or an environment problem: keep the traceback
        message = f"{type(error).__name__}: {error}"
        write_json(out_dir / "metrics.json", {"status": "failed", "error": message})
        raise
    return result.metrics.get("val_accuracy")


def main() -> None:
    """Console script `llexp`."""
    app()


if __name__ == "__main__":
    sys.exit(main())
