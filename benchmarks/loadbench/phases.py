"""Server B's phases: answer-cache hits, follow-ups, text-only questions, then mixed load up to N requests,
with the server's memory read at checkpoints along the way."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import httpx
from common import proc_status

from loadbench.client import Rec, new_client, send
from loadbench.server import Server
from loadbench.shots import Shot

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
# The report finds the single-client phases by these names.
PRIME = "first question on each screenshot (OCR)"
HITS = "same request again (answer cache)"
FOLLOW = "follow-up: same session, no image, another question"
TEXT_FIRST = "text-only question, first time"
TEXT_HITS = "text-only question repeated (answer cache)"


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


@dataclass
class _Asker:
    """Sends one request of a phase on the shared client, keeps it in the phase and counts it toward N."""

    client: httpx.AsyncClient
    tally: Tally

    async def __call__(self, phase: Phase, text: str, shot: Shot | None = None, session: str | None = None) -> Rec:
        rec = await send(self.client, phase.name, text, shot, session)
        phase.recs.append(rec)
        self.tally.done(rec)
        return rec


async def server_b_phases(
    server: Server, shots: Sequence[Shot], tally: Tally, progress: Callable[[str], None]
) -> list[Phase]:
    async with new_client(server.url, FILLER_CLIENTS * 2) as client:
        ask = _Asker(client, tally)
        phases, sessions = await _one_client_phases(ask, shots, progress)
        progress(f"  {tally.count} requests: follow-ups; mixed load to {tally.total}")
        mixed = Phase(f"mixed, {FILLER_CLIENTS} clients")
        phases.append(mixed)
        load = _MixedLoad(ask, mixed, shots, list(sessions.values()), tally.total - tally.count, progress)
        if load.pool:
            await asyncio.gather(*(load.worker() for _ in range(FILLER_CLIENTS)))
    return phases


async def _one_client_phases(
    ask: _Asker, shots: Sequence[Shot], progress: Callable[[str], None]
) -> tuple[list[Phase], dict[str, str]]:
    """The phases the targets read, one request at a time: (the phases, screenshot name -> its session)."""
    prime = Phase(PRIME)
    sessions: dict[str, str] = {}
    for shot in shots:
        rec = await ask(prime, shot.question, shot)
        if rec.session_id:
            sessions[shot.name] = rec.session_id
    hits, follow, text_first, text_hits = Phase(HITS), Phase(FOLLOW), Phase(TEXT_FIRST), Phase(TEXT_HITS)
    for shot in shots:
        await ask(hits, shot.question, shot)
    progress(f"  {ask.tally.count} requests: primed, cache hits")
    for round_ in range(3):
        for number, shot in enumerate(shots):
            if shot.name in sessions:
                question = FOLLOW_UPS[(number + round_) % len(FOLLOW_UPS)]
                await ask(follow, question, None, sessions[shot.name])
        if round_ == 0:
            await ask(text_first, TEXT_ONLY_QUESTION)
            for _ in range(20):
                await ask(text_hits, TEXT_ONLY_QUESTION)
    for shot in shots:
        await ask(hits, shot.question, shot)
    return [prime, hits, follow, text_first, text_hits], sessions


class _MixedLoad:
    """The rest up to N at FILLER_CLIENTS clients; per 10 requests 4 cache hits, 3 follow-ups and 3 new sessions
    on known screenshots (a new question: answer-cache miss, perception-cache hit)."""

    def __init__(
        self,
        ask: _Asker,
        phase: Phase,
        shots: Sequence[Shot],
        pool: list[str],
        left: int,
        progress: Callable[[str], None],
    ) -> None:
        self.ask, self.phase, self.shots, self.pool = ask, phase, shots, pool
        self.left = left  # shared by the workers: each takes the next request number until none is left
        self.counter = itertools.count()
        self.progress = progress

    async def worker(self) -> None:
        while self.left > 0:
            self.left -= 1
            number = next(self.counter)
            shot = self.shots[number % len(self.shots)]
            slot = number % 10
            if slot < 4:
                rec = await self.ask(self.phase, shot.question, shot)
            elif slot < 7:
                session = self.pool[(number * 7) % len(self.pool)]
                rec = await self.ask(self.phase, f"{FOLLOW_UPS[number % len(FOLLOW_UPS)]} #{number}", None, session)
            else:
                rec = await self.ask(self.phase, f"{shot.question} #{number}", shot)
                if rec.session_id:
                    self.pool.append(rec.session_id)
            rec.kind = ("hit", "follow-up", "new session")[0 if slot < 4 else 1 if slot < 7 else 2]
            if self.ask.tally.count % 1000 == 0:
                self.progress(f"  {self.ask.tally.count} requests")
