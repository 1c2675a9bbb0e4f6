"""Load control: a bounded worker pool, a bounded queue with a deadline, and a ladder of tiers.

Under load the service steps down instead of timing out:
  best  → a model engine at its best setting (beam search / sampling)      } only with a model engine
  greedy → the model engine greedy, shorter max_tokens                      }
  full  → the whole pipeline at the configured OCR size, the offline engine
  fast  → a smaller OCR working size (cheaper, slightly less accurate on small text)
  text  → no OCR: the knowledge base on the question text (and a cached reading of the image, if any)
  hold  → a polite holding reply with Retry-After (HTTP 503 for clients that ask for strict mode)
The rung is chosen from the queue when a request arrives (`Ladder.choose`); it steps down at once and back
up to `full` only after the queue has stayed short for SETTLE_SECONDS. Admission also looks at the expected
wait: the work already queued (each item at the recent service time of its rung) spread over the workers, plus
the request's own; a rung whose expected wait is over the wait budget gives way to the next cheaper one at once,
and to the holding reply when none fits, so nobody waits in the queue to be told to wait. Readings and the model's
rungs share one pool; `text` answers (no OCR) have a lane of their own, so that they never wait out a reading
(measured in one pool: text answers waited 1.2-1.7 s p50, 2.1-3.3 s p95 behind readings at 16 clients), and that
lane rests between answers (TEXT_PACE) so the cheap answers, asked again at once by clients in a closed loop,
cannot take the CPU the queued OCR needs (an unpaced lane of their own once cut served OCR to a quarter of bare
capacity). A request still
waiting at its deadline is answered from the `hold` rung (a safety net). The model's own guard
(engines/guard.py) steps further down when the model is slow, failing or gives an answer that fails the check.
"""

from __future__ import annotations

import asyncio
import math
import os
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

HOLDING_REPLY = {
    "zh": "正在为您查询，请稍候。当前咨询人数较多，请稍后再试或稍等片刻。",
    "en": "We're looking into it; please wait a moment. We're busier than usual, so please try again shortly.",
}


# How long the queue must stay short after a step down before image requests get the `full` rung again:
# about the holding reply's mean Retry-After, when the clients it held come back.
SETTLE_SECONDS = 5.0


class Overloaded(Exception):
    """No rung could answer in time: the caller sends the holding reply."""


class Refused(Overloaded):
    """Refused as it would be queued, before any work: the caller may try a cheaper rung at once."""


CHEAPER = {"full": "fast", "fast": "text", "text": "hold"}
READINGS = ("full", "fast")  # the rungs that run OCR
SMOOTHING = 0.3  # weight of the newest service time in a rung's running estimate
# The text lane starts a text answer at most every TEXT_GAP seconds (or four times its own time, if longer): what
# a text answer costs besides its answering (the upload received, stored, the turn written) is as much again, and a
# closed loop of clients answered at once would otherwise ask again and again, taking the CPU that OCR needs
# (16 clients, 30 s: with 0.3 s served OCR was 0.87-1.04 of bare in three runs, with 0.5 s 0.93, 0.96 and 1.12).
# Only while readings wait or run: spaced always, follow-ups answered from a cached reading took 487 ms p50.
TEXT_GAP = 0.5
TEXT_PACE = 3.0


