"""A signed note says the same thing in every view, and never changes (issue 10, "Done when").

Hypothesis records random courses, signs some notes, then keeps writing: later drafts and
notes with other weights and PHQ-9 answers, and new clinic-settings versions. After every step each
signed note's derived values must be identical in ``note get``, the REST operation, the compiled
notebook (its data and its text), the PDF text and the FHIR bundle, and equal to what they were
when it was signed. (tests/server/test_one_record_rest.py checks the same through real HTTP.)
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kap_notes.compile.compiled import compile_patient, load_patient_data
from kap_notes.export import export_note_pdf
from kap_notes.export.fhir import export_fhir_bundle
from kap_notes.records.chart import chart
from kap_notes.records.display import number_text
from kap_notes.records.outcomes import series_for
from kap_notes.service import lifecycle, operations
from kap_notes.service import settings as clinic_settings
from kap_notes.service.synthetic import synthetic_course
from kap_notes.vault.session import Session
from tests.conftest import PASSPHRASES, create_clinic_vault
from tests.export.conftest import open_pdf, page_texts

START = dt.date(2026, 3, 2)
SCORES = ("phq9", "gad7", "pcl5")
DERIVED = ("dose_mg_per_kg", "phq9_change_percent", "phq9_response", "days_since_dosing")


@dataclass
class World:
    """One clinic's vault while the test writes to it."""

    tess: Session
    ada: Session
    patient: str
    steps: list[Any]
    signed: list[str] = field(default_factory=list)
    snapshot: dict[str, dict[str, Any]] = field(default_factory=dict)


def _save(world: World, form: str, answers: dict[str, Any], *, sign: bool) -> str:
    saved = lifecycle.save_draft(world.tess, world.patient, form, answers)
    if sign:
        try:
            lifecycle.sign_note(world.tess, saved.ref.note_id, PASSPHRASES["tess"])
        except lifecycle.NotSignable:
            return saved.ref.note_id  # e.g. a random date before its linked dosing: stays a draft
        world.signed.append(saved.ref.note_id)
    return saved.ref.note_id


