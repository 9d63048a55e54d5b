"""Loading the server extension into a real jupyter_server loads no compile/export library.

Each check runs a fresh interpreter and reports which modules the extension added to
``sys.modules`` beyond what jupyter_server had already imported: pandas, matplotlib, pypdf, typst
and kap-notes' compile/export layers load with the first notebook or PDF a user asks for, not
with every server start. (Timings are in benchmarks/startup.py; these pass or fail the same way
on any machine.)
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import Clinic

#: Libraries and layers a server start must not load (jupyter_server itself loads nbformat and
#: jsonschema, so those are checked on ``import kap_notes.server`` alone).
NOT_AT_START = (
    "pandas",
    "numpy",
    "matplotlib",
    "PIL",
    "pypdf",
    "typst",
    "ipywidgets",
    "cryptography.x509",
    "kap_notes.compile",
    "kap_notes.export",
    "kap_notes.widgets",
)
#: The same plus everything jupyter_server does not need before it serves a request.
NOT_ON_IMPORT = (*NOT_AT_START, "nbformat", "nbformat.validator", "jsonschema")

SERVER_MODULES = sorted(
    f"kap_notes.server.{p.stem}"
    for p in Path(__file__).parents[2].joinpath("src/kap_notes/server").glob("*.py")
    if p.stem != "__init__"
)


def _added(code: str, watch: tuple[str, ...], env: dict[str, str] | None = None) -> list[str]:
    """Which of ``watch`` ``code`` adds to ``sys.modules`` (counted from the line ``BASE``)."""
    probe = textwrap.dedent(code).replace("BASE", "import sys as _sys; _base = set(_sys.modules)")
    probe += f"\nprint(sorted(m for m in {watch!r} if m in _sys.modules and m not in _base))"
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = ast.literal_eval(done.stdout.strip().splitlines()[-1])
    assert isinstance(loaded, list)
    return loaded


@pytest.mark.parametrize("module", SERVER_MODULES)
def test_no_server_module_loads_compile_or_export_at_import(module: str) -> None:
    assert SERVER_MODULES, "no server modules found"
    code = f"BASE\nimport {module}"
    assert _added(code, NOT_AT_START) == []


def test_importing_the_app_adds_nothing_heavy_to_jupyter_server() -> None:
    code = """
    import jupyter_server.serverapp
    BASE
    from kap_notes.server import _jupyter_server_extension_points
    _jupyter_server_extension_points()
    """
    assert _added(code, NOT_AT_START) == []


def test_importing_the_package_loads_neither_nbformat_nor_jsonschema() -> None:
    assert _added("BASE\nimport kap_notes.server", NOT_ON_IMPORT) == []


def test_a_server_loading_the_extension_loads_no_compile_or_export(
    clinic: Clinic, tmp_path: Path
) -> None:
    """ServerApp.initialize links and loads kap-notes (contents manager, key holder, handlers)
    exactly as `jupyter lab` does, on a real vault; the proof it ran is the swapped manager
    and the key holder on the vault."""
    config, runtime = tmp_path / "config", tmp_path / "runtime"
    config.mkdir()
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(config),
        "JUPYTER_RUNTIME_DIR": str(runtime),
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),
        "KAP_NOTES_VAULT": str(clinic.path),
        "KAP_NOTES_FAST_KDF": "1",
    }
    code = f"""
    from jupyter_server.serverapp import ServerApp
    BASE
    app = ServerApp(jpserver_extensions={{"kap_notes.server": True}}, root_dir={str(tmp_path)!r})
    app.initialize(argv=["--port=0", "--ServerApp.open_browser=False"])
    assert type(app.contents_manager).__name__ == "KapContentsManager", app.contents_manager
    ext = app.extension_manager.extension_apps["kap_notes.server"]
    assert len(ext) == 1
    for extension in ext:  # initialize_settings and initialize_handlers ran
        assert extension.keyholder.vault_path, "the key holder has no vault"
        extension.idle_timer.stop()
    app.http_server.stop()
    """
    assert _added(code, NOT_AT_START, env) == []
