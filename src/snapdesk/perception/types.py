"""What the perception stage hands to the rest of the pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in the original image's pixels

# Visual cues a line can carry.
WARNING = "warning"  # inside a red/orange/yellow banner or status block
RED_TEXT = "red_text"  # the text itself is red or orange
DIALOG = "dialog"  # inside a modal dialog drawn over a dimmed page
TOAST = "toast"  # a small dark pop-up with light text over a light page
CUES = (WARNING, RED_TEXT, DIALOG, TOAST)


@dataclass(frozen=True)
class OcrLine:
    text: str
    box: Box
    confidence: float
    cues: frozenset[str] = frozenset()

    @property
    def height(self) -> int:
        return self.box[3] - self.box[1]

    @property
    def salient(self) -> bool:
        """Drawn to catch the eye: what a customer's problem usually is."""
        return bool(self.cues & {WARNING, RED_TEXT, DIALOG, TOAST})

    def evidence(self) -> dict[str, object]:
        return {"text": self.text, "box": list(self.box), "cues": sorted(self.cues)}


@dataclass(frozen=True)
class Block:
    """Consecutive lines of one paragraph (a sentence wrapped over several lines), joined."""

    lines: tuple[OcrLine, ...]

    @property
    def text(self) -> str:
        return join_wrapped(line.text for line in self.lines)

    @property
    def cues(self) -> frozenset[str]:
        return frozenset().union(*(line.cues for line in self.lines))

    @property
    def box(self) -> Box:
        return (
            min(line.box[0] for line in self.lines),
            min(line.box[1] for line in self.lines),
            max(line.box[2] for line in self.lines),
            max(line.box[3] for line in self.lines),
        )


@dataclass(frozen=True)
class Perception:
    width: int
    height: int
    lines: tuple[OcrLine, ...]  # reading order
    blocks: tuple[Block, ...]  # reading order
    pairs: tuple[tuple[str, str], ...]  # key/value pairs ("订单编号", "2026...")
    screen: str  # order_detail, payment, log, chat, refund, login, tracking, checkout, web, other
    dark: bool = False
    timings: dict[str, float] = field(default_factory=dict, compare=False)

    @property
    def text(self) -> str:
        return "\n".join(block.text for block in self.blocks)

    def value(self, *keys: str) -> str | None:
        """The value of the first pair whose key contains one of `keys`."""
        for key, value in self.pairs:
            if any(k.lower() in key.lower() for k in keys):
                return value
        return None


def join_wrapped(parts: object) -> str:
    """Join wrapped line fragments: no space between CJK fragments, one space between Latin words."""
    out = ""
    for part in parts:  # type: ignore[attr-defined]
        part = str(part).strip()
        if not part:
            continue
        if out and out[-1].isascii() and out[-1].isalnum() and part[0].isascii() and part[0].isalnum():
            out += " "
        out += part
    return out
