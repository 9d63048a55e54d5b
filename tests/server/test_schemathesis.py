"""Schemathesis against a real ``jupyter server`` (subprocess on 127.0.0.1, token required) serving
the kap-notes extension on a throwaway demo vault: once unlocked, once locked.

Every request schemathesis generates from ``openapi.yaml`` (valid and invalid bodies, wrong
types, missing fields, odd path ids) must get an answer the spec documents: no 5xx, a documented
status, the documented content type and headers, a body in the documented schema, and every body
the spec forbids refused. The run's summary is printed (``make test`` shows it).

``POST /lock`` is left out of the unlocked run (it would end that run's point after a few
requests); the locked run covers it. Everything else runs: the hooks (``schemathesis_hooks.py``)
put the vault's real ids into bodies, so drafts get saved or discarded and access requested in the
throwaway vault; signing and the other re-authenticated operations need the passphrase, which the
generator never guesses (403, then 429 back-off: both documented). The server log must hold no
traceback afterwards.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from kap_notes.compile.overview import OVERVIEW_SECTIONS
from kap_notes.compile.sections import SECTIONS
from kap_notes.server.openapi import SPEC_PATH
from kap_notes.service import requests
from kap_notes.service.demo import DEMO_USERS, create_demo
from kap_notes.service.requests import MAX_PROBLEMS, MAX_VALUES
from kap_notes.vault.crypto import FAST_KDF

#: Zero 500s and zero schema violations, in schemathesis' words.
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "unsupported_method",
)
EXAMPLES = 20  # per operation and phase: enough to find type confusion, lean enough for CI
WORKERS = 2  # the server works while the next cases are generated (each operation keeps its seed)
SEED = 20_261_130  # fixed: a failure reproduces with the same command
HERE = Path(__file__).parent
FORMS = Path(__file__).parents[2] / "templates" / "forms"
USER = "tess"  # a therapist: sees patients, may not change clinic settings (403, documented)


@dataclass
class Server:
    """A ``jupyter server`` subprocess with kap-notes on its own dirs and a random token."""

    base: Path
    token: str = field(default_factory=lambda: secrets.token_hex(16))
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    def env(self) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("JUPYTER", "KAP_NOTES", "XDG_", "IPYTHON", "MPL"))
        }
        env.update(
            HOME=str(self.base / "home"),
            JUPYTER_CONFIG_DIR=str(self.base / "config"),
            JUPYTER_DATA_DIR=str(self.base / "data"),
            JUPYTER_RUNTIME_DIR=str(self.base / "runtime"),
            TMPDIR=str(self.base / "tmp"),
            KAP_NOTES_VAULT=str(self.base / "vault"),
            KAP_NOTES_FAST_KDF="1",
            PYTHONDONTWRITEBYTECODE="1",
        )
        return env

    def start(self, timeout: float = 90) -> None:
        for name in ("home", "config", "data", "runtime", "tmp", "root"):
            (self.base / name).mkdir(exist_ok=True)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        command = [
            sys.executable,
            "-m",
            "jupyter_server",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.base / 'root'}",
        ]
        if os.geteuid() == 0:
            command.append("--allow-root")
        with (self.base / "server.log").open("wb") as log:
            self.process = subprocess.Popen(
                command,
                env=self.env(),
                cwd=self.base / "root",
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while True:
            assert self.process.poll() is None, f"jupyter server exited:\n{self.log()}"
            with contextlib.suppress(httpx.TransportError):
                if self.get("/kap-notes/api/status").status_code == 200:
                    return
            assert time.monotonic() < deadline, f"not ready in {timeout} s:\n{self.log()}"
            time.sleep(0.2)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)

    def log(self, chars: int | None = 4000) -> str:
        text = (self.base / "server.log").read_text(errors="replace")
        return text if chars is None else text[-chars:]

    def get(self, path: str) -> httpx.Response:
        return httpx.get(self.url + path, headers=self.headers, timeout=30)

    def post(self, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return httpx.post(self.url + path, headers=self.headers, json=body or {}, timeout=60)

    def status(self) -> dict[str, Any]:
        answer: dict[str, Any] = self.get("/kap-notes/api/status").json()
        return answer


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    base = tmp_path_factory.mktemp("schemathesis")
    create_demo(base / "vault", kdf=FAST_KDF, kdf_floor=FAST_KDF, patient_count=4)
    served = Server(base)
    served.start()
    yield served
    served.stop()


@dataclass(frozen=True)
class Run:
    """One schemathesis run: its exit code, console output, JSON report and answers seen."""

    returncode: int
    output: str
    report: dict[str, Any]
    statuses: Counter[tuple[str, int]]  # (operation label, status) -> responses

    def summary(self, label: str) -> str:
        cases = self.report["test_cases"]
        ops = self.report["operations"]
        by_status = Counter[int]()
        for (_, status), count in self.statuses.items():
            by_status[status] += count
        answers = ", ".join(f"{s}: {n}" for s, n in sorted(by_status.items()))
        return (
            f"schemathesis ({label}): {ops['tested']} operations, "
            f"{cases['generated']} test cases, {sum(by_status.values())} requests "
            f"({answers}); {cases['unique_failures']} failures, {cases['errored']} errors, "
            f"seed {self.report['seed']}, {self.report['running_time']:.0f} s"
        )

    def problems(self) -> str:
        """The console's failure section (what to fix), or the whole output if there is none."""
        marker = "=== FAILURES ==="
        text = self.output[self.output.find(marker) :] if marker in self.output else self.output
        return text[-20_000:]


