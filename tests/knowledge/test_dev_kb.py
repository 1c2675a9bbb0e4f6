"""The dev evaluation KB beside the repository (../shared); skipped where it is not checked out."""

from __future__ import annotations

from pathlib import Path

import pytest

from snapdesk.knowledge import KnowledgeBase, load_knowledge_base

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
DEV_KB = SHARED / "eval" / "dev" / "kb"

pytestmark = pytest.mark.skipif(not DEV_KB.is_dir(), reason=f"dev evaluation KB not present at {DEV_KB}")


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base(DEV_KB)


def test_loads_without_problems(kb: KnowledgeBase) -> None:
    assert kb.problems == ()
    assert kb.language == "zh"
    assert len(kb.teams) == 5


def test_error_code_row_is_found_by_key(kb: KnowledgeBase) -> None:
    hit = kb.search("支付失败", keys=["ERR_1003"])[0]
    assert hit.matched_keys == ("ERR_1003",)
    assert hit.passage.row is not None
    assert next(iter(hit.passage.row.values())) == "ERR_1003"
    assert hit.passage.id.endswith("/ERR_1003")


def test_each_team_has_an_escalation_passage(kb: KnowledgeBase) -> None:
    for team in kb.teams:
        assert any(p.escalate_to == team for p in kb.passages), team


def test_verification_code_question(kb: KnowledgeBase) -> None:
    assert "验证码" in kb.search("验证码过期了怎么办")[0].passage.heading
