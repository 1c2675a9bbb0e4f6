"""A passage: the piece of an article that retrieval ranks and an answer quotes, and how one is named.

Its own module because both the loader (which makes passages) and retrieval (which ranks them) need the
type, and neither should import the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from snapdesk.knowledge.text import extract_keys


@dataclass(frozen=True)
class Passage:
    id: str  # "<source>#<heading>", or "<source>#<heading>/<first cell>" for a table row
    source: str  # file path relative to the KB folder, e.g. "错误码说明.md"
    article: str  # the article's "# " title, else the file stem
    heading: str  # the "## " heading; "" for the text before the first one
    text: str  # plain text: emphasis and the hand-over line removed, one line per list item
    escalate_to: str | None  # team named by a `转人工：团队` / `Escalate: team` line in the section
    # hash=False keeps Passage hashable although a dict is not.
    row: dict[str, str] | None = field(default=None, hash=False)  # table row: header -> cell
    keys: tuple[str, ...] = ()  # exact-match keys: error codes, class names, quoted UI strings, short heading


def make_passage(
    source: str, article: str, heading: str, text: str, team: str | None, row: dict[str, str] | None = None
) -> Passage:
    """A section's prose (`row` None) or one table row of it, with its id and exact-match keys."""
    # A row is named by its first cell: the code or status a screenshot shows verbatim.
    label = next(iter(row.values()), "") if row is not None else heading
    keys = extract_keys(f"{heading}\n{text}")
    if label and len(label) <= 12 and label not in keys:
        keys = (label, *keys)
    passage_id = f"{source}#{heading}/{label}" if row is not None else f"{source}#{heading}"
    return Passage(passage_id, source, article, heading, text, team, row=row, keys=keys)


def unique_ids(passages: list[Passage]) -> list[Passage]:
    """The passages with repeated ids made unique: the second "x" becomes "x~2", the third "x~3"."""
    # Two rows with the same first cell (or two equal headings) would otherwise share an id.
    seen: dict[str, int] = {}
    unique: list[Passage] = []
    for passage in passages:
        count = seen[passage.id] = seen.get(passage.id, 0) + 1
        unique.append(passage if count == 1 else replace(passage, id=f"{passage.id}~{count}"))
    return unique
