"""Intake: read, check, normalise and moderate a customer's image before anything else looks at it."""

from __future__ import annotations

from snapdesk.intake.image import ImageSource, IntakeLimits, PreparedImage, check_encoded, load_image
from snapdesk.intake.moderation import (
    ModerationVerdict,
    Moderator,
    NudeNetModerator,
    load_moderators,
    moderate,
)

__all__ = [
    "ImageSource",
    "IntakeLimits",
    "ModerationVerdict",
    "Moderator",
    "NudeNetModerator",
    "PreparedImage",
    "check_encoded",
    "load_image",
    "load_moderators",
    "moderate",
]
