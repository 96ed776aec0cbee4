"""A launcher or sweeper that is not installed ends with one line naming the extra to install."""

import subprocess
import sys

import pytest

from llexp import plugins
from llexp.__main__ import main
from llexp.errors import LlexpError


def test_installed_plugins_pass_and_presets_name_their_sweeper():
    plugins.check(["-m", "hydra/launcher=joblib", "hparams_search=lenet_optuna"])  # sweep extra
    assert plugins.requested(["hparams_search=lenet_optuna", "model.width=4"]) == [
        ("hydra/sweeper", "optuna")
    ]


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["-m", "hydra/launcher=joblib", "model.width=4,8"], "hydra/launcher=joblib"),
        (["-m", "hparams_search=lenet_optuna"], "hydra/sweeper=optuna"),
        (["-m", "hydra/launcher=parallel"], "hydra/launcher=joblib"),  # llexp's joblib preset
    ],
)
def test_a_missing_plugin_is_one_line_naming_the_extra(argv, named, monkeypatch, capsys):
    monkeypatch.setattr(plugins, "installed", lambda group: {"basic"})
    hint = rf'{named} is not installed .*pip install "llexp\[sweep\]"'
    with pytest.raises(LlexpError, match=hint):
        plugins.check(argv)
    monkeypatch.setattr(sys, "argv", ["llexp", *argv])
    assert main() == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"llexp: error: {named} is not installed (installed: basic)")


@pytest.mark.slow
def test_without_the_joblib_plugin_the_real_command_says_which_extra(tmp_path):
    # The plugin made unimportable, as in an install without the extra; Hydra skips it.
    code = (
        "import sys; sys.modules['hydra_plugins.hydra_joblib_launcher'] = None;"
        "from llexp.__main__ import main; sys.argv = ['llexp', *sys.argv[1:]]; sys.exit(main())"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, "-m", "hydra/launcher=joblib", "dataset=digits"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "hydra/launcher=joblib is not installed" in done.stderr
    assert 'pip install "llexp[sweep]"' in done.stderr
    assert "Could not find" not in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "outputs").exists()


@pytest.mark.slow
def test_without_optuna_a_search_says_which_extra(tmp_path):
    # Optuna made unimportable, as in an install without the sweep extra: llexp's own sweeper's
    # configs are registered, but it cannot run.
    code = (
        "import sys; sys.modules['optuna'] = None;"
        "from llexp.__main__ import main; sys.argv = ['llexp', *sys.argv[1:]]; sys.exit(main())"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, "hparams_search=lenet_optuna", "dataset=digits"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "hydra/sweeper=optuna is not installed" in done.stderr
    assert 'pip install "llexp[sweep]"' in done.stderr and "Traceback" not in done.stderr
