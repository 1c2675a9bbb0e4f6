"""Optical character recognition with RapidOCR (PP-OCR models shipped inside the `rapidocr` wheel).

One set of ONNX sessions per process, loaded on first use: loading takes a few hundred milliseconds and
the sessions hold most of the process's memory, so it must not happen per request, nor once per OCR
setting (the service's fast rung reads at a smaller detector size with the same models).
"""

from __future__ import annotations

import copy
import logging
import threading
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from PIL import Image, ImageDraw


@dataclass(frozen=True)
class OcrSettings:
    """How the OCR stage reads an image. Defaults chosen by measurement (see BENCHMARKS.md)."""

    # The detector works on an image whose longest side is at most this (RapidOCR's
    # `Det.limit_type: max`). Phone screenshots are 2340 px tall; detecting at that size costs
    # about twice the time for no gain on text that is 30 px or taller.
    det_limit_side: int = 960
    # Screenshots are upright: the 180-degree text classifier only costs time.
    use_cls: bool = False
    # Lines recognised with less confidence than this are dropped.
    min_confidence: float = 0.5
    # onnxruntime threads per session; 0 lets onnxruntime use every core.
    threads: int = 0
    # Text lines recognised per batch. A batch is padded to its widest line, so on a CPU batching
    # buys nothing and a wide log screenshot costs hundreds of MB: measured, 1 is both faster and
    # the smallest peak RSS (BENCHMARKS.md).
    rec_batch: int = 1


@dataclass(frozen=True)
class RawLine:
    text: str
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in the image's pixels
    confidence: float


log = logging.getLogger("snapdesk.ocr")
# One RapidOCR object per OcrSettings (cheap: a parsed config and small per-call state), each with its own
# lock, so a fast-rung call never waits behind a full-size one. Their detector, recogniser and classifier
# share the onnxruntime sessions of one loaded engine per _models_key (the big part: the optimised graphs,
# about 50 MiB RSS, and thread pools); InferenceSession.run is thread-safe, so two settings may use them at once.
_engines: dict[OcrSettings, Any] = {}
_engine_locks: dict[OcrSettings, threading.Lock] = {}
_models: dict[OcrSettings, Any] = {}
_registry_lock = threading.Lock()


def _models_key(settings: OcrSettings) -> OcrSettings:
    """The settings that decide how the ONNX sessions are built; the rest (detector size, confidence
    threshold, batch size, classifier on/off) are read per call from the RapidOCR object or its stages."""
    default = OcrSettings()
    return replace(
        settings,
        det_limit_side=default.det_limit_side,
        use_cls=default.use_cls,
        min_confidence=default.min_confidence,
        rec_batch=default.rec_batch,
    )


def _params(settings: OcrSettings) -> dict[str, Any]:
    params: dict[str, Any] = {
        "Global.log_level": "error",
        "Global.use_cls": settings.use_cls,
        "Global.text_score": settings.min_confidence,
        "Det.limit_type": "max",
        "Det.limit_side_len": settings.det_limit_side,
        "Rec.rec_batch_num": settings.rec_batch,
    }
    if settings.threads:
        params["EngineConfig.onnxruntime.intra_op_num_threads"] = settings.threads
    return params


def _without_spin_waiting() -> None:
    """Create RapidOCR's onnxruntime sessions with intra-op spin-waiting off.

    By default onnxruntime's worker threads spin between operators. Alone that is a little faster; in the
    service, where uploads are decoded and answers written beside OCR on the same cores, the spinning threads
    take the CPU those need: measured on this 2-core machine, a thread decoding a PNG every 50 ms cut OCR
    throughput to 0.80-0.83 of bare with spinning and 0.95-0.96 without it. RapidOCR builds its
    SessionOptions in one small method with no option for this, so that method is wrapped once.
    """
    try:
        from rapidocr.inference_engine.onnxruntime import main as ort_main

        build = ort_main.OrtInferSession._init_sess_opts
    except (ImportError, AttributeError):  # another RapidOCR layout: keep its defaults
        log.warning("RapidOCR's session options are not where expected; onnxruntime spin-waiting stays on")
        return
    if getattr(build, "snapdesk_no_spin", False):
        return

    def options(cfg: Any) -> Any:
        opts = build(cfg)
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        return opts

    options.snapdesk_no_spin = True  # type: ignore[attr-defined]
    ort_main.OrtInferSession._init_sess_opts = staticmethod(options)


def _engine(settings: OcrSettings) -> tuple[Any, threading.Lock]:
    with _registry_lock:
        if settings not in _engines:
            from rapidocr import RapidOCR  # imported lazily: it pulls in onnxruntime and OpenCV

            _without_spin_waiting()

            key = _models_key(settings)
            if key not in _models:
                _models[key] = RapidOCR(params=_params(key))
            models = _models[key]
            engine = RapidOCR(params=_params(settings))  # this setting's config; its models come from `models`
            # Each stage object is a shallow copy sharing the loaded session (`.session`) but holding this
            # setting's own per-call values: TextDetector builds its resize op from `limit_side_len` on every
            # call and stores it on itself, so two settings must not share one TextDetector object.
            engine.text_det = copy.copy(models._load_det_model())
            engine.text_det.limit_side_len = settings.det_limit_side
            engine.text_rec = copy.copy(models._load_rec_model())
            engine.text_rec.rec_batch_num = settings.rec_batch
            if settings.use_cls:
                engine.text_cls = models._load_cls_model()
            _engines[settings] = engine
            # RapidOCR keeps per-call parameters on the instance (and its detector its resize op), so one call
            # at a time per settings object; different settings run in parallel on the shared sessions.
            _engine_locks[settings] = threading.Lock()
        return _engines[settings], _engine_locks[settings]


