"""The ladder's choice of rung from the queue, on a clock the test moves (no threads, no timing)."""

from __future__ import annotations

import itertools

import pytest

from snapdesk.service import ladder as ladder_module
from snapdesk.service.ladder import SETTLE_SECONDS, TEXT_GAP, Ladder


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    now = [1000.0]
    monkeypatch.setattr(ladder_module.time, "monotonic", lambda: now[0])
    return now


def test_rungs_follow_the_queue(clock: list[float]) -> None:
    ladder = Ladder(workers=1, queue_size=8)
    assert ladder.choose(has_image=True) == "full"
    for waiting, rung in ((1, "fast"), (3, "fast"), (4, "text"), (7, "text"), (8, "hold")):
        ladder.waiting = waiting
        assert ladder.choose(has_image=True) == rung, waiting
    assert ladder.choose(has_image=False) == "hold"  # a full queue holds every request
    ladder.waiting = 7
    assert ladder.choose(has_image=False) == "full"  # text-only work is cheap at every other level


def test_after_a_step_down_full_returns_only_once_the_queue_stayed_short(clock: list[float]) -> None:
    ladder = Ladder(workers=1, queue_size=8)
    ladder.waiting = 1
    assert ladder.choose(has_image=True) == "fast"
    ladder.waiting = 0  # the queue empties for a moment between bursts of arrivals
    assert ladder.choose(has_image=True) == "fast"
    clock[0] += SETTLE_SECONDS - 0.5
    assert ladder.choose(has_image=True) == "fast"
    # Settling counts from when the queue was last long, not from the last `fast` answer: one client asking
    # every few seconds after a burst gets `full` again.
    clock[0] += 1.0
    assert ladder.choose(has_image=True) == "full"
    ladder.waiting = 8
    assert ladder.choose(has_image=True) == "hold"  # holding counts as a step down as well
    ladder.waiting = 0
    clock[0] += 1
    assert ladder.choose(has_image=True) == "fast"


def test_retry_after_is_spread() -> None:
    seen = {Ladder.retry_after() for _ in range(300)}
    assert seen <= set(range(3, 8)) and len(seen) >= 4


def test_a_request_cancelled_while_queued_leaves_the_queue() -> None:
    import asyncio
    import threading

    ladder = Ladder(workers=1, queue_size=8, deadline=30)
    release = threading.Event()

    async def scenario() -> None:
        busy = asyncio.ensure_future(ladder.run(release.wait))  # takes the only worker
        while ladder.running == 0:
            await asyncio.sleep(0.01)
        queued = asyncio.ensure_future(ladder.run(lambda: None))
        await asyncio.sleep(0.05)
        assert (ladder.waiting, ladder.running) == (1, 1)
        queued.cancel()  # the client went away while its request waited
        with pytest.raises(asyncio.CancelledError):
            await queued
        release.set()
        await busy

    asyncio.run(scenario())
    ladder.shutdown()
    assert (ladder.waiting, ladder.running) == (0, 0)


def test_a_rung_whose_expected_wait_is_over_the_budget_gives_way_at_once() -> None:
    """Slowed work (0.3 s a reading): with three readings queued behind one worker, a reading would wait about
    1.2 s, over a 1 s budget, so a new screenshot gets a cheaper rung at once instead of a place in the queue."""
    import asyncio
    import time

    ladder = Ladder(workers=1, queue_size=16, deadline=30, wait_budget=1.0)

    def reading() -> None:
        time.sleep(0.3)

    async def scenario() -> list[object]:
        await ladder.run(reading, "full")  # the service times are learned from the work itself
        await ladder.run(reading, "fast")
        await ladder.run(lambda: None, "text")
        assert ladder.choose(has_image=True) == "full"  # an empty queue: 0.3 s expected
        blocked = [asyncio.ensure_future(ladder.run(reading, "full")) for _ in range(3)]
        await asyncio.sleep(0.05)  # one started, two queued: 0.15 + 0.6 s ahead
        rungs = [ladder.choose(has_image=True), ladder.expected_wait("full")]
        await asyncio.gather(*blocked)
        return rungs

    rung, wait = asyncio.run(scenario())
    ladder.shutdown()
    assert wait > 1.0 and rung == "text"  # full and fast would wait past the budget; text fits


def test_no_rung_within_the_budget_is_the_holding_reply_at_once(clock: list[float]) -> None:
    ladder = Ladder(workers=1, queue_size=16, wait_budget=2.0)
    for rung, seconds in {"full": 1.0, "fast": 0.8, "text": 0.05}.items():
        ladder._count(rung, running=1)  # _finished counts a task out of `running`
        ladder._finished(rung, 0, seconds)
    ladder.waiting = ladder.readings_waiting = 1
    ladder._queued = 2.5  # a reading queued ahead, 2.5 s of work in all
    assert ladder.choose(has_image=True) == "text"  # fast would be answered in 3.3 s; text has its own lane
    ladder.text_waiting = 7  # seven text answers ahead in their lane, one every TEXT_GAP: over 2 s
    assert ladder.expected_wait("text") == pytest.approx(7 * TEXT_GAP + 0.05)
    assert ladder.choose(has_image=True) == "hold"
    # No reading waiting (a slow one running, cheap answers queued): the next reading is admitted whatever the
    # wait, so readings never starve.
    ladder.readings_waiting, ladder._running = 0, {1: (clock[0], 5.0)}  # 5 s of it left
    assert ladder.choose(has_image=True) == "fast"  # fast, not full: the ladder is still settling


