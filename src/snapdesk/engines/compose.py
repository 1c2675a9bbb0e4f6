"""Putting an answer together within what a customer reads: the first 300 characters carry the answer.

Pieces are added in the order they should be read; a piece that would push the answer past its budget
is left out (the first piece always stays). Sentences quoted from a passage in the other language than
the customer's are kept as written: translating policy is not the offline engine's job.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..answering.extract import Unit
from ..answering.question import Question
from ..knowledge.text import detect_language

# Characters without white space, as the scorer and a reader count them.
BUDGET = 300
# A lead passage this short (visible characters) is quoted whole.
WHOLE_PASSAGE = 160
# A unit scoring this low shares nothing with the question and holds nothing it asks for.
UNIT_MIN = 0.35


def visible_length(text: str) -> int:
    return len(re.sub(r"\s+", "", text))


class Composer:
    def __init__(self, *, zh: bool, question: Question | None, budget: int = BUDGET) -> None:
        self.zh = zh
        self.question = question
        self.budget = budget
        self.pieces: list[str] = []

    def used(self) -> int:
        return visible_length("".join(self.pieces))

    def add(self, piece: str, *, optional: bool = False) -> bool:
        piece = _end(piece.strip(), self.zh)
        if not piece or piece in self.pieces:
            return False
        if optional and self.used() + visible_length(piece) > self.budget:
            return False
        self.pieces.append(piece)
        return True

    def add_sentence(self, items: Sequence[str], *, optional: bool = False) -> None:
        items = [item.strip().rstrip("。.") for item in items if item.strip()]
        if not items:
            return
        body = "，".join(items) if self.zh else "; ".join(items)
        if not self.zh:
            body = body[0].upper() + body[1:]
        self.add(body, optional=optional)

    def add_units(self, ranked: Sequence[Unit], *, limit: int, whole_under: int = 0) -> None:
        """The best unit first (the direct answer), then the next best that fit, in the passage's order. A
        passage shorter than `whole_under` characters is given whole after its best unit: a short section is
        one answer, and cutting it loses the condition that goes with the step."""
        if not ranked:
            return
        short = whole_under and visible_length("".join(u.text for u in ranked)) <= whole_under
        good = list(ranked) if short else [unit for unit in ranked if unit.score >= UNIT_MIN] or list(ranked[:1])
        first, rest = good[0], good[1:] if short else good[1:limit]
        # The direct answer goes in while there is room to start it; the rest only where it fits whole.
        if not self.add(_clean(first.text), optional=self.used() >= self.budget):
            return
        for unit in sorted(rest, key=lambda u: u.index):
            self.add(_clean(unit.text), optional=True)

    def text(self) -> str:
        if not self.zh:
            return " ".join(self.pieces).strip()
        # Chinese runs on without spaces; an English sentence quoted from a passage still needs one after it.
        out = ""
        for piece in self.pieces:
            out += " " + piece if out and out[-1] in ".!?" and piece[:1].isascii() else piece
        return out.strip()


def _clean(text: str) -> str:
    # List markers are layout, not words; a table row's "header: cell" pairs stay as they are.
    return re.sub(r"^(?:- |\d+[.、)]\s*)", "", text.strip())


def _end(text: str, zh: bool) -> str:
    text = text.rstrip("；;，, ")
    if text and text[-1] not in '。！？.!?”"':
        text += "。" if zh and detect_language(text) == "zh" else "."  # an English sentence quoted ends in English
    return text
