"""The HTTP API fuzzed from its own OpenAPI document (schemathesis, in-process over ASGI, no network).

Every operation gets valid and invalid inputs; whatever a client sends, the answer must be a documented status
(never a 500), with the declared content type and a body that matches the declared schema.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from PIL import Image
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from snapdesk import Assistant
from snapdesk.config import Settings
from snapdesk.service.app import build_state, create_app
from snapdesk.store import Store

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    negative_data_rejection,
]

# The document does not depend on the app's state, so it is read from an app that never starts; the requests go
# to `fuzz_app`, built on a fresh data folder (the test below checks that it serves this very document).
DOCUMENT = create_app(Settings()).openapi()
schema = schemathesis.openapi.from_dict(
    DOCUMENT,
    config=schemathesis.Config.from_dict(
        {
            "generation": {
                "mode": "all",  # valid and invalid requests
                "deterministic": True,
                # The test sends an admin key itself (below), so the fuzzer neither draws nor drops Authorization.
                "with-security-parameters": False,
                # Unknown query parameters and headers are ignored, as HTTP APIs do: not a request to refuse.
                "allow-extra-parameters": False,
            },
            # Requests are independent here; linking operations (stateful) would cost minutes on two cores.
            "phases": {"stateful": {"enabled": False}},
        }
    ),
)


@pytest.fixture(scope="module")
def fuzz_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("fuzz") / "data", rate_limit_per_minute=0)


@pytest.fixture(scope="module")
def admin_key(fuzz_settings: Settings) -> dict[str, str]:
    """With an admin key every operation gets past the caller check, /admin included, so the fuzzer reaches the
    handlers. Refusals of missing, unknown and non-admin keys (401/403) are tested in test_api.py."""
    store = Store.from_settings(fuzz_settings)
    store.upgrade()
    _, secret = store.create_api_key(name="fuzz", admin=True)
    store.dispose()
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def fuzz_app(fuzz_settings: Settings, assistant: Assistant, admin_key: dict[str, str]) -> Iterator[FastAPI]:
    # An app per operation on one data folder: schemathesis ends the app's lifespan after each test, and the end
    # of the lifespan shuts the app's worker pool down for good.
    state = build_state(fuzz_settings, assistant=assistant)
    yield create_app(fuzz_settings, state=state)
    state.ladder.shutdown()
    state.store.dispose()


def test_the_app_serves_the_fuzzed_document(fuzz_app: FastAPI) -> None:
    assert TestClient(fuzz_app).get("/openapi.json").json() == DOCUMENT


@schema.parametrize()
@settings(max_examples=40, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_openapi_document(
    case: schemathesis.Case, fuzz_app: FastAPI, admin_key: dict[str, str]
) -> None:
    # A multipart form field is text whatever the schema says: the fuzzer's "text became boolean" arrives as the
    # string "false", a valid question, so its type-mutation negatives cannot be refused there. Form requests
    # keep every other check; their real refusals (missing or empty text, bad images) are tested in test_api.py.
    form = "multipart/form-data" in (case.media_type or "")
    checks = [check for check in CHECKS if not (form and check is negative_data_rejection)]
    case.call_and_validate(app=fuzz_app, headers=admin_key, checks=checks)


@pytest.mark.parametrize(
    ("headers", "overrides", "status", "media_type"),
    [
        # Each event against the document's event schema (the delta and done events).
        ({"Accept": "text/event-stream"}, {}, 200, "text/event-stream"),
        # Overloaded, strict mode: the documented 503 with its required Retry-After header.
        ({"X-SnapDesk-Strict": "1"}, {"queue_size": 0}, 503, "application/json"),
    ],
    ids=["stream", "strict-overload"],
)
def test_chat_streams_and_strict_overload_match_the_document(
    fuzz_settings: Settings,
    assistant: Assistant,
    admin_key: dict[str, str],
    headers: dict[str, str],
    overrides: dict[str, int],
    status: int,
    media_type: str,
) -> None:
    """Two answers the fuzzer does not reach by itself: it sends no Accept header, and never fills the queue."""
    app_settings = fuzz_settings.model_copy(update=overrides)
    state = build_state(app_settings, assistant=assistant)
    try:
        case = schema["/chat"]["POST"].Case(body={"text": "为什么还没发货"})
        # The strict client asked for the documented 503, so not_a_server_error does not apply; the rest do.
        checks = [check for check in CHECKS if status < 500 or check is not not_a_server_error]
        app = create_app(app_settings, state=state)
        response = case.call_and_validate(app=app, headers={**admin_key, **headers}, checks=checks)
        assert response.status_code == status, response.text
        assert response.headers["content-type"][0].startswith(media_type)
    finally:
        state.ladder.shutdown()
        state.store.dispose()


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    "size",
    [
        (1, 1),
        (1, 5000),
        (1000, 1),
        (5000, 2),
    ],
    ids=lambda size: f"{size[0]}x{size[1]}",
)
def test_degenerate_screenshots_get_an_answer_or_a_clear_refusal(
    fuzz_app: FastAPI, admin_key: dict[str, str], size: tuple[int, int]
) -> None:
    """The fuzzer's image samples are 1x1; images of extreme shapes are valid files that must not crash OCR."""
    case = schema["/chat"]["POST"].Case(body={"text": "看看这个", "image": _png(*size)})
    response = case.call_and_validate(app=fuzz_app, headers=admin_key, checks=CHECKS)
    assert response.status_code in (200, 422), response.text


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/v1/chat/completions", b'{"messages": [{"role": "user", "content": "refund \\ud800"}]}'),
        ("post", "/v1/chat/completions", b'{"model": "\\ud800", "messages": [{"role": "user", "content": "refund"}]}'),
        ("post", "/v1/chat/completions", b'{"messages": [{"role": "user", "content": "refund \\u0000"}]}'),
        ("post", "/feedback", b'{"message_id": "m", "rating": "up", "comment": "\\u0000"}'),
        ("get", "/sessions/a%00b", None),
    ],
    ids=["lone-surrogate", "surrogate-echoed", "nul-question", "nul-comment", "nul-path"],
)
def test_text_no_database_or_encoder_takes_is_422(
    fuzz_app: FastAPI, admin_key: dict[str, str], method: str, path: str, body: bytes | None
) -> None:
    """JSON escapes the fuzzer does not draw: a lone surrogate broke the UTF-8 encoders (500 on any database), NUL
    broke PostgreSQL (500 there). Both are refused up front."""
    headers = {**admin_key, "content-type": "application/json"}
    response = TestClient(fuzz_app).request(method, path, content=body, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "bad_request"
