"""The full-size and the fast OCR settings share one set of ONNX sessions, yet each reads at its own size.

The service's fast rung reads at a 736 px detector limit instead of 960: loading a second RapidOCR for it
cost a second copy of the models (about 50 MiB RSS measured). These tests pin down the sharing and that
sharing did not make one setting read at the other's size, also when both run at once.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from PIL import Image

from snapdesk.perception import ocr
from snapdesk.perception.ocr import OcrSettings, read_lines
from tests.screens import phone_screen

FULL = OcrSettings()
FAST = replace(FULL, det_limit_side=736)


@pytest.fixture(scope="module")
def screenshot() -> Image.Image:
    # Phone-size (taller than both limits), so each limit really shrinks it before detection.
    image = phone_screen(
        "订单详情",
        status=("待补充地址", "收货地址信息不完整"),
        rows=[("订单编号", "202611240087731"), ("实付款", "¥268.00")],
    )
    return image.resize((540, 1170))


@pytest.fixture
def det_inputs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[int, tuple[int, ...]]]]:
    """(thread, input shape) of every run of the shared detector session, whichever setting called it."""
    session = ocr._engine(FULL)[0].text_det.session.session  # the onnxruntime InferenceSession
    seen: list[tuple[int, tuple[int, ...]]] = []
    run = session.run

    def spy(output_names: Any, feeds: dict[str, np.ndarray], *args: Any, **kwargs: Any) -> Any:
        (batch,) = feeds.values()
        seen.append((threading.get_ident(), tuple(batch.shape)))
        return run(output_names, feeds, *args, **kwargs)

    monkeypatch.setattr(session, "run", spy)
    yield seen


def test_the_two_settings_share_the_onnx_sessions_but_not_their_lock() -> None:
    full, full_lock = ocr._engine(FULL)
    fast, fast_lock = ocr._engine(FAST)
    assert full is not fast
    assert full.text_det.session is fast.text_det.session
    assert full.text_rec.session is fast.text_rec.session
    # Each setting keeps its own detector size; a full-size call never queues behind a fast one.
    assert (full.text_det.limit_side_len, fast.text_det.limit_side_len) == (960, 736)
    assert full_lock is not fast_lock
    assert ocr.is_loaded(FULL) and ocr.is_loaded(FAST)


def test_a_setting_that_changes_how_sessions_are_built_gets_its_own() -> None:
    assert ocr._models_key(FAST) == ocr._models_key(FULL)
    assert ocr._models_key(replace(FULL, threads=1)) != ocr._models_key(FULL)


def test_each_setting_detects_at_its_own_size(
    screenshot: Image.Image, det_inputs: list[tuple[int, tuple[int, ...]]]
) -> None:
    full_lines = read_lines(screenshot, settings=FULL)
    fast_lines = read_lines(screenshot, settings=FAST)
    # 1170 px tall: shrunk to 960 and 736 (width to the nearest multiple of 32), in that order.
    assert [shape for _, shape in det_inputs] == [(1, 3, 960, 448), (1, 3, 736, 352)]
    for lines in (full_lines, fast_lines):
        texts = "".join(line.text for line in lines)
        assert "202611240087731" in texts
        # Boxes come back in the screenshot's own pixels whatever size the detector saw.
        assert all(0 <= line.box[0] < line.box[2] <= 540 and 0 <= line.box[1] < line.box[3] <= 1170 for line in lines)
        assert max(line.box[3] for line in lines) > 300


def test_settings_running_at_once_keep_their_own_size(
    screenshot: Image.Image, det_inputs: list[tuple[int, tuple[int, ...]]]
) -> None:
    array = np.asarray(screenshot)
    barrier = threading.Barrier(2)

    def read(settings: OcrSettings) -> int:
        barrier.wait()  # start together, so the two settings' calls overlap on the shared sessions
        for _ in range(3):
            assert read_lines(array, settings=settings)
        return threading.get_ident()

    with ThreadPoolExecutor(max_workers=2) as pool:
        full_thread, fast_thread = pool.map(read, (FULL, FAST))
    heights = {
        thread: {shape[2] for thread_, shape in det_inputs if thread_ == thread}
        for thread in (full_thread, fast_thread)
    }
    assert heights == {full_thread: {960}, fast_thread: {736}}
    assert len(det_inputs) == 6


def test_sessions_do_not_spin_wait() -> None:
    """Spinning intra-op threads took the CPU that decoding and answering beside OCR need (see ocr.py)."""
    engine, _ = ocr._engine(FULL)
    for stage in (engine.text_det, engine.text_rec):
        options = stage.session.session.get_session_options()
        assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"


@pytest.mark.parametrize(
    ("size", "side"),
    [
        ((1080, 2340), 960),  # a phone: as configured
        ((1920, 1080), 1280),  # a desktop: a third again, for its smaller text
        ((1300, 900), 1280),
        ((1310, 1300), 1280),
        ((1280, 960), 960),  # a small landscape image: as configured
        ((2700, 1200), 1280),  # a collage of phone screens
    ],
)
def test_landscape_screenshots_are_detected_at_a_larger_size(size: tuple[int, int], side: int) -> None:
    width, height = size
    assert ocr.for_shape(FULL, width=width, height=height).det_limit_side == side


def test_the_fast_rung_scales_the_same_way() -> None:
    assert ocr.for_shape(FAST, width=1920, height=1080).det_limit_side == 981
    assert ocr.for_shape(FAST, width=1080, height=2340).det_limit_side == 736
    larger = replace(FULL, det_limit_side=1200)
    assert ocr.for_shape(larger, width=1500, height=900).det_limit_side == 1500  # never past the image's width


def test_a_desktop_screenshot_reaches_the_detector_at_the_larger_size(
    det_inputs: list[tuple[int, tuple[int, ...]]],
) -> None:
    read_lines(Image.new("RGB", (1920, 1080), "white"), settings=FULL)
    assert [shape[2:] for _, shape in det_inputs] == [(704, 1280)]  # 1080 × 2/3 = 720, down to a multiple of 32
