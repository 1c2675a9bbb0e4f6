"""The turn's screenshot, resolved in one place: this request's upload (new, or known by its bytes) or the
conversation's last one; then kept unread, or read, as the rung chosen for the turn needs.

An upload is decoded at most once: its bytes name (in the cache) the pixel digest that intake computed the first
time, so a retry or a second question on it needs no decoding for an answer-cache hit. Under load the `text` rung
answers from the question alone, so a new upload is then checked without decoding and kept unread (decoding costs
the CPU the queued OCR needs); a follow-up question, or an operator opening it, reads it then.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, replace

from ..answer import HistoryTurn, last_image
from ..assistant import Assistant
from ..errors import SnapDeskError
from ..intake import PreparedImage, check_encoded
from ..store.cache import Cache, cache_key
from ..store.protocol import ConversationStore
from .metrics import Metrics


def bytes_digest(data: bytes) -> str:
    """The digest of an upload's bytes: what it is stored under while kept unread."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def bytes_key(digest: str) -> str:
    """Where the cache maps the digest of an upload's bytes to the digest of its pixels."""
    return cache_key("bytes", digest.removeprefix("sha256:"))


@dataclass(frozen=True)
class Screenshot:
    """What a turn knows of its screenshot. None of the fields set: the turn has none."""

    digest: str | None = None  # the pixels' digest once known; the bytes' digest ("sha256:…") while kept unread
    data: bytes | None = None  # the bytes, when they came with this request (an upload, or a /v1 message's image)
    prepared: PreparedImage | None = None  # decoded and moderated in this request
    unread: bool = False  # stored unread: nothing on this turn reads it
    data_digest: str | None = None  # the digest of `data`, worked out once (bytes_digest)

    @classmethod
    def upload(cls, data: bytes, *, digest: str | None = None) -> Screenshot:
        """Bytes sent in this request, with the digest of their pixels when that is known."""
        return cls(digest=digest, data=data, data_digest=bytes_digest(data))

    @property
    def present(self) -> bool:
        return self.digest is not None or self.data is not None

    @property
    def uploaded_digest(self) -> str | None:
        """The digest the turn's message records: of an image sent in this request (its upload, or a /v1 message's
        image), not of one the session stored earlier."""
        return self.digest if self.data is not None else None


class Screenshots:
    def __init__(
        self, *, assistant: Assistant, store: ConversationStore, cache: Cache, metrics: Metrics, cache_ttl: int
    ) -> None:
        self.assistant = assistant
        self.store = store
        self.cache = cache
        self.metrics = metrics
        self.cache_ttl = cache_ttl

    def find(self, *, upload: bytes | None, history: list[HistoryTurn] | None, stored_digest: str | None) -> Screenshot:
        """The screenshot a turn is about: its upload, else the last image among the messages a client sent
        (/v1, whose images are bytes; the service never puts other kinds in a history), else the last one stored
        in the session (`stored_digest`: a follow-up)."""
        earlier = last_image(history or ())
        data = upload if upload is not None else (earlier if isinstance(earlier, bytes) else None)
        if data is not None:
            shot = Screenshot.upload(data)
            known = self.cache.get(bytes_key(shot.data_digest))
            return replace(shot, digest=known.decode()) if known else shot
        digest = stored_digest
        if digest and (read := self.cache.get(bytes_key(digest))):
            digest = read.decode()  # kept unread, and read by a follow-up since: stored by its pixels too
        return Screenshot(digest=digest)

    async def admit(self, shot: Screenshot, rung: str) -> Screenshot:
        """A new upload checked and stored before the turn is recorded: kept unread on the `text` rung, read
        (decoded and moderated) on any other. Raises the intake's refusal."""
        if shot.data is None or shot.data_digest is None or shot.digest is not None:
            return shot  # nothing new: known by its bytes, or an earlier image
        if rung == "text":
            await asyncio.to_thread(self._keep_unread, shot.data, shot.data_digest)
            return replace(shot, digest=shot.data_digest, unread=True)
        prepared = await asyncio.to_thread(self.assistant.prepare, shot.data)
        await asyncio.to_thread(self.store.save_image, digest=prepared.digest, data=shot.data)
        self.cache.set(bytes_key(shot.data_digest), prepared.digest.encode(), ttl=self.cache_ttl)
        return replace(shot, digest=prepared.digest, prepared=prepared)

    async def read(self, shot: Screenshot) -> Screenshot:
        """The pixels, for a rung that reads them, when this request has not decoded them yet (a re-sent upload,
        the session's stored screenshot). An engine that reads only the OCR answers from a cached reading."""
        if shot.prepared is not None or shot.digest is None or shot.unread:
            return shot
        if not self.assistant.engine.accepts_images and self.assistant.has_reading(shot.digest):
            return shot
        data = shot.data
        if data is None:
            data = await asyncio.to_thread(self.store.image_bytes, digest=shot.digest)
        if data is None:  # the file is on another replica's disk: its reading may still be in the shared cache
            return shot
        try:
            prepared = await asyncio.to_thread(self.assistant.prepare, data)
        except SnapDeskError as error:
            # Only an upload kept unread under load can fail here (the others passed intake when they came): the
            # follow-up is answered without it rather than refused for a picture sent earlier, which is not kept.
            self.metrics.refusals.labels(error.code).inc()
            await asyncio.to_thread(self.store.delete_image, digest=shot.digest)
            return Screenshot()
        if prepared.digest != shot.digest:
            # Kept unread (stored under the digest of its bytes), read now: stored by its pixels too, before the
            # cache says where to find it, so that the pixel digest always names a stored file.
            await asyncio.to_thread(self.store.save_image, digest=prepared.digest, data=data)
            self.cache.set(
                bytes_key(shot.data_digest or bytes_digest(data)), prepared.digest.encode(), ttl=self.cache_ttl
            )
        return replace(shot, digest=prepared.digest, prepared=prepared)

    def _keep_unread(self, data: bytes, digest: str) -> None:
        """Check an upload without decoding it and store it under the digest of its bytes."""
        check_encoded(data, limits=self.assistant.limits)
        self.store.save_image(digest=digest, data=data)
