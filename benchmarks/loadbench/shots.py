"""The evaluation set's screenshots as the load generator sends them: bytes in memory, one question each."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from common import case_image

MIME = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp", ".gif": "image/gif"}


@dataclass(frozen=True)
class Shot:
    """One screenshot of the set, held in memory, with the question of the case that shows it."""

    name: str
    path: Path
    data: bytes
    mime: str
    question: str


def load_shots(set_dir: Path) -> list[Shot]:
    """Every distinct screenshot of the set once, with the question of the first case that shows it.

    Reads cases.jsonl itself rather than through snapdesk.evaluation: load.py loads the set before it clears
    the caller's SNAPDESK_* environment, and nothing from snapdesk may be imported until then.
    """
    shots: dict[Path, Shot] = {}
    for line in (set_dir / "cases.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        case = json.loads(line)
        image = case_image(case.get("image"), case.get("history"))
        if not image:
            continue
        path = (set_dir / image).resolve()
        if path in shots or not path.is_file():
            continue
        mime = MIME.get(path.suffix.lower(), "application/octet-stream")
        shots[path] = Shot(path.name, path, path.read_bytes(), mime, case["question"])
    return list(shots.values())
