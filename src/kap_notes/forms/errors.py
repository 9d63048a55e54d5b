"""Errors raised while loading templates (never for bad answers: those are ValidationIssues)."""

from __future__ import annotations


class TemplateError(ValueError):
    """A template file is invalid; every problem names the file, the linkId and what is wrong."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))
