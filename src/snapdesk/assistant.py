"""The Assistant runs the pipeline: intake → moderation → perception → fields → knowledge → engine."""

from __future__ import annotations

import contextlib
import io
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .answer import Answer, HistoryTurn, evidence_lines, last_image, passages_used, understanding_of
from .answering.grounding import Grounding, ground
from .answering.intent import classify_intent
from .answering.question import understand
from .answering.relations import relations
from .config import Settings
from .engines import Case, Engine, Turn, load_engine
from .intake import (
    CheckedQuestion,
    ImageSource,
    IntakeLimits,
    Moderator,
    PreparedImage,
    check_question,
    load_image,
    load_moderators,
    moderate,
)
from .knowledge import KnowledgeStore, demo_kb_path
from .perception import OcrSettings, Perception, perceive
from .perception import from_json as perception_from_json
from .perception import to_json as perception_to_json
from .perception import warm_up as warm_up_ocr
from .perception.fields import Fields, extract_fields
from .perception.ocr import warm_up_screenshot
from .safety import mask_pii
from .store.cache import Cache, MemoryCache, cache_key

__all__ = ["Answer", "Assistant", "HistoryTurn"]  # Answer and HistoryTurn: the library API


class Assistant:
    def __init__(
        self,
        *,
        knowledge: KnowledgeStore,
        engine: Engine,
        moderators: Sequence[Moderator] = (),
        limits: IntakeLimits = IntakeLimits(),
        ocr: OcrSettings = OcrSettings(),
        max_question_chars: int = 2000,
        perception_cache_size: int = 64,
        perception_cache: Cache | None = None,
        cache_ttl: int = 3600,
    ) -> None:
        self.knowledge = knowledge
        self.engine = engine
        self.moderators = list(moderators)
        self.limits = limits
        self.ocr = ocr
        self.max_question_chars = max_question_chars
        # OCR results by image digest (and OCR settings): a follow-up on the same screenshot skips OCR.
        if perception_cache is None and perception_cache_size:
            perception_cache = MemoryCache(max_entries=perception_cache_size)
        self.perception_cache: Cache | None = perception_cache
        self.cache_ttl = cache_ttl
        self.also_read_by: tuple[OcrSettings, ...] = ()  # other settings whose cached readings this one may use
        self._moderated: dict[str, None] = {}  # digests that passed moderation lately (insertion-ordered)
        # With a model engine the service runs more threads than cores (most wait on the model server):
        # this bounds how many of them read images at once, so OCR does not thrash the CPU.
        self.perception_slots: threading.Semaphore | None = None

    @classmethod
    def from_settings(cls, settings: Settings | None = None, **overrides: Any) -> Assistant:
        settings = settings or Settings(**overrides)
        kb_path = Path(settings.kb_path) if settings.kb_path else demo_kb_path()
        return cls(
            knowledge=KnowledgeStore(kb_path),
            engine=load_engine(settings.engine, entries=settings.engines),
            moderators=load_moderators(settings.moderators),
            limits=IntakeLimits(max_bytes=settings.max_image_bytes, max_pixels=settings.max_image_pixels),
            ocr=OcrSettings(
                det_limit_side=settings.ocr_det_limit_side,
                min_confidence=settings.ocr_min_confidence,
                threads=settings.ocr_threads,
                rec_batch=settings.ocr_rec_batch,
            ),
            max_question_chars=settings.max_question_chars,
            perception_cache_size=settings.perception_cache_size,
        )

    def with_ocr(self, ocr: OcrSettings) -> Assistant:
        """The same assistant reading at other OCR settings (the service's cheaper rung). It shares the
        knowledge base, engine, moderators and cache, and uses this one's cached readings when it has them."""
        sibling = self._sibling(ocr=ocr, engine=self.engine)
        sibling.also_read_by = (self.ocr,)
        return sibling

    def with_engine(self, engine: Engine) -> Assistant:
        """The same assistant answering with another engine (same knowledge base, OCR settings and cache)."""
        return self._sibling(ocr=self.ocr, engine=engine)

    def _sibling(self, *, ocr: OcrSettings, engine: Engine) -> Assistant:
        sibling = Assistant(
            knowledge=self.knowledge,
            engine=engine,
            moderators=self.moderators,
            limits=self.limits,
            ocr=ocr,
            max_question_chars=self.max_question_chars,
            perception_cache=self.perception_cache,
            perception_cache_size=0,
            cache_ttl=self.cache_ttl,
        )
        # Same moderators, same verdicts: what this one admitted is not moderated again (93 ms p50 a `fast` reading).
        sibling._moderated = self._moderated
        return sibling

    def generate(
        self,
        *,
        text: str,
        image: ImageSource | PreparedImage | None = None,
        history: Sequence[HistoryTurn] = (),
        image_digest: str | None = None,
        effort: str = "best",
        deadline: float | None = None,
        on_text: Callable[[str, bool], None] | None = None,
    ) -> Answer:
        """Answer `text` about `image`. Without an image, the last image in `history` is used; failing that,
        `image_digest` names a screenshot whose reading is in the perception cache (another replica read it).
        `effort` is the model rung the service's ladder chose; `deadline` (time.monotonic()) bounds model calls."""
        started = time.perf_counter()
        timings: dict[str, float] = {}
        question = self.check_question(text)  # a CheckedQuestion (checked where it entered) passes as it is
        image = image if image is not None else last_image(history)  # a follow-up: the conversation's last image
        prepared, perception, fields = self._read(image, image_digest, timings)
        mark = time.perf_counter()
        run = {"effort": effort, "deadline": deadline, "on_text": on_text}
        case, grounding = self._case(question, history, prepared, perception, fields, **run)
        timings["retrieval_ms"] = _ms(mark)
        mark = time.perf_counter()
        reply = self.engine.answer(case)
        timings["engine_ms"] = _ms(mark)
        timings["total_ms"] = _ms(started)
        return Answer(
            text=mask_pii(reply.text),
            intent=case.intent,
            escalate=reply.escalate,
            team=reply.team,
            language=case.language,
            evidence=evidence_lines(perception, reply.text, pointed=reply.boxes),
            passages=passages_used(reply.passages),
            fields=fields.as_dict() if fields else {},
            screen=perception.screen if perception else None,
            image_digest=prepared.digest if prepared else (image_digest if perception is not None else None),
            engine=self.engine.name,
            kb_version=case.knowledge.version,
            timings=timings,
            rung=reply.rung,
            check=reply.check,
            boxes=[list(box) for box in reply.boxes],
            understanding=understanding_of(case, grounding),
        )

    def _read(
        self, image: ImageSource | PreparedImage | None, digest: str | None, timings: dict[str, float]
    ) -> tuple[PreparedImage | None, Perception | None, Fields | None]:
        """The screenshot read (or its cached reading, by digest, when no pixels come with the question)."""
        if image is not None:
            with self.perception_slots or contextlib.nullcontext():
                prepared = self._prepare(image, timings)
                perception, fields = self._perceive(prepared, timings)
            return prepared, perception, fields
        perception = self._cached_perception(digest, timings) if digest is not None else None
        return None, perception, extract_fields(perception) if perception is not None else None

    def _case(
        self,
        question: str,
        history: Sequence[HistoryTurn],
        prepared: PreparedImage | None,
        perception: Perception | None,
        fields: Fields | None,
        **run: Any,
    ) -> tuple[Case, Grounding]:
        """What the engine is given: the question understood, the passages found, the relations computed."""
        knowledge = self.knowledge.current()
        asked = understand(question, default_language=knowledge.language)
        context = " ".join(turn.text for turn in history[-4:])
        intent = classify_intent(
            question,
            screen=perception.screen if perception else None,
            screen_text=perception.text if perception else "",
            context=context,
            has_exception=bool(fields and fields.exceptions),
        )
        # Relations from the screen alone name the problem in the knowledge base's words; once passages are
        # found, their numbers (a coupon's minimum, a payment window) make the rest.
        problems = [r.zh if asked.language == "zh" else r.en for r in relations(fields)] if fields else []
        grounding = ground(
            knowledge,
            question=asked,
            intent=intent,
            perception=perception,
            fields=fields,
            context=context,
            problems=problems,
        )
        passages = [hit.passage.text for hit in grounding.hits[:3]]
        related = relations(fields, question=question, passages=passages, perception=perception) if fields else []
        case = Case(
            question=question,
            language=asked.language,
            intent=intent,
            knowledge=knowledge,
            hits=grounding.hits,
            image=prepared,
            perception=perception,
            fields=fields,
            history=[Turn(turn.role, turn.text) for turn in history],
            asked=asked,
            relations=related,
            **run,
        )
        return case, grounding

    def warm_up(self) -> None:
        """Answer once about a built-in screenshot: the OCR and moderation models, the knowledge base's index and
        the word segmenter are loaded and run, so the first customer's answer takes no longer than the next."""
        warm_up_ocr(self.ocr)  # the reading below may come from a shared cache: the models load here for sure
        # effort "offline": a model engine's guard answers without calling the model (whose server may be warming
        # up too, and whose failures would count against its circuit breaker).
        png = io.BytesIO()
        warm_up_screenshot().save(png, format="PNG")  # as an upload comes: decoded by intake too
        self.generate(text="Why did my payment fail? 为什么付款失败？", image=png.getvalue(), effort="offline")

    def prepare(self, image: ImageSource | PreparedImage) -> PreparedImage:
        """Intake and moderation alone: the service stores a screenshot only after both accept it."""
        timings: dict[str, float] = {}
        return self._prepare(image, timings)

    def has_reading(self, digest: str) -> bool:
        """Whether the perception cache holds a reading of this screenshot (a follow-up needs no decoding)."""
        return self._cached_reading(digest) is not None

    def check_question(self, text: str) -> CheckedQuestion:
        return check_question(text, max_chars=self.max_question_chars)

    def _prepare(self, image: ImageSource | PreparedImage, timings: dict[str, float]) -> PreparedImage:
        mark = time.perf_counter()
        prepared = image if isinstance(image, PreparedImage) else load_image(image, limits=self.limits)
        timings["intake_ms"] = _ms(mark)
        if prepared.digest not in self._moderated:
            mark = time.perf_counter()
            moderate(prepared, self.moderators)  # before anything else reads the image
            timings["moderation_ms"] = _ms(mark)
            self._moderated[prepared.digest] = None
            while len(self._moderated) > 256:
                self._moderated.pop(next(iter(self._moderated)))
        return prepared

    def _cached_reading(self, digest: str) -> bytes | None:
        """The cached reading of a screenshot, serialised (parsing it costs time; `has_reading` needs none)."""
        if self.perception_cache is None:
            return None
        # A reading at the full working size serves a cheaper rung too: it is at least as good.
        for settings in (self.ocr, *self.also_read_by):
            cached = self.perception_cache.get(cache_key("perception", digest, asdict(settings)))
            if cached is not None:
                return cached
        return None

    def _cached_perception(self, digest: str, timings: dict[str, float]) -> Perception | None:
        cached = self._cached_reading(digest)
        if cached is None:
            return None
        timings["ocr_ms"] = 0.0
        timings["perception_cached"] = 1.0
        return perception_from_json(cached)

    def _perceive(self, prepared: PreparedImage, timings: dict[str, float]) -> tuple[Perception, Fields]:
        key = cache_key("perception", prepared.digest, asdict(self.ocr))
        perception = self._cached_perception(prepared.digest, timings)
        if perception is None:
            perception = perceive(prepared.image, settings=self.ocr)
            timings.update(perception.timings)
            if self.perception_cache is not None:
                self.perception_cache.set(key, perception_to_json(perception), ttl=self.cache_ttl)
        mark = time.perf_counter()
        fields = extract_fields(perception)
        timings["fields_ms"] = _ms(mark)
        return perception, fields


def _ms(mark: float) -> float:
    return round((time.perf_counter() - mark) * 1000, 2)
