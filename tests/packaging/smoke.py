"""Smoke test of an installed kap-notes, run by .ci/packaging.sh inside a fresh venv whose PATH
has no node (not collected by pytest). Usage: ``python smoke.py VERSION WORKDIR``.

It proves the install is whole: version, license and README metadata, the prebuilt JupyterLab
extension and the enabled server extension, the kernel spec, the nbconvert exporter, bundled
templates, and a demo clinic built end to end (vault, encryption, signing, compile).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path


def run(*argv: str) -> str:
    """A command's stdout (stderr folded in, since Jupyter's listings print there)."""
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600, check=False)
    out = re.sub(r"\x1b\[[0-9;]*m", "", done.stdout + done.stderr)  # no colours
    if done.returncode:
        raise SystemExit(f"smoke: {' '.join(argv)} failed ({done.returncode}):\n{out}")
    return out


def check(ok: object, what: str, detail: str = "") -> None:
    if not ok:
        raise SystemExit(f"smoke: FAILED: {what}\n{detail}")
    print(f"smoke: ok: {what}")


def main(version: str, work: Path) -> None:
    bindir = Path(sys.executable).parent
    check(shutil.which("node") is None, "no node on PATH")
    check(not Path("src/kap_notes").exists(), "run outside the source tree")
    dist = metadata.distribution("kap-notes")
    check(dist.version == version, f"installed version {dist.version} == {version}")
    check(version in run(str(bindir / "kap-notes"), "--version"), "kap-notes --version")
    files = [str(f) for f in dist.files or []]
    check(any(f.endswith(".dist-info/licenses/LICENSE") for f in files), "LICENSE in the wheel")
    readme = dist.metadata.get_payload() or ""  # type: ignore[attr-defined]
    check("pip install kap-notes" in readme, "README has a pip install section")
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", readme)
    check(images and all(i.startswith("https://") for i in images), "README images absolute")

    share = Path(sys.prefix) / "share/jupyter/labextensions/kap-notes"
    check((share / "package.json").is_file(), "prebuilt labextension installed")
    check(any((share / "static").glob("remoteEntry.*.js")), "labextension remoteEntry")
    check(
        json.loads((share / "install.json").read_text())["packageName"] == "kap-notes",
        "install.json",
    )
    labext = run(str(bindir / "jupyter"), "labextension", "list")
    check(re.search(r"kap-notes v\S+ enabled\s+OK", labext), "labextension enabled OK", labext)
    server = run(str(bindir / "jupyter"), "server", "extension", "list")
    enabled = re.search(r"kap_notes\.server enabled", server)
    check(enabled and re.search(r"kap_notes\.server\s+OK", server), "server extension OK", server)
    kernels = json.loads(run(str(bindir / "jupyter"), "kernelspec", "list", "--json"))
    check("kap-notes" in kernels["kernelspecs"], "kap-notes kernel spec")
    exporters = metadata.entry_points(group="nbconvert.exporters")
    check(any(e.name == "kap_pdf" and e.load() for e in exporters), "nbconvert kap_pdf exporter")

    from kap_notes.forms import load_templates  # noqa: PLC0415 - after the checks above

    registry = load_templates(use_env=False)
    forms = ("preparation", "intention", "dosing", "integration")
    check(all(registry.get(name).items for name in forms), "bundled templates load")
    fonts = Path(os.environ["MPLCONFIGDIR"])
    shutil.rmtree(fonts, ignore_errors=True)  # loading the server extension above built one
    demo = json.loads(run(str(bindir / "kap-notes"), "demo", str(work / "clinic"), "--json"))
    check(demo["created"] and any((work / "clinic").rglob("*.sqlite")), "demo clinic built")
    check(not any((work / "clinic").rglob("*.ipynb")), "no plaintext notebook in the demo folder")
    check(list(fonts.glob("fontlist-*.json")), "the demo built matplotlib's font cache")
    print(f"smoke: all checks passed for kap-notes {version} on Python {sys.version.split()[0]}")


if __name__ == "__main__":
    os.environ.pop("KAP_NOTES_TEMPLATES", None)
    os.environ["MPLCONFIGDIR"] = str(Path(sys.argv[2]) / "mpl")  # a fresh matplotlib config
    main(sys.argv[1], Path(sys.argv[2]))
