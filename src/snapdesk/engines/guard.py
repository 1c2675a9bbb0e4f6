"""A model engine made safe to put in front of customers: checked answers, rungs, a circuit breaker.

`GuardedEngine` wraps a model engine (OpenAI-compatible server, local transformers) and the offline
engine. Its rungs, in order of cost: `best` (beam search / sampling, full max_tokens) → `greedy`
(greedy, shorter max_tokens) → `offline` (the embedded engine). The service's ladder picks the rung
from load (`Case.effort`); this class moves further down when the model is slow or unhealthy, and
when an answer fails the check: regenerated once on the greedy rung, then replaced by the offline
engine's answer. Each reply says which rung answered and what the check found.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import replace

from ..answering.intent import asks_for_person
from .base import Case, Engine, Reply
from .check import check_reply
from .handover import handover_sentence, to_a_person
from .prompt import clean_output

log = logging.getLogger("snapdesk.engines")
RUNGS = ("best", "greedy", "offline")


class CircuitBreaker:
    """Closed → open after `failures_to_open` consecutive failures → half-open after `reset_seconds`:
    one probe call goes through; its success closes the breaker, its failure opens it again."""

    def __init__(self, *, failures_to_open: int = 3, reset_seconds: float = 30.0) -> None:
        self.failures_to_open = max(1, failures_to_open)
        self.reset_seconds = reset_seconds
        self._failures = 0
        self._opened_at: float | None = None
        self._probing = False
        self._lock = threading.Lock()

    @property
    def state(self) -> str:
        with self._lock:
            if self._opened_at is None:
                return "closed"
            return "half_open" if time.monotonic() - self._opened_at >= self.reset_seconds else "open"

    def allow(self) -> bool:
        """May a call go to the engine now? In half-open, only one probe at a time."""
        with self._lock:
            if self._opened_at is None:
                return True
            if time.monotonic() - self._opened_at < self.reset_seconds or self._probing:
                return False
            self._probing = True
            return True

    def success(self) -> None:
        with self._lock:
            self._failures, self._opened_at, self._probing = 0, None, False

    def release(self) -> None:
        """A probe that ended with neither success nor failure (the request ran out of time)."""
        with self._lock:
            self._probing = False

    def failure(self) -> None:
        with self._lock:
            self._failures += 1
            if self._probing or self._failures >= self.failures_to_open:
                self._opened_at = time.monotonic()
            self._probing = False


class GuardedEngine(Engine):
    """Capabilities and name are the wrapped model's, copied per instance."""

    def __init__(
        self,
        model: Engine,
        fallback: Engine,
        *,
        breaker: CircuitBreaker | None = None,
        slow_seconds: float = 8.0,
        deadline_reserve: float = 1.0,
    ) -> None:
        self.model = model
        self.fallback = fallback
        self.breaker = breaker or CircuitBreaker()
        self.slow_seconds = slow_seconds
        self.deadline_reserve = deadline_reserve  # seconds kept for the offline answer after a model call
        self.name = model.name  # type: ignore[misc]  # an instance is named after its configuration entry
        self.accepts_images = model.accepts_images  # type: ignore[misc]
        self.needs_network = model.needs_network  # type: ignore[misc]
        self.needs_gpu = model.needs_gpu  # type: ignore[misc]
        self.recent_seconds = 0.0  # moving average of successful model calls
        self._lock = threading.Lock()

    def answer(self, case: Case) -> Reply:
        # The offline engine's reading of the case, computed first (milliseconds): it is the fallback, and it
        # knows the hand-over the knowledge base prescribes, which a model's answer must not drop.
        offline = self.fallback.answer(case)
        if case.effort == "offline":
            return self._offline(case, offline, "skipped")
        if self._too_late(case):
            return self._offline(case, offline, "deadline")
        if not self.breaker.allow():
            return self._offline(case, offline, "circuit_open")
        try:
            return self._model_answer(case, offline)
        finally:
            self.breaker.release()  # a half-open probe that ended without a verdict lets the next one through

    def _model_answer(self, case: Case, offline: Reply) -> Reply:
        efforts = ["greedy"] if case.effort == "greedy" or self.recent_seconds > self.slow_seconds else ["best"]
        if efforts == ["best"]:
            efforts.append("greedy")  # a failed check is regenerated once, at the cheaper setting
        problems: list[str] = []
        for effort in efforts:
            if self._too_late(case):
                return self._offline(case, offline, "deadline")
            started = time.monotonic()
            shown = Shown(case.on_text)
            # The model gets the request's time less what the offline answer and the response need.
            model_deadline = None if case.deadline is None else case.deadline - self.deadline_reserve
            try:
                reply = self._call(replace(case, effort=effort, deadline=model_deadline), shown)
            except Exception as error:  # a timeout, a refused connection, a 500, a malformed response
                shown.withdraw()
                if model_deadline is not None and time.monotonic() >= model_deadline - 0.05:
                    # Out of this request's time, not the engine's fault: the breaker is left as it was.
                    log.info("engine %s ran out of the request's time on the %s rung", self.name, effort)
                    return self._offline(case, offline, "deadline")
                self.breaker.failure()
                log.warning("engine %s failed on the %s rung: %s", self.name, effort, error)
                return self._offline(case, offline, "error")
            self.breaker.success()
            self._observe(time.monotonic() - started)
            verdict = check_reply(reply, case)
            if verdict.ok:
                _keep_handover(reply, offline, zh=case.language == "zh", asked=asks_for_person(case.question))
                shown.catch_up(reply.text)
                reply.rung = effort
                reply.check = "pass" if not problems else "regenerated"
                return reply
            shown.withdraw()
            problems += verdict.problems
            log.warning("engine %s answer failed the check on the %s rung: %s", self.name, effort, verdict.problems)
        reply = self._offline(case, offline, "failed")
        reply.problems = problems
        return reply

    def _too_late(self, case: Case) -> bool:
        return case.deadline is not None and time.monotonic() > case.deadline - self.deadline_reserve

    def _call(self, case: Case, shown: Shown) -> Reply:
        """One model call; streamed when someone listens and the model can stream (beam search cannot)."""
        stream = getattr(self.model, "stream", None)
        beams = getattr(getattr(self.model, "entry", None), "beam_width", 0)
        if case.on_text is None or stream is None or (case.effort == "best" and beams > 1):
            return self.model.answer(case)
        raw, pieces = "", stream(case)
        with contextlib.closing(pieces):  # whatever happens here, the stream (and its generation) is ended
            while True:
                try:
                    raw += next(pieces)
                except StopIteration as end:
                    # A stream may return its final Reply (what it knows beyond the text: a truncated answer).
                    if isinstance(end.value, Reply):
                        return end.value
                    return self.model.reply_for(case, raw)  # type: ignore[attr-defined]
                ready = releasable(raw, reasoning=getattr(self.model, "reasoning", True))
                # Only text that passes the check is sent; the rest waits for the end (and the full check).
                if len(ready) > len(shown.text) and check_reply(Reply(text=ready), case).ok:
                    shown.catch_up(ready)

    def _offline(self, case: Case, reply: Reply, check: str) -> Reply:
        reply.rung = "offline"
        reply.check = check
        if case.on_text is not None:
            case.on_text(reply.text, False)
        return reply

    def _observe(self, seconds: float) -> None:
        with self._lock:
            self.recent_seconds = seconds if not self.recent_seconds else 0.8 * self.recent_seconds + 0.2 * seconds


