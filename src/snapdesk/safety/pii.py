"""Personal data: mainland phone numbers, resident ID numbers, bank cards, e-mail addresses.

Found with patterns plus the checks that separate them from the long numbers a shop prints
everywhere (an order number is not a bank card): ID numbers must carry a real birth date and a
valid check digit, card numbers a valid Luhn sum and either grouping or a card label nearby.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_PHONE = re.compile(r"(?<![\d*])(?:\+?86[\s-]?)?(1[3-9]\d(?:[\s-]?\d){8})(?![\d*])")
_ID_CARD = re.compile(r"(?<![0-9A-Za-z])(\d{6})((?:18|19|20)\d{2})(\d{2})(\d{2})(\d{3}[0-9Xx])(?![0-9A-Za-z])")
_CARD = re.compile(r"(?<![\d*])(\d{4}(?:[ -]?\d{4}){2,3}(?:[ -]?\d{1,3})?)(?![\d*])")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_CARD_LABEL = re.compile(r"卡号|银行卡|信用卡|储蓄卡|card", re.IGNORECASE)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


@dataclass(frozen=True)
class PiiMatch:
    kind: str  # phone, id_card, bank_card, email
    start: int
    end: int
    masked: str


def _valid_id(match: re.Match[str]) -> bool:
    digits = "".join(match.groups()).upper()
    try:
        date(int(match.group(2)), int(match.group(3)), int(match.group(4)))
    except ValueError:
        return False
    total = sum(int(d) * w for d, w in zip(digits[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == digits[17]


def _luhn(number: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(number)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def find_pii(text: str) -> list[PiiMatch]:
    found: list[PiiMatch] = []

    def free(start: int, end: int) -> bool:
        return all(end <= m.start or start >= m.end for m in found)

    for m in _ID_CARD.finditer(text):
        if _valid_id(m):
            raw = m.group(0)
            found.append(PiiMatch("id_card", m.start(), m.end(), raw[:3] + "*" * (len(raw) - 7) + raw[-4:]))
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group(1))
        grouped = len(digits) != len(m.group(1))
        labelled = bool(_CARD_LABEL.search(text[max(0, m.start() - 12) : m.start()]))
        if 16 <= len(digits) <= 19 and _luhn(digits) and (grouped or labelled) and free(m.start(), m.end()):
            found.append(PiiMatch("bank_card", m.start(), m.end(), "**** " + digits[-4:]))
    for m in _PHONE.finditer(text):
        if free(m.start(), m.end()):
            digits = re.sub(r"\D", "", m.group(1))
            found.append(PiiMatch("phone", m.start(), m.end(), digits[:3] + "****" + digits[-4:]))
    for m in _EMAIL.finditer(text):
        if free(m.start(), m.end()):
            user, _, domain = m.group(0).partition("@")
            found.append(PiiMatch("email", m.start(), m.end(), user[:1] + "***@" + domain))
    return sorted(found, key=lambda m: m.start)


def mask_pii(text: str) -> str:
    """The text with every piece of personal data replaced by its masked form."""
    out, last = [], 0
    for match in find_pii(text):
        out.append(text[last : match.start])
        out.append(match.masked)
        last = match.end
    out.append(text[last:])
    return "".join(out)
