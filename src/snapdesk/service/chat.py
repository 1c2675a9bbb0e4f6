"""One chat turn as the service runs it: session, storage, caches, the ladder, the hand-over.

HTTP-free, so `/chat` and `/v1/chat/completions` share it and tests can drive it directly.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..assistant import Answer, Assistant, HistoryTurn
from ..engines.guard import GuardedEngine
from ..errors import SnapDeskError
from ..intake import PreparedImage, check_encoded
from ..knowledge.text import detect_language
from ..safety import mask_pii
from .cache import Cache, cache_key, normalise_question
from .ladder import HOLDING_REPLY, READINGS, Ladder, Overloaded, Refused
from .metrics import Metrics

MODEL_RUNGS = ("best", "greedy")


class SessionNotFoundError(SnapDeskError):
    code = "session_not_found"
    http_status = 404


@dataclass
class ChatResult:
    """One answered turn; `log_fields` is what the request's single log line says about it."""

    session_id: str
    message_id: str | None
    answer: dict[str, Any]
    tier: str
    cached: bool
    latency_ms: float
    retry_after: int | None = None  # set for the holding reply

    def log_fields(self, question: str) -> dict[str, Any]:
        return {
            "session": self.session_id,
            "image": self.answer.get("image_digest"),
            "question": mask_pii(question),
            "answer": mask_pii(self.answer["text"]),
            "intent": self.answer["intent"],
            "tier": self.tier,
            "cached": self.cached,
            "escalate": self.answer["escalate"],
            "timings": self.answer.get("timings", {}),
            "engine": self.answer.get("engine"),
            "check": self.answer.get("check"),
        }


def _bytes_key(hex_digest: str) -> str:
    """Where the cache maps an upload's bytes (sha256, hex) to the digest of its pixels."""
    return cache_key("bytes", hex_digest)


@dataclass(frozen=True)
class _Turn:
    """The turn being answered: its recorded question and what the answer needs from the request."""

    conversation_id: str
    question_id: str
    question: str
    started: float
    history: list[HistoryTurn] | None
    on_text: Callable[[str, bool], None] | None