def _keep_handover(reply: Reply, offline: Reply, *, zh: bool, asked: bool = False) -> None:
    """A hand-over the knowledge base prescribes for this case stands, whatever the model wrote; so does one
    the customer asked for (`asked`). The offline engine's "nothing fits" hand-over is a default, not a rule."""
    prescribed = offline.team if offline.escalate else None
    if not (prescribed or asked):
        return
    if not reply.escalate:
        sentence = handover_sentence(prescribed, zh) if prescribed else to_a_person(zh)
        reply.text = reply.text.rstrip() + ("" if zh else " ") + sentence
    reply.escalate, reply.team = True, reply.team or prescribed


class Shown:
    """What a streaming listener has been sent of one model call's answer."""

    def __init__(self, on_text: Callable[[str, bool], None] | None) -> None:
        self.on_text = on_text
        self.text = ""

    def catch_up(self, text: str) -> None:
        if self.on_text is None or text == self.text:
            return
        if not text.startswith(self.text):  # the final cleaning changed what was sent: start over
            self.withdraw()
        self.on_text(text[len(self.text) :], False)
        self.text = text

    def withdraw(self) -> None:
        if self.on_text is not None and self.text:
            self.on_text("", True)
        self.text = ""


def releasable(raw: str, *, reasoning: bool = True) -> str:
    """The cleaned answer up to its last finished sentence; nothing while the model may still be reasoning
    (a model that reasons may start without `<think>`, the chat template having opened it)."""
    if reasoning and "</think>" not in raw:
        return ""
    text = clean_output(raw).text
    ends = [text.rfind(mark) for mark in "。！？!?\n"] + [m.end() - 1 for m in re.finditer(r"[.](?=\s)", text)]
    cut = max(ends, default=-1)
    return text[: cut + 1].rstrip() if cut >= 0 else ""
