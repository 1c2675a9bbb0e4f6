"""Answer engines: the built-in offline engine and any engine registered under `snapdesk.engines`."""

from __future__ import annotations

from .base import Case, Engine, Reply, Turn
from .registry import available_engines, load_engine

__all__ = ["Case", "Engine", "Reply", "Turn", "available_engines", "load_engine"]
