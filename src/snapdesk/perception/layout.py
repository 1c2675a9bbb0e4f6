"""Reading order, paragraphs and key/value pairs from OCR line boxes."""

from __future__ import annotations

import re

from .types import DIALOG, Block, OcrLine

_TERMINAL = tuple("。！？.!?；;")
_STACK_FRAME = re.compile(r"^\s*(?:at\s+[\w$.]+\(|\d+\s+\S+\s+(?:0x[0-9a-fA-F]+\s+)?[A-Za-z_])")
_KV_SEPARATOR = re.compile(r"^\s*([^:：]{1,14}?)\s*[:：]\s*(\S.*)$")
_HAS_DIGIT = re.compile(r"\d")


def reading_order(lines: list[OcrLine]) -> list[OcrLine]:
    """Top to bottom, and left to right within a visual row."""
    rows: list[list[OcrLine]] = []
    for line in sorted(lines, key=lambda item: (item.box[1] + item.box[3]) / 2):
        if rows and _same_row(rows[-1][0], line):
            rows[-1].append(line)
        else:
            rows.append([line])
    return [line for row in rows for line in sorted(row, key=lambda item: item.box[0])]


def _same_row(a: OcrLine, b: OcrLine) -> bool:
    overlap = min(a.box[3], b.box[3]) - max(a.box[1], b.box[1])
    return overlap > 0.5 * min(a.height, b.height)


def row_mates(lines: list[OcrLine], line: OcrLine) -> list[OcrLine]:
    """Lines beside this one. A dialog is a layer of its own: the page under it is not its neighbour."""
    layer = DIALOG in line.cues
    return [
        other for other in lines if other is not line and (DIALOG in other.cues) == layer and _same_row(other, line)
    ]


def paragraphs(lines: list[OcrLine]) -> list[Block]:
    """Join lines that continue a sentence wrapped onto the next line.

    A dialog and the page under it are separate layers: a page line beside the dialog must not
    cut a dialog sentence in two, so each layer is joined on its own.
    """
    position = {id(line): index for index, line in enumerate(lines)}
    blocks: list[list[OcrLine]] = []
    for layer in (False, True):
        layer_blocks: list[list[OcrLine]] = []
        for line in (item for item in lines if (DIALOG in item.cues) == layer):
            if layer_blocks and _continues(layer_blocks[-1][-1], line, lines):
                layer_blocks[-1].append(line)
            else:
                layer_blocks.append([line])
        blocks.extend(layer_blocks)
    blocks.sort(key=lambda group: position[id(group[0])])
    return [Block(tuple(group)) for group in blocks]


def _continues(previous: OcrLine, line: OcrLine, lines: list[OcrLine]) -> bool:
    if previous.text.endswith(_TERMINAL) or row_mates(lines, line) or row_mates(lines, previous):
        return False
    heights = sorted((previous.height, line.height))
    if heights[0] < 0.8 * heights[1]:
        return False
    gap = line.box[1] - previous.box[3]
    if not -0.45 * line.height <= gap <= 0.9 * line.height:
        return False
    if _STACK_FRAME.match(line.text) or _STACK_FRAME.match(previous.text):
        return False  # each frame of a stack trace is its own line
    left_aligned = abs(line.box[0] - previous.box[0]) <= 1.2 * line.height
    centred = abs((line.box[0] + line.box[2]) - (previous.box[0] + previous.box[2])) / 2 <= line.height
    if left_aligned:
        # Wrapped text fills its column: the line must reach within a character or two of the right edge
        # of the text around it, or it ended a paragraph of its own.
        layer = DIALOG in previous.cues
        near = 8 * previous.height
        column_right = max(
            other.box[2]
            for other in lines
            if (DIALOG in other.cues) == layer
            and other.box[0] < previous.box[2]
            and other.box[2] > previous.box[0]
            and abs(other.box[1] - previous.box[1]) <= near
        )
        previous_full = previous.box[2] >= column_right - 2 * previous.height
    else:
        previous_full = (previous.box[2] - previous.box[0]) >= 0.7 * (line.box[2] - line.box[0])
    # A line that starts in lower case, or follows a comma, continues a sentence whatever its width.
    continued = line.text[:1].islower() or previous.text.endswith(("，", ",", "、", "：", ":"))
    return (left_aligned or centred) and (previous_full or continued) and (previous.cues == line.cues)


def key_values(lines: list[OcrLine], blocks: list[Block]) -> list[tuple[str, str]]:
    """`键：值` written in one line, and a short label with its value on the same row."""
    pairs: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()

    def add(key: str, value: str) -> None:
        key, value = key.strip(), value.strip()
        if key and value and (key, value) not in seen:
            seen.add((key, value))
            pairs.append((key, value))

    for block in blocks:
        match = _KV_SEPARATOR.match(block.text)
        if match and not _HAS_DIGIT.search(match.group(1)):
            add(match.group(1), match.group(2))
    for line in lines:
        if not _is_label(line.text):
            continue
        mates = [m for m in row_mates(lines, line) if m.box[0] > line.box[2]]
        if mates:
            add(line.text, " ".join(m.text for m in sorted(mates, key=lambda m: m.box[0])))
    return pairs


def _is_label(text: str) -> bool:
    text = text.strip()
    if len(text) < 2 or _HAS_DIGIT.search(text) or len(text) > 16 or not text[0].isalpha():
        return False
    cjk = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    return (cjk and len(text) <= 8) or (not cjk and len(text.split()) <= 3 and text[0].isalpha())
