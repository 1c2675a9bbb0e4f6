from __future__ import annotations

from pathlib import Path

import pytest

from snapdesk.knowledge import KnowledgeBase, load_knowledge_base, search
from snapdesk.knowledge.retrieval import key_pattern

ZH_ARTICLES = {
    "错误码.md": """# 支付错误码

## 错误码一览

| 错误码 | 含义 | 处理建议 |
| --- | --- | --- |
| ERR_1003 | 银行卡单笔限额不足 | 换一张卡或分笔支付 |
| ERR_10031 | 分期额度不足 | 改用全款支付 |
| ERR_2001 | 交易被风控暂停 | 等待人工审核 |
""",
    "退款.md": """# 退款

## 退款到账时间

退款审核通过后原路退回，储蓄卡 1-5 个工作日到账，信用卡 2-7 个工作日到账。

## 退款被驳回

可以在驳回后 5 天内发起申诉。
""",
    "账号.md": """# 账号

登录相关的问题。

## 验证码提示错误或过期

短信验证码 10 分钟内有效，过期请重新获取。

## 密码输错被锁定

连续输错 6 次密码，账号锁定 1 小时。订单状态显示“待补充地址”与此无关。
""",
}

EN_ARTICLES = {
    "help.md": """# Help centre

## How long do refunds take?

Refunds are returned to the original payment method within 5 business days.

## Resetting your password

Use the "Forgot password" link on the sign-in page; the reset link expires after 30 minutes.

## Lost parcels

A parcel with no tracking update for 7 days is treated as lost.

Escalate to: Logistics
""",
}


@pytest.fixture(scope="module")
def zh_kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    return _load(tmp_path_factory.mktemp("zh"), ZH_ARTICLES)


@pytest.fixture(scope="module")
def en_kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    return _load(tmp_path_factory.mktemp("en"), EN_ARTICLES)


def _load(root: Path, files: dict[str, str]) -> KnowledgeBase:
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    return load_knowledge_base(root)


def test_exact_key_beats_bm25_even_with_an_unrelated_query(zh_kb: KnowledgeBase) -> None:
    hits = zh_kb.search("退款到账时间要多久", keys=["ERR_1003"])
    assert hits[0].passage.id == "错误码.md#错误码一览/ERR_1003"
    assert hits[0].matched_keys == ("ERR_1003",)
    assert hits[1].passage.id == "退款.md#退款到账时间"  # then the BM25 results
    assert hits[1].matched_keys == ()


def test_ascii_keys_match_on_token_boundaries(zh_kb: KnowledgeBase) -> None:
    hits = zh_kb.search("", keys=["ERR_1003"])
    assert hits[0].passage.id == "错误码.md#错误码一览/ERR_1003"
    assert [h.matched_keys for h in hits[1:]] == [()] * (len(hits) - 1)  # ERR_10031 is not ERR_1003
    assert all(not h.matched_keys for h in zh_kb.search("", keys=["ERR_100"]))
    assert zh_kb.search("", keys=["err_10031"])[0].passage.id == "错误码.md#错误码一览/ERR_10031"


def test_key_pattern_boundaries() -> None:
    assert key_pattern("ERR_100").search("err_1003") is None
    assert key_pattern("ERR_1003").search("代码err_1003，") is not None
    assert key_pattern("HTTP 502").search("http502 bad gateway") is not None
    assert key_pattern("NullPointerException").search("java.lang.nullpointerexception") is not None
    assert key_pattern("待补充地址").search("订单待补充地址中") is not None
    assert key_pattern("ＰＡＹ－１１０６").search("pay-1106") is not None


def test_chinese_keys_match_as_substrings(zh_kb: KnowledgeBase) -> None:
    hits = zh_kb.search("", keys=["待补充地址"])
    assert hits[0].passage.id == "账号.md#密码输错被锁定"
    assert hits[0].matched_keys == ("待补充地址",)


def test_more_and_longer_keys_rank_first(zh_kb: KnowledgeBase) -> None:
    hits = zh_kb.search("", keys=["ERR_2001", "风控", "ERR_1003"])
    assert hits[0].matched_keys == ("ERR_2001", "风控")
    assert hits[1].matched_keys == ("ERR_1003",)


def test_chinese_query_finds_the_right_section(zh_kb: KnowledgeBase) -> None:
    assert zh_kb.search("验证码过期了怎么办")[0].passage.id == "账号.md#验证码提示错误或过期"
    assert zh_kb.search("退款多久能到账")[0].passage.id == "退款.md#退款到账时间"
    assert zh_kb.search("银行卡限额不够付不了款")[0].passage.id == "错误码.md#错误码一览/ERR_1003"
    assert zh_kb.search("密码输错好几次登录不了")[0].passage.id == "账号.md#密码输错被锁定"


def test_english_kb(en_kb: KnowledgeBase) -> None:
    assert en_kb.language == "en"
    assert en_kb.search("How long does a refund take?")[0].passage.heading == "How long do refunds take?"
    assert en_kb.search("I forgot my password")[0].passage.heading == "Resetting your password"
    lost = en_kb.search("my parcel is lost, tracking not updated")[0].passage
    assert (lost.heading, lost.escalate_to) == ("Lost parcels", "Logistics")


def test_only_positive_scores_are_returned(zh_kb: KnowledgeBase) -> None:
    assert zh_kb.search("") == []
    assert zh_kb.search("下雨打雷") == []
    hits = zh_kb.search("退款")
    assert hits and all(h.score > 0 for h in hits)


def test_limit(zh_kb: KnowledgeBase) -> None:
    assert len(zh_kb.search("退款 验证码 错误码", limit=2)) == 2
    assert zh_kb.search("退款", limit=0) == []


def test_heading_tokens_weigh_more(tmp_path: Path) -> None:
    kb = _load(tmp_path, {"a.md": "# A\n\n## 其他\n\n发票 发票\n\n## 发票\n\n发票 发票\n"})
    assert kb.search("发票")[0].passage.heading == "发票"


def test_ties_keep_passage_order(tmp_path: Path) -> None:
    kb = _load(tmp_path, {"a.md": "# A\n\n## 一\n\n运费说明\n\n## 二\n\n运费说明\n"})
    hits = kb.search("运费")
    assert [h.passage.heading for h in hits] == ["一", "二"]
    assert hits[0].score == hits[1].score


def test_intro_ranks_below_a_section_saying_the_same(tmp_path: Path) -> None:
    kb = _load(tmp_path, {"a.md": "# A\n\n优惠券规则。\n\n## 规则\n\n优惠券规则。\n"})
    assert kb.search("优惠券")[0].passage.heading == "规则"


def test_module_search_and_cached_index(zh_kb: KnowledgeBase) -> None:
    assert search(zh_kb, "退款") == zh_kb.search("退款")
    assert zh_kb._index is zh_kb._index
