"""The README and docs/ pages say what works: their commands compose, their links resolve.

Every `python -m llexp ...` / `llexp ...` line of a ```bash block in README.md and docs/*.md is
composed in-process with its overrides (the first combination of a sweep) and checked as the
command line checks it before TensorFlow starts. The slow tier then trains each one that works
offline (digits, a generated .npz or image folder), in document order, in one temporary folder so
that a run a later command reads (`hydra.run.dir=outputs/ae`) is there. Each gets `debug=tiny
trainer.epochs=1` appended (replacing its own `trainer.epochs`), so it trains one epoch on 64
images; its other keys still win over debug=tiny's.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from hydra import compose, initialize_config_module
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import OmegaConf

from helpers import write_image_folder, write_npz

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# Keys naming a file or run folder the reader has (or an earlier command made): composing is
# checked for every command, the file itself only in the slow tier, which makes it first.
FILE_KEYS = ("dataset.path", "dataset.encoder_from", "model.encoder_from")
# Names the docs use for a reader's own data, and what the slow tier writes there instead.
READER_DATA = {
    "my_data.npz": lambda path: write_npz(path, num_classes=5),
    "ROOT": lambda path: write_image_folder(path, per_class=30),
    "my_images": lambda path: write_image_folder(path, per_class=30),
}
OFFLINE_SOURCES = ("DigitsSource", "NpzSource", "FolderSource", "EncoderCodesSource")


def bash_commands(page: Path) -> list[tuple[int, list[str]]]:
    """(line number, words) of each command in the page's ```bash blocks; continued lines
    (a trailing backslash, or a quote left open) are joined, and `a && b` gives two commands."""
    commands, pending, start, inside = [], "", 0, False
    for number, line in enumerate(page.read_text().splitlines(), 1):
        if line.strip().startswith("```"):
            inside = line.strip() == "```bash" and not inside
            continue
        if not inside:
            continue
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        pending += line
        try:
            words = shlex.split(pending, comments=True)
        except ValueError:  # a quote still open: the command goes on on the next line
            pending += "\n"
            continue
        pending = ""
        while words:
            end = words.index("&&") if "&&" in words else len(words)
            commands.append((start, words[:end]))
            words = words[end + 1 :]
    return commands


def llexp_args(words: list[str]) -> list[list[str]]:
    """The argument lists of the `python -m llexp` runs a command starts: one for a run or a
    sweep, one per stage for `llexp stack` / `python -m llexp.stack`, the config of
    `python -m llexp.benchmark` (its own flags dropped); none for anything else."""
    if words[:3] == ["python", "-m", "llexp"]:
        args = words[3:]
    elif words[:1] == ["llexp"]:
        args = words[1:]
    elif words[:3] == ["python", "-m", "llexp.benchmark"]:
        flags = {k for k, word in enumerate(words) if word in ("--repeats", "--epochs")}
        # The benchmark composes "dataset=digits" before the overrides it is given.
        return [
            [
                "dataset=digits",
                *(w for k, w in enumerate(words) if k > 2 and not {k, k - 1} & flags),
            ]
        ]
    elif words[:3] == ["python", "-m", "llexp.stack"]:
        return stack_stages(words[3:])
    else:
        return []
    if args[:1] == ["stack"]:
        return stack_stages(args[1:])
    return [] if args[:1] in (["review"], ["resume"], ["embed"]) else [args]


def stack_stages(args: list[str]) -> list[list[str]]:
    """The runs `llexp stack ARGS` starts, read with its own parser and `stage_commands`."""
    from llexp.stack import parser, stage_commands, stage_overrides

    parse = parser("llexp stack")
    given = parse.parse_args(args)
    per_stage = stage_overrides(given, parse)
    return stage_commands(
        given.stages, given.out, given.overrides, given.classifier, per_stage, given.finetune
    )


def doc_commands() -> list[tuple[str, list[str]]]:
    found = []
    for page in PAGES:
        for number, words in bash_commands(page):
            for args in llexp_args(words):
                found.append((f"{page.relative_to(ROOT)}:{number}", args))
    return found


COMMANDS = doc_commands()


# Hydra's flags: those that take a value, and those that do not.
VALUE_FLAGS = {
    "--cfg",
    "-c",
    "--package",
    "-p",
    "--config-path",
    "-cp",
    "--config-name",
    "-cn",
    "--config-dir",
    "-cd",
    "--experimental-rerun",
}
FLAGS = {"-m", "--multirun", "--help", "-h", "--hydra-help", "--resolve", "--run", "-r", "--info"}


def first_job(args: list[str]) -> list[str]:
    """The overrides of the command's first job: flags dropped, each sweep at its first value."""
    overrides, skip = [], False
    for arg in args:
        if skip:
            skip = False
        elif arg in VALUE_FLAGS:
            skip = True  # its value (e.g. --cfg job) is no override
        elif arg.startswith("-"):
            assert arg in FLAGS, f"unknown flag {arg}"
        else:
            overrides.append(arg)
    parsed = OverridesParser.create().parse_overrides(overrides)
    return [
        f"{o.get_key_element()}={first_value(o)}" if o.is_sweep_override() else text
        for o, text in zip(parsed, overrides, strict=True)
    ]


def first_value(override) -> str:
    """A sweep's first value; an interval's (an Optuna search's) lower end."""
    if override.is_interval_sweep():
        return str(override.value().start)
    return next(iter(override.sweep_string_iterator()))


