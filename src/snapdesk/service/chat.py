"""One chat turn as the service runs it: session, storage, caches, the ladder, the hand-over (and, while a person
owns the conversation in the operator inbox, no answer: the message is recorded for that person, service/person.py).

HTTP-free, so `/chat` and `/v1/chat/completions` share it and tests can drive it directly. A turn goes one way:
the question checked, the screenshot found (service/upload.py), the ladder asked once for a rung, the upload
admitted (kept unread or read), the question recorded, the answer (cached, or worked out on the rung), recorded.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable

from ..answer import Answer, HistoryTurn
from ..assistant import Assistant
from ..engines.guard import GuardedEngine
from ..errors import SessionNotFoundError, SnapDeskError
from ..safety import mask_pii
from ..store.cache import Cache, cache_key, normalise_question
from ..store.protocol import ConversationStore, TurnContext
from .ladder import READINGS, Ladder, Overloaded, Refused
from .metrics import Metrics
from .person import handover_of, saying
from .turn import ChatResult, Turn
from .upload import Screenshot, Screenshots

MODEL_RUNGS = ("best", "greedy")


class ChatService:
    def __init__(
        self,
        *,
        assistant: Assistant,
        fast_assistant: Assistant,
        store: ConversationStore,
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
        self.screenshots = Screenshots(
            assistant=assistant, store=store, cache=cache, metrics=metrics, cache_ttl=cache_ttl
        )
        self.on_handover: Callable[[], None] | None = None  # called after a hand-over is stored (wakes the webhook)

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
        """One turn. `history`: the messages before this one when the client sends them (/v1), their images
        included; else the session's. `on_text` (streaming) receives checked answer text as a model writes it."""
        started = time.perf_counter()
        question = self.assistant.check_question(text)
        context = await self._conversation(owner, session_id)  # None: a new conversation
        conversation_id = session_id if context else None
        if context and context.held_by_person:
            return await self._to_person(owner, session_id, question, image, started)
        # Shed before any work when the queue is full: the holding reply costs one database write, not an image
        # decode and a stored file that would take CPU from the requests being answered.
        if self.ladder.full:
            return await self._hold_at_once(owner, conversation_id, question, started)
        earlier = context.last_image_digest if context else None
        shot = self.screenshots.find(upload=image, history=history, stored_digest=earlier)
        rung = self.ladder.choose(has_image=shot.present, model=isinstance(self.assistant.engine, GuardedEngine))
        if rung == "hold":
            return await self._hold_at_once(owner, conversation_id, question, started)
        shot = await self._admit(owner, conversation_id, question, shot, rung)
        new_conversation = conversation_id is None
        conversation_id, question_id = await asyncio.to_thread(
            self.store.begin_turn,
            owner=owner,
            conversation_id=conversation_id,
            text=mask_pii(question),
            image_digest=shot.uploaded_digest,
        )
        try:
            if history is None and not new_conversation:
                stored = await asyncio.to_thread(self.store.history, conversation_id=conversation_id, limit=9)
                history = [HistoryTurn(t["role"], t["text"]) for t in stored[:-1]]  # the last is this turn
            said = [HistoryTurn(t.role, t.text) for t in history or ()]  # the screenshot is the turn's own
            turn = Turn(conversation_id, question_id, question, started, said, on_text)
            return await self._answer(turn, shot, rung)
        except SnapDeskError as error:
            await self._failed(question_id, error.code)
            raise
        except Exception:
            await self._failed(question_id, "internal_error")
            raise

    async def _admit(
        self, owner: str, conversation_id: str | None, question: str, shot: Screenshot, rung: str
    ) -> Screenshot:
        """The upload checked and stored; a refused one is recorded as a failed message with why (nothing lost)."""
        try:
            return await self.screenshots.admit(shot, rung)
        except SnapDeskError as error:
            await asyncio.to_thread(
                self.store.begin_turn,
                owner=owner,
                conversation_id=conversation_id,
                text=mask_pii(question),
                status="failed",
                error_code=error.code,
            )
            self.metrics.refusals.labels(error.code).inc()
            raise

    async def _to_person(
        self, owner: str, conversation_id: str, question: str, image: bytes | None, started: float
    ) -> ChatResult:
        """A person owns the conversation: the message is theirs to answer, its screenshot stored unread (checked,
        not decoded: the console reads it when the person opens it); the assistant only says so."""
        digest = (
            await self._admit(
                owner,
                conversation_id,
                question,
                Screenshot.upload(image) if image is not None else Screenshot(),
                "text",
            )
        ).uploaded_digest
        turn = {"text": mask_pii(question), "image_digest": digest, "status": "ok"}  # nothing will answer it
        await asyncio.to_thread(self.store.begin_turn, conversation_id=conversation_id, **turn)
        return self._holding(conversation_id, question, started, tier="person")

    async def _hold_at_once(self, owner: str, conversation_id: str | None, question: str, started: float) -> ChatResult:
        conversation_id, _ = await asyncio.to_thread(
            self.store.begin_turn, owner=owner, conversation_id=conversation_id, text=mask_pii(question), status="ok"
        )
        return self._holding(conversation_id, question, started)

    async def _failed(self, message_id: str, code: str) -> None:
        await asyncio.to_thread(self.store.complete_message, message_id=message_id, status="failed", error_code=code)

    async def _conversation(self, owner: str, session_id: str | None) -> TurnContext | None:
        if not session_id:
            return None
        context = await asyncio.to_thread(self.store.conversation_for_turn, conversation_id=session_id, owner=owner)
        if context is None:
            raise SessionNotFoundError(f"no session {session_id}")  # missing and someone else's look alike
        return context

    async def _answer(self, turn: Turn, shot: Screenshot, rung: str) -> ChatResult:
        # An unread upload's answer depends on the screenshot nobody read: never one cached for the text alone.
        key = None if shot.unread else self._answer_key(turn, shot.digest)
        cached = self.cache.get(key) if key else None
        # None as well when another version of the Answer wrote it (a rolling deploy): then a miss, not a failure.
        hit = Answer.from_dict(json.loads(cached)) if cached is not None else None
        self.metrics.cache.labels("answer", "hit" if hit else "miss").inc()
        if hit is not None:
            return await self._finish(turn, hit, "cache", True)
        if rung != "text":
            read = await self.screenshots.read(shot)
            if read.digest != shot.digest:  # read only now (kept unread before, or refused): its own key
                key = self._answer_key(turn, read.digest)
            shot = read
        self.metrics.queue_depth.set(self.ladder.depth)
        # Reading no pixels (the text rung, a question alone, a cached reading) costs what the text rung costs.
        kind = rung if rung in MODEL_RUNGS or (rung != "text" and shot.prepared is not None) else "text"
        submitted = time.monotonic()
        deadline = submitted + self.ladder.deadline
        try:
            try:
                answer = await self.ladder.run(self._work(turn, shot, rung, deadline), kind)
            except Refused:
                if kind not in READINGS:
                    raise
                # The reading would wait past the budget once queued: the next cheaper rung at once.
                rung = kind = "text"
                answer = await self.ladder.run(self._work(turn, shot, "text", deadline), "text")
        except Overloaded:
            return await self._held(turn)
        waited = (time.monotonic() - submitted) * 1000 - answer.timings["total_ms"]
        answer.timings["queue_ms"] = round(waited, 2)  # in the ladder's queue: what admission estimated
        self.metrics.observe_answer(timings=answer.timings, engine=answer.engine, check=answer.check)
        if answer.rung in MODEL_RUNGS:
            rung = answer.rung
        elif rung in MODEL_RUNGS:
            rung = "full"  # the model could not answer (down, slow, failed the check): the offline engine did
        # A fallback answer is not cached under the model's key: the next question gets the model again.
        if key and rung in ("full", "fast", *MODEL_RUNGS) and answer.rung in (None, *MODEL_RUNGS):
            value = json.dumps(answer.to_dict(), ensure_ascii=False, default=str).encode()
            self.cache.set(key, value, ttl=self.cache_ttl)
        return await self._finish(turn, answer, rung, False)

    def _work(self, turn: Turn, shot: Screenshot, rung: str, deadline: float) -> Callable[[], Answer]:
        """The blocking work of answering on `rung`. Below the model's rungs the model is not called: its guard
        answers with the offline engine."""
        assistant = self.fast_assistant if rung == "fast" else self.assistant
        reads = rung != "text"
        return lambda: assistant.generate(
            text=turn.question,
            image=shot.prepared if reads else None,
            history=turn.history,
            image_digest=shot.digest if reads else None,
            effort=rung if rung in MODEL_RUNGS else "offline",
            deadline=deadline,
            on_text=turn.on_text,
        )

    def _answer_key(self, turn: Turn, digest: str | None) -> str:
        return cache_key(
            "answer",
            digest,
            normalise_question(turn.question),
            self.assistant.knowledge.version,
            self.assistant.engine.name,
            str(self.assistant.ocr),
            [t.text for t in turn.history[-2:]],
        )

    async def _finish(self, turn: Turn, answer: Answer, tier: str, cached: bool) -> ChatResult:
        latency = round((time.perf_counter() - turn.started) * 1000, 2)
        handover = handover_of(answer)
        message_id = await asyncio.to_thread(
            self.store.finish_turn,
            conversation_id=turn.conversation_id,
            question_id=turn.question_id,
            handover=handover,
            text=answer.text,
            intent=answer.intent,
            escalate=answer.escalate,
            team=answer.team,
            tier=tier,
            cached=cached,
            latency_ms=latency,
            evidence=answer.evidence,
            timings=answer.timings,
            fields=answer.fields,
            passages=answer.passages,
        )
        if handover is not None:
            self.metrics.escalations.labels(answer.team or "default").inc()
            if self.on_handover is not None:
                self.on_handover()
        self.metrics.tiers.labels(tier).inc()
        return ChatResult(turn.conversation_id, message_id, turn.question, answer, tier, cached, latency)

    async def _held(self, turn: Turn) -> ChatResult:
        """The holding reply for a question already recorded: the question is done with (ok), nothing answered."""
        await asyncio.to_thread(self.store.complete_message, message_id=turn.question_id, status="ok")
        return self._holding(turn.conversation_id, turn.question, turn.started)

    def _holding(self, conversation_id: str, question: str, started: float, tier: str = "hold") -> ChatResult:
        """A reply that answers nothing: the holding reply (it says when to come back), or that a person has it."""
        self.metrics.tiers.labels(tier).inc()
        latency = round((time.perf_counter() - started) * 1000, 2)
        retry = self.ladder.retry_after() if tier == "hold" else None
        return ChatResult(conversation_id, None, question, saying(tier, question), tier, False, latency, retry)
