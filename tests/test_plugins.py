"""A launcher or sweeper that is not installed ends with one line naming the extra to install."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from llexp import errors, plugins
from llexp.__main__ import main
from llexp.errors import LlexpError, install_command

CHECKOUT = Path(__file__).resolve().parents[1]  # the tests run from a checkout of llexp
# The pip command that adds the sweep extra to this checkout, from anywhere.
SWEEP_HERE = re.escape(f'pip install -e "{CHECKOUT}[sweep]"')


def test_the_install_command_fits_how_llexp_was_installed(tmp_path, monkeypatch):
    monkeypatch.chdir(CHECKOUT)  # the checkout, editable: the README's own command
    assert install_command("sweep") == 'pip install -e ".[sweep]"'
    monkeypatch.chdir(tmp_path)
    assert install_command("mlflow") == f'pip install -e "{CHECKOUT}[mlflow]"'

    # Installed into site-packages: from an index, or from a folder (pip's direct_url.json).
    site = tmp_path / "site-packages" / "llexp"
    site.mkdir(parents=True)
    monkeypatch.setattr(errors, "__file__", os.fspath(site / "errors.py"))
    recorded = {}

    class Installed:
        def read_text(self, name):
            return json.dumps(recorded) if recorded and name == "direct_url.json" else None

    monkeypatch.setattr(errors.metadata, "distribution", lambda name: Installed())
    assert install_command("sweep") == 'pip install "llexp[sweep]"'
    recorded.update(url="file:///src/my%20llexp", dir_info={})
    assert install_command("sweep") == 'pip install "/src/my llexp[sweep]"'


def test_installed_plugins_pass_and_presets_name_their_sweeper():
    plugins.check(["-m", "hydra/launcher=joblib", "hparams_search=lenet_optuna"])  # sweep extra
    assert plugins.requested(["hparams_search=lenet_optuna", "model.width=4"]) == [
        ("hydra/sweeper", "optuna")
    ]


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["-m", "hydra/launcher=joblib", "model.width=4,8"], "hydra/launcher=joblib"),
        (
            ["-m", "hparams_search=lenet_optuna"],
            "hparams_search=lenet_optuna needs hydra/sweeper=optuna,",
        ),
        # llexp's joblib preset, in the user's words
        (["-m", "hydra/launcher=parallel"], "hydra/launcher=parallel needs hydra/launcher=joblib,"),
    ],
)
def test_a_missing_plugin_is_one_line_naming_the_extra(argv, named, monkeypatch, capsys):
    monkeypatch.setattr(plugins, "installed", lambda group: {"basic"})
    hint = rf"{named} .*not installed .*pip install -e .*\[sweep\]"
    with pytest.raises(LlexpError, match=hint):
        plugins.check(argv)
    monkeypatch.setattr(sys, "argv", ["llexp", *argv])
    assert main() == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"llexp: error: {named} ")
    assert "installed (installed: basic)" in line


def llexp_without(module: str, *args: str, cwd) -> subprocess.CompletedProcess:
    """The real command line `llexp ARGS` in a fresh Python where `module` cannot be imported,
    as in an install without the extra that brings it."""
    code = (
        f"import sys; sys.modules[{module!r}] = None;"
        "from llexp.__main__ import main; sys.argv = ['llexp', *sys.argv[1:]]; sys.exit(main())"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


@pytest.mark.slow
def test_without_the_joblib_plugin_the_real_command_says_which_extra(tmp_path):
    # The plugin made unimportable, as in an install without the extra; Hydra skips it.
    done = llexp_without("hydra_plugins.hydra_joblib_launcher", "-m", "hydra/launcher=joblib",
                         "dataset=digits", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "hydra/launcher=joblib is not installed" in done.stderr
    assert re.search(SWEEP_HERE, done.stderr), done.stderr  # run elsewhere: the checkout's path
    assert "Could not find" not in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "outputs").exists()


@pytest.mark.slow
def test_without_optuna_a_search_says_which_extra(tmp_path):
    # Optuna made unimportable, as in an install without the sweep extra: llexp's own sweeper's
    # configs are registered, but it cannot run.
    done = llexp_without("optuna", "hparams_search=lenet_optuna", "dataset=digits", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "hparams_search=lenet_optuna needs hydra/sweeper=optuna, which is not" in done.stderr
    assert re.search(SWEEP_HERE, done.stderr) and "Traceback" not in done.stderr
