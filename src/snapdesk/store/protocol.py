"""What a chat turn needs from the store: the methods `ChatService` calls, so that the service depends on this
contract rather than on SQLAlchemy, and a test can hand it a recording fake."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol


@dataclass(frozen=True)
class TurnContext:
    """An existing conversation as a new turn in it finds it."""

    held_by_person: bool  # its case is claimed in the operator inbox: the assistant does not answer
    last_image_digest: str | None  # its newest screenshot, the one a follow-up without an upload is about


class ConversationStore(Protocol):
    def conversation_for_turn(self, *, conversation_id: str, owner: str) -> TurnContext | None:
        """None when the conversation does not exist or is someone else's; else what a new turn in it needs."""
        ...

    def begin_turn(
        self,
        *,
        owner: str | None = None,
        conversation_id: str | None,
        text: str,
        image_digest: str | None = None,
        status: str = "pending",
        error_code: str | None = None,
    ) -> tuple[str, str]:
        """Record the customer's message (a new conversation when `conversation_id` is None): its ids."""
        ...

    def finish_turn(
        self, *, conversation_id: str, question_id: str, handover: dict[str, Any] | None = None, **answer: Any
    ) -> str:
        """Record the answer (and the hand-over) and mark the question answered, in one transaction."""
        ...

    def complete_message(self, *, message_id: str, status: str, error_code: str | None = None) -> bool: ...

    def history(self, *, conversation_id: str, limit: int = 8) -> list[dict[str, Any]]: ...

    def save_image(self, *, digest: str, data: bytes, suffix: str = ".png") -> Path: ...

    def image_bytes(self, *, digest: str) -> bytes | None: ...

    def delete_image(self, *, digest: str) -> bool: ...
