"""Engines are found through the `snapdesk.engines` entry-point group, built-ins included."""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

from ..errors import SnapDeskError
from .base import Engine

GROUP = "snapdesk.engines"


class UnknownEngineError(SnapDeskError):
    code = "unknown_engine"
    http_status = 500


def available_engines() -> dict[str, Any]:
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def load_engine(name: str, **options: Any) -> Engine:
    engines = available_engines()
    if name not in engines:
        known = ", ".join(sorted(engines)) or "none installed"
        raise UnknownEngineError(f"unknown engine {name!r} (known: {known})")
    engine_class = engines[name].load()
    return engine_class(**options)
