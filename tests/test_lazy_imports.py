"""The command line and the server extension entry load no heavy library until a command needs it.

Start-up time itself is measured in benchmarks/startup.py; these checks only say which modules a
fresh interpreter has loaded, so they pass or fail the same way on a slow or a fast machine.
"""

from __future__ import annotations

import ast
import subprocess
import sys

HEAVY = ("pandas", "matplotlib", "nbformat", "typst", "pypdf", "jsonschema")


def _loaded_after(code: str, watch: tuple[str, ...] = HEAVY) -> list[str]:
    """Which of ``watch`` a fresh interpreter has in sys.modules after running ``code``."""
    probe = f"{code}\nimport sys\nprint(sorted(m for m in {watch!r} if m in sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    loaded = ast.literal_eval(done.stdout.strip().splitlines()[-1])
    assert isinstance(loaded, list)
    return loaded


def test_importing_the_cli_loads_no_heavy_library() -> None:
    assert _loaded_after("import kap_notes.cli") == []


def test_building_the_whole_command_tree_loads_no_heavy_library_nor_the_vault() -> None:
    code = "from kap_notes.cli import build_parser; build_parser().format_help()"
    assert _loaded_after(code, (*HEAVY, "cryptography", "yaml", "rich")) == []


def test_version_prints_without_loading_the_vault() -> None:
    code = (
        "import contextlib, io\n"
        "from kap_notes.cli import main\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['--version'])"
    )
    assert _loaded_after(code, (*HEAVY, "cryptography")) == []


def test_importing_the_server_extension_loads_neither_jupyter_server_nor_heavy_libraries() -> None:
    code = "import kap_notes.server"
    assert _loaded_after(code, (*HEAVY, "jupyter_server", "tornado")) == []


def test_the_extension_point_still_names_the_app() -> None:
    from kap_notes.server import _jupyter_server_extension_points  # noqa: PLC0415
    from kap_notes.server.app import KapNotesApp  # noqa: PLC0415

    assert _jupyter_server_extension_points() == [
        {"module": "kap_notes.server", "app": KapNotesApp}
    ]
