"""PDF benchmark: a ~100-note record through typst (in memory) vs nbconvert's webpdf on chromium.

Run: .venv/bin/python benchmarks/pdf.py   (prints medians and ratios from one run; no asserts)

The webpdf side gets an equivalent notebook (one markdown cell per note with the same fields,
signatures and addenda, plus the outcome chart as a PNG output). nbconvert's WebPDFExporter
launches playwright's own browser with no way to pass ``executable_path``; the subclass below
injects ``/usr/bin/chromium`` (Debian) into playwright's ``BrowserType.launch`` for its calls.
Synthetic data only, in a throw-away vault.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import pypdf
from nbconvert.exporters import WebPDFExporter
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from kap_notes.export import PdfExport, export_record_pdf
from kap_notes.export.charts import outcome_chart_png
from kap_notes.export.document import note_document, notes_in, outcome_rows, user_names
from kap_notes.export.nbconvert import KapPdfExporter
from kap_notes.model.people import Role
from kap_notes.records.chart import Chart, chart
from kap_notes.service import lifecycle, patients, review
from kap_notes.service.synthetic import synthetic_course
from kap_notes.vault import access
from kap_notes.vault.crypto import FAST_KDF
from kap_notes.vault.session import Session
from kap_notes.vault.vault import Vault

CHROMIUM = "/usr/bin/chromium"
COURSES = 6  # 18 notes each → 108 notes
REPEATS = {"kap": 5, "webpdf": 3}
TARGET_S = 3.0


class SystemChromiumWebPDFExporter(WebPDFExporter):  # type: ignore[misc]
    """nbconvert's webpdf exporter on the Debian chromium instead of playwright's download."""

    def run_playwright(self, html: str) -> bytes:
        from playwright.async_api import BrowserType  # noqa: PLC0415

        original = BrowserType.launch

        async def launch(browser_type: Any, **kwargs: Any) -> Any:
            kwargs.setdefault("executable_path", CHROMIUM)
            return await original(browser_type, **kwargs)

        BrowserType.launch = launch  # type: ignore[method-assign,assignment]
        try:
            pdf: bytes = super().run_playwright(html)
        finally:
            BrowserType.launch = original  # type: ignore[method-assign]
        return pdf


def record_patient(folder: Path) -> tuple[Session, str]:
    """One synthetic patient with ``COURSES`` courses of signed notes, some co-signed."""
    created = Vault.init(
        folder / "vault",
        admin_name="ada",
        admin_passphrase="ada bench pass",  # noqa: S106 - synthetic benchmark vault
        kdf=FAST_KDF,
        kdf_floor=FAST_KDF,
    )
    access.add_user(created.admin, "tess", Role.THERAPIST, "tess bench pass")
    access.add_user(created.admin, "sam", Role.SUPERVISOR, "sam bench pass")
    access.assign_supervisor(created.admin, "sam", "tess")
    tess = created.vault.unlock("tess", "tess bench pass")
    access.accept_supervisor(tess, "sam")
    first = synthetic_course(1, start=dt.date(2024, 1, 8))
    patient_id = patients.add_patient(tess, first.profile)
    note_ids: list[str] = []
    for index in range(COURSES):
        course = synthetic_course(
            index + 1, start=dt.date(2024, 1, 8) + dt.timedelta(weeks=20 * index)
        )
        last_dosing = None
        for step in course.steps:
            answers = dict(step.answers)
            if step.form == "integration" and last_dosing:
                answers["linked_dosing_note_id"] = last_dosing
            saved = lifecycle.save_draft(tess, patient_id, step.form, answers)
            lifecycle.sign_note(tess, saved.ref.note_id, "tess bench pass")
            last_dosing = saved.ref.note_id if step.form == "dosing" else last_dosing
            note_ids.append(saved.ref.note_id)
    sam = created.vault.unlock("sam", "sam bench pass")
    for note_id in note_ids[::3]:
        review.cosign(sam, note_id, passphrase="sam bench pass")  # noqa: S106 - synthetic
    for note_id in note_ids[::10]:
        text = "Synthetic addendum for the benchmark."
        lifecycle.add_addendum(tess, note_id, text, passphrase="tess bench pass")  # noqa: S106
    return tess, patient_id


def _markdown(block: dict[str, Any]) -> str:
    if block["kind"] == "heading":
        return "#" * min(block["level"] + 1, 6) + " " + block["text"]
    header, rows = (["Item", "Answer"], block["rows"]) if block["kind"] == "fields" else (
        block["header"], block["rows"])  # fmt: skip
    cells = [header, ["---"] * len(header), *rows]
    return "\n".join("| " + " | ".join(str(c).replace("|", "/") for c in r) + " |" for r in cells)


def equivalent_notebook(session: Session, record: Chart) -> nbformat.NotebookNode:
    """The record as a notebook: chart PNG output, then one markdown cell per note."""
    png = outcome_chart_png(outcome_rows(record)) or b""
    data = {"image/png": base64.b64encode(png).decode(), "text/plain": "chart"}
    cells = [
        new_markdown_cell(f"# Clinical record {record.patient.chart_code}"),
        new_code_cell("chart()", outputs=[new_output("display_data", data=data)]),
    ]
    name_of = user_names(session.store.get_user)
    for view in record.notes:
        note = note_document(view, name_of, notes_in(record))
        parts = [f"# {note['title']} — {note['session_date']}", f"Status: {note['status']}"]
        parts += [_markdown(b) for b in note["blocks"]]
        signature = note["signature"] or {}
        parts.append(f"Signed by {signature.get('name')} {signature.get('at')}")
        parts += [f"{r['decision']} by {r['by']} {r['at']}: {r['text']}" for r in note["reviews"]]
        parts += [f"Addendum by {a['author']}, {a['at']}: {a['text']}" for a in note["addenda"]]
        cells.append(new_markdown_cell("\n\n".join(parts)))
    return new_notebook(
        cells=cells, metadata={"kap_notes": {"chart_code": record.patient.chart_code}}
    )


def median_seconds(action: Callable[[], object], repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} is missing: apt-get install -y chromium")
    folder = Path(tempfile.mkdtemp(prefix="kap-bench-"))
    try:
        session, patient_id = record_patient(folder)
        record = chart(session, patient_id)
        notes = len(record.notes)
        kap, export = median_seconds(lambda: export_record_pdf(session, patient_id), REPEATS["kap"])
        assert isinstance(export, PdfExport)
        reader = pypdf.PdfReader(io.BytesIO(export.pdf))
        reader.decrypt(export.passphrase)
        pages = len(reader.pages)
        notebook = equivalent_notebook(session, record)
        kap_nb, _ = median_seconds(
            lambda: KapPdfExporter().from_notebook_node(notebook), REPEATS["kap"]
        )
        exporter = SystemChromiumWebPDFExporter(disable_sandbox=True)
        webpdf, (web_pdf, _) = median_seconds(
            lambda: exporter.from_notebook_node(notebook), REPEATS["webpdf"]
        )
        print(f"record: {notes} notes, {pages} pages (typst), webpdf on {CHROMIUM} via playwright")
        print(
            f"kap export_record_pdf (typst + AES-256 + audit), median of {REPEATS['kap']}: "
            f"{kap:.2f} s (target <= {TARGET_S:.0f} s: {'met' if kap <= TARGET_S else 'MISSED'})"
        )
        print(
            f"kap_pdf nbconvert exporter, same notebook, median of {REPEATS['kap']}: {kap_nb:.2f} s"
        )
        print(
            f"nbconvert webpdf (chromium), same notebook, median of {REPEATS['webpdf']}: "
            f"{webpdf:.2f} s, {len(web_pdf)} bytes"
        )
        print(f"ratio webpdf / kap record export: {webpdf / kap:.1f}x")
        print(f"ratio webpdf / kap_pdf exporter (notebook to notebook): {webpdf / kap_nb:.1f}x")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
