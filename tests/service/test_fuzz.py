"""The HTTP API fuzzed from its own OpenAPI document (schemathesis, in-process over ASGI, no network).

Every operation gets valid and invalid inputs; whatever a client sends, the answer must be a documented status
(never a 500), with the declared content type and a body that matches the declared schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
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


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory, assistant: Assistant) -> Iterator[schemathesis.BaseSchema]:
    data_dir: Path = tmp_path_factory.mktemp("fuzz") / "data"
    app_settings = Settings(data_dir=data_dir, rate_limit_per_minute=0)
    state = build_state(app_settings, assistant=assistant)
    app = create_app(app_settings, state=state)
    config = schemathesis.Config.from_dict(
        {
            "seed": 20261124,
            "generation": {"mode": "all", "deterministic": True},
            "phases": {"stateful": {"enabled": False}},
        }
    )
    yield schemathesis.openapi.from_asgi("/openapi.json", app, config=config)
    state.ladder.shutdown()
    state.store.dispose()


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_openapi_document(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=CHECKS)
