"""The OCR-text baseline a set may ship (eval-format.md): what a plain OCR dump already delivers, and the
share of the other fact groups an engine's answers satisfy ("facts beyond the OCR text")."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from .cases import EvalCase
from .scoring import WINDOW, normalise

BASELINE_FILE = "ocr_dump.jsonl"


def load_baseline(folder: str | Path) -> dict[str, str] | None:
    """Case id → the baseline's answer, or None when the set ships no baseline."""
    path = Path(folder) / BASELINE_FILE
    if not path.is_file():
        return None
    answers: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            answers[str(record["id"])] = str(record.get("answer", ""))
    return answers


def satisfied(group: Sequence[str], answer: str) -> bool:
    head = normalise(answer)[:WINDOW]
    return any(normalise(option) in head for option in group)


def beyond_ocr(pairs: Sequence[tuple[EvalCase, str]], baseline: dict[str, str]) -> float | None:
    """Of the fact groups the baseline's answer does not satisfy, over all cases, the share `pairs`' answers
    satisfy; None when the baseline satisfies every group."""
    wanted = found = 0
    for case, answer in pairs:
        dump = baseline.get(case.id, "")
        for group in case.expect.get("all", []):
            if satisfied(group, dump):
                continue
            wanted += 1
            found += satisfied(group, answer)
    return found / wanted if wanted else None
