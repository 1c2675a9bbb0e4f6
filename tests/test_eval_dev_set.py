"""The development evaluation set beside the repository, with a floor on its score.

The set lives in ../shared and is never copied here. Locally the test skips when it is absent;
CI sets SNAPDESK_REQUIRE_SHARED=1 and then its absence fails the run.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from snapdesk import Assistant
from snapdesk.evaluation import load_cases, run_set, summarise

DEV_SET = Path(__file__).resolve().parents[1].parent / "shared" / "eval" / "dev"
# Measured 0.965 when this floor was last set (issue 10 asks for 0.95); the floor leaves room for OCR noise, not
# for regressions.
MEAN_SCORE_FLOOR = 0.93


@pytest.fixture(scope="module")
def results() -> list:
    if not (DEV_SET / "cases.jsonl").is_file():
        if os.environ.get("SNAPDESK_REQUIRE_SHARED"):
            pytest.fail(f"the dev evaluation set is required in CI but missing at {DEV_SET}")
        pytest.skip(f"the dev evaluation set is not beside the repository ({DEV_SET})")
    assistant = Assistant.from_settings(kb_path=DEV_SET / "kb")
    return run_set(assistant, load_cases(DEV_SET))


def test_mean_score_is_above_the_floor(results: list) -> None:
    summary = summarise(results)
    failing = {r.case.id: r.problems for r in results if r.score < 1}
    assert summary.mean_score >= MEAN_SCORE_FLOOR, failing


def test_no_forbidden_string_is_ever_said(results: list) -> None:
    assert not [r.case.id for r in results if any("forbidden" in p for p in r.problems)]


def test_escalation_and_intent_accuracy(results: list) -> None:
    summary = summarise(results)
    assert summary.escalation_accuracy is not None and summary.escalation_accuracy >= 0.9
    assert summary.intent_accuracy is not None and summary.intent_accuracy >= 0.9
