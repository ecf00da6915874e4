"""Named prompt templates with named placeholders; rendering fails loudly on a missing value."""

from __future__ import annotations

import string
from dataclasses import dataclass


@dataclass(frozen=True)
class Prompt:
    """A named template whose `$placeholders` must all be filled."""

    name: str
    text: str

    @property
    def placeholders(self) -> frozenset[str]:
        """The names this template needs."""
        found = set()
        for _, named, braced, _ in string.Template.pattern.findall(self.text):
            if named or braced:
                found.add(named or braced)
        return frozenset(found)

    def render(self, **values: object) -> str:
        """Fill every placeholder; a missing or unknown name raises KeyError."""
        unknown = set(values) - self.placeholders
        if unknown:
            raise KeyError(f"prompt {self.name!r} has no placeholder(s) {sorted(unknown)}")
        return string.Template(self.text).substitute({k: str(v) for k, v in values.items()})
