"""Theme-following HTML snippets: only JupyterLab ``--jp-*`` CSS variables, no fixed colours."""

from __future__ import annotations

from html import escape

_TONES = {
    "error": "var(--jp-error-color1)",
    "warning": "var(--jp-warn-color1)",
    "success": "var(--jp-success-color1)",
    "info": "var(--jp-ui-font-color2)",
}


def tone(text: str, kind: str = "info") -> str:
    """`text` (escaped) coloured by the theme's colour for `kind`."""
    return f'<span style="color: {_TONES.get(kind, _TONES["info"])}">{escape(text)}</span>'


def message_list(messages: list[str], kind: str = "error") -> str:
    """Messages as a compact list in the theme's colour."""
    if not messages:
        return ""
    lines = "".join(f"<li>{tone(m, kind)}</li>" for m in messages)
    return f'<ul style="margin: 2px 0; padding-left: 1.2em">{lines}</ul>'


def label_html(text: str, *, required: bool = False, unit: str | None = None) -> str:
    """A visible field label; a required marker and the unit follow the text."""
    # The star is for the eye; controls say "required" with aria-required (labextension a11y.ts).
    mark = f' <span aria-hidden="true">{tone("*", "error")}</span>' if required else ""
    unit_text = f" ({escape(unit)})" if unit else ""
    return f'<label style="color: var(--jp-ui-font-color1)">{escape(text)}{unit_text}{mark}</label>'


def heading_html(text: str, level: int = 4) -> str:
    return (
        f'<h{level} style="margin: 6px 0 2px; color: var(--jp-ui-font-color0)">'
        f"{escape(text)}</h{level}>"
    )


def help_html(text: str) -> str:
    return tone(text, "info")
