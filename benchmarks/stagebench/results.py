"""Everything one run.py run measured: what run.py fills in and the report_* modules read."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from answering import SetTiming

from stagebench.items import Item
from stagebench.pipeline import Sample
from stagebench.sweep import NativeReading, SweepConfig


@dataclass
class StageRun:
    command: str
    set_dir: Path
    cases: int  # cases used (after --limit)
    items: list[Item]
    # Main run and memory
    samples: list[Sample]
    repeats: int
    ocr: Any  # the Assistant's snapdesk.perception.ocr.OcrSettings in the main run
    rss_start_kib: int
    peak_main_kib: int
    rss_main_kib: int
    # Retrieval and composition per evaluation set
    answering: list[SetTiming]
    # Sweep (empty with --no-sweep) and the end of the run
    configs: list[SweepConfig]
    native: NativeReading
    peak_end_kib: int
    rss_end_kib: int
    # The machine's state
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    contention: tuple[float, float | None]  # other processes' share in the main run, in the sweep (None: none)
    started: datetime.datetime
    wall_s: float

    @property
    def phone(self) -> list[Sample]:
        return [s for s in self.samples if s.item.phone]
