"""The outcomes notebook's tables, computed from the cohort's frames only (pure pandas).

- response and remission per patient (ever met the instrument's published rule, among patients
  with a score after baseline), by route and by phase, with Wilson 95 % intervals;
- time to first response (Kaplan–Meier; censored at the last score);
- adverse events per 100 dosing sessions by type and route;
- mg/kg by route; courses by phase. Row order depends on content only (deterministic).
"""

from __future__ import annotations

import pandas as pd

from kap_notes.compile.cohort.stats import kaplan_meier, wilson
from kap_notes.records.outcomes import CHARTED_INSTRUMENTS, rule_of

#: Instruments with a published response rule (depression scales), in panel order.
RESPONSE_INSTRUMENTS = tuple(k for k in CHARTED_INSTRUMENTS if rule_of(k).response_drop_percent)


def per_patient(frames: dict[str, pd.DataFrame], instrument: str) -> pd.DataFrame:
    """One row per patient with ≥ 2 scores of ``instrument``: responded, remitted, the days to
    first response (or to the last score, censored), with the patient's route and phase."""
    scores = frames["scores"]
    scores = scores[scores["instrument"] == instrument].sort_values(
        ["study_id", "day", "total"], kind="stable"
    )
    by = scores.groupby("study_id", sort=True)
    later = scores[by.cumcount() > 0]  # every score after the baseline
    start = by["day"].first()
    hits = later[later["response"].eq(True)].groupby("study_id")["day"].min()
    table = pd.DataFrame(
        {
            "response": hits.reindex(start.index).notna(),
            "remission": later["remission"].eq(True).groupby(later["study_id"]).any(),
            "days": hits.reindex(start.index).fillna(later.groupby("study_id")["day"].max())
            - start,
        }
    ).dropna(subset=["remission"])  # patients with a later score only
    table = table.astype({"response": bool, "remission": bool, "days": int})
    table = table.rename_axis("study_id").reset_index()
    patients = frames["patients"][["study_id", "route", "phase"]]
    return table.merge(patients, on="study_id", how="left")


def rates(frames: dict[str, pd.DataFrame], instrument: str) -> pd.DataFrame:
    """Response and remission rates with Wilson 95 % intervals, overall, by route, by phase."""
    table = per_patient(frames, instrument)
    groups: list[tuple[str, str, pd.DataFrame]] = [("all", "all patients", table)]
    for by in ("route", "phase"):
        groups += [(by, str(v), g) for v, g in table.groupby(by, sort=True)]
    rows = []
    for by, value, group in groups:
        for outcome in ("response", "remission"):
            share = wilson(int(group[outcome].sum()), len(group))
            rows.append(
                {
                    "by": by,
                    "group": value,
                    "outcome": outcome,
                    "patients": share.n,
                    "met": share.successes,
                    "rate_pct": _pct(share.rate),
                    "ci95_low_pct": _pct(share.low),
                    "ci95_high_pct": _pct(share.high),
                }
            )
    return pd.DataFrame(rows)


def _pct(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 1)


def time_to_response(frames: dict[str, pd.DataFrame], instrument: str) -> pd.DataFrame:
    """Kaplan–Meier: share of patients who have responded by each day after baseline."""
    table = per_patient(frames, instrument)
    steps = kaplan_meier(table["days"].tolist(), table["response"].tolist())
    return pd.DataFrame(
        [
            {
                "day": int(s.time),
                "at_risk": s.at_risk,
                "responded": s.events,
                "censored": s.censored,
                "responded_by_now_pct": round(100 * (1 - s.survival), 1),
            }
            for s in steps
        ],
        columns=["day", "at_risk", "responded", "censored", "responded_by_now_pct"],
    )


def adverse_event_rates(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Adverse events per 100 dosing sessions, by event type and route."""
    sessions = frames["sessions"]
    dosing = sessions[sessions["form"] == "dosing"].fillna({"route": "not recorded"})
    per_route = dosing.groupby("route").size()
    events = frames["adverse_events"].fillna({"route": "not recorded"})
    counts = events.groupby(["event", "route"]).size().reset_index(name="events")
    counts["dosing_sessions"] = counts["route"].map(per_route).fillna(0).astype(int)
    counts["per_100_sessions"] = (100 * counts["events"] / counts["dosing_sessions"]).round(1)
    return counts.sort_values(["event", "route"]).reset_index(drop=True)


def mg_per_kg(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """mg/kg (frozen at signing) by route: sessions, median, quartiles, range."""
    sessions = frames["sessions"]
    dosing = sessions.assign(mg_per_kg=pd.to_numeric(sessions["mg_per_kg"])).dropna(
        subset=["mg_per_kg"]
    )
    grouped = dosing.groupby("route", sort=True)["mg_per_kg"]
    table = pd.DataFrame(
        {
            "sessions": grouped.size(),
            "median": grouped.median(),
            "q1": grouped.quantile(0.25),
            "q3": grouped.quantile(0.75),
            "min": grouped.min(),
            "max": grouped.max(),
        }
    )
    return table.round(3).reset_index()


def phases(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Patients by current phase, with their signed sessions by form."""
    patients = frames["patients"].groupby("phase").size().rename("patients")
    sessions = frames["sessions"].groupby(["phase", "form"]).size().unstack(fill_value=0)
    table = pd.concat([patients.to_frame(), sessions], axis=1).fillna(0).astype(int)
    order = [p for p in ("preparation", "induction", "maintenance") if p in table.index]
    return table.loc[order].rename_axis("phase").reset_index()
