"""``POST /kap-notes/api/settings`` refuses every value outside the declared bounds with a 422
naming the setting and its range, stores nothing invalid, and the server keeps working
(issue 9 item 15 / Deliver 11; issue 12 item 2 / Deliver 6). Through a real jupyter_server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from kap_notes.agent.keyholder import KeyHolder
from kap_notes.forms.settings_schema import ORDERED, SETTINGS, SettingSpec, json_schema
from kap_notes.server import handlers
from kap_notes.vault import trust
from tests.conftest import PASSPHRASES, Clinic

Fetch = Any

#: Raw JSON literals (sent verbatim: Python's json module reads NaN/Infinity/1e999 as floats).
HOSTILE = [
    '"abc"',
    '"15"',
    "1e308",
    "1e999",
    "-1e999",
    "NaN",
    "Infinity",
    "-Infinity",
    "true",
    "false",
    "null",
    "[]",
    "{}",
    "15.5",
    "0",
    "-5",
    "100000",
    "1" + "0" * 400,
]
#: What each setting accepts, in words (part of every refusal).
ALLOWED = {name: spec.allowed() for name, spec in SETTINGS.items()}
#: The setting paired with each of an ordered pair (diastolic below systolic, mg/kg min below max).
PARTNER = {**{lo.name: hi for lo, hi in ORDERED}, **{hi.name: lo for lo, hi in ORDERED}}


def hostile(spec: SettingSpec) -> list[str]:
    """The literals of HOSTILE this setting must refuse (15.5 is a fine decimal, 0 a fine
    tolerance; text settings refuse every literal that is not an acceptable text)."""
    return [lit for lit in HOSTILE if spec.problem(json.loads(lit)) is not None]


@pytest.fixture
def holder(jp_serverapp: Any) -> KeyHolder:
    keyholder: KeyHolder = jp_serverapp.web_app.settings["kap_notes_keyholder"]
    return keyholder


def stored(holder: KeyHolder, clinic: Clinic) -> tuple[Any, ...]:
    """This user's auto-lock and every clinic-settings version the vault's signed log holds."""
    policy = trust.from_genesis(clinic.vault.store, clinic.vault.vault_id)
    return holder.auto_lock_minutes, [h["values"] for h in policy.clinic_settings]


async def post(fetch: Fetch, path: str, raw: str) -> tuple[int, dict[str, Any]]:
    """POST ``raw`` as the body; the status and the decoded JSON answer (errors included)."""
    response = await fetch("kap-notes", "api", path, method="POST", body=raw, raise_error=False)
    return response.code, json.loads(response.body)


async def status(fetch: Fetch) -> dict[str, Any]:
    response = await fetch("kap-notes", "api", "status", method="GET")
    assert response.code == 200
    answer: dict[str, Any] = json.loads(response.body)
    return answer


@pytest.mark.parametrize("name", list(SETTINGS))
async def test_each_hostile_value_is_refused_and_nothing_changes(
    jp_fetch: Fetch, holder: KeyHolder, clinic: Clinic, name: str
) -> None:
    holder.unlock("ada", PASSPHRASES["ada"])  # an admin, who may change clinic settings
    before = stored(holder, clinic)
    for literal in hostile(SETTINGS[name]):
        # When JupyterLab (or anyone holding the token) sends a hostile value for the setting
        code, error = await post(jp_fetch, "settings", f'{{"{name}": {literal}}}')
        # Then it is a 422 that names the setting and what is allowed
        assert code == 422, (name, literal, error)
        assert name in error["error"], literal
        assert ALLOWED[name] in error["error"], literal
        # And nothing was stored: the server still answers and reports the old values
        assert stored(holder, clinic) == before, literal
        assert (await status(jp_fetch))["auto_lock_minutes"] == before[0]


async def test_a_body_with_one_bad_value_applies_none_of_it(
    jp_fetch: Fetch, holder: KeyHolder, clinic: Clinic
) -> None:
    holder.unlock("ada", PASSPHRASES["ada"])
    before = stored(holder, clinic)
    body = '{"auto_lock_minutes": 5, "systolic_alert_mmhg": NaN, "spo2_alert_below_percent": 90}'
    code, error = await post(jp_fetch, "settings", body)
    assert code == 422
    assert error["problems"] == [
        "systolic_alert_mmhg (clinic setting: flag systolic BP at or above) must be a whole "
        "number of mmHg from 90 to 250; got nan (not a finite number)"
    ]
    assert stored(holder, clinic) == before


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('{"auto_lock_minutes": 15, "colour": "red"}', "unknown setting 'colour'"),
        ('{"diastolic_alert_mmhg": 150, "systolic_alert_mmhg": 140}', "must be below"),
        ('"auto_lock_minutes"', "must be a JSON object"),
        ("[1, 2]", "must be a JSON object"),
        ("{not json", "not JSON"),
    ],
)
async def test_unknown_settings_inconsistent_thresholds_and_non_objects_are_refused(
    jp_fetch: Fetch, holder: KeyHolder, clinic: Clinic, raw: str, expected: str
) -> None:
    holder.unlock("ada", PASSPHRASES["ada"])
    before = stored(holder, clinic)
    code, error = await post(jp_fetch, "settings", raw)
    assert code == 422
    assert expected in error["error"]
    assert stored(holder, clinic) == before


async def test_bounds_are_inclusive_and_valid_values_apply(
    jp_fetch: Fetch, holder: KeyHolder
) -> None:
    holder.unlock("ada", PASSPHRASES["ada"])  # clinic settings are the admin's to change
    numbers = {n: s for n, s in SETTINGS.items() if s.kind != "text"}
    for name, spec in numbers.items():
        for value in (spec.minimum, spec.maximum):
            assert spec.problem(value) is None, (name, value)
            body: dict[str, Any] = {name: value}
            partner = PARTNER.get(name)
            if partner is not None:  # keep the pair in order: its partner at the far bound
                low = name in {lo.name for lo, _ in ORDERED}
                body[partner.name] = partner.maximum if low else partner.minimum
                if (value >= body[partner.name]) if low else (value <= body[partner.name]):
                    continue  # this bound can only stand with a partner out of range
            code, answer = await post(jp_fetch, "settings", json.dumps(body))
            assert code == 200, (name, value, answer)
            now = (
                holder.auto_lock_minutes
                if name == "auto_lock_minutes"
                else holder.with_session(lambda s: s.clinic_settings()[0]).as_mapping()[name]
            )
            assert now == value
    # A text setting takes an acceptable text
    code, answer = await post(jp_fetch, "settings", '{"clinic_time_zone": "Europe/Berlin"}')
    assert code == 200, answer
    zone = holder.with_session(lambda s: s.clinic_settings()[0]).as_mapping()["clinic_time_zone"]
    assert zone == "Europe/Berlin"
    # A whole number written as 30.0 is the whole number 30
    code, answer = await post(jp_fetch, "settings", '{"auto_lock_minutes": 30.0}')
    assert (code, answer["auto_lock_minutes"]) == (200, 30)
    assert isinstance(holder.auto_lock_minutes, int)


async def test_after_hostile_settings_unlock_touch_and_auto_lock_still_work(
    jp_fetch: Fetch, holder: KeyHolder
) -> None:
    # Given the values that used to break the server (500s until changed back, or no auto-lock)
    for raw in ('{"auto_lock_minutes": 1e308}', '{"auto_lock_minutes": 1e999}', "NaN"):
        code, _ = await post(jp_fetch, "settings", raw)
        assert code == 422
    # Then unlock, touch and status answer normally
    code, unlocked = await post(
        jp_fetch, "unlock", json.dumps({"user": "tess", "passphrase": PASSPHRASES["tess"]})
    )
    assert (code, unlocked["unlocked"]) == (200, True)
    code, touched = await post(jp_fetch, "touch", "{}")
    assert (code, touched["unlocked"]) == (200, True)
    # When the clinician sets the shortest auto-lock
    code, answer = await post(jp_fetch, "settings", '{"auto_lock_minutes": 1}')
    assert (code, answer["auto_lock_minutes"]) == (200, 1)
    assert 0 <= answer["seconds_to_lock"] <= 60
    # And a minute passes without activity (the key holder's clock, moved on; no sleeping)
    started = holder._clock()
    holder._clock = lambda: started + 61
    # Then the vault locks itself, and says so
    assert holder.check_idle() is True
    after = await status(jp_fetch)
    assert (after["unlocked"], after["seconds_to_lock"]) == (False, None)
    code, _ = await post(jp_fetch, "ops/list_patients", "{}")
    assert code == 423


def test_the_openapi_request_schema_is_the_declaration() -> None:
    spec = yaml.safe_load((Path(handlers.__file__).parent / "openapi.yaml").read_text())
    documented = spec["paths"]["/kap-notes/api/settings"]["post"]["requestBody"]["content"][
        "application/json"
    ]["schema"]
    declared = json_schema()
    assert documented["properties"] == declared["properties"]
    assert documented["additionalProperties"] is declared["additionalProperties"] is False
    assert "422" in spec["paths"]["/kap-notes/api/settings"]["post"]["responses"]


def lab_key(name: str) -> str:
    """The settings editor's key of a setting (labextension/src/settings.ts ``wireName``)."""
    special = {
        "systolic_alert_mmhg": "systolicAlertMmHg",
        "diastolic_alert_mmhg": "diastolicAlertMmHg",
        "max_dosing_sessions_per_7_days": "maxDosingSessionsPer7Days",
    }
    head, *rest = name.split("_")
    return special.get(name, head + "".join(w[:1].upper() + w[1:] for w in rest))


def test_jupyterlab_settings_offer_the_same_bounds() -> None:
    # JupyterLab's settings editor must not offer a value the server would refuse
    schema = Path(__file__).parents[2] / "labextension" / "schema" / "plugin.json"
    properties = json.loads(schema.read_text())["properties"]
    lab_names = {lab_key(name): name for name in SETTINGS}
    assert set(lab_names) == set(properties)
    for lab, name in lab_names.items():
        spec, offered = SETTINGS[name], properties[lab]
        assert spec.problem(offered["default"]) is None, lab
        if spec.kind == "text":
            assert offered["type"] == "string", lab
            continue
        assert offered["type"] == ("integer" if spec.kind == "integer" else "number"), lab
        assert (offered["minimum"], offered["maximum"]) == (spec.minimum, spec.maximum), lab
        if spec.clinic:  # labelled as a clinic setting, never advice
            assert offered["title"].startswith("Clinic setting"), lab
