"""Reading an evaluation set folder: cases.jsonl, images/, kb/."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import SnapDeskError


class EvalSetError(SnapDeskError):
    code = "bad_eval_set"


@dataclass(frozen=True)
class EvalCase:
    id: str
    question: str
    image: Path | None
    history: list[dict[str, Any]]
    expect: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)


def load_cases(folder: str | Path) -> list[EvalCase]:
    root = Path(folder)
    path = root / "cases.jsonl"
    if not path.is_file():
        raise EvalSetError(f"no cases.jsonl in {root}")
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as error:
            raise EvalSetError(f"{path}:{number}: not JSON ({error.msg})") from None
        if not isinstance(raw, dict) or "id" not in raw or "question" not in raw:
            raise EvalSetError(f"{path}:{number}: a case needs an id and a question")
        history = []
        for turn in raw.get("history") or []:
            turn = dict(turn)
            if turn.get("image"):
                turn["image"] = root / turn["image"]
            history.append(turn)
        known = {"id", "question", "image", "history", "expect"}
        cases.append(
            EvalCase(
                id=str(raw["id"]),
                question=str(raw["question"]),
                image=root / raw["image"] if raw.get("image") else None,
                history=history,
                expect=dict(raw.get("expect") or {}),
                extra={k: v for k, v in raw.items() if k not in known},
            )
        )
    return cases
