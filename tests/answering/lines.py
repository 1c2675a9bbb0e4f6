"""Screens for the arithmetic tests, built from recognised lines (no OCR, no fonts needed)."""

from __future__ import annotations

from PIL import Image

from snapdesk.perception import Perception, RawLine, perceive_lines
from snapdesk.perception.fields import Fields, extract_fields

W, H = 1080, 2340
# An order card: two items, the first under its own promotion, and the goods total.
TWO_ITEMS_ONE_PROMOTED = (
    "无线耳机 Pro",
    "满减优惠：满500元，减60元",
    "￥699 x 1",
    "手机壳",
    "无优惠",
    "￥39 x 1",
    "商品合计",
    "￥738",
)
_WHITE = Image.new("RGB", (W, H), "white")


def screen(*texts: str, top: int = 200, step: int = 100) -> Perception:
    """One line per text, left-aligned, far enough apart that each is its own block."""
    raw = [
        RawLine(text, (40, top + i * step, min(W - 10, 40 + 22 * len(text)), top + i * step + 40), 0.99)
        for i, text in enumerate(texts)
    ]
    return perceive_lines(_WHITE, raw)


def fields_of(*texts: str) -> tuple[Fields, Perception]:
    perception = screen(*texts)
    return extract_fields(perception), perception