class Ladder:
    def __init__(
        self,
        *,
        workers: int = 0,
        queue_size: int = 16,
        deadline: float = 10.0,
        model_slots: int = 0,
        wait_budget: float = 2.0,
    ) -> None:
        # OCR already spreads one call over several threads: one worker per two cores, at least one.
        self.workers = workers or max(1, (os.cpu_count() or 2) // 2)
        # A model engine mostly waits on its server: extra workers keep that many model calls in flight.
        self.model_slots = model_slots
        self.queue_size = queue_size
        self.deadline = deadline
        self._pool: ThreadPoolExecutor | None = None
        self._text_pool: ThreadPoolExecutor | None = None  # the text lane: one thread
        self._text_free_at = 0.0  # when the text lane's rest after its last answer ends (monotonic)
        self._lock = threading.Lock()
        self.waiting = 0  # submitted, not started
        self.readings_waiting = 0  # of which readings (full, fast)
        self.text_waiting = 0  # of which text answers (their own lane)
        self.running = 0
        self.text_running = 0  # of which text answers
        self._stepped_down = -math.inf  # when the queue last sent an image request below `full` (monotonic)
        self.wait_budget = wait_budget
        self.service: dict[str, float] = {}  # recent seconds of work per rung (kind of work), a running mean
        self.spread: dict[str, float] = {}  # and their running mean absolute deviation
        self._queued = 0.0  # expected seconds of the work queued
        self._running: dict[int, tuple[float, float]] = {}  # work started: (when, expected seconds), by task

    @property
    def depth(self) -> int:
        return self.waiting + self.running

    @property
    def full(self) -> bool:
        """The queue is full: a request arriving now gets the holding reply whatever it asks."""
        return self.waiting >= self.queue_size

    def choose(self, *, has_image: bool, model: bool = False) -> str:
        """The rung for a request arriving now (`model`: the engine has the best/greedy rungs)."""
        with self._lock:
            waiting, running = self.waiting, self.running
        if waiting >= self.queue_size:
            return self._step_down("hold")
        rung = self._image_rung(waiting) if has_image else "full"  # text-only work is cheap at every level
        busy, capacity = running + waiting, self.workers + self.model_slots
        # A model rung while a thread is free (a task just submitted may not have started yet); an upload the
        # image ladder sends to `text` stays there, since reading it would take the CPU the queued OCR needs.
        if model and rung in ("full", "fast") and busy < capacity:
            # Beam search costs the model server several times greedy: only while it has room to spare.
            return "best" if busy < max(1, capacity // 2) else "greedy"
        return rung

    def _image_rung(self, waiting: int) -> str:
        if waiting >= max(2, self.queue_size // 2):
            return self._within_budget(self._step_down("text"))
        if waiting >= self.workers:
            return self._within_budget(self._step_down("fast"))
        with self._lock:
            settling = time.monotonic() - self._stepped_down < SETTLE_SECONDS
        # Step down at once, back up only once the queue has stayed short for a while: under overload the queue
        # empties for a moment between bursts of arrivals (held clients come back together), and a full-size
        # reading then would cost the requests right behind it a third more time each.
        return self._within_budget("fast" if settling else "full")

    def _within_budget(self, rung: str) -> str:
        """The rung, or the first cheaper one whose expected wait fits the wait budget (`hold` when none does).

        A reading with no other reading waiting stands whatever the wait: it is next for the worker, and readings
        must keep flowing (measured: when a reading slowed by a busy machine shut the others out, served OCR fell
        to a third of bare capacity at 4 clients and to 0.7 at 16 while cheap answers took the CPU)."""
        first = rung
        while rung != "hold" and self._contended(rung) and self.expected_wait(rung) > self.wait_budget:
            rung = CHEAPER[rung]
        return rung if rung == first else self._step_down(rung)

    def expected_wait(self, rung: str) -> float:
        """Seconds until a request admitted now on `rung` is answered: the work ahead of it (each item at its rung's
        recent service time, started ones half done) over the workers, plus its own."""
        with self._lock:
            return self._expected(rung)

    def _contended(self, rung: str) -> bool:
        """Whether the wait budget applies: to a reading when other readings wait ahead of it (else it is next and
        stands, so OCR keeps flowing); to a text answer always, so it never waits out a long reading that runs
        (measured: text answers queued behind readings waited 2.7 s p50, 6.1 s p95 at 16 clients); to a model's
        rungs when anything waits (they run beside each other on the model's slots)."""
        if rung in READINGS:
            return bool(self.readings_waiting)
        return rung == "text" or bool(self.waiting)

    def _expected(self, rung: str) -> float:  # with the lock held
        now = time.monotonic()
        if rung == "text":  # its own lane: the text answers ahead of it, spaced while readings need the CPU
            if not self._readings_busy():
                return (self.text_waiting + self.text_running + 1) * self.estimate("text")
            ahead = (self.text_waiting + self.text_running) * self._text_spacing()
            return ahead + max(0.0, self._text_free_at - now) + self.estimate("text")
        # What is left of the work started: its estimate less the time it has run; one running past its estimate is
        # counted at a tenth of it (nearly done, or slow; either way not free). Half of it, tried at 16 clients, left
        # the text rung no room at all beside a running reading: every request that did not read was held.
        left = sum(max(estimate - (now - since), estimate / 10) for since, estimate in self._running.values())
        return (self._queued + left) / self.workers + self.estimate(rung)

    def _readings_busy(self) -> bool:  # with the lock held
        """Readings (or a model's rungs) wait or run: the CPU is theirs, and text answers are spaced."""
        return bool(self.readings_waiting or self._running)

    def _rest_while_reading(self) -> None:
        """Wait out the text lane's rest, but only while readings need the CPU: at low load (follow-ups answered
        from a cached reading, questions alone) nothing waits."""
        with self._lock:
            rest = self._text_free_at - time.monotonic() if self._readings_busy() else 0.0
        if rest > 0:
            time.sleep(rest)

    def _text_spacing(self, seconds: float | None = None) -> float:
        """Seconds from one text answer's start to the next one's."""
        own = self.estimate("text") if seconds is None else seconds
        return max(TEXT_GAP, (1 + TEXT_PACE) * own)

    def estimate(self, rung: str) -> float:
        """Seconds a piece of work on `rung` is expected to take, allowing for a slow one: its recent mean plus
        twice its spread. Readings vary with the screenshot and the machine (measured at 16 clients: OCR p50 0.8 s,
        p95 2.9 s), and with the mean alone, text answers admitted for 2 s waited 3 s p50 behind readings."""
        return self.service.get(rung, 0.0) + 2 * self.spread.get(rung, 0.0)

    def _step_down(self, rung: str) -> str:
        with self._lock:
            self._stepped_down = time.monotonic()
        return rung

    @staticmethod
    def retry_after() -> int:
        """Seconds a held customer should wait before asking again: 5 on average, spread at random over 3 to 7
        so that the clients held in one burst do not all come back in the same second to a full queue again."""
        return random.randint(3, 7)

    async def run(self, work: Callable[[], T], rung: str = "full") -> T:
        """Run blocking work of a rung on the pool; raise Overloaded at once if, as it would be queued, it expects
        to wait past the budget, or if it has not finished by the deadline.

        The check at queueing is atomic with taking the place: requests that arrive together (held clients coming
        back at once) all saw the same short queue when their rung was chosen, and would otherwise all join it."""
        text = rung == "text"
        with self._lock:
            if self._contended(rung) and self._expected(rung) > self.wait_budget:
                raise Refused
            estimate = self.estimate(rung)
            self._queued += 0.0 if text else estimate  # the readings' pool: what a reading would wait behind
            self._count(rung, waiting=1)

        def task() -> T:
            if text:  # the lane's rest after the previous text answer (not after this one: its caller waits)
                self._rest_while_reading()
            started = time.monotonic()
            token = threading.get_ident()
            with self._lock:
                self._queued = max(0.0, self._queued - (0.0 if text else estimate))
                if not text:
                    self._running[token] = (started, estimate)
                self._count(rung, waiting=-1, running=1)
            try:
                return work()
            finally:
                seconds = time.monotonic() - started
                if text:
                    self._text_free_at = started + self._text_spacing(seconds)
                self._finished(rung, token, seconds)

        future = self._executor(text).submit(task)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), timeout=self.deadline)
        except TimeoutError:
            self._leave_queue(future, rung, estimate)
            raise Overloaded from None
        except BaseException:  # the request was cancelled (the client left, the server stops) while it waited
            self._leave_queue(future, rung, estimate)
            raise

    def _count(self, rung: str, *, waiting: int = 0, running: int = 0) -> None:  # with the lock held
        self.waiting += waiting
        self.readings_waiting += waiting if rung in READINGS else 0
        self.text_waiting += waiting if rung == "text" else 0
        self.running += running
        self.text_running += running if rung == "text" else 0

    def _executor(self, text: bool = False) -> ThreadPoolExecutor:
        with self._lock:  # created at first use, or again after a shutdown (a restarted app)
            if text:
                if self._text_pool is None:
                    self._text_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="snapdesk-text")
                return self._text_pool
            if self._pool is None:
                workers = self.workers + self.model_slots
                self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="snapdesk-worker")
            return self._pool

    def _finished(self, rung: str, token: int, seconds: float) -> None:
        with self._lock:
            self._count(rung, running=-1)
            if rung != "text":
                self._running.pop(token, None)
            seen = self.service.get(rung)
            if seen is None:
                self.service[rung], self.spread[rung] = seconds, 0.0
            else:
                self.service[rung] = seen + SMOOTHING * (seconds - seen)
                self.spread[rung] += SMOOTHING * (abs(seconds - seen) - self.spread[rung])

    def _leave_queue(self, future: Future[Any], rung: str, estimate: float) -> None:
        # cancel() is True only for a task that never started (then `task` never counts it out of the queue).
        if future.cancel():
            with self._lock:
                self._queued = max(0.0, self._queued - (0.0 if rung == "text" else estimate))
                self._count(rung, waiting=-1)

    def shutdown(self) -> None:
        with self._lock:
            pools, self._pool, self._text_pool = (self._pool, self._text_pool), None, None
        for pool in pools:
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)