def _later(world: World, form: str, days: int, weight: float, item: str) -> dict[str, Any]:
    step = next(s for s in world.steps if s.form == form)
    answers = dict(step.answers)
    when = START + dt.timedelta(days=days)
    key = "session_date" if "session_date" in answers else "session_datetime"
    answers[key] = when.isoformat() if key == "session_date" else f"{when}T10:00"
    if "weight_kg" in answers:
        answers["weight_kg"] = weight
    if "phq9" in answers:
        answers["phq9"] = {f"phq9_{i}": item for i in range(1, 10)}
    return answers


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _fhir_items(items: list[dict[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for item in items:
        for answer in item.get("answer", []):
            for key, value in answer.items():
                if key.startswith("value"):
                    found.setdefault(item["linkId"], value)
            found.update(_fhir_items(answer.get("item", [])))
        found.update(_fhir_items(item.get("item", [])))
    return found


def _views(world: World) -> dict[str, dict[str, Any]]:
    """For each signed note: its derived values as each view shows them (asserting they agree)."""
    tess = world.tess
    data = load_patient_data(tess, world.patient)
    notebook = _compact(json.dumps(json.loads(compile_patient(tess, world.patient).notebook_json)))
    bundle = export_fhir_bundle(tess, world.patient)
    responses = {
        r["resource"]["identifier"]["value"].split("|")[0]: r["resource"]
        for r in bundle["entry"]
        if r["resource"]["resourceType"] == "QuestionnaireResponse"
    }
    points = {p.note_id: p for p in series_for("phq9", chart(tess, world.patient).notes).points}
    seen: dict[str, dict[str, Any]] = {}
    for note_id in world.signed:
        details = lifecycle.note_details(tess, note_id).as_dict()
        rest = operations.run(tess, "get_note", {"note_id": note_id})
        assert details["frozen"] is True
        assert rest["computed"] == details["computed"], note_id
        assert rest["flags"] == details["flags"], note_id
        computed, flags = details["computed"], details["flags"]
        values = {k: computed.get(k) for k in DERIVED if k in computed}
        totals = {k: computed[k]["total"] for k in SCORES if isinstance(computed.get(k), dict)}

        pdf = export_note_pdf(tess, note_id)
        pdf_text = _compact(" ".join(page_texts(open_pdf(pdf.pdf, pdf.passphrase))))
        fhir = _fhir_items(responses[note_id]["item"])
        for key, value in values.items():
            if value is None or isinstance(value, bool):
                continue
            assert _compact(number_text(value)) in pdf_text, (note_id, key, value)
            assert _compact(number_text(value)) in notebook, (note_id, key, value)
            assert fhir.get(key) == value, (note_id, key, fhir.get(key), value)
        if "dose_mg_per_kg" in values:
            row = next(r for r in data.dosing if r["note_id"] == note_id)
            assert row["dose_mg_per_kg"] == values["dose_mg_per_kg"], note_id
        if totals:
            row = next(r for r in data.scores if r["note_id"] == note_id)
            for key, total in totals.items():
                assert row.get(key) == total, (note_id, key)
        for flag in flags:
            assert _compact(str(flag["message"])) in pdf_text, (note_id, flag)
        if computed.get("phq9_change_percent") is not None and note_id in points:
            # The course summary (notebook and PDF charts) shows the note's own frozen change.
            assert points[note_id].change_pct == round(computed["phq9_change_percent"])
            assert points[note_id].response == computed["phq9_response"]
        shown = sorted(str(f["message"]) for f in data.flags if f["note_id"] == note_id)
        assert shown == sorted(str(f["message"]) for f in flags), note_id
        seen[note_id] = {"computed": computed, "flags": flags}
    return seen


ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(["preparation", "dosing", "integration", "settings"]),
        st.integers(min_value=-20, max_value=60),  # days from the course start
        st.floats(min_value=40, max_value=160).map(lambda w: round(w, 1)),
        st.sampled_from(["0", "1", "2", "3"]),
        st.booleans(),  # sign it
    ),
    min_size=1,
    max_size=3,
)


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    seed=st.integers(min_value=0, max_value=40),
    sign_mask=st.lists(st.booleans(), min_size=4, max_size=4),
    actions=ACTIONS,
    threshold=st.integers(min_value=120, max_value=170),
)
def test_signed_notes_read_the_same_everywhere_and_never_change(
    tmp_path_factory: Any,
    seed: int,
    sign_mask: list[bool],
    actions: list[tuple[str, int, float, str, bool]],
    threshold: int,
) -> None:
    path: Path = tmp_path_factory.mktemp("views") / "vault"
    created, _ = create_clinic_vault(path)
    tess = created.vault.unlock("tess", PASSPHRASES["tess"])
    course = synthetic_course(seed, start=START)
    patient = operations.run(tess, "add_patient", {"data": course.profile})["patient_id"]
    world = World(tess, created.admin, patient, course.steps)
    clinic_settings.change(world.ada, {"systolic_alert_mmhg": threshold})
    dosing_id = ""
    for step, sign in zip(course.steps[:4], sign_mask, strict=True):
        answers = dict(step.answers)
        if step.form == "integration" and dosing_id:
            answers["linked_dosing_note_id"] = dosing_id
        note_id = _save(world, step.form, answers, sign=sign or step.form == "preparation")
        dosing_id = note_id if step.form == "dosing" else dosing_id
    world.snapshot = _views(world)

    for form, days, weight, item, sign in actions:
        if form == "settings":
            clinic_settings.change(world.ada, {"systolic_alert_mmhg": 110 + days % 80})
        else:
            _save(world, form, _later(world, form, days, weight, item), sign=sign)
        now = _views(world)
        for note_id, before in world.snapshot.items():
            assert now[note_id] == before, note_id
        world.snapshot = now
