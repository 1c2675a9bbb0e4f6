"""The evaluation set's screenshots as the pipeline benchmark reads them: from files, with their size."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import case_image

PHONE = (1080, 2340)  # the phone screenshot size the latency target is stated for


@dataclass
class Item:
    """One screenshot of the set, with the question of the case that shows it."""

    case_id: str
    question: str
    path: Path
    size: tuple[int, int]

    @property
    def phone(self) -> bool:
        return self.size == PHONE


def load_items(cases: Sequence[Any]) -> list[Item]:
    """Every distinct screenshot of these cases (snapdesk.evaluation's EvalCase) once, in the cases' order."""
    from PIL import Image

    items: list[Item] = []
    seen: set[Path] = set()
    for case in cases:
        image = case_image(case.image, case.history)
        if image is None or Path(image) in seen:
            continue
        seen.add(Path(image))
        with Image.open(image) as probe:
            size = probe.size
        items.append(Item(case.id, case.question, Path(image), size))
    return items
