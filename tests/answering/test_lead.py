"""Which passage leads the answer: the one the question names, not the one that repeats the question's words."""

from __future__ import annotations

from pathlib import Path

import pytest

from snapdesk import Assistant

ARTICLE = """# Sign-in help

## Push request not arriving

If a sign-in request does not arrive, check that the phone is online. Open the authenticator app and pull down to
refresh: pending sign-in requests show there. A request expires after 60 seconds; request a new one from the
sign-in page. Requests reach only the phone you registered.

## A sign-in request you didn't start

Tap Deny, then reset your password at once: someone may know it. Our Security Desk reviews recent sign-ins within
1 business day.

Escalate: Security Desk
"""


@pytest.mark.parametrize(
    "question",
    [
        "A few minutes later another sign-in request popped up and I wasn't signing in anywhere. Should I be worried?",
        "I got a sign-in request on my phone that I didn't start, is someone in my account?",
    ],
)
def test_the_passage_whose_heading_names_the_question_leads(tmp_path: Path, question: str) -> None:
    # Both passages share the question's words; the first repeats them more, the second's heading names the case.
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "kb.yaml").write_text("name: Test Co\nlanguage: en\nteams: [Security Desk]\n", encoding="utf-8")
    (kb / "sign-in.md").write_text(ARTICLE, encoding="utf-8")
    answer = Assistant.from_settings(kb_path=kb, moderators=[]).generate(text=question)
    assert answer.passages[0]["heading"] == "A sign-in request you didn't start", answer.passages
    assert answer.escalate and answer.team == "Security Desk", answer.text
    # The article wraps its lines as Markdown allows: a sentence cut by the wrap is quoted whole.
    assert "within 1 business day" in answer.text, answer.text
