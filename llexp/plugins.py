"""Hydra launchers and sweepers that the `sweep` extra installs: one line when one is missing.

Without the plugin, Hydra stops with "Could not find 'hydra/launcher/joblib'" and a list of what
it searched; llexp says instead which extra to install, before Hydra composes anything.
"""

from __future__ import annotations

from importlib import resources

from omegaconf import OmegaConf

from llexp.errors import LlexpError

GROUPS = ("hydra/launcher", "hydra/sweeper")
SWEEP_EXTRA = (
    'pip install "llexp[sweep]" adds the launchers joblib, submitit_local, submitit_slurm '
    "and the sweeper optuna"
)


def installed(group: str) -> set[str]:
    """The options of a Hydra plugin group (`hydra/launcher`) that the installed plugins offer."""
    from hydra.core.config_store import ConfigStore
    from hydra.core.plugins import Plugins

    Plugins.instance()  # imports the installed hydra_plugins, which register their configs
    node = ConfigStore.instance().repo
    for part in group.split("/"):
        node = node.get(part, {})
    return {name.removesuffix(".yaml") for name in node}


def preset_plugins(name: str) -> list[tuple[str, str]]:
    """The launchers and sweepers a preset (`hparams_search=NAME`) swaps in by its defaults."""
    path = resources.files("llexp.conf") / "hparams_search" / f"{name}.yaml"
    if not path.is_file():
        return []  # not ours to report: Hydra lists the presets there are
    defaults = OmegaConf.to_container(OmegaConf.create(path.read_text())).get("defaults", [])
    found = []
    for item in defaults:
        for key, option in item.items() if isinstance(item, dict) else []:
            group = key.removeprefix("override").strip().lstrip("/")
            if group in GROUPS:
                found.append((group, str(option)))
    return found


def requested(argv: list[str]) -> list[tuple[str, str]]:
    """`(group, option)` for each launcher or sweeper the command line asks for."""
    found = []
    for arg in argv:
        key, _, value = arg.lstrip("+~").partition("=")
        if key in GROUPS:
            found.append((key, value))
        elif key == "hparams_search" and value:
            found += preset_plugins(value)
    return found


def check(argv: list[str]) -> None:
    """Raises one line naming the extra to install for a launcher or sweeper that is missing."""
    for group, option in requested(argv):
        have = installed(group)
        if option not in have:
            raise LlexpError(
                f"{group}={option} is not installed (installed: {', '.join(sorted(have))}); "
                f"{SWEEP_EXTRA}"
            )
