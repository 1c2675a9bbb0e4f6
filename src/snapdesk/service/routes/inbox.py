"""The operator inbox (admin and agent keys): hand-overs as cases that a person claims, answers in the customer's
conversation and resolves. While a person holds a case the assistant does not answer in that conversation
(service/chat.py); once it is resolved, it answers again. The store makes every change one transaction and a claim
atomic across replicas (store/inbox.py).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field

from ...errors import SnapDeskError
from ...intake import check_encoded
from ...safety import mask_pii
from ..deps import Caller, State, Text, error_responses
from ..image_urls import read_image_url
from ..state import AppState
from ..upload import bytes_digest
from .admin_shared import OPERATOR_ERRORS, ConsoleMessage, HandoverSummary, OperatorDep

router = APIRouter(prefix="/admin/inbox", tags=["inbox"])


class CaseNotFoundError(SnapDeskError):
    code = "case_not_found"
    http_status = 404


class AlreadyClaimedError(SnapDeskError):
    code = "already_claimed"
    http_status = 409


class NotClaimedError(SnapDeskError):
    code = "not_claimed"
    http_status = 409


class CaseResolvedError(SnapDeskError):
    code = "case_resolved"
    http_status = 409


class Case(BaseModel):
    id: str = Field(description="The case's id: its conversation's first hand-over since the last resolved case.")
    conversation_id: str
    message_id: str = Field(description="The answer that handed the conversation over.")
    team: str | None
    summary: HandoverSummary
    state: Literal["open", "claimed", "resolved"]
    claimed_by: str | None = Field(description="The id of the key holding the case.")
    claimed_by_name: str | None = Field(description="That key's name.")
    claimed_at: datetime | None
    first_reply_at: datetime | None = Field(description="When a person first replied in the conversation.")
    resolved_at: datetime | None
    created_at: datetime = Field(description="When the customer was handed over: waiting since.")


class TeamCount(BaseModel):
    team: str | None = Field(description="null: the knowledge base's default team.")
    open: int


class Inbox(BaseModel):
    view: Literal["open", "mine", "resolved"]
    order: Literal["waiting", "newest"]
    cases: list[Case]
    open_per_team: list[TeamCount] = Field(description="Open cases per team, most first.")


class CaseView(Case):
    messages: list[ConsoleMessage] = Field(description="The conversation: questions, answers, people's replies.")
    answer: ConsoleMessage | None = Field(description="The answer that handed over: fields, evidence, passages.")


class ReplyIn(BaseModel):
    text: Text = Field(min_length=1, max_length=4000, description="Shown to the customer as text, as written.")
    image: str | None = Field(
        default=None,
        description="A picture to show the customer with the reply, as a base64 `data:` URL (PNG, JPEG, WebP...), "
        "within the image size limit.",
    )


class Replied(BaseModel):
    message_id: str
    case: Case


CaseId = Annotated[Text, Path(max_length=64)]
REFUSED = "already_claimed (another agent holds the case), case_resolved"
CASE_ERRORS = error_responses({**OPERATOR_ERRORS, 404: "No such case"})
CHANGE_ERRORS = error_responses({**OPERATOR_ERRORS, 404: "No such case", 409: REFUSED})
REPLY_ERRORS = error_responses(
    {
        **OPERATOR_ERRORS,
        400: "The picture is not a base64 data: URL",
        404: "No such case",
        409: f"{REFUSED}, not_claimed (claim first)",
        413: "The picture is over the image size or pixel limit",
        415: "The picture is not an image, or not in a supported format",
    }
)


def _found(case: dict[str, Any] | None, case_id: str) -> dict[str, Any]:
    if case is None:
        raise CaseNotFoundError(f"no case {case_id}")
    return case


def _changed(
    outcome: tuple[Any, dict[str, Any] | None], case_id: str, caller: Caller, *, replying: bool = False
) -> dict[str, Any]:
    """The case after a change the store made (the outcome's first item: claimed, resolved, the reply's id), or
    why it made none."""
    done, case = outcome
    if not done:
        raise _refuse(_found(case, case_id), caller, replying=replying)
    return _found(case, case_id)


def _refuse(case: dict[str, Any], caller: Caller, *, replying: bool = False) -> SnapDeskError:
    """Why a change was refused, from the case as it is now."""
    if case["state"] == "resolved":
        return CaseResolvedError(f"case {case['id']} is resolved")
    if case["state"] == "claimed" and case["claimed_by"] != caller.key_id:
        return AlreadyClaimedError(f"case {case['id']} is already claimed by {case['claimed_by_name']}")
    if replying and case["state"] == "open":
        return NotClaimedError(f"claim case {case['id']} before replying")
    # Open, yet not claimable: an answer handed over again just as another agent claimed the conversation.
    return AlreadyClaimedError(f"another agent holds the conversation of case {case['id']}")


def _wake_webhook(state: AppState) -> None:
    """The reply's or resolution's event is stored (store/outbox.py): send it now rather than at the next poll."""
    if state.delivery is not None:
        state.delivery.wake.set()


@router.get("", response_model=Inbox, responses=error_responses(OPERATOR_ERRORS))
async def inbox(
    state: State,
    caller: OperatorDep,
    view: Literal["open", "mine", "resolved"] = "open",
    order: Annotated[
        Literal["waiting", "newest"] | None,
        Query(description="Longest-waiting or newest first; by default waiting (open, mine) and newest (resolved)."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    """The cases in a view (open; mine: claimed with this key; resolved), each once, and the open ones per team."""
    return await asyncio.to_thread(state.store.inbox, view=view, agent_id=caller.key_id, order=order, limit=limit)


@router.get("/{case_id}", response_model=CaseView, responses=CASE_ERRORS)
async def case(state: State, _: OperatorDep, case_id: CaseId) -> dict[str, Any]:
    """A case: the conversation (each message with its screenshot digest, evidence boxes, fields, passages), the
    answer that handed it over, and the team."""
    return _found(await asyncio.to_thread(state.store.inbox_case, case_id=case_id), case_id)


@router.post("/{case_id}/claim", response_model=Case, responses=CHANGE_ERRORS)
async def claim(state: State, caller: OperatorDep, case_id: CaseId) -> dict[str, Any]:
    """Take the case: from now on the customer's messages in its conversation go to this key's person and the
    assistant does not answer there. One holder at a time, across replicas; claiming one's own case again is fine."""
    take = partial(state.store.claim_case, agent_id=caller.key_id, agent_name=caller.name)
    return _changed(await asyncio.to_thread(take, case_id=case_id), case_id, caller)


