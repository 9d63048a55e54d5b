"""The nbconvert exporter turns a notebook with pre-rendered outputs into a PDF, in memory."""

from __future__ import annotations

import base64
import io

import nbformat
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from traitlets.config import Config

from kap_notes.export.nbconvert import KapPdfExporter
from kap_notes.export.render import ExportError
from tests.export.conftest import open_pdf

TABLE = (
    "<table><thead><tr><th>Date</th><th>PHQ-9</th></tr></thead>"
    "<tbody><tr><td>2026-01-05</td><td>17</td></tr></tbody></table>"
)


def _png() -> bytes:
    figure = Figure(figsize=(3, 2), dpi=50)
    FigureCanvasAgg(figure)
    figure.subplots().plot([1, 2, 3], [17, 11, 6])
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


@pytest.fixture
def notebook() -> nbformat.NotebookNode:
    png = base64.b64encode(_png()).decode()
    cells = [
        new_markdown_cell("# Progress: KAP-S00042\n\nPHQ-9 **fell** from *17* to `6`.\n\n- item"),
        new_code_cell(
            "plot()",
            outputs=[
                new_output("display_data", data={"image/png": png, "text/plain": "<Figure>"}),
                new_output("execute_result", data={"text/html": TABLE}, execution_count=1),
                new_output("stream", name="stdout", text="synthetic stream text\n"),
            ],
        ),
    ]
    nb = new_notebook(cells=cells, metadata={"kap_notes": {"chart_code": "KAP-S00042"}})
    nbformat.validate(nb)
    return nb


PASSPHRASE = "notebook passphrase"


def protected(**settings: object) -> KapPdfExporter:
    """The exporter as a clinic configures it (a passphrase is required)."""
    return KapPdfExporter(config=Config({"KapPdfExporter": {"passphrase": PASSPHRASE, **settings}}))


def test_without_a_passphrase_the_exporter_refuses(notebook: nbformat.NotebookNode) -> None:
    with pytest.raises(ExportError, match="always encrypted") as refused:
        KapPdfExporter().from_notebook_node(notebook)
    assert "KAP PDF (encrypted) on a progress notebook" in str(refused.value)  # what works


def test_menus_name_it_kap_pdf() -> None:
    assert KapPdfExporter.export_from_notebook == "KAP PDF (encrypted)"


def test_notebook_becomes_pdf(notebook: nbformat.NotebookNode) -> None:
    exporter = protected()
    pdf, resources = exporter.from_notebook_node(notebook, {"metadata": {"name": "Progress"}})
    assert pdf.startswith(b"%PDF")
    assert resources["output_extension"] == ".pdf"
    assert exporter.output_mimetype == "application/pdf"
    reader = open_pdf(pdf, PASSPHRASE)
    text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    assert "Progress: KAP-S00042" in text
    assert "PHQ-9 fell from 17 to 6" in text
    assert "2026-01-05 17" in text  # the HTML table became a table
    assert "synthetic stream text" in text
    assert "Chart KAP-S00042" in text
    assert "Confidential" in text
    images = [image for page in reader.pages for image in page.images]
    assert len(images) == 1
    assert images[0].image is not None
    assert images[0].image.size == (150, 100)


def test_passphrase_config_protects_the_pdf(notebook: nbformat.NotebookNode) -> None:
    config = Config({"KapPdfExporter": {"passphrase": "notebook passphrase"}})
    pdf, _ = KapPdfExporter(config=config).from_notebook_node(notebook)
    reader = open_pdf(pdf, "notebook passphrase")
    assert "KAP-S00042" in reader.pages[0].extract_text()


def test_hidden_input_is_left_out(notebook: nbformat.NotebookNode) -> None:
    pdf, _ = protected(exclude_input=True).from_notebook_node(notebook)
    text = open_pdf(pdf, PASSPHRASE).pages[0].extract_text()
    assert "plot()" not in text
    shown, _ = protected().from_notebook_node(notebook)
    assert "plot()" in open_pdf(shown, PASSPHRASE).pages[0].extract_text()


def test_markup_in_text_is_not_interpreted() -> None:
    nb = new_notebook(cells=[new_markdown_cell('Literal #set page(width: 1cm) and $x$ "quotes"')])
    pdf, _ = protected().from_notebook_node(nb)
    reader = open_pdf(pdf, PASSPHRASE)
    assert "#set page(width: 1cm)" in reader.pages[0].extract_text()
    assert float(reader.pages[0].mediabox.width) > 500  # still A4
