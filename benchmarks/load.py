"""SnapDesk HTTP service load benchmark: `/chat` under 1-64 concurrent clients, caches, follow-ups, memory.

One run, on this machine, over loopback; BENCHMARKS.md gets a section written from that run only:

1. Server A, started with the perception and answer caches effectively off (SNAPDESK_CACHE_MAX_ENTRIES=1:
   one in-process LRU holds both, and every answer evicts the reading before it), so that every image
   request at the full or fast rung runs OCR. Every question carries a request counter, so no two are alike.
   a. Untimed warm-up: every screenshot once, 4 clients (loads the `fast` rung's OCR engine as well).
   b. Bare OCR capacity, server idle: each screenshot's bytes decoded (`snapdesk.intake.load_image`) and read
      (`snapdesk.perception.ocr.read_lines`, the service's default OcrSettings) in a plain loop in this process,
      decode and OCR timed apart, on half of the screenshots before the first level and after every level,
      alternating halves: the passes on either side of a level read every screenshot once, and that level's
      ratio uses them (the machine is shared and its load drifts). The verdict compares with decode + OCR (what
      reading a screenshot file takes); the ratio against OCR alone is reported beside it.
   c. Closed-loop clients (1, 4, 16, 64), each sending the next screenshot with its question as soon as its last
      answer came back; a client that gets the holding reply waits its Retry-After first (capped at the window's
      end), as the ladder asks. Each level runs for a fixed window; requests still in flight then are waited for.
2. Server B, default settings (caches on), fresh: answer-cache hits (the same request again, server-side
   `latency_ms`), follow-ups (same session, no image, another question), then a mix of cache hits, follow-ups
   and new sessions on known screenshots until N requests in all; VmRSS of the server after 100 and after N.

Usage (from the repository root; the dev set stays outside the repository):

    .venv/bin/python benchmarks/load.py [--set ../shared/eval/dev] [--requests N] [--duration S] [--out BENCHMARKS.md]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import datetime
import itertools
import json
import os
import platform
import resource
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from run import cpu_model, mem_total, quantile, set_present, verdict  # shared with the pipeline benchmark (same folder)

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SET = REPO.parent / "shared" / "eval" / "dev"
MARKER = "<!-- service-benchmark -->"
LEVELS = (1, 4, 16, 64)
TIERS = ("full", "fast", "text", "hold", "cache")
OCR_TIERS = ("full", "fast")  # the rungs that read the screenshot
TARGET_RATIO = 0.9
TARGET_CACHE_MS = 5.0
TARGET_FOLLOW_UP_MS = 50.0
FILLER_CLIENTS = 4
RSS_EVERY = 1000
FOLLOW_UPS = (
    "那现在怎么弄？",
    "大概还要多久才能处理好？",
    "需要我联系人工客服吗？",
    "这种情况以后还会出现吗？",
    "我自己能解决吗？",
)
TEXT_ONLY_QUESTION = "怎么申请退款？"
MIME = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp", ".gif": "image/gif"}


# --------------------------------------------------------------------------- small helpers


_START = time.perf_counter()


def log(message: str) -> None:
    print(f"[{time.perf_counter() - _START:6.1f} s] {message}", file=sys.stderr, flush=True)


def fmt(value: float | None, digits: int = 0) -> str:
    return "n/a" if value is None or value != value else f"{value:.{digits}f}"


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def git_state() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head}" + (" with uncommitted changes under src/" if dirty else " (src/ clean)")


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, KiB."""
    found: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    found[line.split(":")[0]] = int(line.split()[1])
    except OSError:
        pass
    return found


def proc_cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
    except (OSError, ValueError, IndexError):
        return float("nan")


