"""Layout and style objects shared by many widgets (fewer widget models: faster forms).

Only objects never changed per widget are shared; visibility uses each container's own layout.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
from ipywidgets.widgets.widget_description import DescriptionStyle
from ipywidgets.widgets.widget_selection import ToggleButtonsStyle
from ipywidgets.widgets.widget_string import HTMLStyle, TextStyle

_CACHE: dict[str, Any] = {}

_FACTORIES: dict[str, Callable[[], Any]] = {
    "label_layout": lambda: widgets.Layout(width="38%", min_width="12em"),
    "wide_layout": lambda: widgets.Layout(width="auto", flex="1 1 auto"),
    "row_layout": widgets.Layout,
    "html_style": HTMLStyle,
    "text_style": TextStyle,
    "description_style": DescriptionStyle,
    "toggle_style": ToggleButtonsStyle,
}


def shared(name: str) -> Any:
    """The shared widget model `name`, recreated if it was closed (e.g. Widget.close_all())."""
    cached = _CACHE.get(name)
    if cached is None or cached.comm is None:
        cached = _CACHE[name] = _FACTORIES[name]()
    return cached
