"""Retrieval and composition on the evaluation sets: the part of an answer that is not OCR.

For every case of each set, `Assistant.generate` runs once to read the screenshot (OCR is cached by image
digest) and then `REPEATS` more times; the timed figure of a case is the median of its
`retrieval_ms + engine_ms` over those repeats (question understanding, exact keys, ranking, relations,
composition). Used by run.py, which writes the figures into BENCHMARKS.md.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path

REPEATS = 5
TARGET_MS = 20.0


@dataclass(frozen=True)
class SetTiming:
    name: str
    cases: int
    p50_ms: float
    p95_ms: float
    retrieval_p50_ms: float
    engine_p50_ms: float


def answering_run(set_dirs: list[Path]) -> list[SetTiming]:
    from snapdesk import Assistant, HistoryTurn
    from snapdesk.evaluation import load_cases

    out = []
    for folder in set_dirs:
        if not (folder / "cases.jsonl").is_file():
            continue
        assistant = Assistant.from_settings(kb_path=folder / "kb", moderators=[])
        both: list[float] = []
        retrieval: list[float] = []
        engine: list[float] = []
        for case in load_cases(folder):
            history = [HistoryTurn(t.get("role", "user"), t.get("text", ""), t.get("image")) for t in case.history]
            assistant.generate(text=case.question, image=case.image, history=history)  # reads and caches OCR
            runs = [assistant.generate(text=case.question, image=case.image, history=history) for _ in range(REPEATS)]
            retrieval.append(statistics.median(a.timings["retrieval_ms"] for a in runs))
            engine.append(statistics.median(a.timings["engine_ms"] for a in runs))
            both.append(statistics.median(a.timings["retrieval_ms"] + a.timings["engine_ms"] for a in runs))
        out.append(
            SetTiming(
                folder.name,
                len(both),
                statistics.median(both),
                statistics.quantiles(both, n=20, method="inclusive")[18] if len(both) > 1 else both[0],
                statistics.median(retrieval),
                statistics.median(engine),
            )
        )
    return out


def target_row(timings: list[SetTiming]) -> str:
    worst = max((t.p50_ms for t in timings), default=float("nan"))
    measured = ", ".join(f"{t.name} {t.p50_ms:.1f} ms" for t in timings) or "no set found"
    verdict = "**met**" if timings and worst <= TARGET_MS else "**NOT met**"
    target = f"Retrieval + composition p50 ≤ {TARGET_MS:.0f} ms per evaluation set (`retrieval_ms + engine_ms`)"
    return f"| {target} | {measured} | {verdict} |"


def section(timings: list[SetTiming]) -> list[str]:
    lines = [
        "## Retrieval and composition",
        "",
        f"Per case: `Assistant.generate` once to read the screenshot, then {REPEATS} more times with the reading "
        "cached; the case's figure is the median of those runs. NudeNet off (it is intake, not answering). "
        "Milliseconds, over the cases of each set.",
        "",
        "| Set | cases | `retrieval_ms + engine_ms` p50 | p95 | `retrieval_ms` p50 | `engine_ms` p50 |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for t in timings:
        figures = (t.p50_ms, t.p95_ms, t.retrieval_p50_ms, t.engine_p50_ms)
        lines.append(f"| {t.name} | {t.cases} | " + " | ".join(f"{f:.1f}" for f in figures) + " |")
    lines.append("")
    return lines