@dataclass(frozen=True)
class CpuMark:
    """Machine-wide busy CPU seconds, this process's and the server's CPU seconds, at one moment."""

    wall: float
    busy: float
    own: float
    server: float

    @classmethod
    def now(cls, server_pid: int) -> CpuMark:
        busy = float("nan")
        try:
            with open("/proc/stat", encoding="ascii") as handle:
                fields = [int(x) for x in handle.readline().split()[1:]]
            busy = (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")  # all but idle, iowait
        except (OSError, ValueError, IndexError):
            pass
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return cls(time.perf_counter(), busy, usage.ru_utime + usage.ru_stime, proc_cpu_seconds(server_pid))


@dataclass(frozen=True)
class CpuUse:
    server_cores: float  # the server process's CPU seconds per wall second
    client_cores: float  # this process's (the load generator's)
    others_share: float  # share of the machine's capacity used by every other process

    @classmethod
    def between(cls, start: CpuMark, end: CpuMark) -> CpuUse:
        wall = end.wall - start.wall
        if wall <= 0:
            return cls(float("nan"), float("nan"), float("nan"))
        server, own = end.server - start.server, end.own - start.own
        others = max(0.0, (end.busy - start.busy) - server - own) / (wall * cores())
        return cls(server / wall, own / wall, others)


# --------------------------------------------------------------------------- the set


@dataclass(frozen=True)
class Shot:
    """One screenshot of the set, held in memory, with the question of the case that shows it."""

    name: str
    path: Path
    data: bytes
    mime: str
    question: str


def load_shots(set_dir: Path) -> list[Shot]:
    shots: dict[Path, Shot] = {}
    for line in (set_dir / "cases.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        case = json.loads(line)
        image = case.get("image") or next(
            (turn["image"] for turn in reversed(case.get("history") or []) if turn.get("image")), None
        )
        if not image:
            continue
        path = (set_dir / image).resolve()
        if path in shots or not path.is_file():
            continue
        mime = MIME.get(path.suffix.lower(), "application/octet-stream")
        shots[path] = Shot(path.name, path, path.read_bytes(), mime, case["question"])
    return list(shots.values())


# --------------------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """`snapdesk serve` in a subprocess, with its own data folder and log in a temporary directory."""

    def __init__(self, label: str, kb: Path, overrides: dict[str, str]) -> None:
        self.label = label
        self.kb = kb
        self.overrides = overrides
        self.port = 0
        self.dir = Path(tempfile.mkdtemp(prefix=f"snapdesk-load-{label}-"))
        self.log_path = self.dir / "server.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.exit_code: int | None = None
        self._log: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def settings_env(self) -> dict[str, str]:
        return {
            "SNAPDESK_DATA_DIR": str(self.dir / "data"),
            "SNAPDESK_KB_PATH": str(self.kb),
            "SNAPDESK_RATE_LIMIT_PER_MINUTE": "0",
            **self.overrides,
        }

    def start(self, executable: Path, timeout: float = 180.0) -> float:
        self.port = free_port()
        # Only the settings named here: none inherited from the caller's environment, no snapdesk.toml.
        env = {key: value for key, value in os.environ.items() if not key.startswith("SNAPDESK_")}
        env.update(self.settings_env(), SNAPDESK_CONFIG=str(self.dir / "absent.toml"))
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        started = time.perf_counter()
        self.process = subprocess.Popen(
            [str(executable), "serve", "--port", str(self.port)],
            cwd=self.dir,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        while time.perf_counter() - started < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"server {self.label} exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(self.url + "/readyz", timeout=2.0).status_code == 200:
                    return time.perf_counter() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"server {self.label} not ready after {timeout:.0f} s:\n{self.log_tail()}")

    def log_size(self) -> int:
        try:
            return self.log_path.stat().st_size
        except OSError:
            return 0

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return ""

    def answers_logged(self, start: int = 0, end: int | None = None) -> list[dict[str, Any]]:
        """The server's log records of answered turns (those with a tier and the pipeline's timings) between two
        offsets of its log: one JSON object a line, either an `answer` event or the request's own line."""
        with open(self.log_path, "rb") as handle:
            handle.seek(start)
            chunk = handle.read(None if end is None else end - start)
        events = []
        for line in chunk.decode("utf-8", errors="replace").splitlines():
            if not (line.startswith("{") and '"timings"' in line):
                continue
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and "tier" in record and isinstance(record.get("timings"), dict):
                events.append(record)
        return events

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
        if self.process is not None:
            self.exit_code = self.process.returncode
        if self._log is not None:
            self._log.close()
            self._log = None

    def remove(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


# --------------------------------------------------------------------------- the client


@dataclass
class Rec:
    """One request as the client saw it."""

    kind: str
    started: float
    ended: float
    status: int  # 0: no HTTP response (transport error)
    tier: str | None = None
    server_ms: float | None = None
    session_id: str | None = None
    retry_after: float | None = None
    error: str | None = None
    idle_before: float | None = None  # seconds since this client's previous answer (closed-loop levels)

    @property
    def client_ms(self) -> float:
        return (self.ended - self.started) * 1000


def new_client(url: str, connections: int) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=url,
        timeout=httpx.Timeout(60.0),
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
    )


async def send(
    client: httpx.AsyncClient, kind: str, text: str, shot: Shot | None = None, session_id: str | None = None
) -> Rec:
    data = {"text": text}
    if session_id:
        data["session_id"] = session_id
    files = {"image": (shot.name, shot.data, shot.mime)} if shot is not None else None
    started = time.perf_counter()
    try:
        response = await client.post("/chat", data=data, files=files)
    except httpx.HTTPError as error:
        return Rec(kind, started, time.perf_counter(), 0, error=type(error).__name__)
    rec = Rec(kind, started, time.perf_counter(), response.status_code)
    if response.status_code == 200:
        try:
            body = response.json()
            rec.tier, rec.server_ms, rec.session_id = body.get("tier"), body.get("latency_ms"), body.get("session_id")
        except ValueError:
            rec.error = "not JSON"
    retry = response.headers.get("retry-after")
    if retry:
        with contextlib.suppress(ValueError):
            rec.retry_after = float(retry)
    return rec


def statuses(recs: Sequence[Rec]) -> collections.Counter[str]:
    return collections.Counter(str(r.status) if r.status else f"error:{r.error}" for r in recs)


def count_5xx(recs: Sequence[Rec]) -> int:
    return sum(1 for r in recs if r.status >= 500)


def count_errors(recs: Sequence[Rec]) -> int:
    """Transport errors and timeouts: no HTTP answer at all."""
    return sum(1 for r in recs if r.status == 0)


# --------------------------------------------------------------------------- 1. throughput levels


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


def _cached(answer: dict[str, Any]) -> bool:
    return bool(answer.get("timings", {}).get("perception_cached"))


def ran_ocr(answer: dict[str, Any]) -> bool:
    """Whether this logged answer read its screenshot with OCR. A `cache` answer logs the timings of the answer
    it repeats, so only the rungs that run the pipeline count."""
    return answer.get("tier") in OCR_TIERS and bool(answer["timings"].get("ocr_ms")) and not _cached(answer)


async def closed_loop(
    url: str, clients: int, window_s: float, shots: Sequence[Shot], counter: Any
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


async def warm_up(url: str, shots: Sequence[Shot], counter: Any, clients: int = 4) -> list[Rec]:
    queue = list(shots)
    recs: list[Rec] = []
    async with new_client(url, clients * 2) as client:

        async def one() -> None:
            while queue:
                shot = queue.pop()
                recs.append(await send(client, "warm-up", f"{shot.question} #{next(counter)}", shot))

        await asyncio.gather(*(one() for _ in range(clients)))
    return recs


def run_level(server: Server, clients: int, window_s: float, shots: Sequence[Shot], counter: Any) -> Level:
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


# --------------------------------------------------------------------------- 2. caches, follow-ups, memory


@dataclass
class Phase:
    name: str
    recs: list[Rec] = field(default_factory=list)

    def server_ms(self, tier: str | None = None) -> list[float]:
        return [r.server_ms for r in self.recs if r.server_ms is not None and (tier is None or r.tier == tier)]


class Tally:
    """Counts /chat requests to server B and reads its RSS at the checkpoints."""

    def __init__(self, pid: int, total: int) -> None:
        self.pid = pid
        self.total = total
        self.count = 0
        self.rss: dict[int, dict[str, int]] = {}
        self.first_fast: int | None = None  # the request that first got the fast rung (its own OCR engine)

    def done(self, rec: Rec) -> None:
        self.count += 1
        if rec.tier == "fast" and self.first_fast is None:
            self.first_fast = self.count
        if self.count == 100 or self.count % RSS_EVERY == 0:
            self.rss[self.count] = proc_status(self.pid)


async def server_b_phases(
    server: Server, shots: Sequence[Shot], tally: Tally, progress: Callable[[str], None]
) -> list[Phase]:
    phases: list[Phase] = []
    async with new_client(server.url, FILLER_CLIENTS * 2) as client:

        async def one(phase: Phase, text: str, shot: Shot | None = None, session: str | None = None) -> Rec:
            rec = await send(client, phase.name, text, shot, session)
            phase.recs.append(rec)
            tally.done(rec)
            return rec

        prime = Phase("first question on each screenshot (OCR)")
        sessions: dict[str, str] = {}
        for shot in shots:
            rec = await one(prime, shot.question, shot)
            if rec.session_id:
                sessions[shot.name] = rec.session_id
        hits = Phase("same request again (answer cache)")
        follow = Phase("follow-up: same session, no image, another question")
        text_hits = Phase("text-only question repeated (answer cache)")
        text_first = Phase("text-only question, first time")
        phases += [prime, hits, follow, text_first, text_hits]
        for shot in shots:
            await one(hits, shot.question, shot)
        progress(f"  {tally.count} requests: primed, cache hits")
        for round_ in range(3):
            for number, shot in enumerate(shots):
                if shot.name in sessions:
                    question = FOLLOW_UPS[(number + round_) % len(FOLLOW_UPS)]
                    await one(follow, question, None, sessions[shot.name])
            if round_ == 0:
                await one(text_first, TEXT_ONLY_QUESTION)
                for _ in range(20):
                    await one(text_hits, TEXT_ONLY_QUESTION)
        for shot in shots:
            await one(hits, shot.question, shot)
        progress(f"  {tally.count} requests: follow-ups; mixed load to {tally.total}")

        # The rest: 4 clients; per 10 requests 4 cache hits, 3 follow-ups, 3 new sessions on known screenshots.
        mixed = Phase(f"mixed, {FILLER_CLIENTS} clients")
        phases.append(mixed)
        pool = list(sessions.values())
        counter = itertools.count()
        left = tally.total - tally.count

        async def worker() -> None:
            nonlocal left
            while left > 0:
                left -= 1
                number = next(counter)
                shot = shots[number % len(shots)]
                slot = number % 10
                if slot < 4:
                    rec = await one(mixed, shot.question, shot)
                elif slot < 7:
                    session = pool[(number * 7) % len(pool)]
                    rec = await one(mixed, f"{FOLLOW_UPS[number % len(FOLLOW_UPS)]} #{number}", None, session)
                else:
                    rec = await one(mixed, f"{shot.question} #{number}", shot)
                    if rec.session_id:
                        pool.append(rec.session_id)
                rec.kind = ("hit", "follow-up", "new session")[0 if slot < 4 else 1 if slot < 7 else 2]
                if tally.count % 1000 == 0:
                    progress(f"  {tally.count} requests")

        if pool:
            await asyncio.gather(*(worker() for _ in range(FILLER_CLIENTS)))
    return phases


# --------------------------------------------------------------------------- the report


def write_section(out: Path, section: str) -> None:
    """Replace everything from the marker line to the end of `out` with `section` (append if absent)."""
    try:
        old = out.read_text(encoding="utf-8")
    except FileNotFoundError:
        old = ""
    lines = old.splitlines(keepends=True)
    cut = next((n for n, line in enumerate(lines) if line.strip() == MARKER), None)
    head = "".join(lines if cut is None else lines[:cut]).rstrip("\n")
    out.write_text((head + "\n\n" if head else "") + section.rstrip("\n") + "\n", encoding="utf-8")


def report(run: dict[str, Any]) -> str:
    levels: list[Level] = run["levels"]
    bare: list[Bare] = run["bare"]
    phases: list[Phase] = run["phases"]
    tally: Tally = run["tally"]
    capacity = capacity_of(bare)  # run-wide, every pass
    capacity_ocr = capacity_of(bare, decode=False)
    deadline_ms = run["settings"].request_deadline_seconds * 1000
    ocr_tiers = OCR_TIERS
    by_name = {p.name: p for p in phases}
    hits = by_name["same request again (answer cache)"]
    text_hits = by_name["text-only question repeated (answer cache)"]
    follow = by_name["follow-up: same session, no image, another question"]
    prime = by_name["first question on each screenshot (OCR)"]
    mixed = phases[-1]
    hit_ms = hits.server_ms("cache")
    follow_ms = follow.server_ms("full")
    hit_p50, follow_p50 = quantile(hit_ms, 0.5), quantile(follow_ms, 0.5)
    all_recs = [r for lv in levels for r in lv.recs] + [r for p in phases for r in p.recs] + run["warm_recs"]
    five_xx = count_5xx(all_recs)
    errors = count_errors(all_recs)
    ratios = {lv.clients: lv.per_second(ocr_tiers) / lv.capacity for lv in levels}
    ocr_ratios = {lv.clients: lv.per_second(ocr_tiers) / lv.capacity_ocr for lv in levels}
    top = levels[-1]
    shed = top.tiers()
    rss100 = tally.rss.get(100, {}).get("VmRSS")
    rss_n = run["rss_end"].get("VmRSS")

    lines: list[str] = []
    add = lines.append
    add(MARKER)
    add("")
    add("## HTTP service under load (`benchmarks/load.py`)")
    add("")
    add(
        f"Written by `benchmarks/load.py` on {run['started']:%Y-%m-%d %H:%M} (local time), from one run that took "
        f"{run['wall_s'] / 60:.1f} min. Every figure below comes from that run; `benchmarks/run.py` keeps this "
        "section when it rewrites the file."
    )
    add("")
    add("### Targets")
    add("")
    add("| Target | Measured | Verdict |")
    add("|---|---|---|")
    for lv in levels:
        add(
            f"| Served OCR throughput ≥ {TARGET_RATIO:.0%} of bare OCR capacity, {lv.clients} client(s) "
            f"| {lv.per_second(ocr_tiers):.2f} / {lv.capacity:.2f} images/s = **{ratios[lv.clients]:.2f}** "
            f"(against the run-wide {capacity:.2f}: {lv.per_second(ocr_tiers) / capacity:.2f}; against OCR alone, "
            f"decoding left out: {lv.per_second(ocr_tiers):.2f} / {lv.capacity_ocr:.2f} "
            f"= {ocr_ratios[lv.clients]:.2f}) "
            f"| {verdict(ratios[lv.clients] >= TARGET_RATIO)} |"
        )
    add(
        f"| Answer-cache hit p50 ≤ {TARGET_CACHE_MS:.0f} ms server-side (same request with its screenshot again) "
        f"| {fmt(hit_p50, 1)} ms (n={len(hit_ms)}) | {verdict(hit_p50 <= TARGET_CACHE_MS)} |"
    )
    add(
        f"| Follow-up on the same screenshot p50 ≤ {TARGET_FOLLOW_UP_MS:.0f} ms server-side "
        f"| {fmt(follow_p50, 1)} ms (n={len(follow_ms)}) | {verdict(follow_p50 <= TARGET_FOLLOW_UP_MS)} |"
    )
    add(
        f"| Zero 5xx at every level, overload shed by the ladder | {five_xx} 5xx in {len(all_recs)} requests; at "
        f"{top.clients} clients the rungs were "
        + ", ".join(f"{t} {shed.get(t, 0)}" for t in TIERS)
        + f" | {verdict(five_xx == 0 and (shed.get('text', 0) + shed.get('hold', 0)) > 0)} |"
    )
    add(
        f"| (not an issue target) Every request got an HTTP answer | {errors} of {len(all_recs)} got none "
        f"(connection error or timeout){', see below' if errors else ''} | {verdict(errors == 0)} |"
    )
    add("")
    from_cache = sum(lv.ocr_runs()[1] for lv in levels)
    checked = (
        "every one of them ran OCR, none took its reading from the cache"
        if from_cache == 0
        else f"all but {from_cache} of them over the levels ran OCR; those took the reading of their screenshot "
        "from the one-slot cache, left there by a request for the same screenshot just before"
    )
    add(
        "“Served OCR throughput” counts the answers on the rungs that run OCR (`tier` full or fast; checked against "
        f"the server's own log: {checked}) completed within the level's window, per second. "
        "Answers from the `text` rung (no OCR) and holding replies are counted in "
        "the tables below but not here. Bare OCR capacity is how many screenshots per second this process reads "
        "with nothing else: each file's bytes decoded (`load_image`, which any OCR of a PNG must do first; RapidOCR "
        "does it itself when given a file) and read by `read_lines`. Runs of commits before 4c44fef left decoding "
        "out of the bare loop while the service decodes every upload it reads, so their ratio also charged the "
        "service for decoding; that stricter ratio is the last figure in each row. Bare OCR capacity for a level is "
        "measured in the two bare passes just "
        "before and just after it (half of the screenshots each, together every screenshot once); the run-wide "
        "figure pools every pass. The verdict uses the former, because the machine's other load drifts over the "
        "run. The `fast` rung reads at det_limit_side 736 instead of 960, so it is cheaper per image than the "
        "bare loop, which reads at the default 960."
    )
    add("")

    add("### Machine and run")
    add("")
    add(
        f"- CPU: {cpu_model()}; `nproc` = {cores()}; memory {mem_total()}; {platform.platform()}; "
        f"Python {platform.python_version()}"
    )
    add(f"- Command: `{run['command']}`")
    add(f"- Code: commit {run['git']}")
    add(
        f"- Set: `{run['set_dir']}` — {len(run['shots'])} screenshots, held in memory by the client and sent "
        "as multipart uploads; questions from `cases.jsonl`. The set stays outside the repository."
    )
    add(
        f"- Load average (1/5/15 min) before: {' / '.join(f'{x:.2f}' for x in run['load_before'])}; after: "
        f"{' / '.join(f'{x:.2f}' for x in run['load_after'])}."
    )
    add(
        "- Client and server on the same machine over loopback: the load generator (httpx, asyncio, one process) "
        "takes CPU from the server; its share is in the tables below."
    )
    add(
        "- **This machine is shared with other sessions' work**, which comes and goes; “other processes” below "
        "is their share of the machine's CPU capacity during each level (from /proc/stat less the server's and "
        "this process's CPU time). One run is one sample."
    )
    add("")
    add("Servers (`.venv/bin/snapdesk serve --port <free port>`, each with a fresh temporary data folder):")
    add("")
    for server, what in ((run["server_a"], "throughput levels"), (run["server_b"], "caches, follow-ups, memory")):
        env = ", ".join(
            f"`{k}={'<tmp>/data' if k == 'SNAPDESK_DATA_DIR' else v}`" for k, v in server.settings_env().items()
        )
        add(f"- Server {server.label} ({what}): {env}; everything else default.")
    add(
        f"- Defaults that matter here: workers=0 → {run['workers']} worker(s) on {cores()} cores (one per two "
        f"cores), queue_size={run['settings'].queue_size}, request_deadline_seconds="
        f"{run['settings'].request_deadline_seconds:g}, OCR det_limit_side={run['ocr'].det_limit_side}, "
        f"threads={run['ocr'].threads or 'all cores'}, NudeNet moderation on, SQLite, in-process cache, "
        "offline engine."
    )
    add(
        "- Server A's cache: `SNAPDESK_CACHE_MAX_ENTRIES=1` turns the shared in-process LRU (OCR readings, "
        "answers, the digests of uploads' bytes) into one slot, so a request finds an earlier reading of its "
        "screenshot only when the last cache write was for that screenshot (counted as “readings from cache” "
        "below); each question also carries a request number (`<question> #<n>`), so answers never repeat "
        "either. NudeNet's per-screenshot memo is not a setting and stays on: after the warm-up every screenshot "
        "has passed moderation once, so requests in the levels skip it (its cost is the first section's "
        "`moderation_ms`)."
    )
    add(
        "- Client: one process, asyncio; in the levels each simulated client has its own httpx.AsyncClient and "
        f"so its own HTTP/1.1 keep-alive connection; timeout 60 s. Window "
        f"{run['window_s']:g} s per level, closed loop, no think time; a client that gets the holding reply "
        "waits its Retry-After (capped at the window's end) before its next request."
    )
    add("")

    add("### Bare OCR capacity (same images, same process as the load generator, server idle)")
    add("")
    add(
        "One screenshot at a time: its bytes decoded by `snapdesk.intake.load_image` (decode, EXIF, RGB, pixel "
        "digest), then `read_lines` with the service's default OcrSettings; the two are timed apart. “images/s” "
        "is screenshots per second in both (the capacity the verdict uses), “OCR alone /s” in `read_lines` only. "
        "Passes alternate between the even and the odd screenshots of the set."
    )
    add("")
    add(
        "| pass | screenshots | seconds in `read_lines` | seconds decoding | images/s | OCR alone /s | OCR p50 ms "
        "| decode p50 ms | other processes |"
    )
    add("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for number, b in enumerate(bare):
        add(
            f"| {b.label} | {('even', 'odd')[number % 2]} ({len(b.ocr_s)}) | {sum(b.ocr_s):.1f} "
            f"| {sum(b.decode_ms) / 1000:.1f} | {b.per_second:.2f} | {b.ocr_per_second:.2f} "
            f"| {quantile([x * 1000 for x in b.ocr_s], 0.5):.0f} "
            f"| {quantile(b.decode_ms, 0.5):.0f} | {b.others_share:.1%} |"
        )
    add(
        f"| **all passes (run-wide)** | {sum(len(b.ocr_s) for b in bare)} | | | **{capacity:.2f}** "
        f"| {capacity_ocr:.2f} | | | |"
    )
    add("")

    add("### Throughput and latency by concurrency (server A)")
    add("")
    add(
        "| clients | requests | answered in window /s (all rungs) | OCR answers /s (full+fast) "
        "| bare OCR around it /s (decode + OCR) | ratio | ratio to OCR alone "
        "| p50 ms | p95 ms | OCR answers p50 / p95 ms | server `latency_ms` p50 "
        "| 5xx | server CPU (cores) | load generator CPU (cores) | other processes |"
    )
    add("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for lv in levels:
        everything, ocr_ms = lv.client_ms(), lv.client_ms(ocr_tiers)
        add(
            f"| {lv.clients} | {len(lv.recs)} | {lv.per_second():.2f} | {lv.per_second(ocr_tiers):.2f} "
            f"| {lv.capacity:.2f} | {ratios[lv.clients]:.2f} | {ocr_ratios[lv.clients]:.2f} "
            f"| {fmt(quantile(everything, 0.5))} "
            f"| {fmt(quantile(everything, 0.95))} "
            f"| {fmt(quantile(ocr_ms, 0.5))} / {fmt(quantile(ocr_ms, 0.95))} "
            f"| {fmt(quantile(lv.server_ms(), 0.5))} | {count_5xx(lv.recs)} | {lv.cpu.server_cores:.2f} "
            f"| {lv.cpu.client_cores:.2f} | {lv.cpu.others_share:.1%} |"
        )
    add("")
    add(
        "Latency is the client's clock around each POST (upload, queueing, answer), over every answered request "
        "of the level, whatever its rung. The window is the level's fixed duration; requests in flight at its end "
        "were waited for and count in the latencies but not in the rates."
    )
    add("")
    add(
        "A hold “at the deadline” waited in the queue for request_deadline_seconds (server `latency_ms` at least "
        "90% of it) before the ladder gave up on it; the other holds were answered at once because the queue was "
        "full. “OCR runs” and “readings from cache” come from the server's own log lines (the pipeline's timings)."
    )
    add("")
    add(
        "| clients | HTTP statuses | full | fast | text | hold | of which at the deadline | cache "
        "| OCR runs (server log) | readings from cache | server `ocr_ms` p50 full / fast | load avg after |"
    )
    add("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
    for lv in levels:
        tiers = lv.tiers()
        ran, cached = lv.ocr_runs()
        add(
            f"| {lv.clients} | {', '.join(f'{k}: {v}' for k, v in sorted(statuses(lv.recs).items()))} | "
            + " | ".join(str(tiers.get(t, 0)) for t in ("full", "fast", "text", "hold"))
            + f" | {sum(1 for r in lv.recs if r.tier == 'hold' and (r.server_ms or 0) >= 0.9 * deadline_ms)}"
            + f" | {tiers.get('cache', 0)} | {ran} | {cached} | {fmt(quantile(lv.stage_ms('full', 'ocr_ms'), 0.5))} / "
            f"{fmt(quantile(lv.stage_ms('fast', 'ocr_ms'), 0.5))} | "
            + " / ".join(f"{x:.2f}" for x in lv.load_after)
            + " |"
        )
    add("")
    failed = [(lv.clients, r) for lv in levels for r in lv.recs if r.status == 0]
    if failed:
        groups: dict[tuple[int, str], list[Rec]] = {}
        for clients, r in failed:
            groups.setdefault((clients, r.error or "?"), []).append(r)
        parts = []
        for (clients, error), recs in groups.items():
            idle = [r.idle_before for r in recs if r.idle_before is not None]
            near = sum(1 for x in idle if 2.5 <= x <= 7.5)
            parts.append(
                f"{len(recs)} at {clients} clients, {error}, {min(r.client_ms for r in recs):.0f}–"
                f"{max(r.client_ms for r in recs):.0f} ms after sending; its client (and so its connection) had "
                "been idle "
                + (f"{min(idle):.2f}–{max(idle):.2f} s before, {near} of them 2.5–7.5 s" if idle else "— (first)")
            )
        add("Requests with no HTTP answer: " + "; ".join(parts) + ".")
        add("")
        if any(r.idle_before is not None and 2.5 <= r.idle_before <= 7.5 for _, r in failed):
            add(
                "An idle gap of 3–7 s is a client that had just waited out a holding reply's Retry-After and then "
                "reused its keep-alive connection; `snapdesk serve` keeps idle connections 15 s, so such a failure "
                "means the connection was closed for another reason. httpx does not retry a POST on a dropped "
                "connection."
            )
            add("")
    warm = run["warm_recs"]
    add(
        f"Warm-up before the levels (untimed, not in the tables): {len(warm)} requests, statuses "
        f"{dict(sorted(statuses(warm).items()))}, rungs {dict(collections.Counter(r.tier for r in warm))}. "
        f"Server A RSS after the {top.clients}-client level: VmRSS {run['rss_a'].get('VmRSS', 0) / 1024:.0f} MiB, "
        f"peak (VmHWM) {run['rss_a'].get('VmHWM', 0) / 1024:.0f} MiB."
    )
    add("")

    add("### Caches and follow-ups (server B, one client, otherwise idle)")
    add("")
    add("| requests | n | rungs | server `latency_ms` p50 | p95 | client p50 ms |")
    add("|---|---:|---|---:|---:|---:|")
    for phase in (prime, hits, text_hits, follow):
        rungs = collections.Counter(r.tier or statuses([r]).most_common(1)[0][0] for r in phase.recs)
        server_ms = phase.server_ms()
        add(
            f"| {phase.name} | {len(phase.recs)} | {', '.join(f'{k} {v}' for k, v in rungs.most_common())} "
            f"| {fmt(quantile(server_ms, 0.5), 1)} | {fmt(quantile(server_ms, 0.95), 1)} "
            f"| {fmt(quantile([r.client_ms for r in phase.recs], 0.5), 1)} |"
        )
    add("")
    add(
        "The targets use the answer-cache rows' `cache` answers and the follow-ups' `full` answers, by the "
        "server's own `latency_ms`. For scale: decoding one of these screenshots (intake: decode, normalise, "
        f"pixel digest) takes {fmt(quantile([x for b in bare for x in b.decode_ms], 0.5))} ms p50 in the bare "
        "passes above, so a hit that took less did not decode the upload again. The text-only row is the cache "
        "path without an image. A follow-up finds the session's screenshot in the database and, with the offline "
        "engine (which reads the OCR, not the pixels), takes its reading from the perception cache without "
        "decoding the stored file"
        + (
            ": none of them ran OCR (the full rung's OCR runs below are exactly the first questions)."
            if run["ocr_b"].get("full", 0) == len(prime.recs)
            else "; the OCR count below says how often a reading was not there."
        )
    )
    add("")

    add(f"### Memory of the server process (server B, N = {tally.total} requests)")
    add("")
    add("| after | VmRSS MiB | VmHWM (peak) MiB |")
    add("|---:|---:|---:|")
    add(
        f"| start, ready (no request yet) | {run['rss_b_start'].get('VmRSS', 0) / 1024:.0f} "
        f"| {run['rss_b_start'].get('VmHWM', 0) / 1024:.0f} |"
    )
    for count in sorted(tally.rss):
        values = tally.rss[count]
        add(f"| {count} requests | {values.get('VmRSS', 0) / 1024:.0f} | {values.get('VmHWM', 0) / 1024:.0f} |")
    add(
        f"| {tally.total} requests, all answered (idle) | {fmt((rss_n or 0) / 1024)} "
        f"| {fmt(run['rss_end'].get('VmHWM', 0) / 1024)} |"
    )
    add("")
    if rss100 and rss_n:
        add(
            f"Growth from 100 to {tally.total} requests: {(rss_n - rss100) / 1024:+.0f} MiB. Readings at multiples "
            f"of {RSS_EVERY} were taken with {FILLER_CLIENTS} requests in flight. For comparison only: the first "
            "section's RSS target (< 700 MB) is stated for the pipeline in one process; this server process also "
            "holds the fast rung's own RapidOCR objects once that rung is used (the ONNX sessions are shared), "
            "the web stack, SQLite and the "
            f"in-process cache (up to {run['settings'].cache_max_entries} answers and readings)."
        )
        add("")
    kinds = collections.Counter(r.kind for r in mixed.recs)
    why = (
        "the issue's figure"
        if tally.total == 5000
        else "not the issue's 5,000: N is chosen so that the whole run fits in about 8 minutes on this machine"
    )
    add(
        f"N = {tally.total} ({why}). The {tally.total} requests were the {len(prime.recs)} first "
        f"questions (one OCR each), {len(hits.recs)} repeated requests, {len(follow.recs)} follow-ups and "
        f"{len(text_hits.recs) + 1} text-only questions above, then {len(mixed.recs)} mixed requests at "
        f"{FILLER_CLIENTS} clients: "
        + ", ".join(f"{v} {k}" for k, v in kinds.most_common())
        + " (new sessions are known screenshots with a new question: answer-cache miss, perception-cache hit). "
        f"Mixed-phase statuses: {dict(sorted(statuses(mixed.recs).items()))}; rungs: "
        f"{dict(collections.Counter(r.tier for r in mixed.recs).most_common())}; server `latency_ms` p50 by kind: "
        + ", ".join(
            f"{k} {fmt(quantile([r.server_ms for r in mixed.recs if r.kind == k and r.server_ms is not None], 0.5), 1)}"
            for k in kinds
        )
        + " ms."
    )
    add("")
    ocr_b: collections.Counter[str] = run["ocr_b"]
    add(
        f"OCR ran {sum(ocr_b.values())} times in server B's whole run (its log: answers with an `ocr_ms` and no "
        "cached reading), by rung: "
        + (", ".join(f"{k} {v}" for k, v in ocr_b.most_common()) or "none")
        + f". The first questions account for {len(prime.recs)} of the full ones."
        + (
            " The fast ones are requests the ladder stepped down to `fast` while 4 clients kept a request "
            "waiting: the fast rung reads at det_limit_side 736, and the perception cache key includes the OCR "
            "settings, so the reading already cached at 960 for that screenshot is not used and the screenshot is "
            "read again (once per screenshot; later fast requests find the 736 reading)."
            if ocr_b.get("fast")
            else ""
        )
        + (
            f" The fast rung was first used at request {tally.first_fast}; its RapidOCR objects (sharing the loaded "
            "sessions) and its first working buffers at the smaller size are made then."
            if tally.first_fast
            else ""
        )
    )
    add("")

    add("### Reading the figures")
    add("")
    add(
        f"- With the default workers=0 the ladder runs {run['workers']} answering worker(s) on this machine, "
        "and OCR itself spreads each call over every core; the bare loop does the same one image at a time. The "
        "ratio therefore compares the service's sequential OCR path, plus everything around it (upload, "
        "moderation when first seen, layout, SQLite, the HTTP stack and the load generator on the same two cores), "
        "with decoding and OCR alone; the ratio to OCR alone charges the service for decoding as well."
    )
    add(
        "- At 1 client the server idles while each answer travels back and the next request is decoded, so the "
        "ratio there is the per-request overhead; from 4 clients on, requests wait in the queue and the ladder "
        "steps down to `fast` (and to `text`/`hold` when the queue is half full or full)."
    )
    non_ocr = len(top.recs) - sum(top.tiers().get(t, 0) for t in OCR_TIERS)
    add(
        f"- At {top.clients} clients the server used {top.cpu.server_cores:.2f} cores and other processes "
        f"{top.cpu.others_share:.1%} of the machine, while {non_ocr} of the level's {len(top.recs)} requests "
        "got no OCR answer (text, hold or none). Each of those was still uploaded and parsed, and a session and "
        "the customer's message written to SQLite (one transaction), and a `text` answer's upload checked without "
        "decoding and stored unread; a holding reply chosen on arrival stores nothing but the question. That work "
        "shares the two cores with OCR."
    )
    add(
        "- The `text` rung answers from the knowledge base without reading the screenshot and the holding reply "
        "asks the customer to wait: both answer with HTTP 200 instead of an error or a timeout, but neither is "
        "an OCR answer, which is why they are kept out of the ratio."
    )
    add("")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- entry point


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", type=Path, default=DEFAULT_SET, help="evaluation set (cases.jsonl, images/, kb/)")
    parser.add_argument("--out", type=Path, default=REPO / "BENCHMARKS.md", help="report file (default BENCHMARKS.md)")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per concurrency level (default 30)")
    parser.add_argument(
        "--levels", default=",".join(map(str, LEVELS)), help="concurrent clients per level (default 1,4,16,64)"
    )
    parser.add_argument("--requests", type=int, default=5000, help="N, requests to server B in all (default 5000)")
    args = parser.parse_args(argv)

    set_dir = args.set.resolve()
    if not set_present(set_dir):
        return 2
    executable = Path(sys.executable).parent / "snapdesk"
    if not executable.exists():
        print(f"error: {executable} not found; run this with the project's .venv/bin/python", file=sys.stderr)
        return 2
    try:
        levels = [int(x) for x in args.levels.split(",") if x.strip()]
    except ValueError:
        parser.error("--levels takes numbers separated by commas")
    if not levels or min(levels) < 1:
        parser.error("--levels needs at least one level of 1 client or more")
    shots = load_shots(set_dir)
    if not shots:
        print(f"error: no case in {set_dir} has a screenshot", file=sys.stderr)
        return 2
    if args.requests < 300:
        parser.error("--requests must be at least 300 (the fixed cache and follow-up phases use about 260)")

    # This process reads the same Settings as the servers: defaults, none from the caller's environment.
    for key in [k for k in os.environ if k.startswith("SNAPDESK_")]:
        del os.environ[key]
    os.environ["SNAPDESK_CONFIG"] = str(Path(tempfile.gettempdir()) / "snapdesk-load-absent.toml")
    from snapdesk.config import Settings
    from snapdesk.perception.ocr import OcrSettings, read_lines
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

    command = " ".join(shlex.quote(p) for p in [".venv/bin/python", "benchmarks/load.py", *sys.argv[1:]])
    started_at, started = datetime.datetime.now(), time.perf_counter()
    load_before = os.getloadavg()
    log(f"{len(shots)} screenshots; levels {levels}; {args.duration:g} s each; N = {args.requests}")
    kb = set_dir / "kb"
    server_a = Server("A", kb, {"SNAPDESK_CACHE_MAX_ENTRIES": "1"})
    server_b = Server("B", kb, {})
    try:
        log(f"server A ready in {server_a.start(executable):.1f} s (pid {server_a.pid})")
        from snapdesk.intake import load_image

        read_lines(load_image(shots[0].path).image, settings=ocr)  # load and warm up this process's OCR, untimed
        counter = itertools.count()
        warm_recs = asyncio.run(warm_up(server_a.url, shots, counter))
        log(f"warm-up: {dict(collections.Counter(r.tier for r in warm_recs))}")
        # Bare OCR before the first level and after each one, alternating between two halves of the set (even
        # and odd screenshots), so that the passes just before and just after a level cover every screenshot
        # once: the level's ratio uses the capacity measured around it, not hours apart on a shared machine.
        halves = (shots[0::2], shots[1::2])
        bare = [bare_ocr(f"before {levels[0]} client(s)", halves[0], ocr, server_a.pid)]
        log(f"bare OCR: {bare[-1].per_second:.2f} images/s")
        results: list[Level] = []
        for number, clients in enumerate(levels):
            level = run_level(server_a, clients, args.duration, shots, counter)
            results.append(level)
            if number == len(levels) - 1:
                rss_a = proc_status(server_a.pid)
            label = f"after {clients} client(s)"
            bare.append(bare_ocr(label, halves[(number + 1) % 2], ocr, server_a.pid))
            level.capacity = capacity_of(bare[-2:])
            level.capacity_ocr = capacity_of(bare[-2:], decode=False)
            log(
                f"{clients:3d} clients: {len(level.recs)} requests, {level.per_second():.2f}/s, OCR "
                f"{level.per_second(OCR_TIERS):.2f}/s, bare around it {level.capacity:.2f}/s, "
                f"p50 {quantile(level.client_ms(), 0.5):.0f} ms, tiers {dict(level.tiers())}, "
                f"statuses {dict(statuses(level.recs))}"
            )
        server_a.stop()

        log(f"server B ready in {server_b.start(executable):.1f} s (pid {server_b.pid})")
        rss_b_start = proc_status(server_b.pid)
        tally = Tally(server_b.pid, args.requests)
        phases = asyncio.run(server_b_phases(server_b, shots, tally, log))
        time.sleep(0.3)
        rss_end = proc_status(server_b.pid)
        server_b.stop()
        ocr_b = collections.Counter(a["tier"] for a in server_b.answers_logged() if ran_ocr(a))
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        for server in (server_a, server_b):
            server.stop()
    for server in (server_a, server_b):
        server.remove()

    section = report(
        {
            "levels": results,
            "bare": bare,
            "phases": phases,
            "tally": tally,
            "warm_recs": warm_recs,
            "rss_a": rss_a,
            "rss_b_start": rss_b_start,
            "rss_end": rss_end,
            "ocr_b": ocr_b,
            "server_a": server_a,
            "server_b": server_b,
            "settings": settings,
            "ocr": ocr,
            "workers": workers,
            "shots": shots,
            "set_dir": set_dir,
            "command": command,
            "git": git_state(),
            "started": started_at,
            "wall_s": time.perf_counter() - started,
            "window_s": args.duration,
            "load_before": load_before,
            "load_after": os.getloadavg(),
        }
    )
    write_section(args.out, section)
    print(section)
    log(f"wrote the service section of {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
