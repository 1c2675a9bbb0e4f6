"""The console's charts, knowledge-base page and "try it" box (admin key, under /admin like admin.py's routes)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict
from datetime import datetime, timedelta, timezone
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Query, UploadFile
from pydantic import WithJsonSchema

from ...assistant import Assistant
from ...knowledge import KnowledgeStore
from ...perception import Perception, perceive
from ...perception import from_json as perception_from_json
from ...safety import mask_pii
from ...store.cache import cache_key
from ..deps import State, Text, error_responses
from .admin_shared import ADMIN_ERRORS, AdminDep, KbReload, KbSummary, Stats, TryResult
from .chat import IMAGE_PART, IMAGE_TYPES, read_upload

router = APIRouter(prefix="/admin", tags=["admin"])

BUCKETS = {"minute": 60, "hour": 3600}
MAX_BUCKETS = 24 * 60  # a day of minutes, a couple of months of hours: enough points for a chart


@router.get("/stats", response_model=Stats, responses=error_responses(ADMIN_ERRORS))
async def stats(
    state: State,
    _: AdminDep,
    bucket: Literal["minute", "hour"] = "hour",
    hours: Annotated[
        int, Query(ge=1, le=24 * 60, description="How far back; minute buckets cover the last 24 hours at most")
    ] = 24,
) -> dict[str, Any]:
    """Requests, p50/p95 latency per stage, cache hit rate, tiers, escalation rate and feedback per bucket, from
    the database (every replica's traffic). Per-stage figures leave cached answers out."""
    seconds = BUCKETS[bucket]
    hours = min(hours, MAX_BUCKETS * seconds // 3600)  # minute buckets: the last day at most
    until = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(seconds=1)
    since = until - timedelta(hours=hours)
    return await asyncio.to_thread(state.store.stats, since=since, until=until, bucket_seconds=seconds)


def kb_summary(knowledge: KnowledgeStore) -> dict[str, Any]:
    kb = knowledge.current()
    articles: dict[str, dict[str, Any]] = {}
    for p in kb.passages:
        article = articles.setdefault(p.source, {"source": p.source, "title": p.article, "passages": []})
        article["passages"].append({"id": p.id, "heading": p.heading, "text": p.text, "escalate_to": p.escalate_to})
    return {
        "name": kb.name,
        "path": str(kb.path) if kb.path else None,
        "language": kb.language,
        "teams": list(kb.teams),
        "version": kb.version,
        "loaded_at": knowledge.loaded_at,
        "last_error": knowledge.last_error,
        "problems": list(kb.problems),
        "passage_count": len(kb.passages),
        "articles": list(articles.values()),
    }


@router.get("/kb", response_model=KbSummary, responses=error_responses(ADMIN_ERRORS))
async def knowledge_base(state: State, _: AdminDep) -> dict[str, Any]:
    """The knowledge base this process answers from: articles and passages, when it loaded, problems found."""
    return await asyncio.to_thread(kb_summary, state.assistant.knowledge)


@router.post("/kb/reload", response_model=KbReload, responses=error_responses(ADMIN_ERRORS))
async def reload_knowledge_base(state: State, _: AdminDep) -> dict[str, Any]:
    """Load the knowledge-base folder now. A folder that fails to load leaves the previous KB serving; the answer
    says so in `last_error`. Other replicas pick the edit up by themselves within a second (hot reload)."""
    knowledge: KnowledgeStore = state.assistant.knowledge
    await asyncio.to_thread(knowledge.reload)
    return {"reloaded": knowledge.last_error is None, **await asyncio.to_thread(kb_summary, knowledge)}


def _reading(assistant: Assistant, digest: str, image: Any) -> Perception:
    # generate() has just read the screenshot and left its reading in the perception cache under this key (the
    # Assistant's own): taking it from there costs no second OCR. Without a cache, read it again.
    cache = assistant.perception_cache
    cached = cache.get(cache_key("perception", digest, asdict(assistant.ocr))) if cache is not None else None
    return perception_from_json(cached) if cached is not None else perceive(image, settings=assistant.ocr)


def try_pipeline(assistant: Assistant, question: str, data: bytes | None) -> dict[str, Any]:
    """Every stage's output for one screenshot and question, as the knowledge-base writer needs to see it."""
    question = assistant.check_question(question)
    started = time.perf_counter()
    answer = assistant.generate(text=question, image=data)
    wall_ms = round((time.perf_counter() - started) * 1000, 2)
    intake = perception = None
    if data is not None:
        prepared = assistant.prepare(data)  # moderated by generate() already: decoding only
        intake = {
            "digest": prepared.digest,
            "format": prepared.source_format,
            "bytes": prepared.byte_size,
            "width": prepared.width,
            "height": prepared.height,
        }
        perception = _reading(assistant, prepared.digest, prepared.image)
    return {
        "question": mask_pii(question),
        "intake": intake,
        "ocr": None
        if perception is None
        else {
            "screen": perception.screen,
            "dark": perception.dark,
            "lines": [
                {
                    "text": mask_pii(line.text),
                    "box": list(line.box),
                    "confidence": round(line.confidence, 3),
                    "cues": sorted(line.cues),
                }
                for line in perception.lines
            ],
        },
        "screen": answer.screen,
        "fields": answer.fields,
        "intent": answer.intent,
        "retrieval": answer.understanding,  # exactly what the answer was composed from, not a second search
        "answer": {
            "text": answer.text,
            "escalate": answer.escalate,
            "team": answer.team,
            "language": answer.language,
            "evidence": answer.evidence,
            "passages": answer.passages,
            "engine": answer.engine,
            "kb_version": answer.kb_version,
        },
        "timings": {**answer.timings, "wall_ms": wall_ms},
    }


@router.post(
    "/try",
    response_model=TryResult,
    responses=error_responses(
        {
            **ADMIN_ERRORS,
            413: "Image over the byte limit (image_too_large), or the request body over the limit (body_too_large)",
            415: "Not an image, or an unsupported format such as SVG",
            422: "Bad image (truncated, too many pixels, refused), bad question, or a malformed request",
        }
    ),
    openapi_extra={
        "requestBody": {"content": {"multipart/form-data": {"encoding": {"image": {"contentType": IMAGE_TYPES}}}}}
    },
)
async def try_it(
    state: State,
    _: AdminDep,
    text: Annotated[Text, Form(min_length=1, description="The question, as a customer would ask it.")],
    image: Annotated[UploadFile | None, File(), WithJsonSchema(IMAGE_PART)] = None,
) -> dict[str, Any]:
    """Run a screenshot and question through the pipeline and show every stage: intake, OCR lines with cues,
    screen kind, fields, intent, retrieved passages with scores, the answer, per-stage timings. Nothing is
    stored: this is for whoever writes the knowledge base."""
    data = await read_upload(image, state.settings.max_image_bytes)
    return await asyncio.to_thread(try_pipeline, state.assistant, text, data)