def vault_values(server: Server) -> dict[str, list[str]]:
    """Ids and names that exist in the vault (asked while unlocked), for the hooks to use."""
    patients = [p["patient_id"] for p in server.post("/kap-notes/api/ops/list_patients").json()]
    notes = [
        n["note_id"]
        for patient_id in patients
        for n in server.post("/kap-notes/api/ops/list_notes", {"patient_id": patient_id}).json()
    ]
    assert patients, "the demo vault gives the therapist patients"
    assert notes, "and notes"
    return {
        "patient_id": patients,
        "note_id": notes,
        "form": sorted(p.stem.replace("_", "-") for p in FORMS.glob("*.yaml")),
        "section": [*SECTIONS, *OVERVIEW_SECTIONS],
        "user": list(DEMO_USERS),
        "supervisor": ["sam"],
    }


def schemathesis(
    server: Server, reports: Path, *extra: str, values: dict[str, list[str]] | None = None
) -> Run:
    """``st run`` against ``server`` with the spec the server ships; waits for the end.
    ``values``: ids and names the hooks (:mod:`schemathesis_hooks`) may put into bodies."""
    reports.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
        "SCHEMATHESIS_HOOKS": "schemathesis_hooks",
        "KAP_FUZZ_VALUES": json.dumps(values or {}),
    }
    command = [
        str(Path(sys.executable).with_name("st")),
        "run",
        str(SPEC_PATH),
        f"--url={server.url}",
        f"--header=Authorization: token {server.token}",
        f"--checks={','.join(CHECKS)}",
        f"--max-examples={EXAMPLES}",
        f"--seed={SEED}",
        f"--workers={WORKERS}",
        "--generation-database=none",
        "--continue-on-failure",
        "--request-timeout=30",
        "--no-color",
        "--report=json,ndjson",
        f"--report-json-path={reports / 'report.json'}",
        f"--report-ndjson-path={reports / 'events.ndjson'}",
        *extra,
    ]
    result = subprocess.run(
        command, cwd=reports, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    report = json.loads((reports / "report.json").read_text())
    return Run(
        result.returncode,
        result.stdout + result.stderr,
        report,
        _statuses(reports / "events.ndjson"),
    )


def _statuses(events: Path) -> Counter[tuple[str, int]]:
    """(operation, status) of every response the run recorded."""
    seen: Counter[tuple[str, int]] = Counter()
    with events.open() as lines:
        for line in lines:
            event = json.loads(line)
            finished = event.get("ScenarioFinished")
            if not finished:
                continue
            recorder = finished["recorder"]
            for interaction in (recorder.get("interactions") or {}).values():
                response = interaction.get("response")
                if response:
                    seen[recorder["label"], response["status_code"]] += 1
    return seen


def report_and_check(
    run: Run, server: Server, label: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with capsys.disabled():
        print(f"\n{run.summary(label)}")
    assert "Traceback" not in server.log(chars=None), server.log()
    assert run.report["test_cases"]["unique_failures"] == 0, run.problems()
    assert run.report["test_cases"]["errored"] == 0, run.problems()
    assert run.returncode == 0, run.problems()
    assert not any(status >= 500 for _, status in run.statuses), run.problems()


def test_unlocked_api_answers_every_request_as_documented(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    unlocked = server.post(
        "/kap-notes/api/unlock", {"user": USER, "passphrase": DEMO_USERS[USER][1]}
    )
    assert unlocked.status_code == 200, unlocked.text

    values = vault_values(server)
    run = schemathesis(server, tmp_path, "--exclude-path=/kap-notes/api/lock", values=values)

    report_and_check(run, server, f"unlocked as {USER}", capsys)
    assert run.report["operations"]["tested"] == len(_operations()) - 1
    ops_ok = {label for (label, status) in run.statuses if "/ops/" in label and status == 200}
    assert len(ops_ok) >= 5, f"the vault answered too few operations: {sorted(ops_ok)}"
    assert server.status()["unlocked"], "the run was meant to stay unlocked throughout"


def test_locked_api_answers_every_request_as_documented(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert server.post("/kap-notes/api/lock").status_code == 200
    assert not server.status()["unlocked"]

    run = schemathesis(server, tmp_path)

    report_and_check(run, server, "locked", capsys)
    assert run.report["operations"]["tested"] == len(_operations())
    answered = Counter(status for _, status in run.statuses)
    assert answered[423] > 0, "locked: operations that need the vault answer 423"
    assert not server.status()["unlocked"]


def _operations() -> list[tuple[str, str]]:
    spec = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    return [
        (method, path)
        for path, item in spec["paths"].items()
        for method in item
        if method in {"get", "post", "put", "delete", "patch"}
    ]


# -- what the first runs found, pinned as fast regressions (jupyter_server in process) ------------
async def _post(fetch: Any, path: str, raw: str, method: str = "POST") -> tuple[int, Any]:
    response = await fetch(
        "kap-notes",
        "api",
        *path.split("/"),
        method=method,
        body=raw if method == "POST" else None,
        raise_error=False,
    )
    return response.code, json.loads(response.body)


async def test_a_huge_nested_body_is_refused_at_once_not_validated_for_seconds(
    jp_fetch: Any,
) -> None:
    """Schemathesis sent save_draft 5.8 MB of nested lists: validating it took over 10 s."""
    nested = ["", [None, None], 0, {}] * 250
    raw = json.dumps({"patient_id": "p", "form": "dosing", "answers": {"x": ["", nested] * 200}})
    began = time.perf_counter()
    code, body = await _post(jp_fetch, "ops/save_draft", raw)
    assert (code, body["code"]) == (422, "invalid_input"), body
    assert body["problems"] == [f"save_draft: the request body holds more than {MAX_VALUES} values"]
    assert time.perf_counter() - began < 3


async def test_a_422_lists_a_bounded_number_of_problems(jp_fetch: Any) -> None:
    raw = json.dumps({"answers": {f"item{i}": [[[[1]]]] for i in range(60)}})
    code, body = await _post(jp_fetch, "ops/save_draft", raw)
    assert code == 422
    assert len(body["problems"]) == MAX_PROBLEMS + 1
    assert body["problems"][-1].endswith("more problem(s)")


@pytest.mark.parametrize("confirmation_id", ["%C2%A8%0F", "a.b", "%40%C2%85T", "x%2Fy"])
@pytest.mark.parametrize("method", ["POST", "DELETE"])
async def test_any_confirmation_id_answers_in_the_error_schema(
    jp_fetch: Any, confirmation_id: str, method: str
) -> None:
    """Ids outside [A-Za-z0-9_-] fell through to Jupyter's HTML 404 page."""
    code, body = await _post(
        jp_fetch, f"confirmations/{confirmation_id}", '{"passphrase": "x"}', method
    )
    assert code in {404, 423}, body
    assert {"error", "code", "type", "message"} <= set(body), body


def test_the_declared_section_names_are_the_ones_compile_renders() -> None:
    """requests.py writes them out (no pandas import to check a request); the spec uses them."""
    assert tuple(SECTIONS) == requests.SECTIONS
    assert tuple(OVERVIEW_SECTIONS) == requests.OVERVIEW_SECTIONS


async def test_spec_constraints_found_by_schemathesis_are_checked_at_the_edge(
    jp_fetch: Any,
) -> None:
    """What the server refused deeper down, the declaration (so the spec) now says."""
    cases = {
        "ops/render_section": (
            {"patient_id": "p", "section": "nope"},
            "unknown section 'nope'; choose one of: outcomes",
        ),
        "ops/render_overview_section": (
            {"section": "x"},
            "unknown section 'x'; choose one of: patients",
        ),
        "ops/add_addendum": ({"note_id": "n", "text": " \n", "passphrase": "p"}, "needs some text"),
        "ops/return_note": (
            {"note_id": "n", "comment": "\t", "passphrase": "p"},
            "needs a comment",
        ),
        "ops/add_patient": ({"data": {"name": "A", "eye_colour": "x"}}, "unknown field(s)"),
    }
    for path, (body, said) in cases.items():
        code, answer = await _post(jp_fetch, path, json.dumps(body))
        assert (code, answer["code"]) == (422, "invalid_input"), answer
        assert any(said in problem for problem in answer["problems"]), answer


@pytest.mark.parametrize(
    ("path", "allow"),
    [
        ("status", "GET"),
        ("ops/whoami", "POST"),
        ("settings", "GET, POST"),
        ("confirmations/c1", "POST, DELETE"),
    ],
)
async def test_a_method_the_route_lacks_is_405_with_allow(
    jp_fetch: Any, path: str, allow: str
) -> None:
    """RFC 9110 wants the Allow header on a 405 (schemathesis' unsupported_method check)."""
    response = await jp_fetch(
        "kap-notes", "api", *path.split("/"), method="PUT", body="{}", raise_error=False
    )
    assert response.code == 405
    assert response.headers["Allow"] == allow
    assert json.loads(response.body)["code"] == "method_not_allowed"