class ChatService:
    def __init__(
        self,
        *,
        assistant: Assistant,
        fast_assistant: Assistant,
        store: Any,
        cache: Cache,
        ladder: Ladder,
        metrics: Metrics,
        cache_ttl: int = 3600,
    ) -> None:
        self.assistant = assistant
        self.fast_assistant = fast_assistant
        self.store = store
        self.cache = cache
        self.ladder = ladder
        self.metrics = metrics
        self.cache_ttl = cache_ttl
        self.on_handover: Any = None  # called after a hand-over is stored (wakes the webhook delivery)

    async def chat(
        self,
        *,
        owner: str,
        text: str,
        image: bytes | None = None,
        session_id: str | None = None,
        history: list[HistoryTurn] | None = None,
        on_text: Callable[[str, bool], None] | None = None,
    ) -> ChatResult:
        """One turn. `on_text` (streaming) receives checked answer text as a model writes it."""
        started = time.perf_counter()
        question = self.assistant.check_question(text)
        masked = mask_pii(question)
        conversation_id = await self._conversation(owner, session_id)  # None: a new conversation
        arriving = self.ladder.choose(has_image=image is not None)
        if arriving == "hold":
            # Shed before decoding: with the queue full, the holding reply costs one database write, not an
            # image decode and a stored file that would take CPU from the requests being answered.
            conversation_id, _ = await asyncio.to_thread(
                self.store.begin_turn, owner=owner, conversation_id=conversation_id, text=masked, status="ok"
            )
            return self._holding(conversation_id, question, started)
        prepared: PreparedImage | None = None
        unread: str | None = None
        # The same upload again (a retry, a second question on it): its bytes name the pixel digest that
        # intake computed the first time, so an answer-cache hit needs no decoding at all.
        bytes_key = _bytes_key(hashlib.sha256(image).hexdigest()) if image is not None else None
        known = self.cache.get(bytes_key) if bytes_key else None
        known_digest = known.decode() if known else None
        try:
            if image is not None and known_digest is None and arriving == "text":
                # The text rung answers from the question alone, so under this load the upload is checked
                # without decoding and kept unread (decoding costs the CPU that the queued OCR needs); a
                # follow-up question, or an operator opening it, decodes and moderates it then.
                unread = await asyncio.to_thread(self._keep_unread, image)
            elif image is not None and known_digest is None:
                prepared = await asyncio.to_thread(self.assistant.prepare, image)
                await asyncio.to_thread(self.store.save_image, digest=prepared.digest, data=image)
                self.cache.set(bytes_key, prepared.digest.encode(), ttl=self.cache_ttl)  # type: ignore[arg-type]
        except SnapDeskError as error:
            # Nothing is lost: the refused message is recorded with why.
            await asyncio.to_thread(
                self.store.begin_turn,
                owner=owner,
                conversation_id=conversation_id,
                text=masked,
                status="failed",
                error_code=error.code,
            )
            self.metrics.refusals.labels(error.code).inc()
            raise
        new_conversation = conversation_id is None
        conversation_id, question_id = await asyncio.to_thread(
            self.store.begin_turn,
            owner=owner,
            conversation_id=conversation_id,
            text=masked,
            image_digest=prepared.digest if prepared else (known_digest or unread),
        )
        if history is None and new_conversation:
            history = []  # nothing before this turn: no need to ask the database
        turn = _Turn(conversation_id, question_id, question, started, history, on_text)
        try:
            return await self._answer(turn, prepared, known_digest, image, unread=unread is not None)
        except SnapDeskError as error:
            await self._failed(question_id, error.code)
            raise
        except Exception:
            await self._failed(question_id, "internal_error")
            raise

    def _keep_unread(self, data: bytes) -> str:
        """Check an upload without decoding it and store it under the digest of its bytes."""
        check_encoded(data, limits=self.assistant.limits)
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        self.store.save_image(digest=digest, data=data)
        return digest

    async def _failed(self, message_id: str, code: str) -> None:
        await asyncio.to_thread(self.store.complete_message, message_id=message_id, status="failed", error_code=code)

    async def _conversation(self, owner: str, session_id: str | None) -> str | None:
        if not session_id:
            return None
        if not await asyncio.to_thread(self.store.owns_conversation, conversation_id=session_id, owner=owner):
            raise SessionNotFoundError(f"no session {session_id}")  # missing and someone else's look alike
        return session_id

    async def _answer(
        self,
        turn: _Turn,
        prepared: PreparedImage | None,
        known_digest: str | None = None,
        image: bytes | None = None,
        *,
        unread: bool = False,
    ) -> ChatResult:
        history = turn.history
        if history is None:
            stored = await asyncio.to_thread(self.store.history, conversation_id=turn.conversation_id, limit=9)
            history = [HistoryTurn(t["role"], t["text"]) for t in stored[:-1]]  # the last is this turn
        digest = prepared.digest if prepared else known_digest
        if digest is None and not unread:  # a follow-up refers to the session's last image
            digest = await self._last_image_digest(turn.conversation_id)
        # An unread upload's answer depends on the screenshot nobody read: never one cached for the text alone.
        cached = None if unread else self.cache.get(self._answer_key(turn, history, digest))
        self.metrics.cache.labels("answer", "hit" if cached else "miss").inc()
        if cached is not None:
            return await self._finish(turn, json.loads(cached), "cache", True)
        tier = self._tier(has_image=unread or digest is not None, unread=unread)
        if tier not in ("text", "hold") and prepared is None and digest is not None and self._needs_pixels(digest):
            # Decoded only now that a rung reads it: a re-sent upload, or the session's stored screenshot. The
            # rung is chosen again after it, right before the work is queued: the queue moved meanwhile.
            digest, prepared = await self._pixels(digest, image)
            tier = self._tier(has_image=digest is not None, unread=False)
        self.metrics.queue_depth.set(self.ladder.depth)
        if tier == "hold":
            return await self._held(turn)
        key = self._answer_key(turn, history, digest)
        # Below the model's rungs the model is not called: its guard answers with the offline engine.
        effort = tier if tier in MODEL_RUNGS else "offline"
        deadline = time.monotonic() + self.ladder.deadline

        def work_on(rung: str) -> Callable[[], Answer]:
            assistant = self.fast_assistant if rung == "fast" else self.assistant
            pixels = None if rung == "text" else prepared
            return lambda: assistant.generate(
                text=turn.question,
                image=pixels,
                history=history,
                image_digest=digest if rung != "text" else None,
                effort=effort,
                deadline=deadline,
                on_text=turn.on_text,
            )

        # Reading no pixels (the text rung, a question alone, a cached reading) costs what the text rung costs.
        kind = tier if tier in MODEL_RUNGS or (tier != "text" and prepared is not None) else "text"
        try:
            try:
                result = await self.ladder.run(work_on(tier), kind)
            except Refused:
                if kind not in READINGS:
                    raise
                # The reading would wait past the budget once queued: the next cheaper rung at once.
                tier = kind = "text"
                result = await self.ladder.run(work_on("text"), "text")
        except Overloaded:
            return await self._held(turn)
        answer = result.to_dict()
        for stage, value in result.timings.items():
            if stage.endswith("_ms"):
                self.metrics.stage_seconds.labels(stage[:-3]).observe(value / 1000)
        if result.check is not None:
            self.metrics.checks.labels(result.engine, result.check).inc()
        if result.rung in MODEL_RUNGS:
            tier = result.rung
        elif tier in MODEL_RUNGS:
            tier = "full"  # the model could not answer (down, slow, failed the check): the offline engine did
        # A fallback answer is not cached under the model's key: the next question gets the model again.
        if tier in ("full", "fast", *MODEL_RUNGS) and result.rung in (None, *MODEL_RUNGS):
            self.cache.set(key, json.dumps(answer, ensure_ascii=False, default=str).encode(), ttl=self.cache_ttl)
        return await self._finish(turn, answer, tier, False)

    def _answer_key(self, turn: _Turn, history: list[HistoryTurn], digest: str | None) -> str:
        return cache_key(
            "answer",
            digest,
            normalise_question(turn.question),
            self.assistant.knowledge.version,
            self.assistant.engine.name,
            str(self.assistant.ocr),
            [t.text for t in history[-2:]],
        )

    def _tier(self, *, has_image: bool, unread: bool) -> str:
        tier = self.ladder.choose(has_image=has_image, model=isinstance(self.assistant.engine, GuardedEngine))
        if unread and tier != "hold":
            return "text"  # the queue may have drained meanwhile, but nothing was decoded to read
        return tier

    def _needs_pixels(self, digest: str) -> bool:
        """An engine that reads only the OCR answers from a cached reading: no decoding the screenshot again."""
        return self.assistant.engine.accepts_images or not self.assistant.has_reading(digest)

    async def _last_image_digest(self, conversation_id: str) -> str | None:
        digest = await asyncio.to_thread(self.store.last_image_digest, conversation_id=conversation_id)
        if digest and (read := self.cache.get(_bytes_key(digest.removeprefix("sha256:")))):
            return read.decode()  # an upload kept unread that a follow-up has read since: stored by its pixels too
        return digest

    async def _pixels(self, digest: str, upload: bytes | None) -> tuple[str | None, PreparedImage | None]:
        """The screenshot's pixels (the upload sent again, or the stored file) and their digest."""
        data = upload if upload is not None else await asyncio.to_thread(self.store.image_bytes, digest=digest)
        if data is None:  # the file is on another replica's disk: its reading may still be in the shared cache
            return digest, None
        try:
            prepared = await asyncio.to_thread(self.assistant.prepare, data)
        except SnapDeskError as error:
            # Only an upload kept unread under load can fail here (the others passed intake when they came): the
            # follow-up is answered without it rather than refused for a picture sent earlier, which is not kept.
            self.metrics.refusals.labels(error.code).inc()
            await asyncio.to_thread(self.store.delete_image, digest=digest)
            return None, None
        if prepared.digest != digest:
            # An upload kept unread (stored under the digest of its bytes), read now: stored by its pixels too,
            # before the cache says where to find it, so that the pixel digest always names a stored file.
            await asyncio.to_thread(self.store.save_image, digest=prepared.digest, data=data)
            self.cache.set(_bytes_key(hashlib.sha256(data).hexdigest()), prepared.digest.encode(), ttl=self.cache_ttl)
        return prepared.digest, prepared

    async def _finish(self, turn: _Turn, answer: dict[str, Any], tier: str, cached: bool) -> ChatResult:
        latency = round((time.perf_counter() - turn.started) * 1000, 2)
        handover = None
        if answer["escalate"]:
            summary = {
                "answer": answer["text"],
                "intent": answer["intent"],
                "fields": answer["fields"],
                "evidence": [e["text"] for e in answer["evidence"][:12]],
                "passages": [p["id"] for p in answer["passages"]],
            }
            handover = {"team": answer["team"], "summary": summary}
        message_id = await asyncio.to_thread(
            self.store.finish_turn,
            conversation_id=turn.conversation_id,
            question_id=turn.question_id,
            handover=handover,
            text=answer["text"],
            intent=answer["intent"],
            escalate=answer["escalate"],
            team=answer["team"],
            tier=tier,
            cached=cached,
            latency_ms=latency,
            evidence=answer["evidence"],
            timings=answer.get("timings"),
            fields=answer.get("fields"),
            passages=answer.get("passages"),
        )
        if handover is not None:
            self.metrics.escalations.labels(answer["team"] or "default").inc()
            if self.on_handover is not None:
                self.on_handover()
        self.metrics.tiers.labels(tier).inc()
        return ChatResult(turn.conversation_id, message_id, answer, tier, cached, latency)

    async def _held(self, turn: _Turn) -> ChatResult:
        """The holding reply for a question already recorded: the question is done with (ok), nothing answered."""
        await asyncio.to_thread(self.store.complete_message, message_id=turn.question_id, status="ok")
        return self._holding(turn.conversation_id, turn.question, turn.started)

    def _holding(self, conversation_id: str, question: str, started: float) -> ChatResult:
        language = detect_language(question)
        text = HOLDING_REPLY.get(language, HOLDING_REPLY["en"])
        self.metrics.tiers.labels("hold").inc()
        answer = {
            "text": text,
            "intent": "other",
            "escalate": False,
            "team": None,
            "evidence": [],
            "passages": [],
            "fields": {},
            "screen": None,
            "language": language,
        }
        latency = round((time.perf_counter() - started) * 1000, 2)
        return ChatResult(conversation_id, None, answer, "hold", False, latency, retry_after=self.ladder.retry_after())
