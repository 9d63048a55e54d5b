"""Template loading: schema validation of every shipped file, clear errors, clinic overrides."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from kap_notes.forms import (
    ENV_VAR,
    TemplateError,
    get_template,
    load_template_file,
    load_templates,
    shipped_templates,
)
from kap_notes.forms.loader import default_registry
from tests.forms.helpers import shipped_yaml, write_yaml

SHIPPED = sorted(
    f"{folder}/{f.name}"
    for folder in ("forms", "instruments")
    for f in (shipped_templates() / folder).iterdir()
    if f.name.endswith(".yaml")
)
SESSION_FORMS = ["preparation", "intention", "dosing", "integration", "process-note"]
INSTRUMENTS = [
    "phq9", "gad7", "pcl5", "qids_sr16", "cssrs_screener", "madrs", "cadss", "moaas", "meq30",
    "ebi", "edi",
]  # fmt: skip


def _schema() -> dict[str, object]:
    text = (resources.files("kap_notes.forms") / "template.schema.json").read_text("utf-8")
    loaded: dict[str, object] = json.loads(text)
    return loaded


def test_schema_ships_with_the_package_and_is_valid() -> None:
    Draft202012Validator.check_schema(_schema())


@pytest.mark.parametrize("relative", SHIPPED)
def test_every_shipped_template_validates_against_the_schema(relative: str) -> None:
    doc = shipped_yaml(relative)
    errors = list(Draft202012Validator(_schema()).iter_errors(doc))
    assert errors == []
    assert load_template_file(shipped_templates() / relative).url == doc["url"]


def test_shipped_folder_is_the_repository_templates_in_an_editable_install() -> None:
    root = Path(str(shipped_templates()))
    assert (root / "forms" / "dosing.yaml").is_file()


def test_all_session_forms_and_instruments_load() -> None:
    registry = load_templates(use_env=False)
    assert sorted(d.name for d in registry.forms) == sorted(SESSION_FORMS)
    assert sorted(d.name for d in registry.instruments) == sorted(INSTRUMENTS)


def test_process_note_is_flagged_process_and_others_clinical() -> None:
    assert get_template("process-note").note_class == "process"
    assert {get_template(n).note_class for n in SESSION_FORMS if n != "process-note"} == {
        "clinical"
    }


def test_lookup_by_url_and_canonical() -> None:
    dosing = get_template("dosing")
    assert get_template(dosing.url) is dosing
    assert get_template(dosing.canonical) is dosing
    with pytest.raises(KeyError, match="no template named"):
        get_template("no-such-form")


def test_instrument_loinc_codes_live_in_the_data() -> None:
    phq9, gad7 = get_template("phq9"), get_template("gad7")
    assert phq9.codes[0]["code"] == "44249-1"
    assert phq9.score is not None
    assert phq9.score.total_loinc == "44261-6"
    assert gad7.codes[0]["code"] == "69737-5"
    assert gad7.score is not None
    assert gad7.score.total_loinc == "70274-6"


@pytest.mark.parametrize("name", ["qids_sr16", "cssrs_screener", "madrs", "cadss", "meq30"])
def test_score_entry_instruments_ship_no_item_text(name: str) -> None:
    instrument = get_template(name)
    assert instrument.item_text == "none"
    assert all(
        item.type not in ("choice",) or name == "cssrs_screener" for item in instrument.items
    )


def test_broken_template_message_names_file_link_id_and_problem(tmp_path: Path) -> None:
    doc = shipped_yaml("forms/dosing.yaml")
    vitals = next(i for i in doc["items"] if i["linkId"] == "vitals")
    systolic = next(i for i in vitals["item"] if i["linkId"] == "systolic")
    systolic["type"] = "decimal"  # decimal needs unit and range: drop the range
    del systolic["range"]
    path = write_yaml(tmp_path / "clinic", "dosing.yaml", doc | {"version": "9.0.0"})
    with pytest.raises(TemplateError) as caught:
        load_templates([tmp_path / "clinic"], use_env=False)
    message = str(caught.value)
    assert str(path) in message
    assert "vitals > systolic" in message
    assert "'range' is a required property" in message


def test_semantic_errors_name_the_link_id(tmp_path: Path) -> None:
    doc = shipped_yaml("forms/intention.yaml") | {"version": "2.0.0"}
    doc["items"].append(
        {
            "linkId": "music_volume",
            "text": "Music volume",
            "type": "string",
            "enableWhen": [{"question": "no_such_item", "operator": "exists", "answer": True}],
        }
    )
    doc["items"].append({"linkId": "hopes", "text": "Duplicate", "type": "string"})
    write_yaml(tmp_path, "intention.yaml", doc)
    with pytest.raises(TemplateError) as caught:
        load_templates([tmp_path], use_env=False)
    problems = caught.value.problems
    assert any("item 'music_volume'" in p and "'no_such_item'" in p for p in problems)
    assert any("item 'hopes'" in p and "more than once" in p for p in problems)


def test_unknown_operator_is_rejected_never_evaluated(tmp_path: Path) -> None:
    doc = shipped_yaml("forms/process_note.yaml") | {"version": "2.0.0"}
    doc["items"].append(
        {"linkId": "x", "text": "X", "type": "integer", "compute": {"op": "__import__"}}
    )
    write_yaml(tmp_path, "p.yaml", doc)
    with pytest.raises(TemplateError, match="unknown operator '__import__'"):
        load_templates([tmp_path], use_env=False)


def test_invalid_yaml_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("url: [unclosed\n", "utf-8")
    with pytest.raises(TemplateError, match=r"bad\.yaml: not valid YAML"):
        load_templates([tmp_path], use_env=False)


def test_clinic_template_with_newer_version_overrides(tmp_path: Path) -> None:
    doc = shipped_yaml("forms/intention.yaml")
    doc["version"] = "1.1.0"
    doc["title"] = "Intention setting (Synthetic Clinic)"
    write_yaml(tmp_path / "forms", "intention.yaml", doc)
    registry = load_templates([tmp_path], use_env=False)
    assert registry.get("intention").version == "1.1.0"
    assert registry.get("intention").title.endswith("(Synthetic Clinic)")
    assert registry.get("intention", "1.0.0").title == "Intention-setting session"


def test_same_url_and_version_twice_is_an_error(tmp_path: Path) -> None:
    write_yaml(tmp_path, "intention.yaml", shipped_yaml("forms/intention.yaml"))
    with pytest.raises(TemplateError, match="already defined"):
        load_templates([tmp_path], use_env=False)


def test_extra_folder_from_environment_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    extra = {
        "url": "urn:synthetic-clinic:form:phone-check-in",
        "version": "1.0.0",
        "name": "phone-check-in",
        "title": "Phone check-in",
        "kind": "form",
        "items": [{"linkId": "call_date", "text": "Call date", "type": "date", "required": True}],
    }
    write_yaml(first, "check_in.yaml", extra)
    newer_phq9 = shipped_yaml("instruments/phq9.yaml") | {"version": "1.0.1"}
    write_yaml(second / "instruments", "phq9.yaml", newer_phq9)
    monkeypatch.setenv(ENV_VAR, f"{first}{__import__('os').pathsep}{second}")
    assert get_template("phone-check-in").title == "Phone check-in"
    assert get_template("phq9").version == "1.0.1"
    assert get_template("integration").instruments[get_template("phq9").url].version == "1.0.1"
    monkeypatch.delenv(ENV_VAR)
    assert default_registry().get("phq9").version == "1.0.0"


def test_missing_instrument_reference_is_reported(tmp_path: Path) -> None:
    doc = shipped_yaml("forms/process_note.yaml") | {"version": "3.0.0"}
    doc["items"].append(
        {"linkId": "bdi", "text": "BDI", "type": "instrument", "instrument": "urn:none:bdi"}
    )
    write_yaml(tmp_path, "p.yaml", doc)
    with pytest.raises(TemplateError, match="item 'bdi': instrument 'urn:none:bdi'"):
        load_templates([tmp_path], use_env=False)


def test_template_yaml_is_plain_data() -> None:
    for relative in SHIPPED:
        text = (shipped_templates() / relative).read_text("utf-8")
        assert "!!python" not in text
        assert isinstance(yaml.safe_load(text), dict)
