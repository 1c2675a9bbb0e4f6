"""The OCR settings sweep: detector working resolution x text-direction classifier, each configuration scored
as `snapdesk eval` scores it, timed, and its text compared with a reading at native resolution."""

from __future__ import annotations

import difflib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from common import case_image, log, median

from stagebench.items import Item

# (det_limit_side, use_cls). 4000 is "no detector downscaling"; see NATIVE_SIDE for RapidOCR's own cap.
SWEEP: tuple[tuple[int, bool], ...] = ((736, False), (960, False), (1280, False), (4000, False), (960, True))
# RapidOCR shrinks every input to at most `Global.max_side_len` (2000 by default) before detection AND
# before cropping lines for recognition; Settings does not expose it, so a det_limit_side of 4000 is read
# at <= 2000 px. The reference reading raises that cap too, so it really is the image at native size.
NATIVE_SIDE = 4000


@dataclass
class SweepConfig:
    det_limit_side: int
    use_cls: bool
    results: list[Any] = field(default_factory=list)
    ocr_ms: dict[str, float] = field(default_factory=dict)  # case id -> OCR stage time
    texts: dict[Path, str] = field(default_factory=dict)  # image -> text in reading order
    summary: Any = None

    @property
    def label(self) -> str:
        return f"{self.det_limit_side}/cls {'on' if self.use_cls else 'off'}"


@dataclass
class NativeReading:
    """The reference: RapidOCR with nothing shrunk (both empty when it was skipped)."""

    ms: dict[str, float] = field(default_factory=dict)  # case id -> bare OCR time
    texts: dict[Path, str] = field(default_factory=dict)  # image -> text in reading order


def _recording_assistant_class() -> type:
    from snapdesk.assistant import Assistant

    class RecordingAssistant(Assistant):
        """An Assistant that also keeps each answer's timings and each perception's text for the sweep."""

        last_timings: dict[str, float] | None = None
        last_text: str | None = None

        def generate(self, **kwargs: Any) -> Any:
            answer = super().generate(**kwargs)
            self.last_timings = dict(answer.timings)
            return answer

        def _perceive(self, prepared: Any, timings: dict[str, float]) -> Any:
            perception, fields = super()._perceive(prepared, timings)
            self.last_text = reading_text(perception)
            return perception, fields

    return RecordingAssistant


def reading_text(perception: Any) -> str:
    from snapdesk.evaluation import normalise

    return normalise("".join(line.text for line in perception.lines))


def native_reader() -> Any:
    """RapidOCR with nothing shrunk: the reference reading for the character-recovery column."""
    from rapidocr import RapidOCR

    return RapidOCR(
        params={
            "Global.log_level": "error",
            "Global.use_cls": False,
            "Global.text_score": 0.5,
            "Global.max_side_len": NATIVE_SIDE,
            "Det.limit_type": "max",
            "Det.limit_side_len": NATIVE_SIDE,
        }
    )


def native_reading(engine: Any, image: Any) -> tuple[str, float]:
    import numpy as np

    from snapdesk.perception import RawLine, perceive_lines

    array = np.asarray(image)
    started = time.perf_counter()
    result = engine(array)
    elapsed = (time.perf_counter() - started) * 1000
    raw = []
    if result.boxes is not None and result.txts is not None:
        for quad, text, score in zip(result.boxes, result.txts, result.scores, strict=False):
            if text.strip() and score >= 0.5:  # same conversion as snapdesk.perception.ocr.read_lines
                xs = [float(p[0]) for p in quad]
                ys = [float(p[1]) for p in quad]
                box = (int(min(xs)), int(min(ys)), round(max(xs)), round(max(ys)))
                raw.append(RawLine(text=text.strip(), box=box, confidence=round(float(score), 3)))
    return reading_text(perceive_lines(image, raw)), elapsed


