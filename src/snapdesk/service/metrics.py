"""Prometheus metrics, one registry per app so tests and several apps in one process do not collide."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

# People's times, from half a minute to three days.
_CASE_BUCKETS = (30, 60, 120, 300, 600, 1800, 3600, 7200, 14400, 28800, 86400, 259200)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "snapdesk_requests_total", "HTTP requests by route and status.", ["route", "status"], registry=self.registry
        )
        self.stage_seconds = Histogram(
            "snapdesk_stage_seconds",
            "Time per pipeline stage.",
            ["stage"],
            buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10),
            registry=self.registry,
        )
        self.cache = Counter(
            "snapdesk_cache_total", "Cache lookups by cache and result.", ["cache", "result"], registry=self.registry
        )
        self.tiers = Counter("snapdesk_tier_total", "Answers by degradation tier.", ["tier"], registry=self.registry)
        self.escalations = Counter(
            "snapdesk_escalations_total", "Answers handed over to people, by team.", ["team"], registry=self.registry
        )
        self.refusals = Counter(
            "snapdesk_refusals_total", "Requests refused, by error code.", ["code"], registry=self.registry
        )
        self.checks = Counter(
            "snapdesk_answer_checks_total",
            "Model answers by engine and check verdict (pass, regenerated, failed, error, circuit_open, ...).",
            ["engine", "verdict"],
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "snapdesk_queue_depth", "Requests waiting for or holding a worker.", registry=self.registry
        )
        self.dependency_up = Gauge(
            "snapdesk_dependency_up",
            "1 while a dependency answers, 0 while it does not (database: not ready; redis: degraded, still ready).",
            ["dependency"],
            registry=self.registry,
        )
        self.first_reply_seconds = Histogram(
            "snapdesk_case_first_reply_seconds",
            "Seconds from a hand-over to the first person's reply in its case, by team.",
            ["team"],
            buckets=_CASE_BUCKETS,
            registry=self.registry,
        )
        self.resolve_seconds = Histogram(
            "snapdesk_case_resolve_seconds",
            "Seconds from a hand-over to its case being resolved, by team.",
            ["team"],
            buckets=_CASE_BUCKETS,
            registry=self.registry,
        )

    def observe_answer(self, *, timings: dict[str, float], engine: str | None, check: str | None) -> None:
        """An answer's stage timings, and its model check's verdict when a model answered."""
        for stage, value in timings.items():
            if stage.endswith("_ms"):
                self.stage_seconds.labels(stage[:-3]).observe(value / 1000)
        if check is not None:
            self.checks.labels(engine, check).inc()

    def observe_case(self, case: dict[str, Any], *, until: str) -> None:
        """A case's time from its hand-over to the moment `until` names (`first_reply_at`, `resolved_at`); the
        caller observes it once, when its own change set that moment."""
        histogram = {"first_reply_at": self.first_reply_seconds, "resolved_at": self.resolve_seconds}[until]
        seconds = (case[until] - case["created_at"]).total_seconds()
        histogram.labels(case["team"] or "default").observe(max(0.0, seconds))
