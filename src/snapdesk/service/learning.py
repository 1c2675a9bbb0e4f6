"""What people's answers teach, worked out from a stored conversation: the knowledge-base passage an agent's
replies in a resolved case make (knowledge/drafts.py writes it once an admin accepts), and the evaluation case a
conversation's turn makes (evaluation/saved.py), with the facts an admin may tick as what the answer must say.
HTTP-free: the routes are in routes/learning.py."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..errors import SnapDeskError
from ..knowledge.drafts import Draft, draft_section, plan
from ..knowledge.text import detect_language
from ..safety import mask_pii

# Candidate facts: the screenshot's fields worth checking, and the clauses of what people (or the answer) said.
_FACT_FIELDS = ("codes", "order_ids", "statuses", "amounts", "tracking_numbers", "exceptions")
_CLAUSES = re.compile(r"[。！？；，、,!?;\n]+|\.\s")
MIN_CLAUSE, MAX_CLAUSE, MAX_FACTS = 4, 60, 30


class NothingToLearnError(SnapDeskError):
    code = "nothing_to_learn"
    http_status = 409


def field_values(fields: dict[str, Any] | None, names: tuple[str, ...] = _FACT_FIELDS) -> list[str]:
    """The values of these fields as printed on the screenshot ("¥3,299.00", not 3299.00)."""
    values: list[str] = []
    for name in names:
        for value in (fields or {}).get(name) or []:
            shown = value.get("shown") or value.get("code") or value.get("value") if isinstance(value, dict) else value
            if shown and str(shown) not in values:
                values.append(str(shown))
    return values


def question_of(messages: list[dict[str, Any]], answer_id: str) -> dict[str, Any] | None:
    """The customer's message that `answer_id` answered: the last one before it."""
    at = next((i for i, m in enumerate(messages) if m["id"] == answer_id), 0)
    return next((m for m in reversed(messages[:at]) if m["role"] == "user"), None)


def draft_from_case(case: dict[str, Any], kb_root: Path) -> Draft:
    """The passage a resolved case's replies make, as a diff against the knowledge-base folder."""
    if case["state"] != "resolved":
        raise NothingToLearnError(f"case {case['id']} is not resolved yet: draft from what was finally answered")
    replies = [m["text"] for m in case["messages"] if m["role"] == "agent"]
    asked = question_of(case["messages"], case["message_id"])
    if not replies or asked is None:
        raise NothingToLearnError(f"nobody replied in case {case['id']}: there is nothing to learn from")
    fields = (case.get("answer") or {}).get("fields")
    language = detect_language(asked["text"])
    # Masked: an accepted passage may be quoted to any customer, and a reply may hold this customer's phone or ID.
    section = draft_section(
        question=mask_pii(asked["text"]),
        replies=[mask_pii(reply) for reply in replies],
        codes=field_values(fields, ("codes", "statuses")),
        team=case["team"],
        source=case["id"],
        language=language,
    )
    return plan(kb_root, section=section, language=language)


def test_case_from(conversation: dict[str, Any], message_id: str) -> dict[str, Any] | None:
    """What a saved test case of this customer message would hold: the question, its screenshot (its own, else
    the conversation's last before it), and the facts to choose from; None when it is not a customer's message."""
    messages = conversation["messages"]
    at = next((i for i, m in enumerate(messages) if m["id"] == message_id and m["role"] == "user"), None)
    if at is None:
        return None
    asked = messages[at]
    image = next(
        (m["image_digest"] for m in reversed(messages[: at + 1]) if m["role"] == "user" and m["image_digest"]), None
    )
    after = messages[at + 1 :]
    answer = next((m for m in after if m["role"] == "assistant"), None)
    said = [m["text"] for m in after if m["role"] == "agent"] or ([answer["text"]] if answer else [])
    facts = field_values(answer["fields"] if answer else None) + clauses(said)
    return {
        "case_id": f"{conversation['id'][:8]}-{message_id[:8]}",
        "question": asked["text"],
        "image_digest": image,
        "facts": list(dict.fromkeys(facts))[:MAX_FACTS],
        "intent": answer["intent"] if answer else None,
        "escalate": bool(answer and answer["escalate"]) and not any(m["role"] == "agent" for m in after),
    }


def clauses(texts: list[str]) -> list[str]:
    """The clauses of what was said, each short enough to be found in an answer's opening."""
    found = []
    for text in texts:
        for part in _CLAUSES.split(text):
            part = part.strip(" “”\"'()（）")
            if MIN_CLAUSE <= len(part) <= MAX_CLAUSE:
                found.append(part)
    return found
