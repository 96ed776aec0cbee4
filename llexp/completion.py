"""How a run ends: a diverged run fails; a completed run gets its figures and reports, and any
failure or interruption after completion is a warning on it, never a reason to train it again.

`llexp.runner` calls these around the point where the model is saved and the record says
`completed` (`record.complete`).
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

from llexp import figures, galleries, record, signals
from llexp.background import Files
from llexp.errors import LlexpError

log = logging.getLogger("llexp.runner")  # the run's log lines under one name, as before


def check_finite(history: dict, out_dir: Path, title: str) -> None:
    """Fails a run whose loss became NaN or infinite (`TerminateOnNaN` stopped it).

    Such a run must not read as completed with NaN metrics. Its history is still plotted, so the
    folder shows where training diverged.
    """
    losses = history.get("loss", [])
    bad = [i for i, v in enumerate(losses, 1) if not math.isfinite(v)]
    if bad:
        from llexp import background

        background.flush()  # an earlier job's figures are drawn on that thread: one at a time
        figures.plot_history(history, out_dir / "history.png", title)
        raise LlexpError(
            f"training diverged: the loss became {losses[bad[0] - 1]} at epoch {bad[0]}; "
            "lower optimizer.learning_rate or set optimizer.clipnorm"
        )


def write_reports(
    out_dir: Path,
    model,
    data,
    family,
    history: dict,
    title: str,
    metrics: dict,
    files: Files,
    tracker,
) -> dict:
    """The completed run's figures (history.png, augmented.png) and its family's reports, then
    the tracker's upload. The model passes happen here; the drawing and writing go to `files`.

    Args:
        out_dir: the run folder.
        model: the trained model.
        data: the run's data (`llexp.data.Splits`).
        family: the model family (`llexp.models`), whose `report` writes its own files.
        history: the training history.
        title: the figures' title.
        metrics: the completed record's metrics; the family's are added to it, in place.
        files: where the figures and tables go (at once, or on a background thread).
        tracker: the experiment tracker (`llexp.loggers`), given the final metrics.

    Returns:
        `metrics`, with the family's report added unless writing it failed (then a warning).
    """
    step = "writing the figures and reports"
    try:
        files.add(figures.plot_history, history, out_dir / "history.png", title)
        if data.augment:  # after training, so drawing it leaves the training batches unchanged
            sample = data.sample("train", 8)[0]
            draws = galleries.augment_draws(sample, data.augment)
            names = [type(layer).__name__ for layer in data.augment]
            files.add(galleries.augmented, sample, draws, names, out_dir / "augmented.png", title)
        extra = family.report(model, data, out_dir, title, files)
        log.info("metrics: %s", ", ".join(f"{k}={v:.4f}" for k, v in extra.items() if is_number(v)))
        record.add(out_dir, **extra)
        metrics |= extra
        files.finish(lambda error: after_completion(out_dir, step, error))
        tracker.finish(metrics, out_dir)
    except BaseException as error:
        after_completion(out_dir, step, error)
    return metrics


def after_completion(out_dir: Path, step: str, error: BaseException) -> None:
    """A step after the model was saved failed or was interrupted: a warning on the completed
    run (its status and metrics stay). A signal still stops the process; an error does not."""
    stopped = isinstance(error, KeyboardInterrupt)
    what = f"{signals.name(error)} while {step}" if stopped else f"{step} failed: {error!r}"
    record.warn(out_dir, what)
    log.warning("the run completed, but %s", what)
    if stopped:
        raise error


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