def composed(overrides: list[str], hydra: bool = False):
    with initialize_config_module("llexp.conf", version_base="1.3"):
        return compose("config", overrides=overrides, return_hydra_config=hydra)


def test_the_docs_show_commands():
    pages = {where.split(":")[0] for where, _ in COMMANDS}
    assert len(COMMANDS) >= 40, "the command extraction found too few commands"
    for page in ("README.md", "docs/models.md", "docs/sweeps.md", "docs/search.md"):
        assert page in pages, f"no llexp command found in {page}"


@pytest.mark.parametrize("where,args", COMMANDS, ids=[where for where, _ in COMMANDS])
def test_doc_command_is_a_valid_config(where, args):
    from llexp.checks import check_config

    overrides = first_job(args)
    composed(overrides, hydra=True)  # the launcher, sweeper and hydra.* keys too
    cfg = composed(overrides)
    if not any(o.split("=")[0] in FILE_KEYS for o in overrides):
        check_config(cfg)  # every check the command line makes before TensorFlow starts


def runs_offline(cfg) -> bool:
    source = OmegaConf.select(cfg, "dataset._target_", default="")
    return (
        source.rsplit(".", 1)[-1] in OFFLINE_SOURCES
        and OmegaConf.select(cfg, "model.weights", default=None) != "imagenet"
        # Trackers start their own services; tests/test_loggers.py runs each of them.
        and OmegaConf.select(cfg, "logger", default=None) is None
        # Logical devices must be made before TensorFlow starts: tests/test_distribute.py runs
        # that command in a fresh process.
        and cfg.resources.cpu_devices == 1
    )


@pytest.fixture(scope="session")
def trained():
    """The configs already trained in this session: a command shown twice is trained once."""
    return set()


@pytest.mark.slow
@pytest.mark.parametrize("page", [p for p in PAGES if p.name != "bad_inputs.md"], ids=str)
def test_offline_doc_commands_run(page, tmp_path, monkeypatch, trained):
    monkeypatch.chdir(tmp_path)
    for name, make in READER_DATA.items():
        if name in page.read_text():
            make(tmp_path / name)
    ran, online = 0, set()  # online: this page's run folders that need a network to make
    for number, words in bash_commands(page):
        if words[:2] == ["python", "-c"]:  # a command that makes data, e.g. digits32.npz
            subprocess.run([sys.executable, *words[1:]], check=True, capture_output=True)
            continue
        for args in llexp_args(words):
            if words[2:3] != ["llexp.benchmark"] and not {"--help", "--cfg"} & set(args):
                ran += train(page, number, args, tmp_path, trained, online)
    if page.name in ("README.md", "models.md", "data.md", "training.md"):
        assert ran, f"no command of {page.name} ran"


def train(page: Path, number: int, args: list[str], tmp_path, trained: set, online: set) -> int:
    """Trains the first job of one documented command, unless it needs a network (or a run
    folder that does: `online`), a service or a fresh process, or was trained already; returns
    how many runs it trained (0 or 1)."""
    from llexp.runner import run

    own = [o for o in first_job(args) if not o.startswith("trainer.epochs=")]
    overrides = [*own, "debug=tiny", "trainer.epochs=1"]
    cfg = composed(overrides)
    # A run that reads or names a folder of this page's own is this page's alone.
    local = any(o.startswith((*FILE_KEYS, "hydra.run.dir=")) for o in overrides)
    key = (page.name if local else "", *overrides)
    named = [o.split("=", 1)[1] for o in overrides if o.startswith("hydra.run.dir=")]
    reads = " ".join(o.split("=", 1)[1] for o in overrides if o.startswith(FILE_KEYS))
    if not runs_offline(cfg) or any(folder in reads for folder in online):
        online.update(named)
        return 0
    if key in trained:
        return 0
    trained.add(key)
    out_dir = tmp_path / (named[0] if named else f"run{number}")
    metrics = run(cfg, out_dir).metrics
    assert metrics["status"] == "completed", f"{page.name}:{number}: {metrics}"
    return 1


FORBIDDEN = re.compile(
    r"\bseed \d|\bseed (?:project|notebook|code)s?\b|\bseed's\b|\b(?:packaged|VGG|original) seed\b"
    r"|\bissues? ?#?\d",
    re.IGNORECASE,
)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_docs_use_words_a_user_knows(page):
    found = [
        f"{page.name}:{number}: {line.strip()}"
        for number, line in enumerate(page.read_text().splitlines(), 1)
        if FORBIDDEN.search(line)
    ]
    assert not found, "\n".join(found)


def anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_links_between_pages_resolve(page):
    for target, fragment in re.findall(r"\]\(([\w./-]*\.md|)(?:#([\w-]+))?\)", page.read_text()):
        path = (page.parent / target).resolve() if target else page
        assert path.is_file(), f"{page.name} links to {target}, which does not exist"
        if fragment:
            headings = re.findall(r"^#+ (.+)$", path.read_text(), re.MULTILINE)
            assert fragment in map(anchor, headings), f"{page.name}: no #{fragment} in {target}"


def test_readme_is_short_and_routes_to_every_page():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 250
    for page in PAGES[1:]:
        assert f"(docs/{page.name})" in readme, f"the README's contents lack docs/{page.name}"