@router.post("/{case_id}/reply", status_code=201, response_model=Replied, responses=REPLY_ERRORS)
async def reply(request: Request, state: State, caller: OperatorDep, case_id: CaseId, body: ReplyIn) -> dict[str, Any]:
    """Reply in the customer's conversation (a case this key holds). The customer sees it as text, as written; the
    request log has it with personal data masked."""
    request.state.log_fields = {"case": case_id, "reply": mask_pii(body.text)}
    digest = await _keep_picture(state, body.image) if body.image else None
    write = partial(state.store.reply_to_case, agent_id=caller.key_id, agent_name=caller.name, text=body.text)
    # A refused reply leaves its picture stored: the same bytes may be another message's (stored under the same
    # digest), so deleting it could take that one's away; the retention purge removes it in time.
    replied = await asyncio.to_thread(write, case_id=case_id, image_digest=digest)
    case = _changed(replied, case_id, caller, replying=True)
    state.arrivals.notify(case["conversation_id"])  # the customer's open page, if it waits on this replica
    if case["first_reply"]:  # this reply set the case's first_reply_at: observed once per case
        state.metrics.observe_case(case, until="first_reply_at")
    _wake_webhook(state)
    return {"message_id": replied[0], "case": case}


async def _keep_picture(state: AppState, url: str) -> str:
    """A reply's picture checked as an upload is (size, format, pixels; decoded and moderated when first shown) and
    stored under the digest of its bytes, before the reply that names it."""
    data = read_image_url(url, limit=state.settings.max_image_bytes, allowed_hosts=())
    await asyncio.to_thread(check_encoded, data, limits=state.assistant.limits)
    digest = bytes_digest(data)
    await asyncio.to_thread(state.store.save_image, digest=digest, data=data)
    return digest


@router.post("/{case_id}/resolve", response_model=Case, responses=CHANGE_ERRORS)
async def resolve(state: State, caller: OperatorDep, case_id: CaseId) -> dict[str, Any]:
    """Close the case (open, or held by this key; an admin key may close one another agent holds): the assistant
    answers in the conversation again."""
    close = partial(state.store.resolve_case, agent_id=caller.key_id, any_holder=caller.admin, resolved_by=caller.name)
    case = _changed(await asyncio.to_thread(close, case_id=case_id), case_id, caller)
    state.arrivals.notify(case["conversation_id"])
    state.metrics.observe_case(case, until="resolved_at")  # _changed let through only the call that resolved it
    _wake_webhook(state)
    return case
