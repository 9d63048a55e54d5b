"""Errors raised while loading templates (never for bad answers: those are ValidationIssues).

:class:`TemplateError` lives in :mod:`kap_notes.errors`, the one exception tree."""

from __future__ import annotations

from kap_notes.errors import TemplateError

__all__ = ["TemplateError"]
