"""Drafted passages only ever add to the knowledge-base folder: a section at the end of one file, nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from snapdesk.knowledge import demo_kb_path, load_knowledge_base
from snapdesk.knowledge.drafts import (
    DraftRefusedError,
    KnowledgeBaseReadOnlyError,
    add_section,
    draft_section,
    plan,
)

SECTION = draft_section(
    question="积分怎么还没到账？",
    replies=["积分同步失败时系统会在 48 小时内自动补发。", ""],
    codes=["PTS-4410", "PTS-4410"],
    team="会员组",
    source="case-1",
)


def test_a_draft_is_a_section_headed_by_the_codes_and_the_question() -> None:
    heading, *rest = SECTION.splitlines()
    assert heading == "## PTS-4410：积分怎么还没到账？"
    assert "积分同步失败时系统会在 48 小时内自动补发。" in rest and "<!-- 团队：会员组 · 来自工单 case-1 -->" in rest


def test_accepting_appends_to_an_existing_file_without_changing_a_line(tmp_path: Path) -> None:
    article = tmp_path / "客服回复整理.md"
    article.write_text("# 客服回复整理\n\n## 旧问题\n\n旧答案。", encoding="utf-8")  # no final newline
    draft = plan(tmp_path, section=SECTION, language="zh")
    changed = [line for line in draft.diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert changed and all(line.startswith("+") for line in changed)  # nothing removed or rewritten
    assert "+## PTS-4410：积分怎么还没到账？" in changed
    add_section(tmp_path, file=draft.file, section=draft.section)
    text = article.read_text(encoding="utf-8")
    assert text.startswith("# 客服回复整理\n\n## 旧问题\n\n旧答案。\n\n## PTS-4410")
    passages = load_knowledge_base(tmp_path).passages
    assert [p.heading for p in passages] == ["旧问题", "PTS-4410：积分怎么还没到账？"]
    assert "来自工单" not in passages[1].text  # the provenance comment is not quoted to customers


def test_a_new_file_gets_a_title_in_the_knowledge_bases_language(tmp_path: Path) -> None:
    section = "## Refund to a gift card\n\nIt takes 2 days.\n"
    draft = plan(tmp_path, section=section, language="en")
    assert draft.file == "answers-from-support.md" and "+# Answers from our support team" in draft.diff
    add_section(tmp_path, file=draft.file, section=section, language="en")
    assert (tmp_path / draft.file).read_text(encoding="utf-8").startswith("# Answers from our support team\n\n##")


@pytest.mark.parametrize("file", ["../outside.md", "sub/dir.md", ".hidden.md", "notes.txt", "a\\b.md"])
def test_only_a_markdown_file_directly_in_the_folder(tmp_path: Path, file: str) -> None:
    with pytest.raises(DraftRefusedError):
        add_section(tmp_path, file=file, section=SECTION)


@pytest.mark.parametrize(
    "section", ["# 新标题\n\n正文", "正文，没有标题", "## 标题\n\n# 另一篇\n", "## " + "长" * 9000]
)
def test_only_sections_under_the_size_limit(tmp_path: Path, section: str) -> None:
    with pytest.raises(DraftRefusedError):
        add_section(tmp_path, file="x.md", section=section)
    assert not (tmp_path / "x.md").exists()


def test_the_bundled_demo_knowledge_base_is_never_written() -> None:
    with pytest.raises(KnowledgeBaseReadOnlyError):
        add_section(demo_kb_path(), file="客服回复整理.md", section=SECTION)
    assert not (demo_kb_path() / "客服回复整理.md").exists()
