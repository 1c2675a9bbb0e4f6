from __future__ import annotations

import pytest

from snapdesk.answering.grounding import ground
from snapdesk.answering.question import understand
from snapdesk.knowledge import KnowledgeBase, demo_kb_path, load_knowledge_base


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base(demo_kb_path())


def test_loads_without_problems(kb: KnowledgeBase) -> None:
    assert kb.problems == ()
    assert kb.language == "zh"
    assert kb.name == "SnapDesk 示例商店"
    assert 6 <= len(kb.articles) <= 8
    assert "星河" not in "".join(p.text + p.heading + p.article for p in kb.passages)


def test_every_hand_over_goes_to_a_known_team_and_every_team_is_used(kb: KnowledgeBase) -> None:
    used = {p.escalate_to for p in kb.passages if p.escalate_to}
    assert used  # the demo shows hand-over markers
    assert used <= set(kb.teams)
    assert used == set(kb.teams)


def test_every_section_has_text(kb: KnowledgeBase) -> None:
    assert all(p.text.strip() for p in kb.passages)


def test_payment_codes_are_table_rows_found_by_key(kb: KnowledgeBase) -> None:
    rows = [p for p in kb.passages if p.row is not None]
    assert len(rows) >= 6
    for row in rows:
        code = next(iter(row.row.values()))  # type: ignore[union-attr]
        hits = kb.search("付款失败", keys=[code])
        assert hits[0].matched_keys == (code,)
        # A code may also have a section of its own (PAY-1106 and its hand-over); the row is still found.
        assert row in [h.passage for h in hits if h.matched_keys]


def test_typical_questions_find_their_section(kb: KnowledgeBase) -> None:
    expectations = {
        "验证码过期了怎么办": "验证码",
        "物流 5 天都没有更新": "疑似丢件",
        "退款多久到账": "退款到账时间",
        "账号被冻结了登录不上": "冻结",
        "为什么优惠券用不了，差几块钱满减": "满减",
        "收到的东西破损了": "破损",
    }
    for question, heading_part in expectations.items():
        # As the pipeline ranks them: BM25 over the question's words, then a heading that applies only past a
        # condition ("退款超过预计到账时间仍未到账") gives way when nobody said the condition holds.
        hits = ground(kb, question=understand(question), intent="other", perception=None, fields=None).hits
        assert heading_part in hits[0].passage.heading, question


def test_known_crash_found_by_exception_and_unknown_crash_escalates(kb: KnowledgeBase) -> None:
    known = kb.search("App 闪退", keys=["ScanActivity", "SecurityException"])[0]
    assert known.matched_keys == ("ScanActivity", "SecurityException")
    assert known.passage.escalate_to is None
    unknown = [p for p in kb.passages if p.escalate_to == "App 技术组"]
    assert unknown and "闪退" in unknown[0].heading
