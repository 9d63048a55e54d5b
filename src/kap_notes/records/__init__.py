"""The read model: one record, read the same way by every view.

- :mod:`~kap_notes.records.chart` — a patient's notes with status, signatures, addenda, reviews;
- :mod:`~kap_notes.records.derived` — a note's derived values (frozen at signing, as-of for drafts);
- :mod:`~kap_notes.records.assess` — validation, computed values and flags against a template;
- :mod:`~kap_notes.records.display` — the one renderer of answers for display (every view);
- :mod:`~kap_notes.records.layout` — a note's answers as blocks (PDF, review preview).
- :mod:`~kap_notes.records.outcomes` — charted instruments over the signed record with
  baseline and each instrument's published rule (notebook and PDF charts).

Dates and times are parsed and shown by :mod:`kap_notes.model.times` (typed times as typed,
system timestamps in the clinic's time zone).

Sits above ``vault``/``forms``/``model`` and below ``service``, ``compile`` and ``export``.
"""
