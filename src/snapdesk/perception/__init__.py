"""Perception: OCR lines in reading order, their visual cues, paragraphs, key/value pairs, screen kind."""

from __future__ import annotations

import json
import time

import cv2
import numpy as np
from PIL import Image

from .cues import centre_inside, find_dialog, is_dark_page, line_cues
from .layout import key_values, paragraphs, reading_order
from .ocr import OcrSettings, RawLine, is_loaded, read_lines, warm_up
from .screen import classify_screen
from .types import CUES, DIALOG, RED_TEXT, TOAST, WARNING, Block, OcrLine, Perception

__all__ = [
    "CUES",
    "DIALOG",
    "RED_TEXT",
    "TOAST",
    "WARNING",
    "Block",
    "OcrLine",
    "OcrSettings",
    "Perception",
    "RawLine",
    "assemble",
    "from_json",
    "is_loaded",
    "perceive",
    "perceive_lines",
    "to_json",
    "warm_up",
]


def perceive(image: Image.Image, *, settings: OcrSettings = OcrSettings()) -> Perception:
    """Read an RGB screenshot: OCR, then cues and layout from the pixels around each line."""
    started = time.perf_counter()
    full = _pixels(image)
    raw = read_lines(full, settings=settings)
    ocr_ms = (time.perf_counter() - started) * 1000
    perception = perceive_lines(image, raw, pixels=full)
    perception.timings["ocr_ms"] = round(ocr_ms, 2)
    return perception


def perceive_lines(image: Image.Image, raw: list[RawLine], *, pixels: np.ndarray | None = None) -> Perception:
    """Everything after OCR, from recognised lines (separately so tests can feed lines in directly)."""
    started = time.perf_counter()
    # Colour statistics do not need every pixel: half resolution gives the same cues at a quarter of the cost.
    full = pixels if pixels is not None else _pixels(image)
    scale = 0.5 if image.width >= 800 else 1.0
    pixels = (
        full
        if scale == 1.0
        else cv2.resize(
            full,
            (max(1, round(image.width * scale)), max(1, round(image.height * scale))),
            interpolation=cv2.INTER_AREA,
        )
    )
    dark = is_dark_page(pixels)
    dialog = find_dialog(pixels) if raw else None
    kept = [line for line in raw if _meaningful(line.text)]
    scaled = {id(line): tuple(round(v * scale) for v in line.box) for line in kept}
    if (
        dialog is not None
        and len(kept) >= 4
        and sum(centre_inside(scaled[id(line)], dialog) for line in kept) >= 0.85 * len(kept)
    ):
        dialog = None  # a bright card holding all the text is the screen itself (a photo of a phone), not a modal
    lines = [
        OcrLine(
            text=line.text,
            box=line.box,
            confidence=line.confidence,
            cues=frozenset(line_cues(pixels, scaled[id(line)], dialog=dialog, page_dark=dark)),
        )
        for line in kept
    ]
    perception = assemble(lines, width=image.width, height=image.height, dark=dark)
    perception.timings["layout_ms"] = round((time.perf_counter() - started) * 1000, 2)
    return perception


def assemble(lines: list[OcrLine], *, width: int, height: int, dark: bool) -> Perception:
    """Reading order, paragraphs, pairs and screen kind from lines whose cues are known (no pixels needed)."""
    ordered = reading_order(lines)
    blocks = paragraphs(ordered)
    return Perception(
        width=width,
        height=height,
        lines=tuple(ordered),
        blocks=tuple(blocks),
        pairs=tuple(key_values(ordered, blocks)),
        screen=classify_screen(ordered, width=width, height=height),
        dark=dark,
    )


def to_json(perception: Perception) -> bytes:
    """What a cache keeps of a perception: the lines with their cues; the rest is rebuilt in a millisecond."""
    lines = [[line.text, list(line.box), line.confidence, sorted(line.cues)] for line in perception.lines]
    data = {"width": perception.width, "height": perception.height, "dark": perception.dark, "lines": lines}
    return json.dumps(data, ensure_ascii=False).encode()


def from_json(data: bytes) -> Perception:
    raw = json.loads(data)
    lines = [OcrLine(text, tuple(box), confidence, frozenset(cues)) for text, box, confidence, cues in raw["lines"]]
    return assemble(lines, width=raw["width"], height=raw["height"], dark=raw["dark"])


def _pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image if image.mode == "RGB" else image.convert("RGB"))


def _meaningful(text: str) -> bool:
    # A lone character is an icon read as text (a back arrow as "く", a close button as "X").
    return len(text.strip()) >= 2 and any(ch.isalnum() for ch in text)
