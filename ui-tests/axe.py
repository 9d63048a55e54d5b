"""axe-core in the real browser: the npm package's ``axe.min.js`` (labextension devDependency,
pinned in yarn.lock) injected into the page, run on kap-notes' own elements only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page

AXE_JS = Path(__file__).parents[1] / "labextension" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("critical", "serious")


def axe_violations(page: Page, *selectors: str) -> list[dict[str, Any]]:
    """axe's violations inside the elements matching ``selectors`` (WCAG 2.x A/AA + best
    practice rules, as axe runs by default)."""
    assert AXE_JS.is_file(), f"{AXE_JS} missing: run `jlpm install` in labextension"
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE_JS))
    result: dict[str, Any] = page.evaluate(
        """async (selectors) => {
            const include = selectors.filter(s => document.querySelector(s)).map(s => [s]);
            if (!include.length) return { missing: selectors, violations: [] };
            return await window.axe.run({ include }, { resultTypes: ['violations'] });
        }""",
        list(selectors),
    )
    assert not result.get("missing"), f"nothing on the page matches {selectors}"
    return list(result["violations"])


def blocking(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [v for v in violations if v.get("impact") in BLOCKING]


def report(violations: list[dict[str, Any]], limit: int = 8) -> str:
    """One paragraph per violation: rule, impact, help and the first nodes (selector + summary)."""
    lines: list[str] = []
    for violation in violations:
        nodes = violation["nodes"]
        lines.append(
            f"{violation['impact']} {violation['id']} ({len(nodes)} nodes): {violation['help']}"
        )
        for node in nodes[:limit]:
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"    {' > '.join(map(str, node['target']))}: {node['html'][:160]}")
            lines.append(f"        {summary[:300]}")
    return "\n".join(lines)


def assert_no_blocking(page: Page, name: str, *selectors: str) -> list[dict[str, Any]]:
    """No critical or serious violation inside ``selectors``; prints everything axe found."""
    found = axe_violations(page, *selectors)
    if found:
        print(f"\naxe on {name}:\n{report(found)}")
    bad = blocking(found)
    assert not bad, f"axe: {len(bad)} critical/serious on {name}:\n{report(bad)}"
    return found
