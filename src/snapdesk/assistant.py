"""The Assistant runs the pipeline: intake → moderation → perception → fields → knowledge → engine."""

from __future__ import annotations

import contextlib
import io
import threading
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from .answering.grounding import Grounding, ground
from .answering.intent import classify_intent
from .answering.question import understand
from .answering.relations import relations
from .config import Settings
from .engines import Case, Engine, Turn, load_engine
from .errors import QuestionError
from .intake import ImageSource, IntakeLimits, Moderator, PreparedImage, load_image, load_moderators, moderate
from .knowledge import KnowledgeStore, demo_kb_path
from .perception import OcrSettings, Perception, perceive
from .perception import from_json as perception_from_json
from .perception import to_json as perception_to_json
from .perception import warm_up as warm_up_ocr
from .perception.fields import Fields, extract_fields
from .safety import looks_like_instruction, mask_pii
from .service.cache import Cache, MemoryCache, cache_key


@dataclass(frozen=True)
class HistoryTurn:
    role: str  # "user" or "assistant"
    text: str
    image: ImageSource | PreparedImage | None = None


@dataclass
class Answer:
    text: str
    intent: str
    escalate: bool
    team: str | None
    language: str
    evidence: list[dict[str, Any]]  # OCR lines with boxes that the answer rests on
    passages: list[dict[str, Any]]  # knowledge-base passages used
    fields: dict[str, Any]  # extracted fields, personal data masked
    screen: str | None
    image_digest: str | None
    engine: str
    kb_version: str
    timings: dict[str, float] = field(default_factory=dict)
    rung: str | None = None  # a model engine's rung that answered (best, greedy, offline); None: no model
    check: str | None = None  # the model answer check's verdict (pass, regenerated, failed, error, ...)
    boxes: list[list[int]] = field(default_factory=list)  # image regions the model pointed at, in pixels
    # What the pipeline understood and retrieved, exactly as the engine was given it (the console's /admin/try
    # shows this): the question's kinds and words, the exact keys, the ranked passages, the computed relations.
    understanding: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


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
        return Assistant(
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
        question = self._question(text)
        if image is None:  # a follow-up refers to the conversation's last image
            image = next((turn.image for turn in reversed(history) if turn.image is not None), None)
        prepared = perception = fields = None
        if image is not None:
            with self.perception_slots or contextlib.nullcontext():
                prepared = self._prepare(image, timings)
                perception, fields = self._perceive(prepared, timings)
        elif image_digest is not None:
            perception = self._cached_perception(image_digest, timings)
            fields = extract_fields(perception) if perception is not None else None
        mark = time.perf_counter()
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
        related = (
            relations(
                fields,
                question=question,
                passages=[hit.passage.text for hit in grounding.hits[:3]],
                perception=perception,
            )
            if fields
            else []
        )
        timings["retrieval_ms"] = _ms(mark)
        mark = time.perf_counter()
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
            effort=effort,
            deadline=deadline,
            on_text=on_text,
            asked=asked,
            relations=related,
        )
        reply = self.engine.answer(case)
        timings["engine_ms"] = _ms(mark)
        timings["total_ms"] = _ms(started)
        return Answer(
            text=mask_pii(reply.text),
            intent=intent,
            escalate=reply.escalate,
            team=reply.team,
            language=asked.language,
            evidence=_evidence(perception, reply.text, pointed=reply.boxes),
            passages=[
                {
                    "id": h.passage.id,
                    "article": h.passage.article,
                    "heading": h.passage.heading,
                    "text": h.passage.text,
                    "escalate_to": h.passage.escalate_to,
                    "score": round(h.score, 3),
                }
                for h in reply.passages
            ],
            fields=fields.as_dict() if fields else {},
            screen=perception.screen if perception else None,
            image_digest=prepared.digest if prepared else (image_digest if perception is not None else None),
            engine=self.engine.name,
            kb_version=knowledge.version,
            timings=timings,
            rung=reply.rung,
            check=reply.check,
            boxes=[list(box) for box in reply.boxes],
            understanding=_understanding(case, grounding),
        )

    def warm_up(self) -> None:
        """Answer once about a built-in screenshot: the OCR and moderation models, the knowledge base's index and
        the word segmenter are loaded and run, so the first customer's answer takes no longer than the next."""
        warm_up_ocr(self.ocr)  # the reading below may come from a shared cache: the models load here for sure
        # effort "offline": a model engine's guard answers without calling the model (whose server may be warming
        # up too, and whose failures would count against its circuit breaker).
        self.generate(text="Why did my payment fail? 为什么付款失败？", image=_warm_up_screenshot(), effort="offline")

    def prepare(self, image: ImageSource | PreparedImage) -> PreparedImage:
        """Intake and moderation alone: the service stores a screenshot only after both accept it."""
        timings: dict[str, float] = {}
        return self._prepare(image, timings)

    def has_reading(self, digest: str) -> bool:
        """Whether the perception cache holds a reading of this screenshot (a follow-up needs no decoding)."""
        return self._cached_reading(digest) is not None

    def check_question(self, text: str) -> str:
        return self._question(text)

    def _question(self, text: str) -> str:
        question = (text or "").strip()
        if not question:
            raise QuestionError("the question is empty")
        if not any(not ch.isspace() and unicodedata.category(ch) not in _INVISIBLE for ch in question):
            raise QuestionError("the question has no visible characters")
        if "\x00" in question or any("\ud800" <= ch <= "\udfff" for ch in question):
            raise QuestionError("the question contains a NUL or an unpaired surrogate character")
        if len(question) > self.max_question_chars:
            raise QuestionError(f"the question is {len(question)} characters, over the {self.max_question_chars} limit")
        return question

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


