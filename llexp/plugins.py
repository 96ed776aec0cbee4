"""Hydra launchers and sweepers that the `sweep` extra installs: one line when one is missing.

Without the plugin, Hydra stops with "Could not find 'hydra/launcher/joblib'" and a list of what
it searched; llexp says instead which extra to install, before Hydra composes anything.
"""

from __future__ import annotations

import importlib.util
from importlib import resources

from omegaconf import OmegaConf

from llexp.errors import LlexpError, install_command

GROUPS = ("hydra/launcher", "hydra/sweeper")
SWEEP_EXTRA = "adds the launchers joblib, submitit_local, submitit_slurm and the sweeper optuna"


def installed(group: str) -> set[str]:
    """The options of a Hydra plugin group (`hydra/launcher`) that the installed plugins offer."""
    from hydra.core.config_store import ConfigStore
    from hydra.core.plugins import Plugins

    import llexp.conf  # noqa: F401  (registers llexp's own sweeper)

    Plugins.instance()  # imports the installed hydra_plugins, which register their configs
    node = ConfigStore.instance().repo
    for part in group.split("/"):
        node = node.get(part, {})
    names = {name.removesuffix(".yaml") for name in node}
    if group == "hydra/sweeper" and importlib.util.find_spec("optuna") is None:
        names.discard("optuna")  # llexp's own sweeper: its configs are there, Optuna is not
    return names


def conf_file(*parts: str):
    """A file of llexp's own configs (`llexp.conf`)."""
    return resources.files("llexp.conf").joinpath(*parts)


def defaults_plugins(path, group: str | None = None) -> list[tuple[str, str]]:
    """The launchers and sweepers a config of llexp's swaps in by its defaults list: a preset
    (`hparams_search=NAME`), or an option of llexp's own in a plugin `group` whose defaults
    extend the plugin's (`hydra/launcher=parallel` is joblib's config with other values)."""
    if not path.is_file():
        return []  # not ours to report: Hydra lists the options there are
    defaults = OmegaConf.to_container(OmegaConf.create(path.read_text())).get("defaults", [])
    found = []
    for item in defaults:
        if isinstance(item, str) and group and item != "_self_":
            found.append((group, item))
        for key, option in item.items() if isinstance(item, dict) else []:
            key = key.removeprefix("override").strip().lstrip("/")
            if key in GROUPS:
                found.append((key, str(option)))
    return found


def requested(argv: list[str]) -> list[tuple[str, str]]:
    """`(group, option)` for each launcher or sweeper the command line asks for."""
    found = []
    for arg in argv:
        key, _, value = arg.lstrip("+~").partition("=")
        if key in GROUPS:
            own = conf_file(*key.split("/"), f"{value}.yaml")
            found += defaults_plugins(own, key) if own.is_file() else [(key, value)]
        elif key == "hparams_search" and value:
            found += defaults_plugins(conf_file("hparams_search", f"{value}.yaml"))
    return found


def check(argv: list[str]) -> None:
    """Raises one line naming the extra to install for a launcher or sweeper that is missing,
    in the user's words (`hydra/launcher=parallel needs hydra/launcher=joblib, which ...`)."""
    for arg in argv:
        for group, option in requested([arg]):
            have = installed(group)
            if option in have:
                continue
            plugin, asked = f"{group}={option}", arg.lstrip("+~")
            missing = f"{plugin} is" if asked == plugin else f"{asked} needs {plugin}, which is"
            raise LlexpError(
                f"{missing} not installed (installed: {', '.join(sorted(have))}); "
                f"{install_command('sweep')} {SWEEP_EXTRA}"
            )
