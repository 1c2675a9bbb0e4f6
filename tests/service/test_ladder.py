"""The ladder's choice of rung from the queue, on a clock the test moves (no threads, no timing)."""

from __future__ import annotations

import pytest

from snapdesk.service import ladder as ladder_module
from snapdesk.service.ladder import SETTLE_SECONDS, Ladder


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
    1.2 s, over a 1 s budget, so a new screenshot gets the cheaper rungs at once, not a place in the queue."""
    import asyncio
    import threading
    import time

    ladder = Ladder(workers=1, queue_size=16, deadline=30, wait_budget=1.0)
    release = threading.Event()

    def reading() -> None:
        time.sleep(0.3)

    async def scenario() -> list[str]:
        await ladder.run(reading, "full")  # the service times are learned from the work itself
        await ladder.run(reading, "fast")
        await ladder.run(lambda: None, "text")
        assert ladder.choose(has_image=True) == "full"  # an empty queue: 0.3 s expected
        blocked = [asyncio.ensure_future(ladder.run(release.wait, "full")) for _ in range(3)]
        await asyncio.sleep(0.05)
        rungs = [ladder.choose(has_image=True), ladder.expected_wait("full") > 1.0]
        release.set()
        await asyncio.gather(*blocked)
        return rungs

    rung, over = asyncio.run(scenario())
    ladder.shutdown()
    assert over and rung == "text"  # full and fast would wait past the budget; text runs in its own lane


def test_light_work_does_not_queue_behind_readings() -> None:
    import asyncio
    import threading
    import time

    ladder = Ladder(workers=1, queue_size=16, deadline=30)
    release = threading.Event()

    async def scenario() -> float:
        busy = asyncio.ensure_future(ladder.run(release.wait, "full"))  # the only reading worker is taken
        await asyncio.sleep(0.05)
        started = time.monotonic()
        await ladder.run(lambda: None, "text")
        took = time.monotonic() - started
        release.set()
        await busy
        return took

    took = asyncio.run(scenario())
    ladder.shutdown()
    assert took < 1.0 and ladder.depth == 0


def test_no_rung_within_the_budget_is_the_holding_reply_at_once(clock: list[float]) -> None:
    ladder = Ladder(workers=1, queue_size=16, wait_budget=2.0)
    ladder.service.update({"full": 1.0, "fast": 0.8, "text": 0.5})
    ladder._backlog.update({"heavy": 6.0, "light": 4.0})  # 6 s of readings and 4 s of light work ahead
    assert ladder.choose(has_image=True) == "hold"
    ladder._backlog["light"] = 0.0
    assert ladder.choose(has_image=True) == "text"
