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
from ..intake import PreparedImage
from ..knowledge.text import detect_language
from ..safety import mask_pii
from .cache import Cache, cache_key, normalise_question
from .ladder import HOLDING_REPLY, Ladder, Overloaded
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
        conversation_id = await self._conversation(owner, session_id)
        if self.ladder.choose(has_image=image is not None) == "hold":
            # Shed before decoding: with the queue full, the holding reply costs one database write, not an
            # image decode and a stored file that would take CPU from the requests being answered.
            message_id = await asyncio.to_thread(
                self.store.add_user_message, conversation_id=conversation_id, text=mask_pii(question), image_digest=None
            )
            await asyncio.to_thread(self.store.complete_message, message_id=message_id, status="ok")
            return self._holding(conversation_id, question, started)
        prepared: PreparedImage | None = None
        # The same upload again (a retry, a second question on it): its bytes name the pixel digest that
        # intake computed the first time, so an answer-cache hit needs no decoding at all.
        bytes_key = cache_key("bytes", hashlib.sha256(image).hexdigest()) if image is not None else None
        known = self.cache.get(bytes_key) if bytes_key else None
        known_digest = known.decode() if known else None
        try:
            if image is not None and known_digest is None:
                prepared = await asyncio.to_thread(self.assistant.prepare, image)
                await asyncio.to_thread(self.store.save_image, digest=prepared.digest, data=image)
                self.cache.set(bytes_key, prepared.digest.encode(), ttl=self.cache_ttl)  # type: ignore[arg-type]
        except SnapDeskError as error:
            # Nothing is lost: the refused message is recorded with why.
            message_id = await asyncio.to_thread(
                self.store.add_user_message, conversation_id=conversation_id, text=mask_pii(question), image_digest=None
            )
            await self._failed(message_id, error.code)
            self.metrics.refusals.labels(error.code).inc()
            raise
        user_message = await asyncio.to_thread(
            self.store.add_user_message,
            conversation_id=conversation_id,
            text=mask_pii(question),
            image_digest=prepared.digest if prepared else known_digest,
        )
        try:
            result = await self._answer(
                conversation_id, question, prepared, history, started, known_digest, image, on_text
            )
        except SnapDeskError as error:
            await self._failed(user_message, error.code)
            raise
        except Exception:
            await self._failed(user_message, "internal_error")
            raise
        await asyncio.to_thread(self.store.complete_message, message_id=user_message, status="ok")
        return result

    async def _failed(self, message_id: str, code: str) -> None:
        await asyncio.to_thread(self.store.complete_message, message_id=message_id, status="failed", error_code=code)

    async def _conversation(self, owner: str, session_id: str | None) -> str:
        if session_id:
            found = await asyncio.to_thread(self.store.conversation, conversation_id=session_id, owner=owner)
            if found is None:  # missing and someone else's look the same from outside
                raise SessionNotFoundError(f"no session {session_id}")
            return session_id
        return await asyncio.to_thread(self.store.create_conversation, owner=owner)

    async def _answer(
        self,
        conversation_id: str,
        question: str,
        prepared: PreparedImage | None,
        history: list[HistoryTurn] | None,
        started: float,
        known_digest: str | None = None,
        image: bytes | None = None,
        on_text: Callable[[str, bool], None] | None = None,
    ) -> ChatResult:
        if history is None:
            stored = await asyncio.to_thread(self.store.history, conversation_id=conversation_id, limit=9)
            history = [HistoryTurn(turn["role"], turn["text"]) for turn in stored[:-1]]  # the last is this turn
        digest = prepared.digest if prepared else known_digest
        if digest is None:  # a follow-up refers to the session's last image
            digest = await asyncio.to_thread(self.store.last_image_digest, conversation_id=conversation_id)
            # An engine that reads only the OCR answers from the cached reading: no decoding the stored file again.
            if digest and (self.assistant.engine.accepts_images or not self.assistant.has_reading(digest)):
                data = await asyncio.to_thread(self.store.image_bytes, digest=digest)
                if data is not None:
                    prepared = await asyncio.to_thread(self.assistant.prepare, data)
                # Else the file is on another replica's disk: its reading may still be in the shared cache.
        key = cache_key(
            "answer",
            digest,
            normalise_question(question),
            self.assistant.knowledge.version,
            self.assistant.engine.name,
            str(self.assistant.ocr),
            [turn.text for turn in history[-2:]],
        )
        cached = self.cache.get(key)
        self.metrics.cache.labels("answer", "hit" if cached else "miss").inc()
        if cached is not None:
            answer = json.loads(cached)
            return await self._finish(conversation_id, answer, "cache", True, started)
        if prepared is None and image is not None:  # known bytes, but no cached answer: read them after all
            prepared = await asyncio.to_thread(self.assistant.prepare, image)
        model = isinstance(self.assistant.engine, GuardedEngine)
        tier = self.ladder.choose(has_image=prepared is not None or digest is not None, model=model)
        self.metrics.queue_depth.set(self.ladder.depth)
        if tier == "hold":
            return self._holding(conversation_id, question, started)
        assistant = self.fast_assistant if tier == "fast" else self.assistant
        image = None if tier == "text" else prepared
        # Below the model's rungs the model is not called: its guard answers with the offline engine.
        effort = tier if tier in MODEL_RUNGS else "offline"
        deadline = time.monotonic() + self.ladder.deadline

        def work() -> Answer:
            return assistant.generate(
                text=question,
                image=image,
                history=history,
                image_digest=digest if tier != "text" else None,
                effort=effort,
                deadline=deadline,
                on_text=on_text,
            )

        try:
            result = await self.ladder.run(work)
        except Overloaded:
            return self._holding(conversation_id, question, started)
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
        return await self._finish(conversation_id, answer, tier, False, started)

    async def _finish(
        self, conversation_id: str, answer: dict[str, Any], tier: str, cached: bool, started: float
    ) -> ChatResult:
        latency = round((time.perf_counter() - started) * 1000, 2)
        message_id = await asyncio.to_thread(
            self.store.add_assistant_message,
            conversation_id=conversation_id,
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
        if answer["escalate"]:
            self.metrics.escalations.labels(answer["team"] or "default").inc()
            summary = {
                "answer": answer["text"],
                "intent": answer["intent"],
                "fields": answer["fields"],
                "evidence": [e["text"] for e in answer["evidence"][:12]],
                "passages": [p["id"] for p in answer["passages"]],
            }
            await asyncio.to_thread(
                self.store.add_handover,
                conversation_id=conversation_id,
                message_id=message_id,
                team=answer["team"],
                summary=summary,
            )
            if self.on_handover is not None:
                self.on_handover()
        self.metrics.tiers.labels(tier).inc()
        return ChatResult(conversation_id, message_id, answer, tier, cached, latency)

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
        return ChatResult(conversation_id, None, answer, "hold", False, latency, retry_after=5)
