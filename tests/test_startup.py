"""Answers in a blink: `llexp --help` and every config check finish before TensorFlow starts.

Importing TensorFlow takes seconds; a mistake in the config must cost a fraction of that
(issue 11). These tests look at what a check imports, in a fresh Python process each.
"""

import json
import re
import subprocess
import sys

import keras
import pytest

from llexp.checks import OPTIMIZERS
from llexp.errors import LlexpError
from llexp.models.base import (
    ACTIVATIONS,
    APPLICATIONS,
    KNOWN_FROM,
    LOSSES,
    keras_loss,
    keras_version,
)

from helpers import TINY

# What `check_config` and `--help` must not import: each takes from 0.3 s to several seconds.
HEAVY = ("tensorflow", "keras", "matplotlib", "sklearn")

# With a Keras older than the one llexp's name lists were written from, a name is asked of Keras
# itself (it may lack it), which imports it: only a current or newer Keras checks without.
CURRENT_KERAS = keras_version() >= KNOWN_FROM

CHECK = """
import json, sys
from llexp.api import compose
from llexp.checks import check_config
from llexp.errors import LlexpError
results = []
for overrides in json.loads(sys.argv[1]):
    try:
        check_config(compose(*overrides))
        results.append("ok")
    except LlexpError as error:
        results.append(str(error))
results.append(sorted(m for m in {heavy} if m in sys.modules))
print(json.dumps(results))
""".replace("{heavy}", repr(HEAVY))


