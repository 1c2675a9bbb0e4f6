"""Server C: how long a fresh server's first answer takes once /readyz says it is ready.

/readyz is what a load balancer or Kubernetes waits for before sending traffic, so the first customer after
a start or a scale-up gets whatever is still cold then. Server C starts like server B (default settings,
fresh data folder, so nothing is cached), and the first request goes out as soon as /readyz answers 200;
the next few, one at a time on other screenshots (cache misses too), give the warm figure to compare with.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from common import quantile

from loadbench.client import Rec, new_client, send
from loadbench.server import Server
from loadbench.shots import Shot

TARGET_FIRST_S = 3.0
FOLLOWING = 5  # the next N answers whose p50 stands beside the first


@dataclass
class FirstAnswer:
    ready_s: float  # from starting the process to /readyz's first 200
    ready_at: float  # perf_counter when /readyz said 200 (at most a few ms early)
    first: Rec  # the first /chat request after that
    following: list[Rec]  # the next ones, on other screenshots

    @property
    def gap_ms(self) -> float:
        """Between /readyz's 200 and the first request's start."""
        return (self.first.started - self.ready_at) * 1000

    @property
    def first_s(self) -> float:
        return self.first.client_ms / 1000

    @property
    def following_p50_s(self) -> float:
        return quantile([r.client_ms / 1000 for r in self.following if r.status == 200], 0.5)


async def _start_then_ask(server: Server, executable: Path, shots: Sequence[Shot]) -> tuple[float, float, list[Rec]]:
    """(seconds to ready, perf_counter at /readyz's 200, the requests). The HTTP client exists before the server
    is ready, so that only a thread hand-off stands between /readyz's 200 and the first request: the server
    gets no idle moment to finish warming up that a customer arriving at once would not give it either."""
    async with new_client("http://127.0.0.1", 1) as client:  # the port is known once start() has run
        called = time.perf_counter()
        ready_s = await asyncio.to_thread(server.start, executable)
        # start() times from just after it was called, so this is at most a few ms before the real 200 and the
        # gap to the first request is, if anything, overstated.
        ready_at = called + ready_s
        client.base_url = server.url
        recs = [await send(client, "first answer", shot.question, shot) for shot in shots]
    return ready_s, ready_at, recs


def first_answer(server: Server, executable: Path, shots: Sequence[Shot]) -> FirstAnswer:
    """Start `server` (fresh, not yet started), then its first and next FOLLOWING answers, one at a time."""
    ready_s, ready_at, recs = asyncio.run(_start_then_ask(server, executable, shots[: FOLLOWING + 1]))
    return FirstAnswer(ready_s, ready_at, recs[0], recs[1:])
