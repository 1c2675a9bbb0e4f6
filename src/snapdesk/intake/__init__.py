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
from snapdesk.intake.question import CheckedQuestion, check_question

__all__ = [
    "CheckedQuestion",
    "ImageSource",
    "IntakeLimits",
    "ModerationVerdict",
    "Moderator",
    "NudeNetModerator",
    "PreparedImage",
    "check_encoded",
    "check_question",
    "load_image",
    "load_moderators",
    "moderate",
]
