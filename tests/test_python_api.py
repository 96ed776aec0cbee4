"""The Python API page's example runs as written, and no submodule shadows an exported name."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

import llexp

DOC = Path(__file__).resolve().parents[1] / "docs" / "python-api.md"


def test_no_submodule_is_named_like_an_exported_function():
    # `import llexp.X` sets the attribute llexp.X to the module: a module named like an exported
    # function would replace it (llexp.run was once the module llexp/run.py).
    shadowing = [n for n in llexp.__all__ if importlib.util.find_spec(f"llexp.{n}") is not None]
    assert shadowing == []


def test_run_stays_the_function_after_the_run_module_is_imported():
    import llexp.runner  # what fit_model_on imports

    assert llexp.run is llexp.runner.run and callable(llexp.run)


def python_blocks(text: str) -> list[str]:
    return [part.split("```", 1)[0] for part in text.split("```python\n")[1:]]


@pytest.mark.slow
def test_the_documented_blocks_run_as_written_in_a_fresh_python(tmp_path):
    runs, functions = python_blocks(DOC.read_text())[:2]
    assert "llexp.run(cfg" in runs and "llexp.fit_model_on(" in functions
    # The run block before and after the functions: llexp.run after fit_model_on once failed.
    again = runs.replace('"outputs/mine"', '"outputs/mine2"')  # a new run folder the second time
    assert again != runs
    script = runs + functions + again + "\nprint('accuracy', result.metrics['test_accuracy'])\n"
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert float(done.stdout.split("accuracy ")[-1]) > 0.5
    for folder in ("outputs/api", "outputs/ae", "outputs/mine", "outputs/mine2"):
        assert (tmp_path / folder / "metrics.json").is_file()
