"""SnapDesk: a customer-service assistant that reads screenshots."""

from __future__ import annotations

__version__ = "0.1.0"

from .assistant import Answer, Assistant, HistoryTurn
from .config import Settings

__all__ = ["Answer", "Assistant", "HistoryTurn", "Settings", "__version__"]
