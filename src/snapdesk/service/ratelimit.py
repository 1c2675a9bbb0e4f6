"""Per-key rate limits over fixed one-minute windows: in process, or in Redis so replicas share them."""

from __future__ import annotations

import threading
import time
from typing import Any


class RateLimiter:
    def __init__(self, *, per_minute: int, redis_client: Any = None) -> None:
        self.per_minute = per_minute
        self.redis = redis_client
        self._counts: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()

    def allow(self, owner: str) -> bool:
        if self.per_minute <= 0:
            return True
        window = int(time.time() // 60)
        if self.redis is not None:
            try:
                key = f"snapdesk:rate:{owner}:{window}"
                count = self.redis.incr(key)
                if count == 1:
                    self.redis.expire(key, 120)
                return int(count) <= self.per_minute
            except Exception:
                pass
        with self._lock:
            for stale in [k for k in self._counts if k[1] < window]:
                del self._counts[stale]
            count = self._counts.get((owner, window), 0) + 1
            self._counts[(owner, window)] = count
        return count <= self.per_minute
