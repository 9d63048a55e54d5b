"""Small-cell suppression: no combination of quasi-identifiers describes fewer than k patients.

Patients in a combination shared by fewer than k are generalised one quasi-identifier at a time
(age band, then sex, then indication, then route become ``*``: route and indication
matter most to outcomes) until their combination is shared
by at least k; whoever is still in a smaller combination once all four are ``*`` is left out.
Generalising only ever merges small combinations into others, so no combination that already
held k patients shrinks. k is a clinic setting (``cohort_min_cell``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from kap_notes.compile.cohort.deidentify import SUPPRESSED

#: The quasi-identifiers, in the order they are generalised.
QUASI_IDENTIFIERS = ("age_band", "sex", "indication", "route")


@dataclass(frozen=True)
class Suppression:
    """What suppression did: the released quasi-identifiers of each kept row (by input index),
    how many values of each quasi-identifier were generalised, how many patients were left out."""

    k: int
    released: dict[int, dict[str, str]]
    generalised: dict[str, int] = field(default_factory=dict)
    dropped: int = 0


def _key(row: Mapping[str, str]) -> tuple[str, ...]:
    return tuple(row[q] for q in QUASI_IDENTIFIERS)


def suppress(rows: Sequence[Mapping[str, str]], k: int) -> Suppression:
    """Generalise, then drop, until every quasi-identifier combination holds ≥ ``k`` rows."""
    current = {i: {q: str(row[q]) for q in QUASI_IDENTIFIERS} for i, row in enumerate(rows)}
    generalised = dict.fromkeys(QUASI_IDENTIFIERS, 0)
    for name in QUASI_IDENTIFIERS:
        counts = Counter(_key(r) for r in current.values())
        small = [i for i, r in current.items() if counts[_key(r)] < k]
        if not small:
            break
        for i in small:
            if current[i][name] != SUPPRESSED:
                current[i][name] = SUPPRESSED
                generalised[name] += 1
    counts = Counter(_key(r) for r in current.values())
    kept = {i: r for i, r in current.items() if counts[_key(r)] >= k}
    return Suppression(k, kept, generalised, len(current) - len(kept))
