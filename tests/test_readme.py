"""The README's two commands are the ones CI runs."""

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ci_runs_the_readme_commands():
    script = (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    extract = script.split("commands=$(", 1)[1].split(")\n", 1)[0]
    commands = subprocess.run(
        ["bash", "-c", extract], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert commands[0].startswith('pip install -e ".[dev]" && python -m llexp dataset=digits')
    assert commands[1] == "python -m pytest"
    assert readme.index(commands[0]) < readme.index(commands[1]) < readme.index("## Running")