def _assistants(configs: list[SweepConfig], set_dir: Path, first: Any) -> list[Any]:
    """One recording Assistant per configuration, each loaded and warmed up on `first` (untimed)."""
    from snapdesk.perception.ocr import read_lines

    recording = _recording_assistant_class()
    assistants = []
    for config in configs:
        # Exactly what `snapdesk eval` builds, but without moderation (it does not change what OCR reads).
        assistant = recording.from_settings(
            kb_path=set_dir / "kb", ocr_det_limit_side=config.det_limit_side, moderators=[]
        )
        if config.use_cls:  # not a Settings field: set it on the Assistant's OcrSettings directly
            assistant.ocr = replace(assistant.ocr, use_cls=True)
        read_lines(first, settings=assistant.ocr)  # load and warm up this configuration, untimed
        assistants.append(assistant)
    return assistants


def sweep(
    cases: list[Any], items: list[Item], set_dir: Path, with_native: bool
) -> tuple[list[SweepConfig], NativeReading]:
    from snapdesk.evaluation import summarise
    from snapdesk.intake import load_image

    configs = [SweepConfig(side, cls) for side, cls in SWEEP]
    first = load_image(items[0].path).image
    assistants = _assistants(configs, set_dir, first)
    engine = native_reader() if with_native else None
    if engine is not None:
        native_reading(engine, first)  # warm-up, untimed
    del first
    native = NativeReading()

    # Configurations interleaved per case (each case through every configuration back to back), so that the
    # load of a shared machine, which comes and goes, weighs on every configuration alike.
    for number, case in enumerate(cases, start=1):
        _sweep_case(case, configs, assistants, engine, native)
        log(
            f"  sweep {number:2d}/{len(cases)} {case.id:14s} OCR ms "
            + "  ".join(f"{c.label}: {c.ocr_ms.get(case.id, 0):.0f}" for c in configs)
            + (f"  native:{native.ms.get(case.id, 0):.0f}" if case.id in native.ms else "")
        )
    for config in configs:
        config.summary = summarise(config.results)
    return configs, native


def _sweep_case(
    case: Any, configs: list[SweepConfig], assistants: list[Any], engine: Any, native: NativeReading
) -> None:
    """One case through every configuration, then (once per image) through the native reader."""
    from snapdesk.evaluation import run_set
    from snapdesk.intake import load_image

    found = case_image(case.image, case.history)
    image = Path(found) if found is not None else None
    for config, assistant in zip(configs, assistants, strict=True):
        assistant.last_timings = assistant.last_text = None
        [result] = run_set(assistant, [case])  # run_set over the set, one case at a time to record timings
        config.results.append(result)
        if assistant.last_timings and "ocr_ms" in assistant.last_timings:
            config.ocr_ms[case.id] = assistant.last_timings["ocr_ms"]
        if image is not None and assistant.last_text is not None:
            config.texts[image] = assistant.last_text
    if engine is not None and image is not None and image not in native.texts:
        text, elapsed = native_reading(engine, load_image(image).image)
        native.texts[image] = text
        native.ms[case.id] = elapsed


@dataclass(frozen=True)
class Recovery:
    share: float  # reference characters matched / reference characters, summed over the images
    median_ratio: float  # median per-image SequenceMatcher ratio
    worst_ratio: float
    worst_image: str


def recovery(reference: dict[Path, str], texts: dict[Path, str], images: Sequence[Path]) -> Recovery:
    matched = total = 0
    ratios: list[tuple[float, str]] = []
    for image in images:
        ref, hyp = reference.get(image), texts.get(image)
        if ref is None or hyp is None:
            continue
        matcher = difflib.SequenceMatcher(None, ref, hyp, autojunk=False)
        matched += sum(block.size for block in matcher.get_matching_blocks())
        total += len(ref)
        ratios.append((matcher.ratio(), image.name))
    worst = min(ratios, default=(float("nan"), "-"))
    return Recovery(matched / total if total else float("nan"), median([r for r, _ in ratios]), worst[0], worst[1])
