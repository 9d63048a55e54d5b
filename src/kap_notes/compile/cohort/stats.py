"""Two small estimators, written out (each is a few lines; a survival library would pull in
scipy and more at run time). Tests check both against statsmodels and lifelines.

- :func:`wilson`: a proportion with its Wilson score interval (Wilson 1927);
- :func:`kaplan_meier`: the product-limit survival curve with right-censoring.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby

#: Two-sided 95 % normal quantile.
Z95 = 1.959963984540054


@dataclass(frozen=True)
class Proportion:
    """``successes`` of ``n`` with the Wilson interval (None when n is 0)."""

    successes: int
    n: int
    rate: float | None
    low: float | None
    high: float | None


def wilson(successes: int, n: int, z: float = Z95) -> Proportion:
    """The Wilson score interval of ``successes``/``n``."""
    if n <= 0:
        return Proportion(successes, n, None, None, None)
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return Proportion(successes, n, p, max(0.0, centre - half), min(1.0, centre + half))


@dataclass(frozen=True)
class Step:
    """The curve at one event or censoring time."""

    time: float
    at_risk: int
    events: int
    censored: int
    survival: float


def kaplan_meier(durations: Sequence[float], observed: Sequence[bool]) -> list[Step]:
    """S(t) at each distinct time (an event before a censoring at the same time, as usual)."""
    if len(durations) != len(observed):
        raise ValueError("durations and observed differ in length")
    pairs = sorted(zip(durations, observed, strict=True))
    at_risk, survival, steps = len(pairs), 1.0, []
    for time, group in groupby(pairs, key=lambda pair: pair[0]):
        same = [bool(seen) for _, seen in group]
        events = sum(same)
        survival *= 1 - events / at_risk
        steps.append(Step(time, at_risk, events, len(same) - events, survival))
        at_risk -= len(same)
    return steps
