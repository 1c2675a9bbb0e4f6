"""What a chat turn needs from the store: the methods `ChatService` calls, so that the service depends on this
contract rather than on SQLAlchemy, and a test can hand it a recording fake."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol


class ConversationStore(Protocol):
    def owns_conversation(self, *, conversation_id: str, owner: str) -> bool: ...

    def held_by_person(self, *, conversation_id: str) -> bool:
        """Whether a person owns the conversation now (the operator inbox): then the assistant does not answer."""
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

    def last_image_digest(self, *, conversation_id: str) -> str | None: ...

    def save_image(self, *, digest: str, data: bytes, suffix: str = ".png") -> Path: ...

    def image_bytes(self, *, digest: str) -> bytes | None: ...

    def delete_image(self, *, digest: str) -> bool: ...
