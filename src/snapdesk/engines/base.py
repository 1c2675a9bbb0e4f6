"""The engine interface: one method to implement, capabilities as attributes.

The pipeline does everything that does not depend on the engine (intake, OCR, fields, retrieval,
intent) and hands the engine a `Case`; the engine returns a `Reply`. The offline engine composes its
reply from the case; a vision-language engine sends the image and the case as grounding.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from ..answering.question import Question, understand
from ..errors import SnapDeskError

if TYPE_CHECKING:
    from ..answering.relations import Relation
    from ..intake import PreparedImage
    from ..knowledge import Hit, KnowledgeBase
    from ..perception import Perception
    from ..perception.fields import Fields


class EngineUnavailableError(SnapDeskError):
    """A model engine gave no usable answer: down, slow, an error, a malformed reply, a model that will not load.
    The guard answers with the offline engine instead; the service never shows this to a customer."""

    code = "engine_unavailable"
    http_status = 503


@dataclass(frozen=True)
class Turn:
    role: str  # "user" or "assistant"
    text: str


@dataclass
class Case:
    """Everything known about one question, as the pipeline found it."""

    question: str
    language: str  # "zh" or "en": the language to answer in
    intent: str
    knowledge: KnowledgeBase
    hits: list[Hit]  # passages retrieved for this case, best first
    image: PreparedImage | None = None
    perception: Perception | None = None
    fields: Fields | None = None
    history: list[Turn] = field(default_factory=list)
    # The model rung the ladder chose: "best" (beam search / sampling, full max_tokens), "greedy"
    # (greedy decoding, shorter max_tokens) or "offline" (no model call). Engines without rungs ignore it.
    effort: str = "best"
    deadline: float | None = None  # time.monotonic() by which the reply is needed (the request's deadline)
    # Streaming: called with each piece of checked answer text as it is written, and with reset=True when
    # text already sent is withdrawn (an answer that failed the check part-way). Engines that cannot stream ignore it.
    on_text: Callable[[str, bool], None] | None = field(default=None, repr=False, compare=False)
    # What the question asks (computed once by the pipeline; derived here when a caller built the case by hand)
    # and the relations computed over the screenshot's fields and the passages' numbers, most relevant first.
    asked: Question | None = None
    relations: list[Relation] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.asked is None:
            self.asked = understand(self.question, default_language=self.language)

    @property
    def understood(self) -> Question:
        assert self.asked is not None  # set in __post_init__
        return self.asked


@dataclass
class Reply:
    text: str
    escalate: bool = False
    team: str | None = None
    passages: list[Hit] = field(default_factory=list)  # the passages the reply used
    boxes: list[tuple[int, int, int, int]] = field(default_factory=list)  # image regions a model pointed at
    rung: str | None = None  # which model rung answered (best, greedy, offline); None for engines without rungs
    check: str | None = None  # the answer check's verdict: pass, regenerated, failed, error, circuit_open, ...
    problems: list[str] = field(default_factory=list)  # what the check found, when it failed


class Engine:
    """Subclass, set the capabilities, implement `answer`; register under `snapdesk.engines`."""

    name: ClassVar[str] = "engine"
    accepts_images: ClassVar[bool] = False  # reads the image itself (a VLM), not only the OCR
    needs_network: ClassVar[bool] = False
    needs_gpu: ClassVar[bool] = False

    def answer(self, case: Case) -> Reply:
        raise NotImplementedError
