"""Text helpers shared by the knowledge base and later stages: tokens, exact-match keys, Markdown to text.

Tokens are Chinese character bigrams, the longer words a segmenter finds in the same text (see
segment.py), and crudely stemmed English words. Bigrams match the way customers abbreviate
("验证码过期" vs "验证码已过期"); the words make a match on "优惠券" count more than one on "优惠".
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

from .segment import words

# Query filler that says nothing about the topic. Multi-character entries are removed before the
# single characters so that "为什么" goes as a whole instead of leaving "为".
ZH_STOP_WORDS: tuple[str, ...] = (
    "为什么", "怎么办", "怎么样", "能不能", "是不是", "请问", "怎么", "怎样", "如何", "什么", "为啥",
    "一下", "这个", "那个", "可以", "我们", "你们", "的", "了", "吗", "呢", "吧", "啊", "呀",
    "哦", "我", "你", "您", "是", "在",
)  # fmt: skip

EN_STOP_WORDS: frozenset[str] = frozenset((
    "a", "an", "the", "is", "are", "was", "were", "be", "been", "am", "do", "does", "did", "to", "of",
    "in", "on", "at", "for", "from", "by", "with", "and", "or", "my", "your", "our", "me", "i", "you",
    "we", "it", "its", "this", "that", "these", "those", "why", "how", "what", "when", "where", "which",
    "who", "can", "could", "would", "should", "will", "please", "hi", "hello", "there",
))  # fmt: skip

_LATIN_WORD_RE = re.compile(r"[A-Za-z]+")
_ZH_STOP_RE = re.compile("|".join(sorted(ZH_STOP_WORDS, key=len, reverse=True)))
# Dotted numbers stay whole so a version such as 5.2.1 is one token, not three common digits.
_ASCII_TOKEN_RE = re.compile(r"\d+(?:\.\d+)+|[a-z0-9]+")


def is_cjk(ch: str) -> bool:
    """True for a CJK ideograph (punctuation and full-width forms are not ideographs)."""
    code = ord(ch)
    return (
        0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF or 0x20000 <= code <= 0x2FA1F
    )


def normalize(text: str) -> str:
    """NFKC + casefold: full-width letters, digits and colons become ASCII so both widths match."""
    return unicodedata.normalize("NFKC", text).casefold()


def detect_language(text: str) -> Literal["zh", "en"]:
    """Chinese ("zh") when ideographs outweigh English words, an English word counting as 1.5 ideographs.

    Counting words rather than letters keeps a Chinese sentence full of class names and codes
    ("日志含 java.lang.NullPointerException") Chinese, and an English question quoting one Chinese
    label English. Text with neither counts as Chinese, the language SnapDesk mostly serves.
    """
    cjk = sum(1 for ch in text if is_cjk(ch))
    words = len(_LATIN_WORD_RE.findall(text))
    return "en" if words and cjk < 1.5 * words else "zh"


def in_language(text: str, language: str) -> bool:
    """Whether `text` is written in `language` ("zh" or "en"), by the same weighing as detect_language."""
    cjk = sum(1 for ch in text if is_cjk(ch))
    latin = len(_LATIN_WORD_RE.findall(text))
    return cjk >= 1.5 * latin if language == "zh" else latin > 0 and cjk < 1.5 * latin


def _stem(word: str) -> str:
    """Crude suffix stripping so that refund/refunds/refunded/refunding share one term."""
    if not word.isalpha() or len(word) <= 3:
        return word
    if word.endswith("ing") and len(word) >= 6:
        word = _undouble(word[:-3])
    elif word.endswith("ed") and len(word) >= 5:
        word = _undouble(word[:-2])
    elif word.endswith("es") and word[:-2].endswith(("s", "x", "z", "ch", "sh")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    # expire/expired/expires: without this the bare verb would keep an "e" the others lost.
    if word.endswith("e") and len(word) >= 5:
        word = word[:-1]
    return word


def _undouble(word: str) -> str:
    """shipp(ed) -> ship, but call(ed) and miss(ed) keep their double letter."""
    if len(word) >= 3 and word[-1] == word[-2] and word[-1] not in "aeiouylsz":
        return word[:-1]
    return word


def _cjk_runs(text: str) -> list[str]:
    """Maximal runs of ideographs, split again wherever a stop word sat."""
    runs: list[str] = []
    current: list[str] = []
    for ch in text + " ":
        if is_cjk(ch):
            current.append(ch)
        elif current:
            runs.extend(r for r in _ZH_STOP_RE.split("".join(current)) if r)
            current = []
    return runs


def tokens(text: str) -> list[str]:
    """Index terms: Chinese character bigrams (a lone character when a run is one long) and
    lower-cased, crudely stemmed ASCII words and numbers; stop-words and punctuation dropped."""
    norm = normalize(text)
    out: list[str] = []
    for run in _cjk_runs(norm):
        if len(run) == 1:
            out.append(run)
        else:
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
            if len(run) >= 3:
                out.extend(words(run))
    # Ideographs are not [a-z0-9], so the ASCII pass simply skips over the Chinese text.
    for word in _ASCII_TOKEN_RE.findall(norm):
        if word not in EN_STOP_WORDS:
            out.append(_stem(word))
    return out


def cjk_unigrams(text: str) -> list[str]:
    """Single ideographs (stop words removed): a weak extra signal when no bigram is shared."""
    return [ch for run in _cjk_runs(normalize(text)) for ch in run]


# --- exact-match keys: the strings a screenshot shows verbatim and a passage must be found by ---

_ID_START = r"(?<![A-Za-z0-9_])"
_ID_END = r"(?![A-Za-z0-9_])"
_KEY_PATTERNS: tuple[re.Pattern[str], ...] = (
    # ERR_1003, SYS_5001, EXC_BAD_ACCESS: upper-case words joined by underscores.
    re.compile(_ID_START + r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+" + _ID_END),
    # PAY-4021, E-402: the dash must not be a continuation of a longer code.
    re.compile(r"(?<![A-Za-z0-9_-])[A-Z][A-Z0-9]{0,7}-\d{2,6}" + _ID_END),
    re.compile(r"(?<![A-Za-z0-9_])HTTP\s*[1-5]\d\d(?!\d)", re.IGNORECASE),
    re.compile(_ID_START + r"0x[0-9A-Fa-f]{4,16}" + _ID_END),
    # The class name alone: java.lang.NullPointerException -> NullPointerException (a dot precedes it).
    re.compile(_ID_START + r"[A-Z][A-Za-z0-9]*(?:Exception|Error|Activity|Controller|Fragment)" + _ID_END),
)
# Quoted UI strings; long quotations are sentences, not labels a screenshot would show.
_QUOTE_RE = re.compile(r"“([^”\n]{1,24})”|\"([^\"\n]{1,24})\"|「([^」\n]{1,24})」")


def _canonical_key(key: str) -> str:
    if key[:4].upper() == "HTTP":
        return "HTTP " + key[4:].strip()
    return key


def extract_keys(text: str) -> tuple[str, ...]:
    """Error codes, exception/class names and quoted UI strings in `text`, in order of appearance."""
    found: list[tuple[int, str]] = []
    ascii_text = unicodedata.normalize("NFKC", text)  # full-width ＥＲＲ＿１００３ is the same code
    for pattern in _KEY_PATTERNS:
        found.extend((m.start(), _canonical_key(m.group(0))) for m in pattern.finditer(ascii_text))
    for m in _QUOTE_RE.finditer(text):
        quoted = next(g for g in m.groups() if g is not None).strip()
        if quoted:
            found.append((m.start(), quoted))
    keys: dict[str, str] = {}
    for _, key in sorted(found):
        keys.setdefault(normalize(key), key)
    return tuple(keys.values())


# --- Markdown inline markup -> plain text ---

_INLINE_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),
    (re.compile(r"\[([^\]]+)\]\(((?:https?://|mailto:)[^)\s]+)[^)]*\)"), r"\1 (\2)"),
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),
    (re.compile(r"`([^`\n]+)`"), r"\1"),
    (re.compile(r"\*\*(.+?)\*\*"), r"\1"),
    (re.compile(r"~~(.+?)~~"), r"\1"),
    (re.compile(r"\*([^*\n]+)\*"), r"\1"),
    # Underscore emphasis only away from identifiers, so EXC_BAD_ACCESS and ERR_1003 survive.
    (re.compile(_ID_START + r"__([^_\n]+)__" + _ID_END), r"\1"),
    (re.compile(_ID_START + r"_([^_\n]+)_" + _ID_END), r"\1"),
    (re.compile(r"<br\s*/?>", re.IGNORECASE), " "),
    (re.compile(r"<!--.*?-->"), ""),
    (re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~])"), r"\1"),
)


def strip_inline_markdown(text: str) -> str:
    """Remove emphasis, code ticks, link syntax and escapes, keeping the words (and a link's URL)."""
    for pattern, replacement in _INLINE_RULES:
        text = pattern.sub(replacement, text)
    return text.strip()


# --- Markdown block structure -> plain lines ---

HEADING_RE = re.compile(r"^(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
_TABLE_RULE_RE = re.compile(r"^\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?$")
_HR_RE = re.compile(r"^(?:[-*_]\s*){3,}$")


def is_table_rule(line: str) -> bool:
    """The |---|:--:| line under a table header."""
    return bool(_TABLE_RULE_RE.match(line.strip()))


def table_cells(line: str) -> list[str]:
    """Cells of a table row as plain text; "\\|" is a literal pipe inside a cell."""
    inner = line.strip().removeprefix("|")
    if inner.endswith("|") and not inner.endswith("\\|"):
        inner = inner[:-1]
    return [strip_inline_markdown(cell) for cell in re.split(r"(?<!\\)\|", inner)]


def table_row(header: list[str], cells: list[str]) -> dict[str, str]:
    """Header -> cell; a short row is padded and surplus cells are kept in the last column."""
    width = len(header)
    cells = cells + [""] * (width - len(cells))
    cells = [*cells[: width - 1], " | ".join(c for c in cells[width - 1 :] if c)]
    return dict(zip([h or f"#{k + 1}" for k, h in enumerate(header)], cells, strict=True))


def plain_line(line: str) -> str:
    """One Markdown line as plain text: quote marks, heading marks and rules dropped, bullets as "- "."""
    text = line.strip()
    while text.startswith(">"):
        text = text[1:].lstrip()
    if _HR_RE.match(text):
        return ""
    heading = HEADING_RE.match(text)
    if heading:
        text = heading.group(2)
    elif text[:2] in ("* ", "+ "):
        text = "- " + text[2:].lstrip()
    return strip_inline_markdown(text)