def warm_up(settings: OcrSettings = OcrSettings()) -> None:
    """Load the models now (service start-up) instead of on the first request."""
    read_lines(Image.new("RGB", (64, 32), "white"), settings=settings)


def warm_up_screenshot() -> Image.Image:
    """A small phone-shaped screenshot with a few lines of text, drawn here: nothing to ship or download."""
    image = Image.new("RGB", (360, 640), "white")
    draw = ImageDraw.Draw(image)
    for row, line in enumerate(("Order details", "Payment failed", "Error code PAY-1001", "Total $25.00")):
        draw.text((24, 80 + row * 48), line, fill="black", font_size=22)
    return image


def is_loaded(settings: OcrSettings = OcrSettings()) -> bool:
    return settings in _engines


def read_lines(image: Image.Image | np.ndarray, *, settings: OcrSettings = OcrSettings()) -> list[RawLine]:
    """Recognise the text lines of an RGB image (PIL, or an H×W×3 uint8 array), top to bottom.

    A long scrolling screenshot (more than six times as tall as wide) is read in overlapping tiles:
    RapidOCR shrinks an image to 2,000 px on its longest side, and measured on a 1080-wide capture,
    text read fine at 6,400 px tall, garbled at 9,000 and vanished at 12,000.
    """
    array = image if isinstance(image, np.ndarray) else np.asarray(image.convert("RGB"))
    height, width = array.shape[:2]
    settings = for_shape(settings, width=width, height=height)
    if height <= width * _TILE_ABOVE:
        return _read(array, settings)
    tile = max(int(width * _TILE_ASPECT), 64)
    overlap = max(int(width * 0.15), 32)
    lines: list[RawLine] = []
    top = 0
    while True:
        bottom = min(height, top + tile)
        # Each tile owns the band between the middles of its overlaps; a line belongs to the tile whose
        # band holds its centre, so a line cut by one tile's edge is taken whole from the next.
        own_top = 0 if top == 0 else top + overlap // 2
        own_bottom = height if bottom == height else bottom - overlap // 2
        for line in _read(array[top:bottom], settings):
            x0, y0, x1, y1 = line.box
            shifted = RawLine(line.text, (x0, y0 + top, x1, y1 + top), line.confidence)
            if own_top <= (shifted.box[1] + shifted.box[3]) / 2 < own_bottom:
                lines.append(shifted)
        if bottom == height:
            return lines
        top = bottom - overlap


def for_shape(settings: OcrSettings, *, width: int, height: int) -> OcrSettings:
    """The settings an image of this shape is read with: landscape screenshots at least _WIDE_FROM pixels wide
    (desktops, collages of phone screens) are detected at _WIDE_SCALE times the detector size, capped at the
    image's own width.

    The detector size bounds the longer side. A phone screenshot's text is drawn at about three pixels per
    point, so it survives being shrunk to 960 px tall; a desktop's 12-14 px text shrunk by half falls under
    what the detector finds. Measured on the landscape screenshots of ../shared/real and the dev set
    (characters recovered against a 2000-px reading): 960 → 0.80-0.99, 1280 → 0.87-0.99, 1440 → 0.92-1.00,
    at a median 1.24 / 1.32 times the OCR time of those images. 4/3 rather than 3/2 for memory: on a
    1920×1080 screenshot the detector's buffers raised peak RSS by 37 MiB at 960, 182 at 1280, 234 at 1440.
    """
    if width > height and width >= _WIDE_FROM:
        side = min(round(settings.det_limit_side * _WIDE_SCALE), width)
        if side > settings.det_limit_side:
            return replace(settings, det_limit_side=side)
    return settings


_WIDE_FROM = 1300
_WIDE_SCALE = 4 / 3
_TILE_ABOVE = 6.0  # tile images taller than this many widths
_TILE_ASPECT = 3.0  # tiles three widths tall: shrunk to 2,000 px they keep 60% of their size


def _read(array: np.ndarray, settings: OcrSettings) -> list[RawLine]:
    engine, lock = _engine(settings)
    try:
        with lock:
            result = engine(np.ascontiguousarray(array))
    except Exception as error:
        log.warning("OCR could not read a %dx%d image: %s", array.shape[1], array.shape[0], error)
        return []
    if result.boxes is None or result.txts is None:
        return []
    lines: list[RawLine] = []
    for quad, text, score in zip(result.boxes, result.txts, result.scores, strict=False):
        text = text.strip()
        if not text or score < settings.min_confidence:
            continue
        xs = [float(p[0]) for p in quad]
        ys = [float(p[1]) for p in quad]
        box = (int(min(xs)), int(min(ys)), round(max(xs)), round(max(ys)))
        lines.append(RawLine(text=text, box=box, confidence=round(float(score), 3)))
    return lines
