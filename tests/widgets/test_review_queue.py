"""The notebook review queue widget: whose note each row is, a therapist filter, the preview."""

from __future__ import annotations

import datetime as dt

from kap_notes.agent.client import default_backend
from kap_notes.service.demo import record_course
from kap_notes.service.synthetic import synthetic_course
from kap_notes.vault import access
from kap_notes.widgets.review import ReviewQueue
from tests.conftest import PASSPHRASES, Clinic


def test_rows_filter_by_therapist_and_preview_names_the_patient(clinic: Clinic) -> None:
    access.assign_supervisor(clinic.admin, "sam", "theo")
    access.accept_supervisor(clinic.unlock("theo"), "sam")
    courses = {}
    for n, name in enumerate(("tess", "theo")):
        course = synthetic_course(40 + n, start=dt.date(2026, 5, 4), boosters=0)
        course.steps = course.steps[:2]
        record_course(clinic.unlock(name), course, passphrase=PASSPHRASES[name])
        courses[name] = course
    queue = ReviewQueue(default_backend(clinic.unlock("sam"), lambda _r: None))
    assert len(queue.rows.children) == 4
    assert set(queue.therapist.options) == {ReviewQueue.ALL, "tess", "theo"}
    queue.therapist.value = "theo"
    assert len(queue.rows.children) == 2
    label = queue.rows.children[0].children[0].value
    assert courses["theo"].profile["name"] in label
    assert courses["theo"].profile["chart_code"] in label
    assert "Preparation session" in label or "Intention-setting session" in label
    queue.rows.children[0].children[1].children[0].click()  # preview
    assert courses["theo"].profile["name"] in queue.preview.value
    queue.therapist.value = ReviewQueue.ALL
    assert len(queue.rows.children) == 4
