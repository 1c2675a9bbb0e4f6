"""One load.py run, in order: server A (warm-up, bare OCR passes, the levels), server B (caches, follow-ups,
memory over N requests), server C (the first answer after /readyz). Each server is stopped before the next
starts, so that only one of them competes with the measurements for the machine."""

from __future__ import annotations

import asyncio
import collections
import datetime
import itertools
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import common
from common import command_line, fmt, git_state, proc_status, quantile

from loadbench.client import statuses
from loadbench.first_answer import FirstAnswer, first_answer
from loadbench.levels import OCR_TIERS, Level, bare_ocr, capacity_of, ran_ocr, run_level, warm_up
from loadbench.phases import Tally, server_b_phases
from loadbench.results import LoadRun, ServerARun, ServerBRun
from loadbench.server import Server
from loadbench.shots import Shot

_START = time.perf_counter()


def log(message: str) -> None:
    """Progress on stderr, with the seconds since this process started (the run takes minutes)."""
    common.log(f"[{time.perf_counter() - _START:6.1f} s] {message}")


@dataclass(frozen=True)
class Options:
    set_dir: Path
    shots: list[Shot]
    levels: list[int]
    window_s: float  # seconds per level
    requests: int  # N, requests to server B in all
    executable: Path  # .venv/bin/snapdesk


def service_settings() -> tuple[Any, Any, int]:
    """(Settings, OcrSettings, answering workers) as the servers have them: defaults only.

    This process reads the same Settings as the servers, none from the caller's environment, so the SNAPDESK_*
    variables go before the first snapdesk import.
    """
    for key in [k for k in os.environ if k.startswith("SNAPDESK_")]:
        del os.environ[key]
    os.environ["SNAPDESK_CONFIG"] = str(Path(tempfile.gettempdir()) / "snapdesk-load-absent.toml")
    from snapdesk.config import Settings
    from snapdesk.perception.ocr import OcrSettings
    from snapdesk.service.ladder import Ladder

    settings = Settings()
    ocr = OcrSettings(
        det_limit_side=settings.ocr_det_limit_side,
        min_confidence=settings.ocr_min_confidence,
        threads=settings.ocr_threads,
        rec_batch=settings.ocr_rec_batch,
    )  # as Assistant.from_settings builds it
    probe = Ladder(workers=settings.workers)
    workers = probe.workers
    probe.shutdown()
    return settings, ocr, workers


def run(options: Options) -> LoadRun | None:
    """The whole run; None when a server failed (the error is on stderr, its folder kept for its log)."""
    settings, ocr, workers = service_settings()
    command = command_line("benchmarks/load.py")
    started_at, started = datetime.datetime.now(), time.perf_counter()
    load_before = os.getloadavg()
    log(
        f"{len(options.shots)} screenshots; levels {options.levels}; {options.window_s:g} s each; "
        f"N = {options.requests}"
    )
    kb = options.set_dir / "kb"
    servers = (Server("A", kb, {"SNAPDESK_CACHE_MAX_ENTRIES": "1"}), Server("B", kb, {}), Server("C", kb, {}))
    try:
        a = measure_server_a(servers[0], options, ocr)
        b = measure_server_b(servers[1], options)
        first = measure_server_c(servers[2], options)
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        return None
    finally:
        for server in servers:
            server.stop()
    for server in servers:
        server.remove()
    return LoadRun(
        a=a,
        b=b,
        first=first,
        server_a=servers[0],
        server_b=servers[1],
        server_c=servers[2],
        settings=settings,
        ocr=ocr,
        workers=workers,
        shots=options.shots,
        set_dir=options.set_dir,
        command=command,
        git=git_state(),
        started=started_at,
        wall_s=time.perf_counter() - started,
        window_s=options.window_s,
        load_before=load_before,
        load_after=os.getloadavg(),
    )


def measure_server_a(server: Server, options: Options, ocr: Any) -> ServerARun:
    """Warm-up, then a bare OCR pass before the first level and after each (this process, server idle)."""
    from snapdesk.intake import load_image
    from snapdesk.perception.ocr import read_lines

    shots = options.shots
    log(f"server A ready in {server.start(options.executable):.1f} s (pid {server.pid})")
    read_lines(load_image(shots[0].path).image, settings=ocr)  # load and warm up this process's OCR, untimed
    counter = itertools.count()
    warm_recs = asyncio.run(warm_up(server.url, shots, counter))
    log(f"warm-up: {dict(collections.Counter(r.tier for r in warm_recs))}")
    # Bare OCR before the first level and after each one, alternating between two halves of the set (even
    # and odd screenshots), so that the passes just before and just after a level cover every screenshot
    # once: the level's ratio uses the capacity measured around it, not hours apart on a shared machine.
    halves = (shots[0::2], shots[1::2])
    bare = [bare_ocr(f"before {options.levels[0]} client(s)", halves[0], ocr, server.pid)]
    log(f"bare OCR: {bare[-1].per_second:.2f} images/s")
    levels: list[Level] = []
    rss_a: dict[str, int] = {}
    for number, clients in enumerate(options.levels):
        level = run_level(server, clients, options.window_s, shots, counter)
        levels.append(level)
        if number == len(options.levels) - 1:
            rss_a = proc_status(server.pid)
        bare.append(bare_ocr(f"after {clients} client(s)", halves[(number + 1) % 2], ocr, server.pid))
        level.capacity = capacity_of(bare[-2:])
        level.capacity_ocr = capacity_of(bare[-2:], decode=False)
        log(
            f"{clients:3d} clients: {len(level.recs)} requests, {level.per_second():.2f}/s, OCR "
            f"{level.per_second(OCR_TIERS):.2f}/s, bare around it {level.capacity:.2f}/s, "
            f"p50 {quantile(level.client_ms(), 0.5):.0f} ms, tiers {dict(level.tiers())}, "
            f"statuses {dict(statuses(level.recs))}"
        )
    server.stop()
    return ServerARun(warm_recs, bare, levels, rss_a)


def measure_server_b(server: Server, options: Options) -> ServerBRun:
    """The phases up to N requests, the server's memory along the way, and its log's count of OCR runs."""
    log(f"server B ready in {server.start(options.executable):.1f} s (pid {server.pid})")
    rss_b_start = proc_status(server.pid)
    tally = Tally(server.pid, options.requests)
    phases = asyncio.run(server_b_phases(server, options.shots, tally, log))
    time.sleep(0.3)  # let the last request's work settle before the final reading
    rss_end = proc_status(server.pid)
    server.stop()
    ocr_b = collections.Counter(a["tier"] for a in server.answers_logged() if ran_ocr(a))
    return ServerBRun(phases, tally, rss_b_start, rss_end, ocr_b)


def measure_server_c(server: Server, options: Options) -> FirstAnswer:
    """A fresh server's first answer once /readyz says 200, and the next few beside it."""
    first = first_answer(server, options.executable, options.shots)
    server.stop()
    log(
        f"server C ready in {first.ready_s:.1f} s; first answer after /readyz {first.first_s:.2f} s "
        f"({first.first.tier or statuses([first.first])}); p50 of the next {len(first.following)}: "
        f"{fmt(first.following_p50_s, 2)} s"
    )
    return first
