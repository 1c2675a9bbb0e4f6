"""The second development set: real screenshots, customers' free-form questions, one business's bilingual
knowledge base (../shared/eval/dev-real, never copied here), with floors on what the engine must keep.

Floors sit below the figures measured when they were last raised (mean 0.810, facts beyond the OCR text 0.80,
escalation 0.95), leaving room for OCR noise, not for regressions; the issue's targets were mean ≥ 0.80 and
facts beyond the OCR text ≥ 0.70. Locally the test skips when the set is absent; in CI its absence fails the run.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from snapdesk import Assistant
from snapdesk.evaluation import beyond_ocr, load_baseline, load_cases, run_set, summarise

DEV_REAL = Path(__file__).resolve().parents[1].parent / "shared" / "eval" / "dev-real"
MEAN_SCORE_FLOOR = 0.78
BEYOND_OCR_FLOOR = 0.76
ESCALATION_FLOOR = 0.90


@pytest.fixture(scope="module")
def results() -> list:
    if not (DEV_REAL / "cases.jsonl").is_file():
        if os.environ.get("SNAPDESK_REQUIRE_SHARED"):
            pytest.fail(f"the dev-real evaluation set is required in CI but missing at {DEV_REAL}")
        pytest.skip(f"the dev-real evaluation set is not beside the repository ({DEV_REAL})")
    assistant = Assistant.from_settings(kb_path=DEV_REAL / "kb", moderators=[])
    return run_set(assistant, load_cases(DEV_REAL))


def test_mean_score_and_facts_beyond_the_ocr_text_are_above_their_floors(results: list) -> None:
    summary = summarise(results, baseline=load_baseline(DEV_REAL))
    failing = {r.case.id: r.problems for r in results if r.score < 1}
    assert summary.mean_score >= MEAN_SCORE_FLOOR, failing
    assert summary.beyond_ocr is not None and summary.beyond_ocr >= BEYOND_OCR_FLOOR


def test_no_forbidden_string_is_ever_said(results: list) -> None:
    # Full phone numbers, street addresses and wrong figures a careless reading gives (tax counted twice).
    assert not [(r.case.id, r.problems) for r in results if any("forbidden" in p for p in r.problems)]


def test_escalation_accuracy_is_above_its_floor(results: list) -> None:
    summary = summarise(results)
    assert summary.escalation_accuracy is not None and summary.escalation_accuracy >= ESCALATION_FLOOR


def test_the_baseline_itself_is_what_the_engine_is_measured_against(results: list) -> None:
    # The OCR dump satisfies some groups; the figure above counts only the others, so it cannot be met by
    # repeating the screen: the baseline's own answers score 0 on it.
    baseline = load_baseline(DEV_REAL)
    assert baseline is not None
    assert beyond_ocr([(r.case, baseline.get(r.case.id, "")) for r in results], baseline) == 0.0