def test_a_text_answer_does_not_wait_out_a_reading_and_text_answers_are_spaced() -> None:
    """The text lane: a text answer is answered while a long reading runs (one worker), and the next text answer
    starts TEXT_GAP after the previous one started, so a closed loop of cheap answers cannot take the CPU."""
    import asyncio
    import time

    ladder = Ladder(workers=1, queue_size=16, deadline=30, wait_budget=5.0)
    started: list[float] = []

    def text_answer() -> None:
        started.append(time.monotonic())

    async def scenario() -> float:
        reading = asyncio.ensure_future(ladder.run(lambda: time.sleep(2.5), "full"))
        await asyncio.sleep(0.05)  # the reading runs on the only worker
        begun = time.monotonic()
        await asyncio.gather(*(ladder.run(text_answer, "text") for _ in range(3)))
        answered = time.monotonic() - begun
        await reading
        return answered

    answered = asyncio.run(scenario())
    ladder.shutdown()
    assert answered < 2.3  # all three (the third TEXT_GAP x 2 after the first) before the reading ended
    gaps = [later - earlier for earlier, later in itertools.pairwise(started)]
    assert all(gap >= TEXT_GAP - 0.01 for gap in gaps), gaps


def test_requests_arriving_together_do_not_all_join_a_queue_they_would_wait_in_past_the_budget() -> None:
    """Four readings of 0.3 s arrive together at one worker with a 1 s budget: their rung was chosen on the same
    empty queue, but as each is queued it sees the ones before it; those past the budget are held at once."""
    import asyncio
    import time

    from snapdesk.service.ladder import Overloaded

    ladder = Ladder(workers=1, queue_size=16, deadline=30, wait_budget=1.0)

    def reading() -> None:
        time.sleep(0.3)

    async def scenario() -> list[str]:
        await ladder.run(reading, "full")  # learn the reading's time

        async def one() -> str:
            try:
                await ladder.run(reading, "full")
                return "answered"
            except Overloaded:
                return "held"

        return await asyncio.gather(*(one() for _ in range(4)))

    outcomes = asyncio.run(scenario())
    ladder.shutdown()
    # Expected as each is queued (the first started or not yet): 0.3, 0.45-0.6, 0.75-0.9, then 1.05-1.2 s for the
    # fourth: over the budget, held at once instead of waiting.
    assert outcomes.count("answered") == 3 and outcomes.count("held") == 1, outcomes


def test_with_a_model_engine_an_upload_the_image_ladder_sends_to_text_stays_there() -> None:
    """The model rungs take a request while a thread is free, but an upload under a queue of readings is answered
    from the text rung (kept unread), as without a model: reading it would take the CPU the queued OCR needs."""
    ladder = Ladder(workers=1, queue_size=16, model_slots=8)
    assert ladder.choose(has_image=True, model=True) == "best"
    ladder.waiting = ladder.readings_waiting = 8  # half the queue: the image ladder's text rung
    assert ladder.choose(has_image=False, model=True) == "greedy"  # a question alone still gets the model
    assert ladder.choose(has_image=True, model=True) == "text"


def test_the_expected_wait_counts_what_is_left_of_running_work_and_the_spread_of_service_times(
    clock: list[float],
) -> None:
    ladder = Ladder(workers=1, queue_size=16, wait_budget=2.0)
    for seconds in (1.0, 3.0):  # readings vary: the estimate is their mean plus their spread
        ladder.running += 1
        ladder._finished("fast", 0, seconds)
    assert ladder.estimate("fast") == pytest.approx(1.6 + 2 * 0.6)
    ladder._running = {1: (clock[0], 2.0)}  # one reading started just now, expected to take 2 s
    assert ladder.expected_wait("fast") == pytest.approx(2.0 + ladder.estimate("fast"))
    clock[0] += 0.5
    assert ladder.expected_wait("fast") == pytest.approx(1.5 + ladder.estimate("fast"))
    clock[0] += 10.0  # running well past its estimate: a tenth of it still counts
    assert ladder.expected_wait("fast") == pytest.approx(0.2 + ladder.estimate("fast"))
    assert ladder.expected_wait("text") == 0.0  # text answers have their own lane: readings do not delay them


def test_text_answers_are_not_spaced_while_no_reading_needs_the_cpu() -> None:
    """At low load (follow-ups from a cached reading, questions alone) the text lane does not rest between answers."""
    import asyncio
    import time

    ladder = Ladder(workers=1, queue_size=16, deadline=30, wait_budget=5.0)
    started: list[float] = []

    async def scenario() -> None:
        await asyncio.gather(*(ladder.run(lambda: started.append(time.monotonic()), "text") for _ in range(3)))

    asyncio.run(scenario())
    ladder.shutdown()
    assert started[-1] - started[0] < TEXT_GAP  # three answers, no gap between them
