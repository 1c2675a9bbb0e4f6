from __future__ import annotations

import pytest

from snapdesk.knowledge.text import (
    cjk_unigrams,
    detect_language,
    extract_keys,
    is_cjk,
    plain_line,
    strip_inline_markdown,
    table_cells,
    tokens,
)


def test_chinese_becomes_bigrams_without_stop_words() -> None:
    assert tokens("为什么我的验证码过期了")[:4] == ["验证", "证码", "码过", "过期"]


def test_words_of_three_characters_or_more_join_the_bigrams() -> None:
    # jieba's word beside the bigrams: a match on the whole word counts more than one on its halves.
    assert tokens("为什么我的验证码过期了") == ["验证", "证码", "码过", "过期", "验证码"]
    assert "购物车" not in tokens("购物")


def test_single_character_run_is_kept_as_a_unigram() -> None:
    assert tokens("退") == ["退"]
    assert tokens("我的 券") == ["券"]


def test_english_words_are_lowercased_stemmed_and_stop_words_dropped() -> None:
    assert tokens("Why are my Refunds delayed?") == ["refund", "delay"]
    assert tokens("refund refunded refunding") == ["refund"] * 3
    assert tokens("expire expired expires") == ["expir"] * 3


def test_numbers_codes_and_versions_are_tokens() -> None:
    assert tokens("ERR_1003 on Android 5.2.1") == ["err", "1003", "android", "5.2.1"]


def test_full_width_text_matches_ascii() -> None:
    assert tokens("ＥＲＲ＿１００３") == tokens("ERR_1003")


def test_mixed_text_keeps_both_scripts() -> None:
    assert tokens("App 闪退") == ["闪退", "app"]


def test_unigrams_skip_stop_words_and_punctuation() -> None:
    assert cjk_unigrams("我的券，过期了") == ["券", "过", "期"]


def test_is_cjk() -> None:
    assert is_cjk("中")
    assert not is_cjk("a")
    assert not is_cjk("，")
    assert not is_cjk("。")


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("验证码过期了怎么办", "zh"),
        ("How do I reset my password?", "en"),
        ("日志含 java.lang.NullPointerException，位置在 CartActivity，请升级", "zh"),
        ("The order shows 待付款", "en"),
        ("为什么显示 ERR_1003", "zh"),
        ("My order says 待补充地址, what now?", "en"),
        ("", "zh"),
    ],
)
def test_detect_language(text: str, language: str) -> None:
    assert detect_language(text) == language


def test_extract_keys_finds_codes_classes_and_quoted_labels() -> None:
    text = (
        "日志含 java.lang.NullPointerException，位置在 com.shop.CartActivity。"
        "iOS: EXC_BAD_ACCESS in PaymentViewController. 代码 ERR_1003、PAY-4021、E-402、SYS_5001，"
        'HTTP 502，0x80070005，OutOfMemoryError。状态“待补充地址”、「预售中」、"Retry"。'
    )
    assert extract_keys(text) == (
        "NullPointerException",
        "CartActivity",
        "EXC_BAD_ACCESS",
        "PaymentViewController",
        "ERR_1003",
        "PAY-4021",
        "E-402",
        "SYS_5001",
        "HTTP 502",
        "0x80070005",
        "OutOfMemoryError",
        "待补充地址",
        "预售中",
        "Retry",
    )


def test_extract_keys_ignores_plain_words_and_long_quotations() -> None:
    assert extract_keys("Error: something failed; see the Controller docs") == ()
    assert extract_keys("“这是一句很长很长的引用，超过了界面上按钮或者状态文字会有的长度”") == ()


def test_extract_keys_deduplicates_case_insensitively() -> None:
    assert extract_keys("ERR_1003 again ERR_1003") == ("ERR_1003",)
    assert extract_keys("HTTP502 and http 502") == ("HTTP 502",)


def test_strip_inline_markdown_keeps_identifiers() -> None:
    assert strip_inline_markdown("**重要** 见 *说明*，`EXC_BAD_ACCESS` 与 ERR_1003") == (
        "重要 见 说明，EXC_BAD_ACCESS 与 ERR_1003"
    )
    assert strip_inline_markdown("[帮助](https://example.com/help) [内部](other.md)") == (
        "帮助 (https://example.com/help) 内部"
    )


def test_plain_line_and_table_cells() -> None:
    assert plain_line("* item") == "- item"
    assert plain_line("> ### 小标题") == "小标题"
    assert plain_line("---") == ""
    assert table_cells("| A | b \\| c | **d** |") == ["A", "b | c", "d"]


def test_extract_keys_reads_full_width_codes() -> None:
    assert extract_keys("错误码ＥＲＲ＿１００３") == ("ERR_1003",)
