"""The read model: one record, read the same way by every view.

- :mod:`~kap_notes.records.chart` — a patient's notes with status, signatures, addenda, reviews;
- :mod:`~kap_notes.records.derived` — a note's derived values (frozen at signing, as-of for drafts);
- :mod:`~kap_notes.records.assess` — validation, computed values and flags against a template.

Sits above ``vault``/``forms``/``model`` and below ``service``, ``compile`` and ``export``.
"""
