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
