"""The learning loop over HTTP, on a knowledge base of our own (Brightwire Electronics, English) and a real photo
through the real OCR: a question no article covers is handed over, a person answers and resolves it; the drafted
passage is accepted into the folder, after which the same photo and question get the person's answer from the
assistant; the turn saved as a test case is a set that `snapdesk eval` runs and scores 1.0."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from snapdesk import Assistant
from snapdesk.cli import app as cli
from snapdesk.config import Settings
from snapdesk.service.app import build_state, create_app
from snapdesk.service.learning import draft_from_case
from tests.service.test_inbox import chat, keys, the_case
from tests.test_real_screenshots import real

KBS = Path(__file__).resolve().parents[1] / "kbs"
QUESTION = "Can I still get the student discount on this receipt?"
REPLIES = [
    "Student discounts are applied at checkout only, with a verified student account.",
    "A receipt that is already paid cannot be discounted afterwards; use the discount on your next order.",
]


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[tuple[TestClient, Path]]:
    kb = tmp_path / "kb"
    shutil.copytree(KBS / "brightwire_electronics", kb)
    settings = Settings(data_dir=tmp_path / "data", kb_path=kb, rate_limit_per_minute=0, moderators=[])
    assistant = Assistant.from_settings(settings)
    with TestClient(create_app(settings, state=build_state(settings, assistant=assistant))) as client:
        yield client, kb
        client.app.state.snapdesk.store.dispose()


def test_a_persons_answer_becomes_a_passage_and_a_regression_case(
    shop: tuple[TestClient, Path], tmp_path: Path
) -> None:
    client, kb = shop
    who = keys(client)
    receipt = real("en_photo_paper_receipt_cafe_cord.png").read_bytes()
    handed = chat(client, who["shop"], QUESTION, receipt)
    assert handed["escalate"] is True, handed["answer"]  # no Brightwire article covers it
    case = the_case(client, who["alice"])
    refused = client.post(f"/admin/inbox/{case['id']}/draft", headers=who["alice"])
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "nothing_to_learn"  # not resolved
    assert client.post(f"/admin/inbox/{case['id']}/claim", headers=who["alice"]).status_code == 200
    for text in REPLIES:
        assert (
            client.post(f"/admin/inbox/{case['id']}/reply", json={"text": text}, headers=who["alice"]).status_code
            == 201
        )
    assert client.post(f"/admin/inbox/{case['id']}/resolve", headers=who["alice"]).status_code == 200

    files_before = {p.name: p.read_bytes() for p in kb.iterdir()}
    drafted = client.post(f"/admin/inbox/{case['id']}/draft", headers=who["alice"])
    assert drafted.status_code == 200, drafted.text
    draft = drafted.json()
    assert draft["file"] == "answers-from-support.md" and draft["section"].startswith(f"## {QUESTION}")
    added = [line[1:] for line in draft["diff"].splitlines() if line.startswith("+") and not line.startswith("+++")]
    assert "# Answers from our support team" in added and REPLIES[0] in added
    assert not any(line.startswith("-") and not line.startswith("---") for line in draft["diff"].splitlines())
    assert {p.name: p.read_bytes() for p in kb.iterdir()} == files_before  # a draft writes nothing

    passage = {"file": draft["file"], "section": draft["section"]}
    assert client.post("/admin/kb/passages", json=passage, headers=who["alice"]).status_code == 403  # admins accept
    accepted = client.post("/admin/kb/passages", json=passage, headers=who["ops"])
    assert accepted.status_code == 201 and accepted.json()["reloaded"], accepted.text
    assert {p.name: p.read_bytes() for p in kb.iterdir() if p.name in files_before} == files_before  # others intact
    assert REPLIES[1] in (kb / draft["file"]).read_text(encoding="utf-8")

    again = chat(client, who["shop"], QUESTION, receipt)  # a new conversation, the same photo and question
    assert again["escalate"] is False and REPLIES[0] in again["answer"], again["answer"]
    assert any(p["id"].startswith(draft["file"]) for p in again["passages"])

    question_id = client.get(f"/sessions/{handed['session_id']}", headers=who["shop"]).json()["messages"][0]["id"]
    offered = client.get(
        f"/admin/conversations/{handed['session_id']}/messages/{question_id}/test-case", headers=who["alice"]
    ).json()
    assert offered["question"] == QUESTION and offered["image_digest"] and offered["escalate"] is False
    facts = [fact for fact in offered["facts"] if "verified student account" in fact or "checkout only" in fact]
    assert facts, offered["facts"]
    body = {"conversation_id": handed["session_id"], "message_id": question_id, "facts": facts, "escalate": False}
    saved = client.post("/admin/test-cases", json=body, headers=who["ops"])
    assert saved.status_code == 201, saved.text
    folder = Path(saved.json()["set"])
    (line,) = (folder / "cases.jsonl").read_text(encoding="utf-8").splitlines()
    case_line = json.loads(line)
    assert (folder / case_line["image"]).read_bytes() == receipt and (folder / "kb").resolve() == kb.resolve()
    assert client.post("/admin/test-cases", json=body, headers=who["ops"]).status_code == 409  # saved once

    result = CliRunner().invoke(cli, ["eval", str(folder), "--json"], env={"SNAPDESK_MODERATORS": "[]"})
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output[result.output.index("{") :])
    assert summary["cases"] == 1 and summary["mean_score"] == 1.0 and summary["escalation_accuracy"] == 1.0


def test_a_draft_masks_personal_data_an_agent_wrote(tmp_path: Path) -> None:
    messages = [
        {"id": "q", "role": "user", "text": "积分怎么没到账"},
        {"id": "a", "role": "assistant", "text": "已转人工"},
        {"id": "r", "role": "agent", "text": "已为手机 13800138000 的账户补发积分"},
    ]
    case = {"id": "c", "state": "resolved", "message_id": "a", "team": None, "messages": messages, "answer": None}
    draft = draft_from_case(case, tmp_path)
    assert "13800138000" not in draft.section and "138****8000" in draft.section
