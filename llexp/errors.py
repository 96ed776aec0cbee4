"""The one exception type for mistakes a user can make, and checks that raise it."""

import json
import math
import os
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlparse


class LlexpError(Exception):
    """A mistake in the config, the command line or the data, with what to do about it.

    The command line prints it as one line (no traceback) and exits with status 2.
    """


def whole(key: str, value, minimum: int) -> int:
    """`value` as a whole number of at least `minimum`, or one line saying what is wrong."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise LlexpError(f"{key}={value!r} must be a whole number of at least {minimum}")
    return value


def number(key: str, value, low: float, high: float = math.inf, high_open: bool = False) -> float:
    """`value` as a number in [low, high] (or [low, high) with `high_open`), or one line."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not ok or value < low or value > high or (high_open and value == high):
        bound = f"[{low}, {high})" if high_open else f"[{low}, {high}]"
        raise LlexpError(f"{key}={value!r} must be a number in {bound}")
    return value


def install_command(extra: str) -> str:
    """The pip command that adds `extra` to this llexp: `pip install -e ".[sweep]"` in the
    checkout llexp runs from (its folder's path when elsewhere), `pip install "llexp[sweep]"`
    for an install from an index. A mistake's line names it, so a user can paste it."""
    source = Path(__file__).resolve().parents[1]
    folder, editable = None, True
    if (source / "pyproject.toml").is_file():  # a checkout: run from it, or installed editable
        folder = source
    else:  # installed into site-packages: from a local folder, pip recorded which
        try:
            url = json.loads(metadata.distribution("llexp").read_text("direct_url.json") or "{}")
        except (metadata.PackageNotFoundError, ValueError):
            url = {}
        if url.get("url", "").startswith("file:") and "dir_info" in url:
            folder = Path(unquote(urlparse(url["url"]).path))
            editable = bool(url["dir_info"].get("editable"))
    if folder is None:
        return f'pip install "llexp[{extra}]"'
    where = "." if folder == Path.cwd().resolve() else os.fspath(folder)
    return f'pip install {"-e " if editable else ""}"{where}[{extra}]"'


def first_line(error: BaseException) -> str:
    """The first line of an exception's message (or its type when it has none)."""
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]


def instantiate(node, **kwargs):
    """`hydra.utils.instantiate`, with the user's mistakes raised as one-line `LlexpError`s.

    Hydra wraps whatever the target raises in an `InstantiationException` with a long message;
    a missing `???` value and an unknown or wrongly typed key are config mistakes too.
    """
    from hydra.errors import InstantiationException
    from hydra.utils import instantiate as hydra_instantiate
    from omegaconf import OmegaConf
    from omegaconf.errors import InterpolationResolutionError, MissingMandatoryValue

    try:
        return hydra_instantiate(node, **kwargs)
    except MissingMandatoryValue as error:
        raise LlexpError(f"{error.full_key} is required: pass {error.full_key}=VALUE") from None
    except InterpolationResolutionError as error:  # ${dataset.num_classes} of codes, say
        raw = OmegaConf.to_container(node, resolve=False)
        key = next((k for k in raw if not resolves(node, k)), "?")
        raise LlexpError(
            f"{node._key()}.{key}={raw.get(key, '')} cannot be resolved ({first_line(error)}); "
            "set it yourself"
        ) from None
    except InstantiationException as error:
        cause = error.__cause__
        if isinstance(cause, LlexpError):
            raise cause from None
        if isinstance(cause, ImportError) or "Error locating target" in str(error):
            raise LlexpError(target_error(node)) from None
        # +model.foo=1 (an argument the target lacks), optimizer.learning_rate=abc, a momentum
        # Keras refuses: the target says what is wrong, in its words.
        if isinstance(cause, (TypeError, ValueError)):
            raise LlexpError(f"{node.get('_target_')}: {first_line(cause)}") from None
        raise


def target_error(node) -> str:
    """One line for a `_target_` that names no class: which part exists, and the closest name."""
    import difflib
    import importlib

    target = str(node.get("_target_"))
    key = getattr(node, "_key", lambda: None)() or "?"
    module_name, _, name = target.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return f"{key}._target_={target}: there is no module {module_name}; check the spelling"
    close = difflib.get_close_matches(name, [n for n in dir(module) if not n.startswith("_")], 1)
    hint = f"; did you mean {module_name}.{close[0]}?" if close else ""
    return f"{key}._target_={target}: {module_name} has no {name}{hint}"


def resolves(node, key) -> bool:
    """Whether `node[key]` resolves (an interpolation may name a key that is not there)."""
    from omegaconf.errors import InterpolationResolutionError

    try:
        node[key]
    except InterpolationResolutionError:
        return False
    return True
