"""One run, top to bottom: config -> data description -> model -> pipelines -> train -> save.

`run(cfg, out_dir)` is what `python -m llexp` calls inside Hydra's run folder, and what tests and
the Python API call with a config from `hydra.compose`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import keras
from omegaconf import DictConfig, OmegaConf

from llexp import artifacts, compat, completion, evaluation, loggers, per_image, record
from llexp import callbacks as configured  # the config's `callbacks` and class weights
from llexp.background import Files
from llexp.checks import Parts, check_config
from llexp.data.preprocess import normalization
from llexp.distribute import distribution, replicas
from llexp.errors import instantiate
from llexp.precision import dtype_policy
from llexp.record import identity
from llexp.record.clock import TrainClock
from llexp.trainers.state import RESUME_FILE, ResumeState

log = logging.getLogger(__name__)


@dataclass
class RunResult:
    metrics: dict
    history: dict
    model: keras.Model


def run(
    cfg: DictConfig,
    out_dir: Path | str,
    resume: bool = False,
    checked: Parts | None = None,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    background: bool = False,
) -> RunResult:
    """Trains the configured model and writes every artifact of the run into `out_dir`.

    Args:
        cfg: a composed llexp config (`conf/config.yaml` plus overrides).
        out_dir: the run folder (Hydra's run dir on the command line).
        resume: continue from the state of the last epoch finished in `out_dir` (`resume.npz`)
            instead of starting over.
        checked: what `llexp.checks.check_config(cfg)` returned, when the caller checked the
            config already (the command line does, before TensorFlow starts).
        callbacks: more Keras callbacks for the trainer (a search's `PruneTrial`); one with a
            true `pruned` attribute after training makes the run end as `pruned`.
        background: return once the run is evaluated, saved and completed, leaving its figures
            and tables to `llexp.background`'s thread (a sweep's next job trains meanwhile);
            `llexp.background.flush()` waits for them. Ignored with an experiment tracker
            (`logger=`), which uploads the files.

    Returns:
        A `RunResult`: the metrics written to metrics.json, the history and the trained model.
    """
    # A sweep runs its jobs one after another in one process: start each from a clean slate.
    # (Before the dtype policy is set: clearing the session also resets the global policy.)
    keras.backend.clear_session()
    parts = checked or check_config(cfg)  # before anything is built: a mistake ends in one line
    out_dir = Path(out_dir)
    if not resume:  # a run already in the folder is kept aside, never overwritten
        identity.prepare(cfg, out_dir, skip_completed=False)
    # The model is built and trained under the configured precision; the global Keras policy is
    # restored afterwards, so the next run in this process starts from float32 again.
    # The experiment tracker (logger=...) closes its run at the end, as failed if the run raises.
    # Under trainer.strategy=mirrored the model, optimizer and metrics are made on every device.
    result = None
    try:
        # Deterministic ops (deterministic=true) are a process-wide switch in TensorFlow: off
        # again when the run ends, so the next job of a sweep gets the ops it asked for.
        with (
            compat.op_determinism(bool(cfg.get("deterministic"))),
            dtype_policy(cfg.precision),
            distribution(cfg.trainer.get("strategy"), cfg.trainer.get("jit_compile", "auto")),
            loggers.tracking(cfg, out_dir) as tracker,
        ):
            files = Files(out_dir, background and cfg.get("logger") is None)
            result = train_and_save(cfg, out_dir, parts, tracker, resume, callbacks, files)
    except BaseException as error:
        if result is None:  # before completion: the caller marks the run failed or interrupted
            raise
        completion.after_completion(out_dir, "closing the experiment tracker", error)
    return result


def train_and_save(
    cfg: DictConfig,
    out_dir: Path,
    parts: Parts,
    tracker=None,
    resume: bool = False,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    files: Files | None = None,
) -> RunResult:
    """The body of `run`, under the run's dtype policy, reporting to `tracker`; the figures
    and tables go to `files` (by default written at once)."""
    tracker = tracker or loggers.Logger()
    files = files or Files(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(cfg.seed)

    # Cheap steps first, so mistakes in the config end the run before any data is loaded.
    source, family, trainer, schedule = parts.source, parts.family, parts.trainer, parts.schedule
    objective = parts.objective
    model = family.build(source.input_shape)
    instantiate(cfg.optimizer)  # Keras checks its keys before any data loads; built below
    steering = configured.make(cfg, out_dir)  # the config's callbacks: made before data loads
    augment = source.augment  # the layers are made now: seeded, at the run's precision
    log.debug("augmentation: %s", [type(layer).__name__ for layer in augment])
    title = f"{family.describe()} on {source.name}"
    params = int(sum(keras.ops.size(w) for w in model.trainable_weights))
    log.info(
        "model %s: %s parameters, %s trainable", title, f"{model.count_params():,}", f"{params:,}"
    )

    # From here on metrics.json says `running` with the epochs finished, until the run ends.
    clock, resumed = start_record(cfg, out_dir, trainer.epochs, resume)

    log.info("loading dataset %s", source.name)
    data = source.splits()
    log.info(
        "%d train / %d validation / %d test images of shape %s",
        len(data.train),
        len(data.val),
        len(data.test),
        data.input_shape,
    )
    # Normalisation is a layer inside the model (the saved model applies it to raw images); its
    # statistics come from the training split, known only now. Re-seeded, so the network starts
    # from the same weights whatever the normalisation.
    preprocessing = normalization(data, source.normalize)
    if preprocessing:
        keras.utils.set_random_seed(cfg.seed)
        model = family.build(data.input_shape, preprocessing)

    weights = configured.class_weights(trainer.class_weight, data.train.labels, data.class_names)
    if weights:
        log.info("class weights: %s", ", ".join(f"{k}={w:.3g}" for k, w in weights.items()))

    # Schedules count in epochs; steps per epoch are known now. The schedule lives inside the
    # optimizer, so every trainer follows it step by step in the same way.
    batch_size = trainer.batch_size
    steps_per_epoch = data.steps_per_epoch(batch_size)
    learning_rate = schedule(cfg.optimizer.learning_rate, steps_per_epoch)
    optimizer = instantiate(cfg.optimizer, learning_rate=learning_rate)

    # The shuffling of epoch e is seeded with (seed, e); augmentation touches training batches only.
    targets = family.targets
    # A resumed run starts at the epoch after its last finished one, in the same order.
    first = resumed.epoch if resumed else 0
    train = data.train_batches(batch_size, cfg.seed, trainer.epochs, targets, first)
    val = data.batches("val", batch_size, targets) if len(data.val) else None
    with clock:  # the time of this process, added to the record's (interrupted or not)
        history = trainer.train(
            model,
            family.loss(),
            family.metrics(),
            optimizer,
            train,
            val,
            out_dir,
            steps_per_epoch,
            callbacks=[*steering, *tracker.start(cfg, out_dir), *callbacks],
            resume=resumed,
            on_epoch_saved=clock.epoch_saved,  # the record's epochs and time, after each save
            class_weight=weights,
        )
    completion.check_finite(history, out_dir, title)
    per_image.write_summary(out_dir / "summary.txt", model, trainer.verbose)

    # One prediction pass over the test set: the test metrics come from it, and the family's
    # figures and per-class metrics reuse it (`data.predict` returns the same outputs again).
    outputs = data.predict(model, "test", batch_size)
    test_batches = data.batches("test", batch_size, targets)
    test = evaluation.scores(family.loss(), family.metrics(), test_batches, outputs)
    log.info("test: %s", ", ".join(f"{k}={v:.4f}" for k, v in test.items()))

    # Completed once the model is saved: what fails or is interrupted later (figures, the
    # tracker) is a warning on the completed run, never a reason to train it again.
    artifacts.save_model(model, out_dir)
    # A pruned run ends like a completed one (test scores, model, figures), and says it was pruned.
    pruned = any(getattr(callback, "pruned", False) for callback in callbacks)
    metrics = record.complete(
        out_dir,
        {
            **{f"test_{k}": v for k, v in test.items()},
            **{k: float(v[-1]) for k, v in history.items() if k.startswith("val_")},
            "epochs": len(history["loss"]),
            "params": params,  # trainable
            "replicas": replicas(),  # devices that trained in step (trainer.strategy)
            "train_seconds": round(clock.total, 3),  # summed over every process of the run
            "versions": artifacts.versions(),
            "objective": objective,  # the metric this run returns to a sweeper
            "config": OmegaConf.to_container(cfg, resolve=True),  # the run's identity
        },
        status=record.PRUNED if pruned else record.COMPLETED,
    )
    (out_dir / RESUME_FILE).unlink(missing_ok=True)  # completed: nothing left to resume
    # The model passes happen here; the drawing and writing go to `files`: at once, or in a
    # sweep on a background thread while the next job trains (a failure there is a warning).
    metrics = completion.write_reports(
        out_dir, model, data, family, history, title, metrics, files, tracker
    )
    log.info("run folder: %s", out_dir)
    return RunResult(metrics, history, model)


def start_record(
    cfg: DictConfig, out_dir: Path, epochs: int, resume: bool
) -> tuple[TrainClock, ResumeState | None]:
    """Writes the `running` record; returns the clock of this process's training time and the
    state to resume from (None for a fresh run, or when no epoch had finished), saying where the
    run resumes from."""
    config = OmegaConf.to_container(cfg, resolve=True)
    started = record.start(out_dir, config, record.command(), resume)
    resumed = ResumeState.load(out_dir) if resume else None
    if not resume:  # a fresh run in a used folder must not pick up an older run's state
        (out_dir / RESUME_FILE).unlink(missing_ok=True)
    done = resumed.epoch if resumed else 0
    if resumed is not None and resumed.training_done(epochs):
        log.info("resuming after epoch %d of %d: training had ended, writing results", done, epochs)
    elif resume:
        log.info("resuming from epoch %d of %d", done + 1, epochs)
    record.progress(out_dir, epoch=done)
    return TrainClock(out_dir, started["train_seconds"]), resumed
