"""The learning loop (console and API): a passage drafted from a resolved case's replies, shown as a diff and
added to the knowledge-base folder when an admin accepts it (then reloaded); and any customer message of a
conversation saved as an evaluation case in the shop's regression set (`snapdesk eval` runs it)."""

from __future__ import annotations

import asyncio
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from ...evaluation.saved import save_case
from ...knowledge import KnowledgeStore
from ...knowledge.drafts import add_section
from ...knowledge.text import detect_language
from ..deps import State, Text, error_responses
from ..learning import draft_from_case, test_case_from
from .admin_console import kb_summary
from .admin_shared import ADMIN_ERRORS, OPERATOR_ERRORS, AdminDep, KbReload, OperatorDep
from .inbox import CaseId, CaseNotFoundError

router = APIRouter(prefix="/admin", tags=["learning"])
Id = Annotated[Text, Path(max_length=64)]
WRITE_ERRORS = {
    **ADMIN_ERRORS,
    409: "The folder cannot be written (kb_read_only, set_not_writable) or the case id is taken",
}


class DraftOut(BaseModel):
    file: str = Field(description="The Markdown file in the knowledge-base folder the passage would be added to.")
    section: str = Field(description="The passage: a '## ' section (heading, the agent's replies, where it came from).")
    diff: str = Field(description="Unified diff of that file: what accepting adds (nothing else changes).")


class PassageIn(BaseModel):
    file: Text = Field(max_length=120, description="A Markdown file directly in the knowledge-base folder.")
    section: Text = Field(min_length=4, max_length=8000, description="One or more '## ' sections, as edited.")


class TestCaseDraft(BaseModel):
    case_id: str
    question: str
    image_digest: str | None = Field(description="The screenshot the question is about (copied into images/).")
    facts: list[str] = Field(description="Candidates for what the answer must say: fields read, clauses people wrote.")
    intent: str | None
    escalate: bool = Field(description="Whether the right response hands over (no person had to answer it).")


class TestCaseIn(BaseModel):
    conversation_id: Text = Field(max_length=64)
    message_id: Text = Field(max_length=64, description="The customer's message to test.")
    facts: list[Annotated[Text, Field(min_length=1, max_length=200)]] = Field(
        min_length=1, max_length=30, description="What the answer must say: each one a fact group of its own."
    )
    none: list[Annotated[Text, Field(min_length=1, max_length=200)]] = Field(default=[], max_length=30)
    escalate: bool | None = None
    intent: Text | None = Field(default=None, max_length=40)


class SavedCase(BaseModel):
    set: str = Field(description="The evaluation set's folder: `snapdesk eval <set>` runs it.")
    case: dict[str, Any] = Field(description="The case as written to cases.jsonl (eval-format.md).")


@router.post(
    "/inbox/{case_id}/draft",
    response_model=DraftOut,
    responses=error_responses(
        {**OPERATOR_ERRORS, 404: "No such case", 409: "nothing_to_learn: not resolved, or no reply"}
    ),
)
async def draft(state: State, _: OperatorDep, case_id: CaseId) -> dict[str, Any]:
    """Draft a knowledge-base passage from a resolved case: the codes and statuses seen and the customer's question
    as its heading, the agent's replies as its text. Nothing is written until an admin accepts it
    (POST /admin/kb/passages)."""
    case = await asyncio.to_thread(state.store.inbox_case, case_id=case_id)
    if case is None:
        raise CaseNotFoundError(f"no case {case_id}")
    made = await asyncio.to_thread(draft_from_case, case, state.assistant.knowledge.path)
    return {"file": made.file, "section": made.section, "diff": made.diff}


@router.post("/kb/passages", status_code=201, response_model=KbReload, responses=error_responses(WRITE_ERRORS))
async def accept_passage(state: State, _: AdminDep, body: PassageIn) -> dict[str, Any]:
    """Add an accepted passage at the end of a file in the knowledge-base folder (a new file gets a title; no line
    already there changes) and reload the knowledge base: the next answer can quote it."""
    knowledge: KnowledgeStore = state.assistant.knowledge
    language = knowledge.current().language or detect_language(body.section)
    await asyncio.to_thread(add_section, knowledge.path, file=body.file, section=body.section, language=language)
    await asyncio.to_thread(knowledge.reload)
    return {"reloaded": knowledge.last_error is None, **await asyncio.to_thread(kb_summary, knowledge)}


@router.get(
    "/conversations/{conversation_id}/messages/{message_id}/test-case",
    response_model=TestCaseDraft,
    responses=error_responses({**OPERATOR_ERRORS, 404: "No such conversation, or not a customer's message in it"}),
)
async def test_case_draft(state: State, _: OperatorDep, conversation_id: Id, message_id: Id) -> dict[str, Any]:
    """What saving this customer message as a test case would write, with candidate facts to tick."""
    return await _test_case(state, conversation_id, message_id)


@router.post(
    "/test-cases",
    status_code=201,
    response_model=SavedCase,
    responses=error_responses({**WRITE_ERRORS, 404: "No such conversation, or not a customer's message in it"}),
)
async def save_test_case(state: State, _: AdminDep, body: TestCaseIn) -> dict[str, Any]:
    """Append the message as a case to the regression set (eval-format.md: screenshot copied into images/, the
    question, each ticked fact a group the answer must contain)."""
    made = await _test_case(state, body.conversation_id, body.message_id)
    image = (
        await asyncio.to_thread(state.store.image_bytes, digest=made["image_digest"]) if made["image_digest"] else None
    )
    expect: dict[str, Any] = {"all": [[fact] for fact in body.facts], "none": body.none}
    if body.escalate is not None:
        expect["escalate"] = body.escalate
    if body.intent:
        expect["intent"] = body.intent
    folder = _regression_set(state)
    case = await asyncio.to_thread(
        save_case,
        folder,
        case_id=made["case_id"],
        question=made["question"],
        image=image,
        expect=expect,
        kb_path=state.assistant.knowledge.path,
    )
    return {"set": str(folder), "case": case}


async def _test_case(state: State, conversation_id: str, message_id: str) -> dict[str, Any]:
    conversation = await asyncio.to_thread(state.store.admin_conversation, conversation_id=conversation_id)
    made = test_case_from(conversation, message_id) if conversation else None
    if made is None:
        raise CaseNotFoundError(f"no customer message {message_id} in conversation {conversation_id}")
    return made


def _regression_set(state: State) -> FilePath:
    return state.settings.regression_set or state.settings.data_dir / "regression"
