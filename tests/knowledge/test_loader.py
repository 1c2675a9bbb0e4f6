from __future__ import annotations

import os
from pathlib import Path

import pytest

from snapdesk.errors import KnowledgeBaseError
from snapdesk.knowledge import KnowledgeBase, Passage, load_knowledge_base
from snapdesk.knowledge.loader import DEFAULT_FALLBACK

ERROR_TABLE = """# 错误码说明

支付失败时看这里。

## 错误码一览

按错误码查找。

| 错误码 | 含义 | 处理建议 |
| --- | --- | --- |
| ERR_1003 | 单笔限额不足 | 换卡或分笔支付 |
| ERR_2001 | 风控拦截 | 等待人工审核 |

转人工：风控组
"""


def write_kb(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def by_id(kb: KnowledgeBase) -> dict[str, Passage]:
    return {p.id: p for p in kb.passages}


def test_sections_become_passages(tmp_path: Path) -> None:
    text = "# 常见问题\n\n开头说明。\n\n## 甲\n\n甲的内容。\n\n## 乙\n\n乙的内容。\n"
    kb = load_knowledge_base(write_kb(tmp_path, {"faq.md": text}))
    assert [p.id for p in kb.passages] == ["faq.md#", "faq.md#甲", "faq.md#乙"]
    intro, first, _ = kb.passages
    assert (intro.heading, intro.text) == ("", "开头说明。")
    assert (intro.article, intro.source) == ("常见问题", "faq.md")
    assert (first.heading, first.text, first.escalate_to, first.row) == ("甲", "甲的内容。", None, None)
    assert kb.articles == ["常见问题"]
    assert kb.problems == ()


def test_table_rows_are_their_own_passages(tmp_path: Path) -> None:
    kb = load_knowledge_base(write_kb(tmp_path, {"kb.yaml": "teams: [风控组]\n", "错误码.md": ERROR_TABLE}))
    passages = by_id(kb)
    row = passages["错误码.md#错误码一览/ERR_1003"]
    assert row.row == {"错误码": "ERR_1003", "含义": "单笔限额不足", "处理建议": "换卡或分笔支付"}
    assert row.text == "错误码：ERR_1003；含义：单笔限额不足；处理建议：换卡或分笔支付"
    assert row.heading == "错误码一览"
    assert row.article == "错误码说明"
    assert "ERR_1003" in row.keys
    # The section's prose is a passage of its own, without the table.
    prose = passages["错误码.md#错误码一览"]
    assert prose.text == "按错误码查找。"
    assert prose.row is None
    assert "错误码.md#错误码一览/ERR_2001" in passages
    assert kb.problems == ()


def test_english_rows_use_ascii_separators(tmp_path: Path) -> None:
    text = "# Codes\n\n## Payment codes\n\n| Code | Meaning |\n|---|---|\n| E-402 | Card declined |\n"
    kb = load_knowledge_base(write_kb(tmp_path, {"codes.md": text}))
    assert kb.language == "en"
    assert by_id(kb)["codes.md#Payment codes/E-402"].text == "Code: E-402; Meaning: Card declined"


def test_table_row_with_wrong_column_count_is_kept_and_reported(tmp_path: Path) -> None:
    text = "# 表\n\n## 码\n\n| 码 | 含义 | 建议 |\n|---|---|---|\n| A1 | 短行 |\n| A2 | 多 | 出 | 一格 |\n"
    kb = load_knowledge_base(write_kb(tmp_path, {"t.md": text}))
    passages = by_id(kb)
    assert passages["t.md#码/A1"].row == {"码": "A1", "含义": "短行", "建议": ""}
    assert passages["t.md#码/A2"].row == {"码": "A2", "含义": "多", "建议": "出 | 一格"}
    assert len([p for p in kb.problems if "table row" in p]) == 2


@pytest.mark.parametrize(
    "marker",
    ["转人工：物流组", "转人工: 物流组", "转人工:物流组", "Escalate: 物流组", "Escalate to: 物流组",
     "escalate to：物流组", "**转人工：** 物流组", "- 转人工：物流组。"],
)  # fmt: skip
def test_escalation_markers_in_both_languages_and_colon_widths(tmp_path: Path, marker: str) -> None:
    text = f"# 物流\n\n## 丢件\n\n超过 7 天按丢件处理。\n\n{marker}\n"
    kb = load_knowledge_base(write_kb(tmp_path, {"kb.yaml": "teams: [物流组]\n", "a.md": text}))
    passage = by_id(kb)["a.md#丢件"]
    assert passage.escalate_to == "物流组"
    assert passage.text == "超过 7 天按丢件处理。"  # the marker line is not part of the text
    assert kb.problems == ()


def test_rows_inherit_escalation_only_from_their_own_section(tmp_path: Path) -> None:
    text = ERROR_TABLE + "\n## 其他码\n\n| 错误码 | 含义 |\n|---|---|\n| SYS_5001 | 系统繁忙 |\n"
    kb = load_knowledge_base(write_kb(tmp_path, {"e.md": text}))
    passages = by_id(kb)
    assert passages["e.md#错误码一览/ERR_1003"].escalate_to == "风控组"
    assert passages["e.md#错误码一览"].escalate_to == "风控组"
    assert passages["e.md#其他码/SYS_5001"].escalate_to is None
    assert passages["e.md#"].escalate_to is None


def test_subheadings_lists_and_emphasis(tmp_path: Path) -> None:
    text = "# 账号\n\n## 登录\n\n**注意**：\n\n### 忘记密码\n\n* 点击“忘记密码”\n- 输入*验证码*\n1. 重置\n"
    kb = load_knowledge_base(write_kb(tmp_path, {"a.md": text}))
    assert [p.id for p in kb.passages] == ["a.md#登录"]
    assert kb.passages[0].text == "注意：\n忘记密码\n- 点击“忘记密码”\n- 输入验证码\n1. 重置"


def test_keys_include_codes_classes_quotes_and_short_headings(tmp_path: Path) -> None:
    text = (
        "# 闪退\n\n## 购物车页面闪退（CartActivity 空指针）\n\n日志含 java.lang.NullPointerException。\n\n"
        "## 待补充地址\n\n点击“修改地址”。\n"
    )
    passages = by_id(load_knowledge_base(write_kb(tmp_path, {"a.md": text})))
    crash = passages["a.md#购物车页面闪退（CartActivity 空指针）"]
    assert crash.keys == ("CartActivity", "NullPointerException")  # long heading: not a key itself
    assert passages["a.md#待补充地址"].keys == ("待补充地址", "修改地址")


def test_problems_are_collected_not_raised(tmp_path: Path) -> None:
    kb = load_knowledge_base(
        write_kb(
            tmp_path,
            {
                "kb.yaml": "teams: [财务组]\n",
                "a.md": "没有标题的文章。\n\n## 空节\n\n## 有内容\n\n内容。\n\n转人工：不存在的组\n",
                "b.md": "# 乱码\n\n".encode() + "## 节\n\n中文".encode("gbk"),
            },
        )
    )
    problems = "\n".join(kb.problems)
    assert "a.md: no '# ' title" in problems
    assert "a.md#空节: empty section" in problems
    assert "不存在的组" in problems and "not in kb.yaml teams" in problems
    assert "b.md: not UTF-8" in problems
    assert {p.source for p in kb.passages} == {"a.md"}
    assert kb.passages[0].article == "a"  # file stem stands in for the missing title
    assert kb.passages[-1].escalate_to == "不存在的组"


def test_team_spelling_follows_kb_yaml(tmp_path: Path) -> None:
    text = "# A\n\n## 闪退\n\n其他。\n\n转人工：app技术组\n"
    kb = load_knowledge_base(write_kb(tmp_path, {"kb.yaml": "teams: [App 技术组]\n", "a.md": text}))
    assert kb.passages[0].escalate_to == "App 技术组"
    assert kb.problems == ()


def test_bom_recursion_order_and_fences(tmp_path: Path) -> None:
    kb = load_knowledge_base(
        write_kb(
            tmp_path,
            {
                "b.md": "\ufeff# 乙\n\n## 一\n\n文字。\n",
                "a/c.md": "# 丙\n\n## 代码\n\n```\n## 不是标题\n| a | b |\n|---|---|\n```\n",
                ".git/x.md": "# hidden\n\n## h\n\ntext\n",
            },
        )
    )
    assert [p.id for p in kb.passages] == ["a/c.md#代码", "b.md#一"]
    assert kb.passages[0].text == "## 不是标题\n| a | b |\n|---|---|"
    assert kb.passages[1].article == "乙"


def test_duplicate_ids_are_made_unique(tmp_path: Path) -> None:
    kb = load_knowledge_base(write_kb(tmp_path, {"a.md": "# A\n\n## 同名\n\n一。\n\n## 同名\n\n二。\n"}))
    assert [p.id for p in kb.passages] == ["a.md#同名", "a.md#同名~2"]


def test_kb_yaml_settings(tmp_path: Path) -> None:
    yaml_text = "name: 演示店\nlanguage: zh\nteams:\n  - 财务组\n  - 物流组\nfallback: 请稍候。\n"
    article = "# A\n\n## B\n\nsome english text\n"  # kb.yaml's language wins over detection
    kb = load_knowledge_base(write_kb(tmp_path, {"kb.yaml": yaml_text, "a.md": article}))
    assert (kb.name, kb.language, kb.teams, kb.fallback) == ("演示店", "zh", ("财务组", "物流组"), "请稍候。")
    assert kb.path == tmp_path


def test_defaults_without_kb_yaml(tmp_path: Path) -> None:
    text = "# Help\n\n## Lost parcel\n\nWe resend it.\n\nEscalate: Logistics\n"
    folder = write_kb(tmp_path / "shop", {"a.md": text})
    kb = load_knowledge_base(str(folder))
    assert kb.name == "shop"
    assert kb.language == "en"
    assert kb.fallback == DEFAULT_FALLBACK["en"]
    assert kb.teams == ("Logistics",)  # taken from the hand-over lines
    zh = load_knowledge_base(write_kb(tmp_path / "zh", {"a.md": "# 帮助\n\n## 丢件\n\n补发。\n"}))
    assert (zh.language, zh.fallback) == ("zh", DEFAULT_FALLBACK["zh"])


def test_empty_kb_yaml_means_defaults(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {"kb.yaml": "# only a comment\n", "a.md": "# A\n\n## B\n\n中文内容\n"}
    kb = load_knowledge_base(write_kb(tmp_path, files))
    assert kb.language == "zh"
    assert kb.teams == ()


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({}, "no .md articles"),
        ({"notes.txt": "x"}, "no .md articles"),
        ({"kb.yaml": "teams: [a, b\n", "a.md": "# A\n\n## B\n\ntext\n"}, "not valid YAML"),
        ({"kb.yaml": "- a\n- b\n", "a.md": "# A\n\n## B\n\ntext\n"}, "must be a mapping"),
        ({"a.md": "\n\n"}, "no passage could be read"),
        ({"a.md": "# 标题\n\n## 中文".encode() + "乱码".encode("gbk")}, "no passage could be read"),
    ],
)
def test_unusable_folders_raise(tmp_path: Path, files: dict[str, str | bytes], message: str) -> None:
    with pytest.raises(KnowledgeBaseError, match=message) as info:
        load_knowledge_base(write_kb(tmp_path, files))
    assert "\n" not in str(info.value)


