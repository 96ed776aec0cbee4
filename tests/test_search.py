"""llexp's Optuna sweeper: the search space, its mistakes, the presets' samplers and pruners, and
a job that finds its trial through the study's storage and is pruned (both trainers)."""

import csv
import json

import optuna
import pytest
from hydra import compose, initialize_config_module
from omegaconf import OmegaConf
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

from hydra_plugins.llexp_optuna_sweeper.config import SWEEPER
from llexp.errors import LlexpError
from llexp.search import space, study
from llexp.search.pruning import PruneTrial

SEARCHES = ["lenet_optuna", "autoencoder_optuna"]


def test_search_space_reads_hydras_sweep_syntax_and_the_command_line_wins():
    distributions, fixed = space.search_space(
        [
            "model.depth=choice(1, 2, 3)",
            "optimizer.learning_rate=tag(log, interval(0.0001, 0.1))",
            "model.width=range(4, 20, 4)",
            "model.dropout=interval(0.0, 0.5)",
            "model.width=4",  # the command line fixes what the preset searched
            "trainer.epochs=range(1, 4)",
            "dataset=digits",
        ]
    )
    assert distributions["model.depth"] == CategoricalDistribution([1, 2, 3])
    assert distributions["optimizer.learning_rate"] == FloatDistribution(0.0001, 0.1, log=True)
    assert distributions["model.dropout"] == FloatDistribution(0.0, 0.5)
    assert distributions["trainer.epochs"] == IntDistribution(1, 3)  # Hydra's range: stop excluded
    assert "model.width" not in distributions
    assert fixed == {"model.width": "4", "dataset": "digits"}


@pytest.mark.parametrize(
    ("override", "words"),
    [
        ("optimizer.learning_rate=interval(0.1, 0.001)", "reversed"),
        ("optimizer.learning_rate=tag(log, interval(0.1, 0.001))", "reversed"),
        ("optimizer.learning_rate=tag(log, interval(0, 0.1))", "must be above 0"),
        ("optimizer.learning_rate=tag(log, interval(-1, 0.1))", "must be above 0"),
        ("model.depth=range(5, 1)", "holds no value"),
    ],
)
def test_search_space_mistakes_end_in_one_line_naming_the_key(override, words):
    with pytest.raises(LlexpError) as error:
        space.search_space([override])
    message = str(error.value)
    assert words in message and override.split("=")[0] in message and "\n" not in message


def test_samplers_and_pruners_by_name_and_unknown_names():
    assert isinstance(study.make_pruner("none"), optuna.pruners.NopPruner)
    assert isinstance(study.make_pruner("hyperband"), optuna.pruners.HyperbandPruner)
    assert isinstance(study.make_sampler("random"), optuna.samplers.RandomSampler)
    with pytest.raises(LlexpError, match="hydra.sweeper.pruner=medain: no such pruner; choose"):
        study.make_pruner("medain")
    with pytest.raises(LlexpError, match="hydra.sweeper.sampler=tpee: no such sampler"):
        study.make_sampler("tpee")


def search_config(name, *overrides):
    with initialize_config_module("llexp.conf", version_base="1.3"):
        return compose("config", [f"hparams_search={name}", *overrides], return_hydra_config=True)


@pytest.mark.parametrize("name", SEARCHES)
def test_every_search_preset_composes_and_prunes_by_default(name):
    sweeper = search_config(name).hydra.sweeper
    assert sweeper._target_ == SWEEPER  # llexp's own sweeper, not hydra-optuna-sweeper
    assert isinstance(study.make_sampler(sweeper.sampler), optuna.samplers.TPESampler)
    pruner = study.make_pruner(sweeper.pruner)
    assert isinstance(pruner, optuna.pruners.MedianPruner)
    assert sweeper.pruner.n_warmup_steps == 2 and sweeper.pruner.n_startup_trials == 4
    for key in ("direction", "study_name", "storage", "n_trials", "n_jobs", "params"):
        assert sweeper[key] is not None, key
    space.search_space([f"{k}={v}" for k, v in sweeper.params.items()])  # a valid space
    off = search_config(name, "hydra.sweeper.pruner=none").hydra.sweeper
    assert isinstance(study.make_pruner(off.pruner), optuna.pruners.NopPruner)
    other = search_config(name, "hydra/sweeper/pruner=successive_halving").hydra.sweeper
    assert isinstance(study.make_pruner(other.pruner), optuna.pruners.SuccessiveHalvingPruner)


