"""A screen's structure for arithmetic (answering/relations.py): dates with their records, percentages,
sizes, rows of goods, the labelled lines of a bill, promotions and coupons, and bare numbers with their
labels. Kept out of Fields.as_dict, so the fields shown to agents stay as they were."""

from __future__ import annotations

import re
from decimal import Decimal

from .amounts import decimal_of
from .bills import NUM, charges, line_items, offers
from .stamps import stamps
from .types import Perception

STRUCTURE = ("stamps", "percents", "sizes", "line_items", "charges", "offers", "tallies")
_PERCENT = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d+)?)\s?%")
_SIZE = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s?([KMGT]B)\b", re.IGNORECASE)


def structure(perception: Perception) -> dict[str, object]:
    texts = [block.text for block in perception.blocks]
    items = line_items(texts)
    top = perception.height * 0.04  # the status bar's battery percentage is not the page's
    content = [b.text for b in perception.blocks if b.box[1] > top and not re.search(r"[KM]B?/s", b.text)]
    return {
        "stamps": tuple(stamps(texts)),
        "percents": tuple((float(m.group(1)), t) for t in content for m in _PERCENT.finditer(t)),
        "sizes": tuple((float(m.group(1)), m.group(2).upper(), t) for t in texts for m in _SIZE.finditer(t)),
        "line_items": tuple(items),
        "charges": tuple(charges(texts)),
        "offers": tuple(offers(texts, items)),
        "tallies": tuple(_tallies(perception)),
    }


def _tallies(perception: Perception) -> list[tuple[Decimal, str]]:
    """Bare numbers with their label: "积分：3900", or a number printed just above its label in a column."""
    bare = re.compile(rf"^({NUM})$")
    out: list[tuple[Decimal, str]] = []
    for key, value in perception.pairs:
        m = bare.match(value.strip())
        if m and not re.search(r"\d", key):
            out.append((decimal_of(m.group(1)) or Decimal(0), key.strip()))
    blocks = perception.blocks
    for i, block in enumerate(blocks):
        m = bare.match(block.text.strip())
        if not m:
            continue
        x0, _, x1, y1 = block.box
        for other in blocks[i + 1 : i + 5]:
            ox0, oy0, ox1, _ = other.box
            near = 0 <= oy0 - y1 <= 2 * (y1 - block.box[1]) and min(x1, ox1) > max(x0, ox0)
            if near and len(other.text) <= 8 and not re.search(r"\d", other.text):
                out.append((decimal_of(m.group(1)) or Decimal(0), other.text.strip()))
                break
    return out