def test_missing_folder_and_file_path_raise(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeBaseError, match="not found"):
        load_knowledge_base(tmp_path / "nope")
    (tmp_path / "file.md").write_text("# A\n", encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match="not a folder"):
        load_knowledge_base(tmp_path / "file.md")


def test_version_changes_with_content_only(tmp_path: Path) -> None:
    folder = write_kb(tmp_path, {"kb.yaml": "name: x\n", "a.md": "# A\n\n## B\n\n一。\n"})
    first = load_knowledge_base(folder).version
    assert len(first) == 16
    os.utime(folder / "a.md", ns=(1, 1))  # touching a file is not an edit
    assert load_knowledge_base(folder).version == first
    (folder / "a.md").write_text("# A\n\n## B\n\n二。\n", encoding="utf-8")
    second = load_knowledge_base(folder).version
    assert second != first
    (folder / "kb.yaml").write_text("name: y\n", encoding="utf-8")
    third = load_knowledge_base(folder).version
    assert third != second
    (folder / "a.md").rename(folder / "c.md")
    assert load_knowledge_base(folder).version != third


def test_passages_are_hashable_and_kb_compares_by_value(tmp_path: Path) -> None:
    folder = write_kb(tmp_path, {"e.md": ERROR_TABLE})
    one, two = load_knowledge_base(folder), load_knowledge_base(folder)
    assert len(set(one.passages)) == len(one.passages)
    one.search("限额")  # building the cached index must not change equality
    assert one == two