@pytest.mark.parametrize(
    "storage", ["sqlite:///{tmp}/db/x/optuna.db", "{tmp}/shared/lenet.journal", None]
)
def test_storage_folders_are_created_and_a_study_is_found_again(tmp_path, storage):
    storage = storage.format(tmp=tmp_path) if storage else None
    made = optuna.create_study(study_name="s", storage=study.open_storage(storage, tmp_path / "sw"))
    made.enqueue_trial({"x": 1})
    again = optuna.load_study(study_name="s", storage=study.open_storage(storage, tmp_path / "sw"))
    assert len(again.trials) == 1
    if storage is None:  # no storage given: a journal file in the sweep folder
        assert (tmp_path / "sw" / study.JOURNAL).is_file()


def test_a_study_stored_by_an_older_optuna_names_the_upgrade_command(tmp_path):
    import sqlite3

    url = f"sqlite:///{tmp_path}/optuna.db"
    study.open_storage(url, tmp_path)
    with sqlite3.connect(tmp_path / "optuna.db") as db:  # as Optuna 2.10's tables say
        db.execute("UPDATE alembic_version SET version_num = 'v2.6.0.a'")
    with pytest.raises(LlexpError, match=f"`optuna storage upgrade --storage {url}`"):
        study.open_storage(url, tmp_path)


def job_hydra_config(tmp_path, trial_number, pruner):
    """The part of a job's Hydra config that `study.job_trial` reads."""
    return OmegaConf.create(
        {
            "sweep": {"dir": str(tmp_path / "sweep")},
            "sweeper": {
                "_target_": SWEEPER,
                "storage": f"sqlite:///{tmp_path}/optuna.db",
                "study_name": "s",
                "trial": trial_number,
                "pruner": pruner,
            },
        }
    )


# Prunes any trial whose validation accuracy is below 2: every one, from its first epoch on.
ALWAYS = {"_target_": "optuna.pruners.ThresholdPruner", "lower": 2.0}


@pytest.mark.parametrize("trainer", ["fit", "tape"])
def test_a_job_finds_its_trial_through_the_storage_and_is_pruned_after_an_epoch(
    tiny_cfg, tmp_path, trainer
):
    from llexp.runner import run

    storage = study.open_storage(f"sqlite:///{tmp_path}/optuna.db", tmp_path)
    search = optuna.create_study(study_name="s", storage=storage, direction="maximize")
    search.ask()
    asked = search.ask()  # the job runs trial 1
    trial = study.job_trial(job_hydra_config(tmp_path, 1, ALWAYS), tmp_path / "run")
    assert trial.number == asked.number == 1

    pruning = PruneTrial(trial, "val_accuracy")
    result = run(
        tiny_cfg(f"trainer={trainer}", "trainer.epochs=3"), tmp_path / "run", callbacks=[pruning]
    )
    study.tell_pruned(trial)

    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["status"] == "pruned" and metrics["epochs"] == 1  # stopped after epoch 1
    assert "test_accuracy" in metrics and (tmp_path / "run" / "model.weights.h5").is_file()
    rows = list(csv.DictReader((tmp_path / "run" / "history.csv").open()))
    assert len(rows) == 1  # the history of the epoch it trained is kept
    recorded = optuna.load_study(study_name="s", storage=storage).trials[1]
    assert recorded.state == optuna.trial.TrialState.PRUNED
    assert list(recorded.intermediate_values) == [1]
    assert recorded.intermediate_values[1] == pytest.approx(float(rows[0]["val_accuracy"]))
    assert recorded.user_attrs["run_folder"] == str(tmp_path / "run")
    assert result.metrics["status"] == "pruned"


def test_the_last_epoch_is_reported_but_never_pruned(tiny_cfg, tmp_path):
    from llexp.runner import run

    search = optuna.create_study(direction="maximize", pruner=study.make_pruner(ALWAYS))
    trial = search.ask()
    run(tiny_cfg("trainer.epochs=1"), tmp_path, callbacks=[PruneTrial(trial, "val_accuracy")])
    assert json.loads((tmp_path / "metrics.json").read_text())["status"] == "completed"
    assert list(search.trials[0].intermediate_values) == [1]


def test_an_objective_missing_from_the_epoch_logs_never_prunes(tiny_cfg, tmp_path):
    from llexp.runner import run

    search = optuna.create_study(direction="maximize", pruner=study.make_pruner(ALWAYS))
    trial = search.ask()
    run(tiny_cfg("trainer.epochs=2"), tmp_path, callbacks=[PruneTrial(trial, "test_accuracy")])
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["status"] == "completed" and metrics["epochs"] == 2


def test_a_pruned_run_is_not_resumed(tmp_path, capsys):
    from llexp import resume

    (tmp_path / ".hydra").mkdir()
    (tmp_path / ".hydra" / "config.yaml").write_text("seed: 1\n")
    (tmp_path / "metrics.json").write_text(json.dumps({"status": "pruned", "epochs": 2}))
    assert resume.main([str(tmp_path)]) == 2
    assert "holds a pruned run: nothing to resume" in capsys.readouterr().err
