"""kap-notes: encrypted session notes for ketamine-assisted psychotherapy clinics."""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]
