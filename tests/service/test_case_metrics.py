"""Time to a person's first reply and time to resolve, per team, in /metrics: observed once per case, by the change
that set the moment (a second reply, or a refused reply or resolution, observes nothing); no team is "default"."""

from __future__ import annotations

from datetime import datetime

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from tests.service.test_inbox import FROZEN, chat, keys, the_case
from tests.store.test_inbox import handed_over

FIRST_REPLY = "snapdesk_case_first_reply_seconds"
RESOLVE = "snapdesk_case_resolve_seconds"


def histograms(client: TestClient) -> dict[tuple[str, str], float]:
    """(sample name, team) -> value of the two case histograms, read from the /metrics text as Prometheus does."""
    text = client.get("/metrics").text
    return {
        (sample.name, sample.labels["team"]): sample.value
        for family in text_string_to_metric_families(text)
        if family.name in (FIRST_REPLY, RESOLVE)
        for sample in family.samples
        if "le" not in sample.labels
    }


def _seconds(since: str, until: str) -> float:
    return (datetime.fromisoformat(until) - datetime.fromisoformat(since)).total_seconds()


def test_first_reply_and_resolve_times_are_observed_once_per_case_by_team(client: TestClient) -> None:
    who = keys(client)
    team = chat(client, who["shop"], FROZEN)["team"]
    case = the_case(client, who["alice"])
    work = f"/admin/inbox/{case['id']}"
    assert client.post(f"{work}/claim", headers=who["alice"]).status_code == 200
    assert client.post(f"{work}/reply", json={"text": "我来"}, headers=who["bob"]).status_code == 409
    assert histograms(client).get((f"{FIRST_REPLY}_count", team)) is None  # refused: nothing observed
    first = client.post(f"{work}/reply", json={"text": "您好"}, headers=who["alice"]).json()["case"]
    assert client.post(f"{work}/reply", json={"text": "还需要什么？"}, headers=who["alice"]).status_code == 201
    assert client.post(f"{work}/resolve", headers=who["bob"]).status_code == 409
    done = client.post(f"{work}/resolve", headers=who["alice"]).json()
    assert client.post(f"{work}/resolve", headers=who["alice"]).status_code == 409  # resolved already

    seen = histograms(client)
    assert seen[(f"{FIRST_REPLY}_count", team)] == 1.0  # two replies, one first reply
    assert abs(seen[(f"{FIRST_REPLY}_sum", team)] - _seconds(case["created_at"], first["first_reply_at"])) < 1e-3
    assert seen[(f"{RESOLVE}_count", team)] == 1.0
    assert abs(seen[(f"{RESOLVE}_sum", team)] - _seconds(case["created_at"], done["resolved_at"])) < 1e-3
    assert seen[(f"{RESOLVE}_sum", team)] >= seen[(f"{FIRST_REPLY}_sum", team)] > 0


def test_a_case_without_a_team_is_counted_as_default(client: TestClient) -> None:
    who = keys(client)
    handed_over(client.app.state.snapdesk.store, team=None)  # a knowledge base that names no team
    case = the_case(client, who["alice"])
    assert case["team"] is None
    assert client.post(f"/admin/inbox/{case['id']}/resolve", headers=who["alice"]).status_code == 200  # unanswered
    seen = histograms(client)
    assert seen[(f"{RESOLVE}_count", "default")] == 1.0
    assert (f"{FIRST_REPLY}_count", "default") not in seen
