"""Pluggable moderation: every image passes each configured moderator before anything else reads it.

Moderators register under the "snapdesk.moderators" entry-point group, so a business can add its own
rule without touching SnapDesk; the built-in NudeNet screen registers the same way.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np
from PIL import Image

from snapdesk.errors import ImageRefusedError

if TYPE_CHECKING:
    from snapdesk.intake.image import PreparedImage

ENTRY_POINT_GROUP = "snapdesk.moderators"

# Read by the metrics module; only ever touch it under _refusal_lock (Counter updates are not atomic).
refusal_counts: Counter[str] = Counter()
_refusal_lock = threading.Lock()


@dataclass(frozen=True)
class ModerationVerdict:
    allowed: bool
    moderator: str
    reason: str = ""  # human message when refused
    labels: tuple[str, ...] = ()
    score: float = 0.0


@runtime_checkable
class Moderator(Protocol):
    name: str

    def check(self, image: PreparedImage) -> ModerationVerdict: ...


# NudeNet labels that make an image explicit; covered or non-sexual labels (faces, feet, belly) do not.
EXPLICIT_LABELS = frozenset(
    {
        "FEMALE_GENITALIA_EXPOSED",
        "MALE_GENITALIA_EXPOSED",
        "FEMALE_BREAST_EXPOSED",
        "BUTTOCKS_EXPOSED",
        "ANUS_EXPOSED",
    }
)
# NudeNet pads to a square and resizes to 320 px itself; shrinking first with Pillow's antialiasing
# keeps the check cheap on 40-megapixel inputs and gives the model a cleaner picture than cv2's resize.
_NUDENET_INPUT_SIDE = 320

# One ONNX session per process: it is ~12 MB and takes a few hundred ms to build; run() is thread-safe.
_detector: Any = None
_detector_lock = threading.Lock()


def _nudenet_detector() -> Any:
    global _detector
    if _detector is None:
        with _detector_lock:
            if _detector is None:
                # Imported here so that importing snapdesk does not pay for onnxruntime and OpenCV.
                from nudenet import NudeDetector

                _detector = NudeDetector()
    return _detector


class NudeNetModerator:
    """Explicit-image screen using NudeNet's detector (its ONNX model ships inside the nudenet wheel)."""

    name = "nudenet"

    def __init__(self, *, threshold: float = 0.6) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {threshold}")
        self.threshold = threshold

    def check(self, image: PreparedImage) -> ModerationVerdict:
        detections = _nudenet_detector().detect(_to_bgr_array(image.image))
        explicit = [d for d in detections if d["class"] in EXPLICIT_LABELS]
        top = max((float(d["score"]) for d in explicit), default=0.0)
        hits = sorted({d["class"] for d in explicit if float(d["score"]) >= self.threshold})
        if hits:
            return ModerationVerdict(
                allowed=False, moderator=self.name, reason="explicit content", labels=tuple(hits), score=top
            )
        return ModerationVerdict(allowed=True, moderator=self.name, score=top)


def _to_bgr_array(image: Image.Image) -> np.ndarray:
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    scale = _NUDENET_INPUT_SIDE / max(rgb.size)
    if scale < 1.0:
        size = (max(1, round(rgb.width * scale)), max(1, round(rgb.height * scale)))
        rgb = rgb.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    # NudeNet follows OpenCV's convention (cv2.imread gives BGR); a contiguous copy suits cv2.
    return np.ascontiguousarray(np.asarray(rgb)[:, :, ::-1])


def load_moderators(names: Sequence[str]) -> list[Moderator]:
    """Instantiate moderators by their entry-point names, in order; unknown names raise ValueError."""
    available = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}
    moderators: list[Moderator] = []
    for name in dict.fromkeys(names):  # a name listed twice would only run the same check twice
        entry_point = available.get(name)
        if entry_point is None:
            known = ", ".join(sorted(available)) or "none registered"
            raise ValueError(f"unknown moderator {name!r}; known moderators: {known}")
        target = entry_point.load()
        # An entry point may name a class or factory (called with no arguments) or a ready instance.
        moderator = target() if isinstance(target, type) or not hasattr(target, "check") else target
        if not isinstance(moderator, Moderator):
            raise TypeError(f"moderator {name!r} ({entry_point.value}) has no name/check()")
        moderators.append(moderator)
    return moderators


def moderate(image: PreparedImage, moderators: Sequence[Moderator]) -> None:
    """Run every moderator in order; the first refusal raises ImageRefusedError with `.verdict` attached.

    A moderator that raises is not caught: failing closed means an unscreened image never goes further.
    """
    for moderator in moderators:
        verdict = moderator.check(image)
        if verdict.allowed:
            continue
        with _refusal_lock:
            refusal_counts[moderator.name] += 1
        reason = verdict.reason or "refused"
        error = ImageRefusedError(f"this image was refused by the content screen ({moderator.name}): {reason}")
        error.verdict = verdict  # type: ignore[attr-defined]  # errors.py is shared; the attribute is ours
        raise error


def refusal_snapshot() -> dict[str, int]:
    """A consistent copy of refusal_counts, safe to iterate while other threads keep counting."""
    with _refusal_lock:
        return dict(refusal_counts)
