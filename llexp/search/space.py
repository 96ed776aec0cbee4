"""The search space of `hydra.sweeper.params` and the command line, as Optuna distributions.

The syntax is Hydra's sweep syntax, read as hydra-optuna-sweeper read it: `choice(a, b)` picks
one of the values, `interval(lo, hi)` a float in [lo, hi], `tag(log, interval(lo, hi))` the same
on a log scale, `range(start, stop, step)` one of the values Hydra's range gives (stop
excluded). Anything else (`model.width=4`) is fixed for every trial. Mistakes end in one line.
"""

from __future__ import annotations

from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import IntervalSweep, Override, RangeSweep, Transformer
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

from llexp.errors import LlexpError


def search_space(overrides: list[str]) -> tuple[dict[str, BaseDistribution], dict[str, str]]:
    """Splits `key=value` overrides into the searched distributions and the fixed values.

    Args:
        overrides: `hydra.sweeper.params` as `key=value` strings, then the command line's
            (a later one of the same key wins, so the command line narrows or fixes a preset's).

    Returns:
        `(distributions, fixed)`: `{key: distribution}` and `{key: value as typed}`.

    Raises:
        LlexpError: a reversed interval or range, a log scale that reaches 0 or below.
    """
    try:
        parsed = OverridesParser.create().parse_overrides(overrides)
    except Exception as error:  # noqa: BLE001  (Hydra's parse error: its first line says where)
        raise LlexpError(f"hydra.sweeper.params: {str(error).splitlines()[0]}") from None
    space: dict[str, BaseDistribution] = {}
    fixed: dict[str, str] = {}
    for override in parsed:
        key = override.get_key_element()
        space.pop(key, None)
        fixed.pop(key, None)
        if override.is_sweep_override():
            space[key] = distribution(override)
        else:
            fixed[key] = override.get_value_element_as_str()
    return space, fixed


def distribution(override: Override) -> BaseDistribution:
    """One sweep override (`choice`, `range`, `interval`, `tag(log, ...)`) as a distribution."""
    key, value = override.get_key_element(), override.value()
    shown = override.input_line or key
    if isinstance(value, IntervalSweep):
        low, high, log = float(value.start), float(value.end), "log" in value.tags
        if low > high:
            raise LlexpError(f"{shown}: the interval is reversed; write interval({high}, {low})")
        if log and low <= 0:
            raise LlexpError(
                f"{shown}: a log-scale interval must be above 0 (its lower end is {low}); "
                "give a positive lower end, e.g. interval(1e-5, ...)"
            )
        return FloatDistribution(low, high, log=log)
    if isinstance(value, RangeSweep) and not value.shuffle:
        values = list(override.sweep_iterator())
        if not values:
            raise LlexpError(f"{shown}: the range holds no value (is it reversed?)")
        if all(isinstance(v, int) for v in values):
            step = int(value.step) if len(values) > 1 else 1
            return IntDistribution(values[0], values[-1], step=step)
        return CategoricalDistribution(values)  # float steps: exactly Hydra's values
    choices = list(override.sweep_iterator(transformer=Transformer.encode))
    return CategoricalDistribution(choices)


def grid(space: dict[str, BaseDistribution]) -> dict[str, list[Any]]:
    """Every value of each distribution, for `hydra/sweeper/sampler=grid`; a float interval has
    none to list, so it is refused in one line."""
    values = {}
    for key, dist in space.items():
        if isinstance(dist, CategoricalDistribution):
            values[key] = list(dist.choices)
        elif isinstance(dist, IntDistribution) and not dist.log:
            values[key] = list(range(dist.low, dist.high + 1, dist.step))
        else:
            raise LlexpError(
                f"hydra.sweeper.params.{key}: the grid sampler needs choice(...) or range(...), "
                "not an interval"
            )
    return values
