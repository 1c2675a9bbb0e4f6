"""Writing a conversation's turn into an evaluation set (eval-format.md), so that the cases people saved become
the shop's regression suite: `snapdesk eval SET` runs them as it runs any set.

A set is created on first use with `cases.jsonl`, `images/` and `kb`, a link to the knowledge base the service
answers from (the answers must come from it; a set copied elsewhere may replace the link with a folder). Cases are
appended, one line each; a case id already in the set is refused rather than written twice.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ..errors import SnapDeskError
from .cases import load_cases

_CASE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_SUFFIXES = ((b"\x89PNG", ".png"), (b"\xff\xd8\xff", ".jpg"), (b"RIFF", ".webp"))


class CaseExistsError(SnapDeskError):
    code = "case_exists"
    http_status = 409


class SetNotWritableError(SnapDeskError):
    code = "set_not_writable"
    http_status = 409


def image_suffix(data: bytes) -> str:
    """The file suffix eval-format.md allows for these bytes (.png, .jpg, .webp; PNG when unsure)."""
    return next((suffix for magic, suffix in _SUFFIXES if data.startswith(magic)), ".png")


def save_case(
    set_dir: Path,
    *,
    case_id: str,
    question: str,
    image: bytes | None,
    expect: dict[str, Any],
    kb_path: Path | None = None,
) -> dict[str, Any]:
    """Append one case (its screenshot copied into `images/`) to the set; returns the case as written."""
    if not _CASE_ID.match(case_id):
        raise ValueError(f"not a case id: {case_id!r}")
    cases = set_dir / "cases.jsonl"
    try:
        (set_dir / "images").mkdir(parents=True, exist_ok=True)
        _link_knowledge_base(set_dir, kb_path)
        if cases.exists() and any(case.id == case_id for case in load_cases(set_dir)):
            raise CaseExistsError(f"case {case_id} is already in {set_dir}")
        case: dict[str, Any] = {"id": case_id, "question": question, "history": [], "expect": expect}
        if image is not None:
            name = f"images/{case_id}{image_suffix(image)}"
            (set_dir / name).write_bytes(image)
            case = {"id": case_id, "image": name, **{k: v for k, v in case.items() if k != "id"}}
        with cases.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(case, ensure_ascii=False) + "\n")
    except OSError as error:
        raise SetNotWritableError(f"cannot write the evaluation set {set_dir}: {error.strerror}") from None
    return case


def _link_knowledge_base(set_dir: Path, kb_path: Path | None) -> None:
    link = set_dir / "kb"
    if kb_path is not None and not link.exists() and not link.is_symlink():
        link.symlink_to(kb_path.resolve(), target_is_directory=True)
