"""Engines are found through the `snapdesk.engines` entry-point group, built-ins included."""

from __future__ import annotations

from collections.abc import Sequence
from importlib.metadata import entry_points
from typing import Any

from ..config import EngineEntry
from ..errors import SnapDeskError
from .base import Engine

GROUP = "snapdesk.engines"


class UnknownEngineError(SnapDeskError):
    code = "unknown_engine"
    http_status = 500


def available_engines() -> dict[str, Any]:
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def load_engine(name: str, *, entries: Sequence[EngineEntry] = (), **options: Any) -> Engine:
    """The engine called `name`: a configured `[[engines]]` entry (built by its kind's class, given the
    entry), else an entry point constructed with `options`."""
    entry = next((e for e in entries if e.name == name), None)
    if entry is not None:
        # A model engine always runs guarded: answers checked, a circuit breaker, the offline engine behind it.
        from .guard import CircuitBreaker, GuardedEngine

        breaker = CircuitBreaker(failures_to_open=entry.failures_to_open, reset_seconds=entry.reset_seconds)
        model = load_engine(entry.kind, entry=entry)
        return GuardedEngine(model, load_engine("offline"), breaker=breaker, slow_seconds=entry.slow_seconds)
    engines = available_engines()
    if name not in engines:
        known = ", ".join(sorted(engines)) or "none installed"
        raise UnknownEngineError(f"unknown engine {name!r} (known: {known})")
    engine_class = engines[name].load()
    try:
        return engine_class(**options)
    except TypeError as error:  # a model engine named directly, without its [[engines]] entry
        raise UnknownEngineError(
            f"engine {name!r} needs an [[engines]] entry (base_url, model, ...) in the configuration; "
            f"set engine to that entry's name: {error}"
        ) from error
