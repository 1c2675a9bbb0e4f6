"""Turning what a person answered into knowledge: a passage drafted from an agent's reply, shown as a diff
against the knowledge-base folder, and written there only when an admin accepts it.

What is written is only ever added: a new `## ` section at the end of one file kept for such passages (created
with its title the first time), never a change to a line someone wrote. The loader strips HTML comments, so the
note saying where the passage came from is kept in the file without being quoted to customers.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import SnapDeskError
from .store import demo_kb_path
from .text import detect_language

# The file learned passages go to, and its title, in the knowledge base's language.
LEARNED_FILE = {"zh": "客服回复整理.md", "en": "answers-from-support.md"}
LEARNED_TITLE = {"zh": "客服回复整理", "en": "Answers from our support team"}
MAX_SECTION_CHARS = 8000
_FILE_NAME = re.compile(r"^[^/\\.][^/\\]{0,100}\.md$")
_TITLE_LINE = re.compile(r"^#(?!#)", re.M)  # a "# " line would start another article inside the file


class DraftRefusedError(SnapDeskError):
    code = "bad_passage"
    http_status = 422


class KnowledgeBaseReadOnlyError(SnapDeskError):
    code = "kb_read_only"
    http_status = 409


@dataclass(frozen=True)
class Draft:
    file: str  # relative to the knowledge-base folder
    section: str  # the Markdown that would be added
    diff: str  # unified diff of that file, before → after


def draft_section(
    *, question: str, replies: list[str], codes: list[str], team: str | None, source: str, language: str | None = None
) -> str:
    """A `## ` section: the codes or statuses seen and the customer's question as its heading (what retrieval
    matches a like case by), the person's replies as its text, and where it came from as a comment."""
    language = language or detect_language(question)
    separator = "：" if language == "zh" else ": "
    asked = " ".join(question.split())[:120]
    heading = separator.join(part for part in (" ".join(dict.fromkeys(codes)), asked) if part)
    body = "\n\n".join(reply.strip() for reply in replies if reply.strip())
    note = (
        f"团队：{team or '默认'} · 来自工单 {source}"
        if language == "zh"
        else f"team: {team or 'default'} · from case {source}"
    )
    return f"## {heading}\n\n{body}\n\n<!-- {note} -->\n"


def plan(kb_root: Path, *, section: str, file: str | None = None, language: str = "zh") -> Draft:
    """The draft as it would change the folder: which file, and the diff against what is there now."""
    name = file or LEARNED_FILE.get(language, LEARNED_FILE["en"])
    path = _target(kb_root, name, section)
    before = _read(path)
    after = _appended(before, section, language)
    # Line by line (a last line without its newline is the same line once one is added after it).
    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), f"a/{name}", f"b/{name}", lineterm="")
    return Draft(file=name, section=section, diff="\n".join(diff) + "\n")


def add_section(kb_root: Path, *, file: str, section: str, language: str = "zh") -> Path:
    """Append the accepted section to `file` in the folder (created with a title if new); returns its path."""
    path = _target(kb_root, file, section)
    before = _read(path)
    addition = _appended(before, section, language)[len(before) :]
    try:
        with path.open("a", encoding="utf-8") as handle:  # appending: nothing already there is rewritten
            handle.write(addition)
    except OSError as error:
        raise KnowledgeBaseReadOnlyError(f"cannot write {file} in the knowledge base: {error.strerror}") from None
    return path


def _target(kb_root: Path, name: str, section: str) -> Path:
    if not _FILE_NAME.match(name):
        raise DraftRefusedError("a passage goes to a Markdown file directly in the knowledge-base folder")
    if not section.startswith("## ") or _TITLE_LINE.search(section) or len(section) > MAX_SECTION_CHARS:
        raise DraftRefusedError(
            f"a passage is one or more '## ' sections (no '# ' title), {MAX_SECTION_CHARS} characters at most"
        )
    root = kb_root.resolve()
    if root == demo_kb_path().resolve():
        raise KnowledgeBaseReadOnlyError("the bundled demo knowledge base is not written to: set SNAPDESK_KB_PATH")
    if not root.is_dir():
        raise KnowledgeBaseReadOnlyError(f"the knowledge base {kb_root} is not a folder")
    return root / name


def _read(path: Path) -> str:
    """The file as it is now ("" when it does not exist yet)."""
    try:
        return path.read_text(encoding="utf-8") if path.exists() else ""
    except (OSError, UnicodeDecodeError) as error:  # a folder by that name, no permission, not UTF-8
        raise KnowledgeBaseReadOnlyError(f"cannot add to {path.name}: {error}") from None


def _appended(before: str, section: str, language: str) -> str:
    if not before.strip():
        title = LEARNED_TITLE.get(language, LEARNED_TITLE["en"])
        return f"# {title}\n\n{section.rstrip()}\n"
    gap = "\n" if before.endswith("\n") else "\n\n"
    return f"{before}{gap}{section.rstrip()}\n"
