"""Hydra's own errors (an unknown option, a misspelt key, a bad override) as one line + exit 2.

Hydra reports a config it cannot compose itself with a message of several lines and exit status
1, like a crash. `one_line_errors` wraps what Hydra runs (`llexp.compat.hydra_error_reporting`)
so that these mistakes of the user end as llexp's do: one line saying what is wrong and what to
type instead ("did you mean"), exit status 2. Anything else still goes to Hydra's reporting.
"""

from __future__ import annotations

import difflib
import logging
import re
import sys
import traceback

from hydra.errors import ConfigCompositionException, MissingConfigException, OverrideParseException
from omegaconf.errors import ValidationError

from llexp import compat
from llexp.errors import LlexpError
from llexp.schema.keys import expected

log = logging.getLogger("llexp")


def did_you_mean(word: str, choices) -> str:
    """`"; did you mean X?"` for the closest of `choices`, or `""`."""
    close = difflib.get_close_matches(word, [str(c) for c in choices], n=1, cutoff=0.6)
    return f"; did you mean {close[0]}?" if close else ""


def one_line(error: BaseException) -> str | None:
    """The one line for a Hydra composition error the user caused, or None for other errors."""
    if isinstance(error, MissingConfigException):
        missing = str(error.missing_cfg_file or "")
        group, _, option = missing.rpartition("/")
        options = list(error.options or [])
        if group and options:
            return (
                f"{group}={option}: no such option; choose one of {', '.join(options)}"
                f"{did_you_mean(option, options)}"
            )
        return str(error).splitlines()[0]
    if isinstance(error, OverrideParseException):
        return f"cannot parse the command line: {str(error).splitlines()[0]}"
    if isinstance(error, ConfigCompositionException):
        cause = error.__cause__
        if isinstance(cause, ValidationError) and cause.full_key:
            return wrong_type(error, cause)
        full_key = getattr(cause, "full_key", None)
        parent = getattr(cause, "parent_node", None)
        if full_key and parent is not None and hasattr(parent, "keys"):
            prefix, _, name = str(full_key).rpartition(".")
            hint = did_you_mean(name, parent.keys())  # names alone: a shared prefix is no match
            hint = hint.replace("mean ", f"mean {prefix}.") if prefix and hint else hint
            return (
                f"{full_key}: no such key{hint} "
                f"(python -m llexp --cfg job lists them; no part of llexp reads another)"
            )
        first = str(error).splitlines()[0]
        return f"{first} {str(cause).splitlines()[0]}" if cause is not None else first
    return None


def wrong_type(error: ConfigCompositionException, cause: ValidationError) -> str:
    """`KEY='VALUE' must be WHAT`: a value the key's schema type refuses (`epochs=abc`)."""
    value = re.search(r"override \S+?=(.*)$", str(error).splitlines()[0])
    if value is None:  # a YAML file's value (a preset): OmegaConf's message names it
        value = re.search(r"Value '(.*?)'", cause.msg or "")
    shown = f"={value.group(1)!r}" if value else ""
    return f"{cause.full_key}{shown} must be {expected(cause.object_type, str(cause.key))}"


def reported(func):
    """Calls `func`; a composition error the user caused ends with one line and exit status 2,
    and so does an `LlexpError` (a mistake found by a sweeper, such as a reversed interval in
    `hydra.sweeper.params`; a job's own errors never get here)."""
    try:
        return func()
    except LlexpError as error:
        print(f"Error: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    except (ConfigCompositionException, OverrideParseException) as error:
        line = one_line(error)
        if line is None:
            raise
        print(f"Error: {line}", file=sys.stderr)
        raise SystemExit(2) from None
    except OSError as error:
        if not before_the_job(error):
            raise
        print(
            f"Error: cannot write the run folder {error.filename} ({error.strerror}); "
            "pass hydra.run.dir=FOLDER (or hydra.sweep.dir=FOLDER) where you can write",
            file=sys.stderr,
        )
        raise SystemExit(2) from None


def before_the_job(error: OSError) -> bool:
    """Whether Hydra raised `error` while making the run folder, before llexp's job started (a
    file error inside the job is the job's, reported there)."""
    frames = traceback.extract_tb(error.__traceback__)
    return error.filename is not None and not any(
        frame.name == "app" and frame.filename.endswith("__main__.py") for frame in frames
    )


def one_line_errors():
    """While active, Hydra's composition errors end with one line on stderr and exit status 2."""
    return compat.hydra_error_reporting(reported)
