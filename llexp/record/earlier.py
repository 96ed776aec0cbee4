"""How a config recorded by an earlier llexp reads today, declared once.

A run folder records its resolved config in metrics.json; `identity` compares it with a new job's
config to decide whether the folder holds the same run (`skip_completed=true`, a Slurm restart).
Names and keys changed between versions without changing what a run does, and a sweep finished
by an earlier llexp must not be trained again for that. Read in today's terms, a recorded config:

- names a class by an earlier name (`llexp.data.DigitsDataset`, now `DigitsSource`): the same
  run when both names locate the same object (the earlier names stay as aliases), so the aliases
  themselves are the list of renames;
- lacks a key added later (`ADDED`): absent, it counts as the default that reproduces what llexp
  did before the key existed;
- gives CIFAR-100's class names as null (read from the archive then; written out in the config
  now, from `dataset.label_names`).

A key whose meaning changed stays a change (`CHANGED_MEANING`): the same value no longer trains
the same model. Measured with the previous release on digits, width 4, one epoch: every family
recorded the same losses as today's same command (to 1e-7), except LeNet with batch norm.
"""

from __future__ import annotations

import importlib
from typing import Any

# Keys added after runs were first recorded, with the value that does what llexp did without
# them. A record that lacks one ran with that value; one recorded today always has it.
ADDED: dict[str, Any] = {
    "callbacks": None,  # no Keras callbacks beyond llexp's own
    "trainer.class_weight": None,  # every class weighs the same
    "optimizer.clipvalue": None,  # Keras's default: no clipping
    "optimizer.global_clipnorm": None,
    "model.kernel_size": 3,  # VGG16's convs were 3x3 (LeNet and the autoencoder had the key)
    "model.strides": 1,  # LeNet, VGG16, autoencoder: stride-1 convs, each block max-pooled
    "model.pool": True,
    "model.head": "flatten",  # classifiers' head: flatten, dense layers, softmax
    "model.head_convs": [],
    "model.head_batch_norm": False,
    "model.output_batch_norm": False,  # autoencoder: output conv straight into last_activation
    "model.clusters": None,  # autoencoder's k-means: as many clusters as classes
    "dataset.class_names": None,  # folder: the subfolders' names
}

# Same key, same value, another behaviour: (model `_target_`, key, value, a key the record lacks
# when it was made before the change, what changed). Such a record is a run of another config.
CHANGED_MEANING = [
    (
        "llexp.models.LeNet",
        "model.batch_norm",
        True,
        "model.pool",
        "batch-norm momentum 0.99 then, 0.9 now",
    ),
]


def same_target(old: Any, new: Any) -> bool:
    """Whether two `_target_` names name the same object: equal, or an llexp name and its alias.

    Only llexp's own names are looked up (importing an llexp module starts no TensorFlow); a
    name that no longer imports is another target.
    """
    if old == new:
        return True
    if not all(isinstance(t, str) and t.startswith("llexp.") for t in (old, new)):
        return False
    found = locate(old)
    return found is not None and found is locate(new)


def locate(name: str) -> Any:
    """The object a dotted name names (`llexp.data.DigitsSource`), or None when it names none.

    Not `hydra.utils.get_object`, which logs an ERROR line for a name that is gone: a record of a
    class since removed is no error, only another target.
    """
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):  # the longest importable module, then its attributes
        try:
            found = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attribute in parts[cut:]:
            found = getattr(found, attribute, None)
        return found
    return None


def as_today(old: dict, new: dict) -> dict:
    """A recorded config (flattened, `{"model.width": 4, ...}`) read in today's terms, beside
    today's config `new` (flattened): aliases named as today, absent added keys at their old
    behaviour, values whose meaning changed marked so that they differ."""
    recorded, old = set(old), dict(old)
    for key, value in new.items():
        if key.endswith("_target_") and key in old and same_target(old[key], value):
            old[key] = value
    for key, default in ADDED.items():
        if key not in recorded and key in new:
            old[key] = default
    names = new.get(f"dataset.label_names.{old.get('dataset.label_mode')}")  # its own mode's
    earlier_cifar100 = not any(k.startswith("dataset.label_names") for k in recorded)
    if names is not None and earlier_cifar100 and old.get("dataset.class_names", 0) is None:
        old["dataset.class_names"] = names  # null: the names in the archive, which these are
    for target, key, value, marker, why in CHANGED_MEANING:
        made_before = marker not in recorded
        if made_before and old.get(key) == value and same_target(old.get("model._target_"), target):
            old[key] = f"{value} ({why})"
    return old
