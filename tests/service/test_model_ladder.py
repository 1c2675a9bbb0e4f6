"""The service with a model engine: its rungs under load, a dead engine, and SnapDesk as another
SnapDesk's model server. Real HTTP on loopback throughout: uvicorn serving SnapDesk, a vLLM-shaped
server (tests/engines/fake_vllm.py) or a second SnapDesk as the model."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import time
from pathlib import Path
from typing import Any

import httpx

from snapdesk import Assistant
from snapdesk.config import EngineEntry, Settings
from snapdesk.engines import load_engine
from snapdesk.service.app import build_state, create_app
from tests.engines.fake_vllm import Answer, Running
from tests.engines.test_openai_engine import grounded

DEADLINE = 4.0


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(assistant: Assistant, tmp_path: Path, base_url: str, **overrides: Any) -> Running:
    entry = EngineEntry(
        name="glm",
        base_url=base_url,
        model="zai-org/GLM-4.6V-Flash",
        timeout_seconds=3,
        failures_to_open=2,
        extra_body=overrides.pop("extra_body", {}),
    )
    values: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "rate_limit_per_minute": 0,
        "engine": "glm",
        "engines": [entry],
        "request_deadline_seconds": DEADLINE,
        **overrides,
    }
    settings = Settings(**values)
    state = build_state(settings, assistant=assistant.with_engine(load_engine("glm", entries=settings.engines)))
    return Running(create_app(settings, state=state))


async def ask_many(url: str, png: bytes, count: int, start: int = 0) -> list[tuple[int, dict[str, Any], float]]:
    async def one(client: httpx.AsyncClient, n: int) -> tuple[int, dict[str, Any], float]:
        started = time.monotonic()
        files = {"image": ("pay.png", png, "image/png")}
        response = await client.post(f"{url}/chat", data={"text": f"付款失败了，怎么回事？（第{n}次）"}, files=files)
        return response.status_code, response.json(), time.monotonic() - started

    async with httpx.AsyncClient(timeout=30) as client:
        return await asyncio.gather(*(one(client, n) for n in range(start, start + count)))


def test_forced_overload_steps_down_the_ladder_with_no_5xx(assistant, screens, vllm, tmp_path) -> None:
    vllm.requests.clear()
    vllm.default = lambda body: Answer(grounded(body).content, delay=1.5)  # a busy GPU: 1.5 s per answer
    png = screens.png("payment_risk")
    with serve(assistant, tmp_path, f"{vllm.url}/v1", workers=1, engine_concurrency=3, queue_size=6) as url:
        asyncio.run(ask_many(url, png, 1, start=100))  # the screenshot's reading is cached: the load is on the model
        vllm.requests.clear()
        results = asyncio.run(ask_many(url, png, 16))
    statuses = [status for status, _, _ in results]
    tiers = [body.get("tier") for _, body, _ in results]
    assert all(status < 500 for status in statuses), statuses
    assert "best" in tiers and len(set(tiers)) >= 3, tiers  # stepped down: greedy/full/fast/text/hold
    assert set(tiers) <= {"best", "greedy", "full", "fast", "text", "hold"}
    # The deadline runs from the moment a request reaches the ladder; intake of 16 uploads at once comes first.
    assert max(seconds for _, _, seconds in results) < DEADLINE + 3.0
    sent = vllm.requests
    assert len(sent) < 16  # the lower rungs never called the model
    assert any(body["max_tokens"] == 256 and body["temperature"] == 0 for body in sent) or "greedy" not in tiers


def test_dead_engine_answers_from_the_offline_engine(assistant, screens, tmp_path) -> None:
    png = screens.png("payment_risk")
    with serve(assistant, tmp_path, f"http://127.0.0.1:{closed_port()}/v1") as url:
        results = [asyncio.run(ask_many(url, png, 1))[0] for _ in range(4)]
        metrics = httpx.get(f"{url}/metrics").text
    assert [status for status, _, _ in results] == [200] * 4
    for _, body, seconds in results:
        assert body["tier"] == "full" and "PAY-1106" in body["answer"] and seconds < DEADLINE
    assert 'snapdesk_answer_checks_total{engine="glm",verdict="error"}' in metrics
    assert 'verdict="circuit_open"' in metrics  # after two failures the breaker stops calling the dead engine


def test_snapdesk_as_the_model_server_of_another_snapdesk(assistant, screens, tmp_path) -> None:
    upstream_settings = Settings(data_dir=tmp_path / "upstream", rate_limit_per_minute=0, max_question_chars=20000)
    upstream = create_app(upstream_settings, state=build_state(upstream_settings, assistant=assistant))
    with Running(upstream) as upstream_url:
        entry = EngineEntry(name="upstream", base_url=f"{upstream_url}/v1", model="snapdesk", timeout_seconds=20)
        downstream = assistant.with_engine(load_engine("upstream", entries=[entry]))
        result = downstream.generate(text="付款失败了，怎么回事？", image=screens.png("payment_risk"))
        metrics = httpx.get(f"{upstream_url}/metrics").text
    assert 'snapdesk_requests_total{route="/v1/chat/completions",status="200"}' in metrics
    assert result.engine == "upstream" and result.check in ("pass", "regenerated", "failed")
    assert "PAY-1106" in result.text  # the upstream read the image it was sent; or the check fell back


def sse_events(text: str) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_chat_streams_checked_sentences_as_the_model_writes(assistant, screens, vllm, tmp_path) -> None:
    vllm.requests.clear()
    vllm.default = grounded
    png = screens.png("payment_risk")
    with serve(assistant, tmp_path, f"{vllm.url}/v1") as url:
        files = {"image": ("pay.png", png, "image/png")}
        headers = {"Accept": "text/event-stream"}
        response = httpx.post(f"{url}/chat", data={"text": "付款失败了？"}, files=files, headers=headers, timeout=30)
    events = sse_events(response.text)
    assert vllm.requests[-1]["stream"] is True  # the model was asked to stream
    deltas = [data["text"] for name, data in events if name == "delta"]
    name, done = events[-1]
    assert name == "done" and done["tier"] == "best" and done["check"] == "pass"
    assert len(deltas) >= 2 and "".join(deltas) == done["answer"]  # sentence by sentence, then the whole
    assert done["escalate"] and done["team"] == "支付风控组"


def test_a_stream_that_fails_its_check_is_withdrawn(assistant, screens, vllm, tmp_path) -> None:
    vllm.requests.clear()
    # The first sentence is fine and is sent; the second invents a time limit: the answer is withdrawn.
    vllm.default = Answer("截图显示支付失败，错误码 PAY-1106。复核会在 72 小时内完成。")
    png = screens.png("payment_risk")
    thinking_off = {"chat_template_kwargs": {"enable_thinking": False}}  # sentences go out as they come
    with serve(assistant, tmp_path, f"{vllm.url}/v1", extra_body=thinking_off) as url:
        files = {"image": ("pay.png", png, "image/png")}
        headers = {"Accept": "text/event-stream"}
        response = httpx.post(f"{url}/chat", data={"text": "付款失败了？"}, files=files, headers=headers, timeout=30)
    names = [name for name, _ in sse_events(response.text)]
    events = sse_events(response.text)
    assert names[0] == "delta" and "reset" in names
    after_last_reset = len(names) - 1 - names[::-1].index("reset")
    shown = "".join(data["text"] for name, data in events[after_last_reset:] if name == "delta")
    done = events[-1][1]
    assert done["check"] == "failed" and done["tier"] == "full" and shown == done["answer"]
    assert "72" not in shown


def test_openai_stream_passes_through_with_the_sdk(assistant, screens, vllm, tmp_path) -> None:
    from openai import OpenAI

    vllm.default = grounded
    data_url = "data:image/png;base64," + base64.b64encode(screens.png("payment_risk")).decode()
    with serve(assistant, tmp_path, f"{vllm.url}/v1") as url:
        client = OpenAI(base_url=f"{url}/v1", api_key="none", max_retries=0)
        content = [{"type": "image_url", "image_url": {"url": data_url}}, {"type": "text", "text": "付款失败了？"}]
        chunks = list(
            client.chat.completions.create(
                model="snapdesk", messages=[{"role": "user", "content": content}], stream=True
            )
        )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    final = chunks[-1].model_extra["snapdesk"]
    assert final["tier"] == "best" and final["check"] == "pass" and text == final["answer"]
    assert "PAY-1106" in text
