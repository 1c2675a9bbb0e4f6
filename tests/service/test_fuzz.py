"""The HTTP API fuzzed from its own OpenAPI document (schemathesis, in-process over ASGI, no network).

Every operation gets valid and invalid inputs; whatever a client sends, the answer must be a documented status
(never a 500), with the declared content type and a body that matches the declared schema.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
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
        {"generation": {"mode": "all", "deterministic": True}, "phases": {"stateful": {"enabled": False}}}
    ),
)


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory, assistant: Assistant) -> Iterator[FastAPI]:
    app_settings = Settings(data_dir=tmp_path_factory.mktemp("fuzz") / "data", rate_limit_per_minute=0)
    state = build_state(app_settings, assistant=assistant)
    yield create_app(app_settings, state=state)
    state.ladder.shutdown()
    state.store.dispose()


def test_the_app_serves_the_fuzzed_document(fuzz_app: FastAPI) -> None:
    assert TestClient(fuzz_app).get("/openapi.json").json() == DOCUMENT


@schema.parametrize()
@settings(max_examples=30, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_openapi_document(case: schemathesis.Case, fuzz_app: FastAPI) -> None:
    case.call_and_validate(app=fuzz_app, checks=CHECKS)
