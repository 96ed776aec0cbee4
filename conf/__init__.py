"""llexp's Hydra configs, shipped as the package `llexp.conf`.

Importing it (Hydra does, to find the configs) registers the resolvers the configs use to derive
a dataset's class count from its other keys, so the model's `num_classes` follows the data, and
llexp's Optuna sweeper (`hydra/sweeper=optuna`), which an editable install hides from Hydra.
"""

from omegaconf import OmegaConf

from hydra_plugins.llexp_optuna_sweeper import register
from llexp import schema


def cifar100_classes(label_mode: str) -> int | None:
    """100 fine classes or 20 coarse superclasses (otherwise None: the dataset says why)."""
    return {"fine": 100, "coarse": 20}.get(label_mode)


def folder_classes(path) -> int | None:
    """The class subfolders of an image folder (of its train/ if it has one), 1 for a folder of
    images without class subfolders; None when it cannot be read: the dataset then fails with
    one line saying why."""
    from llexp.data.files import class_folders

    try:
        return len(class_folders(path)) or 1
    except Exception:  # noqa: BLE001  (reported by FolderSource, with the fix)
        return None


OmegaConf.register_new_resolver("llexp.cifar100_classes", cifar100_classes, replace=True)
# Cached per config: every read of dataset.num_classes (and model.num_classes, which follows it)
# would walk the folder again.
OmegaConf.register_new_resolver(
    "llexp.folder_classes", folder_classes, replace=True, use_cache=True
)
register()
schema.store()  # the schemas the YAML files name in their defaults lists (llexp/schema/)
