"""Server A's measurements: bare OCR capacity in this process, and the closed-loop concurrency levels."""

from __future__ import annotations

import asyncio
import collections
import itertools
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from common import CpuMark, CpuUse

from loadbench.client import Rec, new_client, send
from loadbench.server import Server
from loadbench.shots import Shot

LEVELS = (1, 4, 16, 64)  # concurrent clients per level (the default of --levels)
TIERS = ("full", "fast", "text", "hold", "cache")
OCR_TIERS = ("full", "fast")  # the rungs that read the screenshot


# --------------------------------------------------------------------------- bare OCR capacity


@dataclass
class Bare:
    """One bare-OCR pass over half of the screenshots, with the server idle."""

    label: str
    ocr_s: list[float]
    decode_ms: list[float]
    others_share: float = float("nan")  # other processes' share of the machine during the pass

    @property
    def per_second(self) -> float:
        """Screenshots per second in decode + OCR: the bare capacity the verdict uses."""
        return capacity_of([self])

    @property
    def ocr_per_second(self) -> float:
        """Screenshots per second in `read_lines` alone (decoding left out)."""
        return capacity_of([self], decode=False)


def bare_ocr(label: str, shots: Sequence[Shot], ocr: Any, server_pid: int) -> Bare:
    from snapdesk.intake import load_image
    from snapdesk.perception.ocr import read_lines

    result = Bare(label, [], [])
    mark = CpuMark.now(server_pid)
    for shot in shots:
        started = time.perf_counter()
        image = load_image(shot.data).image  # decoded RGB, EXIF applied, pixel digest: what the service OCRs
        result.decode_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        read_lines(image, settings=ocr)
        result.ocr_s.append(time.perf_counter() - started)
    result.others_share = CpuUse.between(mark, CpuMark.now(server_pid)).others_share
    return result


def capacity_of(passes: Sequence[Bare], *, decode: bool = True) -> float:
    """Screenshots per second over these passes together: in decode + `read_lines`, or in `read_lines` alone."""
    seconds = sum(sum(b.ocr_s) + (sum(b.decode_ms) / 1000 if decode else 0.0) for b in passes)
    return sum(len(b.ocr_s) for b in passes) / seconds if seconds else float("nan")


# --------------------------------------------------------------------------- one level of concurrent clients


def _cached(answer: dict[str, Any]) -> bool:
    return bool(answer.get("timings", {}).get("perception_cached"))


def ran_ocr(answer: dict[str, Any]) -> bool:
    """Whether this logged answer read its screenshot with OCR. A `cache` answer logs the timings of the answer
    it repeats, so only the rungs that run the pipeline count."""
    return answer.get("tier") in OCR_TIERS and bool(answer["timings"].get("ocr_ms")) and not _cached(answer)


@dataclass
class Level:
    clients: int
    window_s: float
    wall_s: float  # window plus the drain of requests in flight at its end
    recs: list[Rec]
    cpu: CpuUse
    answers: list[dict[str, Any]]  # the server's own answer log events for this level
    t0: float = 0.0  # the window's start (perf_counter)
    capacity: float = float("nan")  # bare decode + OCR images/s in the passes just before and just after it
    capacity_ocr: float = float("nan")  # the same passes, OCR alone
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def in_window(self, tiers: Sequence[str] | None = None) -> int:
        return sum(
            1
            for r in self.recs
            if r.status == 200 and r.ended - self.t0 <= self.window_s and (tiers is None or r.tier in tiers)
        )

    def per_second(self, tiers: Sequence[str] | None = None) -> float:
        return self.in_window(tiers) / self.window_s

    def tiers(self) -> collections.Counter[str]:
        return collections.Counter(r.tier or "-" for r in self.recs if r.status == 200)

    def client_ms(self, tiers: Sequence[str] | None = None) -> list[float]:
        return [r.client_ms for r in self.recs if r.status == 200 and (tiers is None or r.tier in tiers)]

    def server_ms(self, tiers: Sequence[str] | None = None) -> list[float]:
        return [
            r.server_ms
            for r in self.recs
            if r.status == 200 and r.server_ms is not None and (tiers is None or r.tier in tiers)
        ]

    def ocr_runs(self) -> tuple[int, int]:
        """(answers whose reading came from OCR, answers whose reading came from the perception cache)."""
        answered = [a for a in self.answers if a.get("tier") in OCR_TIERS]
        return sum(1 for a in answered if ran_ocr(a)), sum(1 for a in answered if _cached(a))

    def stage_ms(self, tier: str, stage: str) -> list[float]:
        return [
            a["timings"][stage]
            for a in self.answers
            if a.get("tier") == tier and stage in a.get("timings", {}) and ran_ocr(a)
        ]


async def closed_loop(
    url: str, clients: int, window_s: float, shots: Sequence[Shot], counter: itertools.count[int]
) -> tuple[float, list[Rec]]:
    """`clients` customers, each with its own connection (its own httpx client), for `window_s` seconds."""
    recs: list[Rec] = []
    t0 = time.perf_counter()
    end = t0 + window_s

    async def one() -> None:
        last: float | None = None
        async with new_client(url, 1) as client:
            while time.perf_counter() < end:
                number = next(counter)
                shot = shots[number % len(shots)]
                rec = await send(client, "load", f"{shot.question} #{number}", shot)
                rec.idle_before = None if last is None else rec.started - last  # also its connection's idle time
                last = rec.ended
                recs.append(rec)
                wait = min(rec.retry_after or 0.0, end - time.perf_counter())
                if rec.tier == "hold" and wait > 0:  # the holding reply asks the client to come back later
                    await asyncio.sleep(wait)

    await asyncio.gather(*(one() for _ in range(clients)))
    return t0, recs


async def warm_up(url: str, shots: Sequence[Shot], counter: itertools.count[int], clients: int = 4) -> list[Rec]:
    queue = list(shots)
    recs: list[Rec] = []
    async with new_client(url, clients * 2) as client:

        async def one() -> None:
            while queue:
                shot = queue.pop()
                recs.append(await send(client, "warm-up", f"{shot.question} #{next(counter)}", shot))

        await asyncio.gather(*(one() for _ in range(clients)))
    return recs


def run_level(
    server: Server, clients: int, window_s: float, shots: Sequence[Shot], counter: itertools.count[int]
) -> Level:
    log_start = server.log_size()
    mark = CpuMark.now(server.pid)
    started = time.perf_counter()
    t0, recs = asyncio.run(closed_loop(server.url, clients, window_s, shots, counter))
    wall = time.perf_counter() - started
    cpu = CpuUse.between(mark, CpuMark.now(server.pid))
    time.sleep(0.3)  # let the last log lines reach the file
    answers = server.answers_logged(log_start, server.log_size())
    level = Level(clients, window_s, wall, recs, cpu, answers, t0=t0)
    level.load_after = os.getloadavg()
    return level