def check_in_fresh_process(configs: list[list[str]]) -> tuple[list[str], list[str]]:
    """Runs `check_config` on each config in a new Python; returns each one's outcome ("ok" or
    the error's line) and the heavy modules imported by the end."""
    done = subprocess.run(
        [sys.executable, "-c", CHECK, json.dumps(configs)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    *outcomes, imported = json.loads(done.stdout.strip().splitlines()[-1])
    return outcomes, imported


def test_checking_good_configs_imports_no_tensorflow():
    configs = [
        ["dataset=digits"],
        ["dataset=digits", "model=mlp", "trainer=tape", "schedule=cosine"],
        ["dataset=digits", "model=autoencoder", "optimizer=sgd", "schedule=step"],
        ["model=vgg16", "dataset=cifar10"],
        ["model=pretrained", "dataset=cifar10", "model.weights=null"],
        ["experiment=mnist_cnn"],
        ["dataset=digits", "debug=tiny", "trainer.early_stopping=true"],
    ]
    outcomes, imported = check_in_fresh_process(configs)
    assert outcomes == ["ok"] * len(configs)
    assert imported == [] or not CURRENT_KERAS


MISTAKES = [
    (["dataset=digits", "model.depth=9"], "model.depth=9 is too deep for 8x8 images"),
    (["dataset=digits", "model.activation=relux"], "did you mean relu?"),
    (["dataset=digits", "model=autoencoder", "model.loss=msee"], "did you mean mse?"),
    (["model=pretrained", "model.backbone=ResNet5O"], "did you mean ResNet50?"),
    (["dataset=npz", "dataset.path=/nonexistent/x.npz"], "dataset.path=/nonexistent/x.npz"),
    (["dataset=digits", "optimizer.learning_rate=-1"], "optimizer.learning_rate=-1"),
    (["dataset=digits", "objective=val_acc"], "objective=val_acc is not a metric"),
    (["dataset=digits", "trainer.monitor=val_acc"], "trainer.monitor=val_acc"),
    (["dataset=digits", "+model.foo=1"], "model.foo: no such key"),
    (["dataset.name=mnits"], "dataset.name='mnits' must be one of mnist, fashion_mnist"),
    (["dataset=digits", "trainer.epochs=0"], "trainer.epochs=0"),
    (["dataset=digits", "schedule=cosine", "schedule.decay_epochs=0"], "decay_epochs"),
    (["dataset=digits", "optimizer._target_=keras.optimizers.Adamm"], "did you mean Adam?"),
    (["dataset=digits", "model._target_=llexp.models.LeNett"], "did you mean llexp.models.LeNet?"),
]


def test_config_mistakes_are_caught_without_tensorflow():
    outcomes, imported = check_in_fresh_process([overrides for overrides, _ in MISTAKES])
    for (overrides, expected), outcome in zip(MISTAKES, outcomes, strict=True):
        assert expected in outcome, (overrides, outcome)
    assert imported == [] or not CURRENT_KERAS


def test_the_names_llexp_knows_are_those_of_the_installed_keras():
    # llexp's lists are Keras KNOWN_FROM's names. The same Keras: the same names, so a name
    # llexp lacks or has too many fails here, not for a user. A newer Keras may add names (its
    # names are a superset: `known_name` asks Keras about the others); an older one may lack
    # some (scripts/oldest-versions: it must know no name llexp lacks).
    installed = keras_version()
    activations = {n for n in dir(keras.activations) if not n.startswith("_")}
    activations -= {"get", "serialize", "deserialize"}
    functions = {n for n in dir(keras.applications) if n[:1].isupper()}
    applications = {n for n in functions if callable(getattr(keras.applications, n))}
    optimizers = {
        n
        for n in dir(keras.optimizers)
        if isinstance(getattr(keras.optimizers, n), type)
        and issubclass(getattr(keras.optimizers, n), keras.optimizers.Optimizer)
    }
    # Not optimizers of their own: the base class and wrappers of another optimizer.
    optimizers -= {"Optimizer", "LossScaleOptimizer", "MultiOptimizer"}
    losses = {n for n in LOSSES if hasattr(keras.losses, n)}
    known = ((ACTIVATIONS, activations), (APPLICATIONS, applications), (OPTIMIZERS, optimizers))
    for ours, theirs in known:
        if installed == KNOWN_FROM:
            assert ours == theirs
        elif installed > KNOWN_FROM:
            assert ours <= theirs, sorted(ours - theirs)  # Keras dropped a name llexp accepts
        else:
            assert theirs <= ours, sorted(theirs - ours)  # an old Keras name llexp lacks
    for name in LOSSES if installed >= KNOWN_FROM else losses:
        assert isinstance(keras_loss("model.loss", name), keras.losses.Loss), name
    if installed <= KNOWN_FROM:  # a newer Keras's new losses are asked of Keras
        for name in set(dir(keras.losses)) - LOSSES - {"Loss"}:
            with pytest.raises(LlexpError):  # a public name llexp's list lacks must be unusable
                keras_loss("model.loss", name)


def test_a_newer_keras_name_is_asked_of_keras_and_an_unknown_one_refused(monkeypatch):
    # As with a Keras newer than llexp's lists: names outside them go to Keras itself.
    from llexp.models import base

    newer = (KNOWN_FROM[0], KNOWN_FROM[1] + 1)
    monkeypatch.setattr(base, "keras_version", lambda: newer)
    monkeypatch.setattr(base, "ACTIVATIONS", ACTIVATIONS - {"relu"})
    base.check_activation("model.activation", "relu")  # not in the list: Keras knows it
    with pytest.raises(LlexpError, match="model.activation=rulu is not a Keras activation"):
        base.check_activation("model.activation", "rulu")


def imported_modules(args: list[str], expect: int) -> tuple[str, set[str]]:
    """Runs the real command with `-X importtime`; returns its stdout and the top-level
    packages it imported."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "llexp", *args],
        capture_output=True,
        text=True,
    )
    assert done.returncode == expect, done.stderr[-2000:]
    found = re.findall(r"^import time:.*\|\s+([\w.]+)$", done.stderr, flags=re.MULTILINE)
    return done.stdout, {name.split(".")[0] for name in found}


@pytest.mark.slow
def test_a_config_mistake_on_the_command_line_ends_before_tensorflow(tmp_path):
    _, imported = imported_modules(
        ["dataset=digits", "model.depth=9", f"hydra.run.dir={tmp_path}"], expect=2
    )
    assert "hydra" in imported  # the list is real
    assert imported.isdisjoint(HEAVY), imported & set(HEAVY)


@pytest.mark.slow
def test_help_is_hydras_text_without_tensorflow():
    fast, imported = imported_modules(["model=vgg16", "--help"], expect=0)
    assert imported.isdisjoint(HEAVY), imported & set(HEAVY)
    # Hydra's own --help (the Hydra app called directly, past llexp's fast path) prints the same.
    hydra = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; sys.argv = ['llexp', 'model=vgg16', '--help']\n"
            "from llexp.__main__ import app; app()",
        ],
        capture_output=True,
        text=True,
    )
    assert hydra.returncode == 0, hydra.stderr[-2000:]
    assert fast == hydra.stdout
    assert "model: autoencoder, encoder_classifier, lenet" in fast
    assert "_target_: llexp.models.VGG16" in fast
    wrong = subprocess.run(
        [sys.executable, "-m", "llexp", "model=vgg", "--help"], capture_output=True, text=True
    )
    assert wrong.returncode == 2
    assert wrong.stderr.strip().splitlines() == [
        "Error: model=vgg: no such option; choose one of autoencoder, encoder_classifier, "
        "lenet, mlp, pretrained, stacked_autoencoder, vgg16; did you mean vgg16?"
    ]


def test_only_sources_that_read_a_keras_model_need_tensorflow_to_be_checked():
    from llexp.api import compose
    from llexp.resources import checks_start_tensorflow

    assert checks_start_tensorflow(compose("dataset=codes", "dataset.encoder_from=/x"))
    assert not checks_start_tensorflow(compose("dataset=digits"))


@pytest.mark.slow
def test_augmentation_is_checked_without_starting_tensorflow_before_its_settings(tmp_path):
    # Making the layers in the check would start TensorFlow's runtime before `resources` are
    # applied ("Intra op parallelism cannot be modified after initialization").
    done = subprocess.run(
        [
            sys.executable, "-m", "llexp", *TINY, "resources.threads=1",
            "dataset.augment=[{_target_:keras.layers.RandomFlip,mode:horizontal}]",
            f"hydra.run.dir={tmp_path}",
        ],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    log = (tmp_path / "llexp.log").read_text()
    assert "TensorFlow uses 1 intra-op and 1 inter-op threads" in log
    assert (tmp_path / "augmented.png").is_file()
