"""Everything one load.py run measured: what the runner fills in and the report_* modules read."""

from __future__ import annotations

import collections
import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loadbench.client import Rec
from loadbench.first_answer import FirstAnswer
from loadbench.levels import Bare, Level
from loadbench.phases import Phase, Tally
from loadbench.server import Server
from loadbench.shots import Shot


@dataclass
class ServerARun:
    """Throughput: server A with its caches down to one slot, and bare OCR in this process around each level."""

    warm_recs: list[Rec]  # the untimed warm-up
    bare: list[Bare]  # bare OCR passes, one before the first level and one after each
    levels: list[Level]
    rss: dict[str, int]  # server A's VmRSS/VmHWM after the last level, KiB


@dataclass
class ServerBRun:
    """Caches, follow-ups and memory: server B with default settings, N requests in all."""

    phases: list[Phase]  # the single-client phases, then the mixed phase last
    tally: Tally  # the request count and the RSS checkpoints
    rss_start: dict[str, int]  # VmRSS/VmHWM when ready, before any request, KiB
    rss_end: dict[str, int]  # after the N requests, all answered
    ocr_runs: collections.Counter[str]  # OCR runs in server B's whole log, by rung

    def phase(self, name: str) -> Phase:
        return next(p for p in self.phases if p.name == name)


@dataclass
class LoadRun:
    a: ServerARun
    b: ServerBRun
    first: FirstAnswer  # server C: the first answer after /readyz
    # How the run was made
    server_a: Server
    server_b: Server
    server_c: Server
    settings: Any  # snapdesk.config.Settings: imported only once the caller's SNAPDESK_* environment is cleared
    ocr: Any  # snapdesk.perception.ocr.OcrSettings, as Assistant.from_settings builds it
    workers: int  # answering workers the ladder runs with the default workers=0
    shots: list[Shot]
    set_dir: Path
    command: str
    git: str
    started: datetime.datetime
    wall_s: float
    window_s: float
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
