"""The loaded templates, by url and version, plus name lookup."""

from __future__ import annotations

from collections.abc import Iterator

from kap_notes.errors import UnknownTemplate
from kap_notes.forms.definition import FormDefinition


def version_key(version: str) -> tuple[int, ...]:
    """Sortable key of a ``major.minor.patch`` version."""
    return tuple(int(part) for part in version.split("."))


class TemplateRegistry:
    """All loaded versions of every template; the newest version of a url is its default."""

    def __init__(self, definitions: list[FormDefinition]) -> None:
        self._versions: dict[str, dict[str, FormDefinition]] = {}
        self._names: dict[str, str] = {}
        for definition in definitions:  # later folders win a name
            self._versions.setdefault(definition.url, {})[definition.version] = definition
            self._names[definition.name] = definition.url

    def get(self, name_or_url: str, version: str | None = None) -> FormDefinition:
        """A template by name or url (``url|version`` accepted); :class:`UnknownTemplate` (a
        KeyError, and a 422 over REST) naming what exists."""
        url, _, pinned = name_or_url.partition("|")
        url = self._names.get(url, url)
        versions = self._versions.get(url)
        if versions is None:
            known = ", ".join(sorted(self._names))
            raise UnknownTemplate(f"no template named or at '{name_or_url}' (known: {known})")
        wanted = version or pinned
        if wanted:
            if wanted not in versions:
                have = sorted(versions)
                raise UnknownTemplate(f"template {url} has no version {wanted} (has {have})")
            return versions[wanted]
        return versions[max(versions, key=version_key)]

    def versions(self, name_or_url: str) -> list[FormDefinition]:
        """Every loaded version of a template, oldest first."""
        latest = self.get(name_or_url)
        return sorted(self._versions[latest.url].values(), key=lambda d: version_key(d.version))

    def latest(self) -> list[FormDefinition]:
        """The newest version of every template, sorted by kind then name."""
        newest = [self.get(url) for url in self._versions]
        return sorted(newest, key=lambda d: (d.kind, d.name))

    @property
    def forms(self) -> list[FormDefinition]:
        return [d for d in self.latest() if d.kind == "form"]

    @property
    def instruments(self) -> list[FormDefinition]:
        return [d for d in self.latest() if d.kind == "instrument"]

    def __iter__(self) -> Iterator[FormDefinition]:
        for versions in self._versions.values():
            yield from versions.values()
