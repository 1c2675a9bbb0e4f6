"""Safety: personal data found and masked, instructions hidden in screenshots recognised as data."""

from __future__ import annotations

from .injection import looks_like_instruction
from .pii import PiiMatch, find_pii, mask_pii

__all__ = ["PiiMatch", "find_pii", "looks_like_instruction", "mask_pii"]
