"""Caches: in process by default, Redis when configured; a Redis outage degrades to no cache, never to errors.

Keys are exact: an image digest of the normalised pixels, never a perceptual hash, so two customers'
order pages that differ only in the order number never share an entry.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from typing import Any, Protocol

log = logging.getLogger("snapdesk.cache")


class Cache(Protocol):
    name: str

    def get(self, key: str) -> bytes | None: ...

    def set(self, key: str, value: bytes, *, ttl: int) -> None: ...

    def ping(self) -> bool: ...


class MemoryCache:
    """A thread-safe LRU with a time to live."""

    name = "memory"

    def __init__(self, *, max_entries: int = 2048) -> None:
        self.max_entries = max_entries
        self._items: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            expires, value = item
            if expires < time.monotonic():
                del self._items[key]
                return None
            self._items.move_to_end(key)
            return value

    def set(self, key: str, value: bytes, *, ttl: int) -> None:
        with self._lock:
            self._items[key] = (time.monotonic() + ttl, value)
            self._items.move_to_end(key)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)

    def ping(self) -> bool:
        return True

    def __len__(self) -> int:
        return len(self._items)


class RedisCache:
    """Redis shared by every app replica. Any Redis error is a miss (or a skipped write), logged once a
    cool-down, and Redis is not asked again until the cool-down ends: an outage costs no latency."""

    name = "redis"

    def __init__(self, url: str, *, prefix: str = "snapdesk:", cooldown: float = 5.0, client: Any = None) -> None:
        import redis

        self._redis = redis
        self.client = client or redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self.prefix = prefix
        self.cooldown = cooldown
        self._down_until = 0.0
        self.errors = 0

    def _failed(self, error: Exception) -> None:
        self.errors += 1
        if self._down_until < time.monotonic():
            log.warning("redis unavailable, running without the shared cache: %s", error)
        self._down_until = time.monotonic() + self.cooldown

    def get(self, key: str) -> bytes | None:
        if self._down_until > time.monotonic():
            return None
        try:
            return self.client.get(self.prefix + key)
        except self._redis.RedisError as error:
            self._failed(error)
            return None

    def set(self, key: str, value: bytes, *, ttl: int) -> None:
        if self._down_until > time.monotonic():
            return
        try:
            self.client.set(self.prefix + key, value, ex=ttl)
        except self._redis.RedisError as error:
            self._failed(error)

    def ping(self) -> bool:
        try:
            return bool(self.client.ping())
        except self._redis.RedisError:
            return False


def cache_key(kind: str, *parts: Any) -> str:
    """A short, exact key over everything the cached value depends on."""
    digest = hashlib.sha256(json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str).encode()).hexdigest()
    return f"{kind}:{digest[:40]}"


def normalise_question(text: str) -> str:
    import unicodedata

    return " ".join(unicodedata.normalize("NFKC", text).lower().split()).rstrip("?？!！。.")
