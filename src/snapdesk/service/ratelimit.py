"""Per-caller rate limits over fixed one-minute windows: in Redis so replicas share them, or in process.

Every decision says how much is left and when the window frees (the `RateLimit-*` headers of the IETF draft,
and `Retry-After` on a refusal), so a client can wait instead of retrying at once. While Redis is away the
limits are counted in this process (logged once); the next call that reaches Redis counts there again.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass
from typing import Any

WINDOW_SECONDS = 60
log = logging.getLogger("snapdesk.ratelimit")


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset: int  # seconds until the window frees a slot

    def headers(self) -> dict[str, str]:
        out = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset),
        }
        if not self.allowed:
            out["Retry-After"] = str(self.reset)
        return out


class RateLimiter:
    def __init__(self, *, per_minute: int, redis_client: Any = None) -> None:
        self.per_minute = per_minute
        self.redis = redis_client
        self.redis_down = False  # counting in process until Redis answers again
        self._counts: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()

    def check(self, caller: str) -> Decision | None:
        """Count one request for `caller`; None when no limit is configured."""
        if self.per_minute <= 0:
            return None
        now = time.time()
        window = int(now // WINDOW_SECONDS)
        reset = max(1, math.ceil((window + 1) * WINDOW_SECONDS - now))
        count = self._count_in_redis(caller, window)
        if count is None:
            count = self._count_here(caller, window)
        return Decision(count <= self.per_minute, self.per_minute, max(0, self.per_minute - count), reset)

    def _count_in_redis(self, caller: str, window: int) -> int | None:
        if self.redis is None:
            return None
        try:
            key = f"snapdesk:rate:{caller}:{window}"
            count = int(self.redis.incr(key))
            if count == 1:
                self.redis.expire(key, 2 * WINDOW_SECONDS)
        except Exception as error:  # any failure to reach Redis: the limit still holds, per process
            if not self.redis_down:
                log.warning("Redis unavailable for rate limits (%s): counting in this process", type(error).__name__)
            self.redis_down = True
            return None
        if self.redis_down:
            log.warning("Redis available again: rate limits are shared again")
            self.redis_down = False
        return count

    def _count_here(self, caller: str, window: int) -> int:
        with self._lock:
            for stale in [k for k in self._counts if k[1] < window]:
                del self._counts[stale]
            count = self._counts.get((caller, window), 0) + 1
            self._counts[(caller, window)] = count
        return count
