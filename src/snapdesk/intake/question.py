"""Question intake: the customer's words, checked once where they enter and carried as a `CheckedQuestion` after."""

from __future__ import annotations

import unicodedata

from snapdesk.errors import QuestionError

# Format and control characters (zero-width spaces and joiners, direction marks): text made only of them says nothing.
_INVISIBLE = frozenset({"Cf", "Cc", "Zs", "Zl", "Zp", "Mn"})


class CheckedQuestion(str):
    """Text that passed `check_question`: whoever receives one does not check it again."""


def check_question(text: str | None, *, max_chars: int) -> CheckedQuestion:
    """The question, stripped, or a QuestionError a customer can act on. A `CheckedQuestion` is returned as it is."""
    if isinstance(text, CheckedQuestion):
        return text
    question = (text or "").strip()
    if not question:
        raise QuestionError("the question is empty")
    if not any(not ch.isspace() and unicodedata.category(ch) not in _INVISIBLE for ch in question):
        raise QuestionError("the question has no visible characters")
    # The database stores neither NUL nor a lone surrogate, and no UTF-8 encoder takes the latter.
    if "\x00" in question or any("\ud800" <= ch <= "\udfff" for ch in question):
        raise QuestionError("the question contains a NUL or an unpaired surrogate character")
    if len(question) > max_chars:
        raise QuestionError(f"the question is {len(question)} characters, over the {max_chars} limit")
    return CheckedQuestion(question)
