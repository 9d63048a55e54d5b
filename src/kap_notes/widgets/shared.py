"""Layout and style objects shared by many widgets (fewer widget models: faster forms).

Only objects never changed per widget are shared: a container hidden by enableWhen gets its own
layout the first time it is hidden (:func:`is_shared` tells which is which).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
from ipywidgets.widgets.widget_bool import CheckboxStyle
from ipywidgets.widgets.widget_button import ButtonStyle
from ipywidgets.widgets.widget_description import DescriptionStyle
from ipywidgets.widgets.widget_selection import ToggleButtonsStyle
from ipywidgets.widgets.widget_string import HTMLStyle, TextStyle

_CACHE: dict[str, Any] = {}

_FACTORIES: dict[str, Callable[[], Any]] = {
    "label_layout": lambda: widgets.Layout(width="38%", min_width="12em"),
    "wide_layout": lambda: widgets.Layout(width="auto", flex="1 1 auto"),
    "row_layout": widgets.Layout,
    "plain_layout": widgets.Layout,
    "field_layout": lambda: widgets.Layout(flex_flow="row wrap"),
    "full_layout": lambda: widgets.Layout(width="100%"),
    "auto_layout": lambda: widgets.Layout(width="auto"),
    "rows_box_layout": lambda: widgets.Layout(
        border="1px solid var(--jp-border-color2)", padding="4px", margin="2px 0"
    ),
    "html_style": HTMLStyle,
    "text_style": TextStyle,
    "description_style": DescriptionStyle,
    "toggle_style": ToggleButtonsStyle,
    "button_style": ButtonStyle,
    "checkbox_style": CheckboxStyle,
}


def shared(name: str) -> Any:
    """The shared widget model `name`, recreated if it was closed (e.g. Widget.close_all())."""
    cached = _CACHE.get(name)
    if cached is None or cached.comm is None:
        cached = _CACHE[name] = _FACTORIES[name]()
    return cached


def is_shared(model: Any) -> bool:
    """Whether `model` is one of the shared objects (never to be changed for one widget)."""
    return any(model is cached for cached in _CACHE.values())
