"""What the service runs on, built once at start: the Assistant, the store, caches, the ladder, the limiter."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace

from ..assistant import Assistant
from ..config import Settings
from ..store import Store
from ..store.cache import Cache, MemoryCache, RedisCache
from .background import WebhookDelivery
from .chat import ChatService
from .ladder import Ladder
from .live import Arrivals
from .metrics import Metrics
from .ratelimit import RateLimiter


@dataclass
class AppState:
    settings: Settings
    assistant: Assistant
    store: Store
    cache: Cache
    ladder: Ladder
    limiter: RateLimiter
    metrics: Metrics
    chat: ChatService
    delivery: WebhookDelivery | None = None  # the webhook's: hand-overs, replies, resolutions
    arrivals: Arrivals = field(default_factory=Arrivals)  # wakes customers' pages waiting for a person's reply
    warm: bool = False  # the pipeline has answered once (readiness waits for it)

    def warm_up(self) -> None:
        """Both OCR sizes, moderation, the knowledge base and the segmenter, run once before /readyz says yes."""
        self.assistant.warm_up()
        self.chat.fast_assistant.warm_up()
        self.warm = True


def build_state(settings: Settings, *, store: Store | None = None, assistant: Assistant | None = None) -> AppState:
    store = store or Store.from_settings(settings)
    store.upgrade()
    cache: Cache = (
        RedisCache(settings.redis_url) if settings.redis_url else MemoryCache(max_entries=settings.cache_max_entries)
    )
    assistant = assistant or Assistant.from_settings(settings)
    assistant.perception_cache = cache  # OCR results shared by every replica when Redis is configured
    assistant.cache_ttl = settings.cache_ttl_seconds
    fast = assistant.with_ocr(replace(assistant.ocr, det_limit_side=min(736, assistant.ocr.det_limit_side)))
    ladder = Ladder(
        workers=settings.workers,
        queue_size=settings.queue_size,
        deadline=settings.request_deadline_seconds,
        wait_budget=settings.wait_budget_seconds,
        model_slots=settings.engine_concurrency if assistant.engine.needs_network else 0,
    )
    if ladder.model_slots:
        assistant.perception_slots = fast.perception_slots = threading.BoundedSemaphore(ladder.workers)
    metrics = Metrics()
    redis_client = cache.client if isinstance(cache, RedisCache) else None
    limiter = RateLimiter(per_minute=settings.rate_limit_per_minute, redis_client=redis_client)
    service = ChatService(
        assistant=assistant,
        fast_assistant=fast,
        store=store,
        cache=cache,
        ladder=ladder,
        metrics=metrics,
        cache_ttl=settings.cache_ttl_seconds,
    )
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    delivery = WebhookDelivery(store=store, url=settings.webhook_url, secret=secret) if settings.webhook_url else None
    service.on_handover = delivery.wake.set if delivery else None
    return AppState(settings, assistant, store, cache, ladder, limiter, metrics, service, delivery)
