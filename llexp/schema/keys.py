# ruff: noqa: UP006, UP035, UP045  (OmegaConf 2.3 reads typing.Optional and typing.List)
"""One config key: its default and its rule (range, choices, list of sizes), in one line.

A schema dataclass declares each key as `name: TYPE = helper(default, ...)`. The type is what
OmegaConf checks while Hydra composes the config (a misspelt key, `epochs=abc`, `freeze=maybe`);
the rule is what `llexp.schema.check` checks once it is composed (a range, one of some names, a
relation that a type cannot say). Both sit on the same line, so adding a key is one line:

    width: int = whole(at_least=1)
    dropout: float = number(0, 1, high_open=True)
    activation: str = MISSING          # no rule: the type is enough

The default stays in the group's YAML file, beside its comment (`MISSING` here: a key the YAML
forgets to set is reported as required).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from omegaconf import MISSING

from llexp.errors import LlexpError


@dataclass(frozen=True)
class Rule:
    """What a key's value must be beyond its type; `says` is the end of the error line."""

    test: Callable[[Any], bool]
    says: str
    exact: bool = False  # show a float as typed (1.0), where 1 and 1.0 mean different things

    def check(self, key: str, value, nullable: bool) -> None:
        if value is None or self.test(value):
            return
        null = " or null" if nullable and not says_null(self.says) else ""
        text = repr(value) if self.exact else shown(value)
        raise LlexpError(f"{key}={text} must be {self.says}{null}")


def says_null(says: str) -> bool:
    """Whether a rule's text already allows null (`one of null, mirrored`, `... or null`)."""
    return re.search(r"\bnull\b", says) is not None


def shown(value) -> str:
    """A value as the user typed it: `0` not `0.0` (OmegaConf made a float key's 0 a float)."""
    if isinstance(value, float):
        return f"{value:g}"
    return repr(value) if isinstance(value, str) else str(value)


def keyed(default=MISSING, rule: Rule | None = None):
    """A dataclass field with `default` (a list or dict is copied per instance) and `rule`."""
    metadata = {"rule": rule} if rule else {}
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda: type(default)(default), metadata=metadata)
    return field(default=default, metadata=metadata)


def is_whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def whole(at_least: int = 0, at_most: int | None = None, default=MISSING):
    """An int key of at least `at_least` (and at most `at_most`)."""
    says = f"a whole number of at least {at_least}"
    if at_most is not None:
        says = f"a whole number from {at_least} to {at_most}"

    def test(v):
        return is_whole(v) and v >= at_least and (at_most is None or v <= at_most)

    return keyed(default, Rule(test, says))


def number(low=0.0, high=math.inf, low_open=False, high_open=False, default=MISSING):
    """A float key in [low, high]; `low_open`/`high_open` leave out an end."""
    bound = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"

    def test(v):
        return (
            is_number(v)
            and (low < v or (not low_open and v == low))
            and (v < high or (not high_open and v == high))
        )

    return keyed(default, Rule(test, f"a number in {bound}"))


def positive(default=MISSING):
    """A float key above 0."""
    return number(0.0, math.inf, low_open=True, high_open=True, default=default)


def one_of(*choices, default=MISSING):
    """A key whose value is one of `choices` (None among them means null is allowed)."""
    shown = ", ".join("null" if c is None else str(c).lower() for c in choices)
    return keyed(default, Rule(lambda v: v in choices, f"one of {shown}"))


def as_sizes(value) -> list[int]:
    """Layer sizes as a list: one whole number is a list of one (`16` -> `[16]`)."""
    return [value] if is_whole(value) else list(value)


def sizes(empty: bool = True, default=MISSING):
    """Layer sizes: a list of whole numbers >= 1 (one number is a list of one; `Any` type)."""

    def test(v):
        try:
            values = as_sizes(v)
        except TypeError:
            return False
        ok = not isinstance(v, str) and all(is_whole(n) and n >= 1 for n in values)
        return ok and (empty or bool(values))

    kind = "a list of whole sizes >= 1" + ("" if empty else " (at least one)")
    return keyed(default, Rule(test, f"{kind}, e.g. [64, 32]"))


def split_size(default=MISSING):
    """A split or subset: a fraction in (0, 1), a whole count >= 1, or 0/null for none.

    A float of 1 or more is refused, not read as a count: `val_split=1.0` would otherwise hold
    out one image where the user meant all of them.
    """

    def test(v):
        if isinstance(v, float):
            return 0.0 <= v < 1.0 and math.isfinite(v)
        return is_whole(v) and v >= 0

    says = "a fraction in (0, 1) or a whole count of images (a count is written without a point)"
    return keyed(default, Rule(test, says, exact=True))


def custom(test: Callable[[Any], bool], says: str, default=MISSING):
    """A key with a rule of its own: `test(value)` says whether `value` is allowed."""
    return keyed(default, Rule(test, says))


def expected(schema, key: str) -> str:
    """What `key` of the dataclass `schema` must be, in words (for a value of the wrong type)."""
    import dataclasses
    import typing

    if not dataclasses.is_dataclass(schema):
        return "of another type"
    found = {f.name: f for f in dataclasses.fields(schema)}.get(key)
    if found is None:
        return "of another type"
    hint = typing.get_type_hints(schema).get(key)
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    nullable = len(args) < len(typing.get_args(hint))
    base = args[0] if nullable and len(args) == 1 else hint
    rule = found.metadata.get("rule")
    if rule is not None:
        says = rule.says
    else:
        words = {bool: "true or false", int: "a whole number", float: "a number", str: "text"}
        origin = typing.get_origin(base)
        says = words.get(base) or ("a list, e.g. [a, b]" if origin is list else "")
        says = says or "of another type"
    return says + (" or null" if nullable and not says_null(says) else "")
