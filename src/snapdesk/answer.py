"""What an answer is: the typed `Answer` the pipeline returns, and the conversation turns it reads.

The service keeps the `Answer` typed until the response is written; it is a dict only in the cache.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from .answering.grounding import Grounding
from .engines import Case
from .intake import ImageSource, PreparedImage
from .perception import Perception
from .safety import looks_like_instruction, mask_pii


@dataclass(frozen=True)
class HistoryTurn:
    role: str  # "user" or "assistant"
    text: str
    image: ImageSource | PreparedImage | None = None


def last_image(history: Sequence[HistoryTurn]) -> ImageSource | PreparedImage | None:
    """The conversation's last image: what a follow-up question without one refers to."""
    return next((turn.image for turn in reversed(history) if turn.image is not None), None)


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
    engine: str | None  # None: nothing answered (the service's holding reply)
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

    @classmethod
    def saying(cls, text: str, *, language: str) -> Answer:
        """An answer that only says `text` (the service's holding reply): nothing read, found or handed over."""
        return cls(
            text=text,
            intent="other",
            escalate=False,
            team=None,
            language=language,
            evidence=[],
            passages=[],
            fields={},
            screen=None,
            image_digest=None,
            engine=None,
            kb_version="",
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Answer | None:
        """An answer as `to_dict` wrote it (the answer cache), or None when another version of this class wrote
        it (a field missing): the cache then misses instead of failing."""
        known = {f.name for f in fields(cls)}
        try:
            return cls(**{key: value for key, value in data.items() if key in known})
        except TypeError:
            return None


def passages_used(hits: Sequence[Any]) -> list[dict[str, Any]]:
    return [
        {
            "id": h.passage.id,
            "article": h.passage.article,
            "heading": h.passage.heading,
            "text": h.passage.text,
            "escalate_to": h.passage.escalate_to,
            "score": round(h.score, 3),
        }
        for h in hits
    ]


def understanding_of(case: Case, grounding: Grounding) -> dict[str, Any]:
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


def evidence_lines(
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
