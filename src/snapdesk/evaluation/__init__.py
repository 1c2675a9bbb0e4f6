"""Evaluation sets (eval-format.md): load cases, run them through the Assistant, score, summarise."""

from __future__ import annotations

from .baseline import beyond_ocr, load_baseline
from .cases import EvalCase, load_cases
from .runner import CaseResult, Summary, run_set, summarise
from .scoring import normalise, score_answer

__all__ = [
    "CaseResult",
    "EvalCase",
    "Summary",
    "beyond_ocr",
    "load_baseline",
    "load_cases",
    "normalise",
    "run_set",
    "score_answer",
    "summarise",
]
