"""llexp's Optuna sweeper for Hydra: `hydra/sweeper=optuna` (the `hparams_search=*` presets).

Hydra finds it by scanning the `hydra_plugins` namespace package; `config.py` registers the
configs (the sweeper, its samplers and pruners), `optuna_sweeper.py` the plugin class. The search
itself lives in `llexp.search`, imported only when a search runs.
"""


def register() -> None:
    """Registers the sweeper's configs and class with Hydra, whether or not Hydra's plugin scan
    found this package: the scan lists the `hydra_plugins` folders on `sys.path`, and an editable
    install (`pip install -e .`) maps this package through an import hook the scan cannot list.
    `llexp.conf` calls it when imported, as Hydra does before it composes llexp's configs."""
    from hydra.core.plugins import Plugins

    from hydra_plugins.llexp_optuna_sweeper import config  # noqa: F401  (stores the configs)
    from hydra_plugins.llexp_optuna_sweeper.optuna_sweeper import OptunaSweeper

    Plugins.instance().register(OptunaSweeper)
