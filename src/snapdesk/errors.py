"""Typed errors: each carries a stable code and the HTTP status a service would answer with.

The CLI prints `str(error)` as one line; the HTTP layer maps `code`/`http_status` to a JSON error.
"""

from __future__ import annotations


class SnapDeskError(Exception):
    """Base of every error SnapDesk raises on purpose."""

    code = "snapdesk_error"
    http_status = 400
    retry_after: int | None = None  # seconds: a refusal the client may retry (503, 429) says when

    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if retry_after is not None:
            self.retry_after = retry_after


class IntakeError(SnapDeskError):
    """The image was refused before anything read it."""

    code = "bad_image"
    http_status = 422


class NotAnImageError(IntakeError):
    code = "not_an_image"
    http_status = 415


class UnsupportedFormatError(IntakeError):
    code = "unsupported_format"
    http_status = 415


class ImageTooLargeError(IntakeError):
    """Over the byte limit."""

    code = "image_too_large"
    http_status = 413


class TooManyPixelsError(IntakeError):
    """Over the pixel limit: a decompression bomb is refused before it is decoded."""

    code = "too_many_pixels"
    http_status = 422


class TruncatedImageError(IntakeError):
    code = "truncated_image"
    http_status = 422


class ImageRefusedError(IntakeError):
    """A moderation step refused the image (explicit content, or a business's own rule)."""

    code = "image_refused"
    http_status = 422


class QuestionError(SnapDeskError):
    """The question is empty, over-long or otherwise unusable."""

    code = "bad_question"
    http_status = 422


class KnowledgeBaseError(SnapDeskError):
    """The knowledge-base folder cannot be read."""

    code = "bad_knowledge_base"
    http_status = 500


class DatabaseUnavailableError(SnapDeskError):
    """The database cannot be reached (stopped, restarting, the network between): nothing was written."""

    code = "database_unavailable"
    http_status = 503
    retry_after = 2  # a pre-pinged pool reconnects as soon as the database answers again


class SessionNotFoundError(SnapDeskError):
    """No such session for this caller: a missing one and someone else's look alike."""

    code = "session_not_found"
    http_status = 404
