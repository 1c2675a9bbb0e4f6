"""Scoring as eval-format.md defines it: NFKC, lower case, no white space; facts in the first 300 chars."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

WINDOW = 300


def normalise(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text).lower())


def score_answer(answer: str, expect: dict[str, Any]) -> tuple[float, list[str]]:
    """The case's score and the reasons it lost points (unmatched groups, forbidden strings)."""
    text = normalise(answer)
    head = text[:WINDOW]
    problems = [f"contains forbidden {s!r}" for s in expect.get("none", []) if normalise(s) in text]
    if problems:
        return 0.0, problems
    groups = expect.get("all", [])
    if not groups:
        return 1.0, []
    missing = [group for group in groups if not any(normalise(option) in head for option in group)]
    problems = [f"missing one of {group}" for group in missing]
    return (len(groups) - len(missing)) / len(groups), problems
