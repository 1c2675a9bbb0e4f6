"""A loaded knowledge base: its passages and settings, searchable, with what was found wrong while loading.

It sits above both halves of the package: the loader builds one, retrieval ranks its passages, and neither of
those imports the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from snapdesk.knowledge.passages import Passage
from snapdesk.knowledge.retrieval import Hit, Index, QueryPart, rank
from snapdesk.knowledge.text import detect_language, tokens


@dataclass(frozen=True)
class KnowledgeBase:
    path: Path | None
    name: str
    language: str  # "zh" or "en"
    teams: tuple[str, ...]
    fallback: str
    passages: tuple[Passage, ...]
    version: str  # sha256[:16] over every file's name and bytes; changes with any edit
    problems: tuple[str, ...]  # non-fatal problems found while loading

    @property
    def articles(self) -> list[str]:
        return list(dict.fromkeys(p.article for p in self.passages))

    @cached_property
    def _index(self) -> Index:
        # Built on first search; cached_property writes the instance __dict__, which a frozen
        # dataclass allows, and the index is not a field so equality and hashing ignore it.
        return Index(self.passages)

    @cached_property
    def long_row_labels(self) -> tuple[tuple[str, frozenset[str]], ...]:
        """Table rows named by a label of four words or more (an error message), with the label's index terms."""
        labels = (next(iter(p.row.values()), "") for p in self.passages if p.row)
        pairs = ((label, frozenset(tokens(label))) for label in labels)
        return tuple((label, words) for label, words in pairs if len(words) >= 4)

    @cached_property
    def _languages(self) -> dict[str, str]:
        return {p.source: detect_language(f"{p.article} {p.text}") for p in self.passages}

    def passage_language(self, passage: Passage) -> str:
        """The language its article is written in (a Chinese article quoting English labels stays Chinese)."""
        return self._languages.get(passage.source, self.language)

    @property
    def mixed_languages(self) -> bool:
        return len(set(self._languages.values())) > 1

    def search(self, query: str | Sequence[QueryPart], *, keys: Sequence[str] = (), limit: int = 5) -> list[Hit]:
        """Best passages for `query` and the exact `keys` seen on the screenshot, best first (see `rank`)."""
        return rank(self._index, query, keys=keys, limit=limit)


def search(
    kb: KnowledgeBase, query: str | Sequence[QueryPart], *, keys: Sequence[str] = (), limit: int = 5
) -> list[Hit]:
    """`kb.search(...)` as a function, the package's `search`."""
    return kb.search(query, keys=keys, limit=limit)
