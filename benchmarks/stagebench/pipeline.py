"""The main run: per image, bare RapidOCR then `Assistant.generate` end to end, back to back."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import log, peak_rss_kib

from stagebench.items import Item


@dataclass
class Sample:
    item: Item
    bare_ms: float
    e2e_ms: float
    file_ms: float  # RapidOCR called on the file path, reading and decoding it itself
    timings: dict[str, float]
    peak_rise_kib: int = 0  # how much this pair raised the process's peak RSS


def main_run(items: list[Item], set_dir: Path, repeats: int) -> tuple[list[Sample], Any]:
    """Every image `repeats` times; (the samples, the OcrSettings the Assistant used)."""
    from snapdesk.assistant import Assistant
    from snapdesk.intake import load_image
    from snapdesk.perception.ocr import _engine, read_lines

    # Default settings (NudeNet moderation on, det_limit_side 960, no classifier), perception cache off.
    assistant = Assistant.from_settings(kb_path=set_dir / "kb", perception_cache_size=0)
    ocr = assistant.ocr  # the very settings object the Assistant passes to read_lines
    rapidocr, _ = _engine(ocr)  # the same RapidOCR instance, called as its own users call it: on a path

    log("main run: warming up (untimed)")
    first = items[0]
    read_lines(load_image(first.path).image, settings=ocr)
    assistant.generate(text=first.question, image=first.path)

    samples: list[Sample] = []
    peak = peak_rss_kib()
    for repeat in range(repeats):
        for number, item in enumerate(items, start=1):
            sample = _pair(item, ocr, rapidocr, assistant)
            sample.peak_rise_kib, peak = peak_rss_kib() - peak, peak_rss_kib()
            samples.append(sample)
            log(
                f"  [{repeat + 1}/{repeats}] {number:2d}/{len(items)} {item.path.name:18s} "
                f"bare {sample.bare_ms:6.0f} ms   e2e {sample.e2e_ms:6.0f} ms "
                f"(ocr {sample.timings.get('ocr_ms', 0):.0f})"
            )
    return samples, ocr


def _pair(item: Item, ocr: Any, rapidocr: Callable[[str], Any], assistant: Any) -> Sample:
    """One image through bare OCR, RapidOCR on its path and the Assistant, one right after the other, so that
    the machine's load weighs on all three alike."""
    from snapdesk.intake import load_image
    from snapdesk.perception.ocr import read_lines

    image = load_image(item.path).image  # decoded RGB, EXIF applied: what the Assistant OCRs
    started = time.perf_counter()
    read_lines(image, settings=ocr)
    bare_ms = (time.perf_counter() - started) * 1000
    del image
    started = time.perf_counter()
    rapidocr(str(item.path))
    file_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    answer = assistant.generate(text=item.question, image=item.path)
    e2e_ms = (time.perf_counter() - started) * 1000
    return Sample(item, bare_ms, e2e_ms, file_ms, dict(answer.timings))
