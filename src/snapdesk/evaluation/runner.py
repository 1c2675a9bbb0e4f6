"""Run an evaluation set through an Assistant and summarise the results."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..assistant import Assistant, HistoryTurn
from ..errors import SnapDeskError
from .baseline import beyond_ocr
from .cases import EvalCase
from .scoring import score_answer


@dataclass
class CaseResult:
    case: EvalCase
    answer: str
    escalate: bool
    intent: str
    latency_ms: float
    evidence: list[dict[str, Any]]
    score: float
    problems: list[str] = field(default_factory=list)

    def record(self) -> dict[str, Any]:
        """The results-file line eval-format.md specifies."""
        return {
            "id": self.case.id,
            "answer": self.answer,
            "escalate": self.escalate,
            "intent": self.intent,
            "latency_ms": round(self.latency_ms, 1),
            "evidence": [{"text": e["text"], "box": e["box"]} for e in self.evidence],
        }


@dataclass
class Summary:
    cases: int
    mean_score: float
    perfect_share: float
    escalation_accuracy: float | None
    intent_accuracy: float | None
    p50_ms: float
    p95_ms: float
    by_intent: dict[str, dict[str, float]]
    beyond_ocr: float | None = None  # facts beyond the OCR text, when the set ships an OCR-text baseline


def run_case(assistant: Assistant, case: EvalCase) -> CaseResult:
    history = [
        HistoryTurn(role=turn.get("role", "user"), text=turn.get("text", ""), image=turn.get("image"))
        for turn in case.history
    ]
    try:
        answer = assistant.generate(text=case.question, image=case.image, history=history)
    except SnapDeskError as error:
        return CaseResult(case, f"[error] {error}", False, "other", 0.0, [], 0.0, [str(error)])
    score, problems = score_answer(answer.text, case.expect)
    return CaseResult(
        case,
        answer.text,
        answer.escalate,
        answer.intent,
        answer.timings.get("total_ms", 0.0),
        answer.evidence,
        score,
        problems,
    )


def run_set(
    assistant: Assistant, cases: list[EvalCase], *, progress: Callable[[CaseResult], None] | None = None
) -> list[CaseResult]:
    results = []
    for case in cases:
        result = run_case(assistant, case)
        results.append(result)
        if progress:
            progress(result)
    return results


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


def summarise(results: list[CaseResult], *, baseline: dict[str, str] | None = None) -> Summary:
    scores = [r.score for r in results]
    with_escalation = [r for r in results if "escalate" in r.case.expect]
    with_intent = [r for r in results if "intent" in r.case.expect]
    latencies = [r.latency_ms for r in results]
    groups: dict[str, list[CaseResult]] = defaultdict(list)
    for r in results:
        groups[r.case.expect.get("intent", "unlabelled")].append(r)
    return Summary(
        cases=len(results),
        mean_score=statistics.fmean(scores) if scores else 0.0,
        perfect_share=sum(1 for s in scores if s == 1.0) / len(scores) if scores else 0.0,
        escalation_accuracy=(
            sum(r.escalate == r.case.expect["escalate"] for r in with_escalation) / len(with_escalation)
            if with_escalation
            else None
        ),
        intent_accuracy=(
            sum(r.intent == r.case.expect["intent"] for r in with_intent) / len(with_intent) if with_intent else None
        ),
        p50_ms=_quantile(latencies, 0.5),
        p95_ms=_quantile(latencies, 0.95),
        by_intent={
            name: {
                "cases": len(rs),
                "mean_score": statistics.fmean(r.score for r in rs),
                "intent_accuracy": sum(r.intent == name for r in rs) / len(rs),
            }
            for name, rs in sorted(groups.items())
        },
        beyond_ocr=beyond_ocr([(r.case, r.answer) for r in results], baseline) if baseline is not None else None,
    )