# Format and control characters (zero-width spaces and joiners, direction marks): text made only of them says nothing.
_INVISIBLE = frozenset({"Cf", "Cc", "Zs", "Zl", "Zp", "Mn"})


def _warm_up_screenshot() -> bytes:
    """A small phone-shaped screenshot with a few lines of text, drawn here: nothing to ship or download."""
    image = Image.new("RGB", (360, 640), "white")
    draw = ImageDraw.Draw(image)
    for row, line in enumerate(("Order details", "Payment failed", "Error code PAY-1001", "Total $25.00")):
        draw.text((24, 80 + row * 48), line, fill="black", font_size=22)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _understanding(case: Case, grounding: Grounding) -> dict[str, Any]:
    asked = case.understood
    return {
        "asks": list(asked.asks),
        "words": [mask_pii(w) for w in asked.words],
        "upset": asked.upset,
        "wants_person": asked.wants_person,
        "keys": [mask_pii(k) for k in grounding.keys],
        "hits": [
            {
                "id": h.passage.id,
                "article": h.passage.article,
                "heading": h.passage.heading,
                "score": round(h.score, 3),
                "question_score": round(h.focus, 3),
                "matched_keys": [mask_pii(k) for k in h.matched_keys],
                "escalate_to": h.passage.escalate_to,
            }
            for h in grounding.hits
        ],
        "relations": [mask_pii(r.zh if case.language == "zh" else r.en) for r in case.relations],
    }


def _ms(mark: float) -> float:
    return round((time.perf_counter() - mark) * 1000, 2)


def _evidence(
    perception: Perception | None, answer: str, *, pointed: Sequence[tuple[int, int, int, int]] = ()
) -> list[dict[str, Any]]:
    """The OCR lines the answer quotes or rests on, with their boxes and cues; with a model's boxes
    (`pointed`, in image pixels), also the lines inside the regions it pointed at."""
    if perception is None:
        return []
    out = []
    for line in perception.lines:
        text = line.text.strip()
        if looks_like_instruction(text):
            continue  # data the answer refused to act on is not what it rests on
        in_top_bar = line.box[3] < perception.height * 0.09
        x, y = (line.box[0] + line.box[2]) / 2, (line.box[1] + line.box[3]) / 2
        pointed_at = any(b[0] <= x <= b[2] and b[1] <= y <= b[3] for b in pointed)
        if pointed_at or (len(text) >= 3 and text in answer) or (line.salient and len(text) >= 4 and not in_top_bar):
            item = line.evidence()
            item["text"] = mask_pii(text)
            out.append(item)
    return out
