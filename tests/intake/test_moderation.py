"""Moderation: refusals via an in-test moderator, entry-point resolution, and the real NudeNet model."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from importlib.metadata import entry_points

import pytest
from PIL import Image, ImageDraw

from snapdesk.errors import ImageRefusedError
from snapdesk.intake import (
    ModerationVerdict,
    Moderator,
    NudeNetModerator,
    PreparedImage,
    load_image,
    load_moderators,
    moderate,
    moderation,
)


@dataclass
class RecordingModerator:
    """A moderator that remembers what it saw and answers with a fixed verdict."""

    name: str
    allow: bool
    reason: str = ""
    seen: list[PreparedImage] = field(default_factory=list)

    def check(self, image: PreparedImage) -> ModerationVerdict:
        self.seen.append(image)
        return ModerationVerdict(
            allowed=self.allow, moderator=self.name, reason=self.reason, labels=("rule",), score=1.0
        )


def screenshot_like(size: tuple[int, int] = (720, 1280)) -> Image.Image:
    """An ordinary app screenshot: white page, status bar, coloured buttons, cards and text."""
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    width, height = size
    draw.rectangle([0, 0, width, 60], fill=(33, 33, 33))
    draw.text((20, 20), "12:41  Orders", fill="white")
    for row in range(8):
        top = 100 + row * (height - 200) // 8
        draw.rounded_rectangle([24, top, width - 24, top + 110], radius=12, outline=(200, 200, 200), width=2)
        draw.rectangle([40, top + 16, 120, top + 94], fill=(66 + 20 * row, 133, 244))
        draw.text((140, top + 24), f"Order #10{row}42 - payment failed", fill=(20, 20, 20))
        draw.text((140, top + 60), "Error 402: card declined. Tap to retry.", fill=(200, 40, 40))
    draw.rectangle([width // 4, height - 90, 3 * width // 4, height - 30], fill=(0, 150, 80))
    draw.text((width // 2 - 30, height - 68), "Contact us", fill="white")
    return image


@pytest.fixture(scope="module")
def prepared() -> PreparedImage:
    return load_image(screenshot_like())


def test_first_refusal_raises_with_message_verdict_and_count(prepared: PreparedImage) -> None:
    passes = RecordingModerator("fake-pass", allow=True)
    refuses = RecordingModerator("fake-refuse", allow=False, reason="logos of competitors")
    never = RecordingModerator("fake-never", allow=True)
    assert isinstance(refuses, Moderator)
    before = moderation.refusal_snapshot().get("fake-refuse", 0)

    with pytest.raises(ImageRefusedError) as caught:
        moderate(prepared, [passes, refuses, never])

    error = caught.value
    assert str(error) == "this image was refused by the content screen (fake-refuse): logos of competitors"
    assert (error.code, error.http_status) == ("image_refused", 422)
    assert error.verdict.moderator == "fake-refuse" and not error.verdict.allowed  # type: ignore[attr-defined]
    assert passes.seen == [prepared] and refuses.seen == [prepared] and never.seen == []
    assert moderation.refusal_counts["fake-refuse"] == before + 1
    assert moderation.refusal_snapshot()["fake-refuse"] == before + 1


def test_all_allowed_passes_silently(prepared: PreparedImage) -> None:
    first, second = RecordingModerator("ok-1", allow=True), RecordingModerator("ok-2", allow=True)
    before = moderation.refusal_snapshot()
    moderate(prepared, [first, second])
    moderate(prepared, [])
    assert first.seen == [prepared] and second.seen == [prepared]
    assert moderation.refusal_snapshot() == before


def test_refusal_counter_is_thread_safe(prepared: PreparedImage) -> None:
    refuses = RecordingModerator("fake-threads", allow=False)
    before = moderation.refusal_snapshot().get("fake-threads", 0)

    def refuse_many() -> None:
        for _ in range(200):
            with pytest.raises(ImageRefusedError, match=r"\(fake-threads\): refused$"):
                moderate(prepared, [refuses])

    threads = [threading.Thread(target=refuse_many) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert moderation.refusal_snapshot()["fake-threads"] == before + 1600


def test_nudenet_is_registered_and_resolved_through_entry_points() -> None:
    registered = {ep.name: ep.value for ep in entry_points(group="snapdesk.moderators")}
    assert registered["nudenet"] == "snapdesk.intake.moderation:NudeNetModerator"
    loaded = load_moderators(["nudenet"])
    assert len(loaded) == 1 and isinstance(loaded[0], NudeNetModerator)
    assert loaded[0].name == "nudenet"
    assert load_moderators([]) == []


def test_unknown_moderator_name_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown moderator 'no-such-screen'; known moderators: .*nudenet"):
        load_moderators(["nudenet", "no-such-screen"])


def test_nudenet_threshold_is_validated() -> None:
    with pytest.raises(ValueError, match="threshold"):
        NudeNetModerator(threshold=0)


def test_nudenet_allows_an_ordinary_screenshot_with_the_real_model(
    prepared: PreparedImage, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Start from an empty cache so the call below has to build the ONNX session and run it.
    monkeypatch.setattr(moderation, "_detector", None)
    verdict = NudeNetModerator().check(prepared)
    assert verdict == ModerationVerdict(allowed=True, moderator="nudenet", score=verdict.score)
    assert verdict.score < 0.6
    detector = moderation._detector
    assert detector is not None and type(detector).__name__ == "NudeDetector"
    assert detector.onnx_session.get_inputs()[0].shape[1] == 3  # a real model with an image input
    moderate(prepared, [NudeNetModerator()])  # and through the pipeline entry point


def test_nudenet_detector_is_built_once_across_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(moderation, "_detector", None)
    seen: list[int] = []
    barrier = threading.Barrier(4)

    def build() -> None:
        barrier.wait()
        seen.append(id(moderation._nudenet_detector()))

    threads = [threading.Thread(target=build) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 4 and len(set(seen)) == 1


def test_nudenet_input_is_small_and_bgr() -> None:
    array = moderation._to_bgr_array(Image.new("RGB", (1080, 2340), (255, 0, 0)))
    assert array.shape == (320, 148, 3)
    assert array.flags["C_CONTIGUOUS"]
    assert tuple(array[10, 10]) == (0, 0, 255)  # red lands in the last (R) channel of BGR
    small = moderation._to_bgr_array(Image.new("RGB", (100, 50), (0, 0, 255)))
    assert small.shape == (50, 100, 3)  # never upscaled
