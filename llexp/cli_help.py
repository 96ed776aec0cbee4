"""`llexp --help`, printed in a fraction of a second.

Hydra's own `--help` lists the options of every config group by making a fresh copy of its whole
config repository for each group it looks at (about a hundred copies for llexp's groups and
Hydra's), which takes longer than everything else in `--help` together. This prints the same text
from the same template (`hydra.help` in conf/config.yaml), listing only the groups the template
shows; any other Hydra flag next to `--help` goes to Hydra's own help.
"""

from __future__ import annotations

import string
from importlib import resources

HELP_FLAGS = ("--help", "-h")


def wants_fast_help(args: list[str]) -> bool:
    """True for `--help` (or `-h`) with nothing but overrides beside it."""
    flags = [a for a in args if a.startswith("-")]
    return bool(flags) and all(flag in HELP_FLAGS for flag in flags)


def help_text(overrides: list[str]) -> str:
    """The text Hydra's `--help` prints for these overrides."""
    from hydra import compose, initialize_config_module
    from omegaconf import OmegaConf, open_dict

    with initialize_config_module(config_module="llexp.conf", version_base="1.3"):
        cfg = compose("config", overrides=overrides, return_hydra_config=True)
        template = cfg.hydra.help.template
        with open_dict(cfg):
            del cfg["hydra"]
        return string.Template(template).substitute(
            APP_CONFIG_GROUPS=config_groups(),
            CONFIG=OmegaConf.to_yaml(cfg),
            FLAGS_HELP="(python -m llexp --hydra-help lists Hydra's flags)",
            HYDRA_CONFIG_GROUPS="(python -m llexp --hydra-help lists them)",
        )


def config_groups() -> str:
    """`group: option, option` lines for llexp's config groups (the folders of `llexp.conf`), as
    Hydra's `$APP_CONFIG_GROUPS` lists them; `hydra` (Hydra's own groups) is left out."""
    conf = resources.files("llexp.conf")
    lines = []
    for group in sorted(conf.iterdir(), key=lambda entry: entry.name):
        if not group.is_dir() or group.name in ("hydra", "__pycache__"):
            continue
        options = sorted(
            f.name.removesuffix(".yaml") for f in group.iterdir() if f.name.endswith(".yaml")
        )
        if options:
            lines.append(f"{group.name}: {', '.join(options)}\n")
    return "".join(lines)
