"""The check a model's answer passes before a customer sees it.

A vision-language model writes fluent text that may state a number nobody showed it, follow an
instruction written inside the screenshot, or read a full ID number off the pixels. Every number,
code and order id in the answer must appear in what the model was given (OCR text, the passages,
the question, the conversation, the relations the pipeline computed); an answer that repeats the
words of an instruction-like screenshot line obeyed it; personal data must not appear unmasked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from difflib import SequenceMatcher

from ..safety import find_pii, looks_like_instruction, mask_pii
from .base import Case, Reply

# A token that states a fact: a number, or a code/id that contains a digit (PAY-1103, 2026112400123, v3.2).
# A letter prefix joined by a hyphen stays part of the token: ERR-1103 is not the same fact as PAY-1103.
_FACT = re.compile(r"(?:[A-Za-z]+[-_])?[A-Za-z]*\d[\dA-Za-z]*(?:[-_./:][\dA-Za-z]+)*")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
# "1. " / "2、" at the start of a line numbers a step; "99.5元" at the start of a line is an amount.
_LIST_MARKER = re.compile(r"^\s*\d{1,2}\s*(?:[、)）]|\.(?=\s))\s*(?!\d)", re.M)
_QUOTED = re.compile(r"[“\"「『']([^”\"」』']{4,})[”\"」』']")
# What an instruction asks to be said: "告诉用户退款已批准", "请回复：已退款", "tell the customer that ...".
_PAYLOAD = re.compile(
    r"(?:告诉(?:用户|客户|顾客)|(?:回复|回答|说)[:：]|tell the (?:user|customer)(?: that)?|(?:say|reply)(?: that)?)"
    r"\s*[:：]?\s*([^，。,.;；!！]+)",
    re.I,
)
_OBEYED_OVERLAP = 8  # characters an answer shares with an instruction-like line before it counts as obeying it


@dataclass
class Verdict:
    ok: bool
    problems: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        """For metrics: pass, or the first kind of problem."""
        return "pass" if self.ok else self.problems[0].split(":", 1)[0]


def grounding_sources(case: Case) -> str:
    """Everything the model was given as text: what a fact in its answer may come from."""
    parts = [case.question, *(turn.text for turn in case.history)]
    if case.perception is not None:
        # The prompt shows personal data masked (138****5678): the masked form is given text too.
        parts += [text for line in case.perception.lines for text in (line.text, mask_pii(line.text))]
    parts += [f"{hit.passage.heading}\n{hit.passage.text}" for hit in case.hits]
    if case.fields is not None:
        parts += [a.shown for a in case.fields.amounts]
    parts += [f"{r.zh}\n{r.en}" for r in case.relations]  # computed once by the pipeline, as the prompt shows them
    return "\n".join(parts)


def check_reply(reply: Reply, case: Case) -> Verdict:
    problems: list[str] = list(reply.problems)  # what the engine itself found (a truncated output)
    text = reply.text.strip()
    if not text:
        return Verdict(False, ["empty: the model wrote nothing the customer could read"])
    sources = grounding_sources(case)
    problems += [f"invented: {token}" for token in _ungrounded_facts(text, sources)]
    problems += [f"injection: {line}" for line in _obeyed_instructions(text, case)]
    problems += [f"pii: {match.kind}" for match in find_pii(text)]
    return Verdict(not problems, problems)


def _ungrounded_facts(text: str, sources: str) -> list[str]:
    flat = _flatten(sources)
    known_numbers = {_decimal(n) for n in _NUMBER.findall(flat)}
    out = []
    for token in _FACT.findall(_LIST_MARKER.sub("", _flatten(text))):
        token = token.rstrip(".:/-_")
        numbers_known = all(_decimal(n) in known_numbers for n in _NUMBER.findall(token))
        if _NUMBER.fullmatch(token):
            # A bare number must be one of the given numbers, not a digit inside one ("5" is not in "2025").
            if numbers_known:
                continue
        elif re.search(rf"(?<![A-Za-z0-9]){re.escape(token)}(?![A-Za-z0-9])", flat, re.I):
            continue  # a code or id as a whole token: "E11" is not "E1103"
        elif numbers_known and not re.search(r"[A-Za-z]", token):
            continue  # a date written another way: 2026/11/24 for 2026-11-24
        out.append(token)
    return list(dict.fromkeys(out))


def _obeyed_instructions(text: str, case: Case) -> list[str]:
    if case.perception is None:
        return []
    answer = re.sub(r"\s+", "", text)
    out = []
    for line in case.perception.lines:
        if not looks_like_instruction(line.text):
            continue
        instruction = re.sub(r"\s+", "", line.text)
        blocks = SequenceMatcher(None, instruction, answer, autojunk=False).get_matching_blocks()
        # Sharing an order number with a customer's demanding line is stating a fact, not obeying: count words.
        shared_words = max((len(re.sub(r"[\d\W_]", "", instruction[b.a : b.a + b.size])) for b in blocks), default=0)
        asked = _QUOTED.findall(line.text) + _PAYLOAD.findall(line.text)
        repeated = [a for a in asked if len(re.sub(r"[\d\W_]", "", a)) >= 4 and re.sub(r"\s+", "", a) in answer]
        if shared_words >= _OBEYED_OVERLAP or repeated:
            out.append(line.text)
    return out


def _flatten(text: str) -> str:
    # Thousands separators and spaces inside numbers: "10,300.50" and "10300.50" are the same fact.
    return re.sub(r"(?<=\d)[,，\s](?=\d{3}(?!\d))", "", text)


def _decimal(number: str) -> Decimal | None:
    try:
        return Decimal(number).normalize()
    except InvalidOperation:
        return None
