"""Which questions ask for a person: requests, not mentions (no screenshots needed, it reads the question alone)."""

from __future__ import annotations

import pytest

from snapdesk.answering.intent import asks_for_person

ASKING = [
    "我要转人工",
    "退款多久到账，帮我转人工",
    "转接人工",
    "人工服务",
    "人工客服",
    "我要人工",
    "有人吗？",
    "请人工处理",
    "帮我转客服",
    "怎么联系客服",
    "I need a human agent",
    "Can I talk to a human?",
    "let me speak to someone",
    "talk to customer service",
    "connect me to support",
    "I want a real person",
    "live agent please",
]
NOT_ASKING = [
    "为什么需要人工审核？",  # 需要 holds 要人工
    "直接人工处理吗",
    "想要人工智能推荐",
    "真人认证失败",
    "我不需要转人工，告诉我怎么改地址就行",
    "客服人员说三天到账",
    "人工客服说已经退款了",
    "页面提示请联系客服",
    "verify you are human",
    "human error",
    "A customer service representative told me 3 days",
    "Your agent said it shipped",
    "left it with an agent at the pickup point",
    "I don't need a human agent, just tell me",
]


@pytest.mark.parametrize("question", ASKING)
def test_a_request_for_a_person(question: str) -> None:
    assert asks_for_person(question)


@pytest.mark.parametrize("question", NOT_ASKING)
def test_a_mention_is_not_a_request(question: str) -> None:
    assert not asks_for_person(question)
