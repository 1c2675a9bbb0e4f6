"""Which knowledge-base passages fit a case.

Exact keys first (error codes, exception and class names, statuses the knowledge base names), then
lexical ranking over the question and what the screenshot stresses. Two rules make the choice
robust for any knowledge base, not only one:
- a passage about *other* codes or exceptions than the ones on screen is about another case;
- among passages that differ by a threshold in their heading ("超过 3 天" vs "超过 7 天"), the one
  whose threshold the observed duration has passed is the one that applies.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from ..knowledge import Hit, KnowledgeBase, QueryPart
from ..knowledge.glossary import expand
from ..knowledge.text import detect_language, tokens
from ..perception import DIALOG, RED_TEXT, TOAST, WARNING, Perception
from ..perception.fields import Fields
from ..safety import looks_like_instruction
from .intent import VOCABULARY, keyword_scores
from .question import Question
from .thresholds import apply_thresholds

PROBLEM_WORDS = (
    "失败",
    "错误",
    "不足",
    "超出",
    "超过",
    "过期",
    "冻结",
    "驳回",
    "不可用",
    "无法",
    "异常",
    "未更新",
    "不完整",
    "缺少",
    "不一致",
    "风险",
    "暂停",
    "拒绝",
    "未通过",
    "未满",
    "未达到",
    "没有",
    "不能",
    "碎",
    "坏",
    "破损",
    "发错",
    "少发",
    "漏发",
    "failed",
    "error",
    "expired",
    "declined",
    "exceeded",
    "insufficient",
    "invalid",
    "unable",
    "not ",
    "locked",
    "frozen",
    "rejected",
    "incomplete",
    "missing",
    "denied",
    "overdue",
)
# Keys that name one specific case: error codes, exceptions, the app classes of a crash.
CODE_LIKE = re.compile(
    r"^[A-Z]{1,8}[_-]?\d{2,6}$|Exception$|Error$|^EXC_|^SIG[A-Z]+$|^ANR$|[a-z](?:Activity|Fragment|Controller)$"
)


_CLASS_KEY = re.compile(r"[a-z](?:Activity|Fragment|Controller)$")


@dataclass(frozen=True)
class Grounding:
    hits: list[Hit]
    query: str
    keys: list[str]


def salient_texts(perception: Perception | None) -> list[str]:
    """Texts the screenshot stresses with colour, a dialog or a toast, or that state a problem."""
    if perception is None:
        return []
    out: list[str] = []
    for block in perception.blocks:
        text = block.text
        if looks_like_instruction(text) or block.box[3] < perception.height * 0.09:
            continue  # an instruction is data; the top bar holds the clock and the page title
        stressed = block.cues & {WARNING, RED_TEXT, DIALOG, TOAST}
        if (stressed and len(text) >= 4) or has_problem_words(text):
            out.append(text)
    return out


def customer_messages(perception: Perception) -> list[str]:
    """Chat bubbles on the right-hand side: what the customer wrote."""
    out = []
    for block in perception.blocks:
        x0, _, x1, _ = block.box
        right = x1 > perception.width * 0.8 and x0 > perception.width * 0.2
        cjk = sum(1 for ch in block.text if "\u4e00" <= ch <= "\u9fff")
        wordy = cjk >= 4 or len(block.text.split()) >= 3  # not a "Send" button or a time stamp
        if right and wordy and not re.fullmatch(r"[\d:\-/ 年月日]+", block.text):
            out.append(block.text)
    return out


def has_problem_words(text: str) -> bool:
    lowered = text.lower()
    return any(word in lowered for word in PROBLEM_WORDS)


def problem_evidence(perception: Perception | None, fields: Fields | None) -> bool:
    """The screenshot itself shows something wrong: a code, an exception, a stated problem."""
    if fields is not None and (fields.codes or fields.exceptions):
        return True
    if perception is not None and perception.screen == "chat" and customer_messages(perception):
        return True  # a customer writing to support is the problem
    return any(has_problem_words(text) for text in salient_texts(perception))


# How much each source of query words counts. The question leads; what the screen stresses says what it is
# about when the question names nothing ("怎么办？") and breaks ties when it does.
QUESTION_WEIGHT = 1.0
TRANSLATION_WEIGHT = 0.55  # the glossary's words for the question's concepts (other language, synonyms)
SCREEN_WEIGHT = 0.5
CHAT_WEIGHT = 0.8
CONTEXT_WEIGHT = 0.35  # earlier turns of the conversation
INTENT_WEIGHT = 0.3  # the intent's generic words, only for a question that names nothing


def ground(
    knowledge: KnowledgeBase,
    *,
    question: Question,
    intent: str,
    perception: Perception | None,
    fields: Fields | None,
    context: str = "",
    problems: Sequence[str] = (),
    limit: int = 6,
) -> Grounding:
    """The passages for a case, best first. `problems` are relations computed from the screen alone ("below the
    coupon's minimum by 33.50"): they name the problem in words the knowledge base uses."""
    screen_keys = list(fields.keys) if fields else []
    passage_keys = {key for passage in knowledge.passages for key in passage.keys}
    screen_text = perception.text if perception is not None else ""
    # A status is a key when the knowledge base names it in a label or heading ("退款被驳回怎么办"), not when a
    # passage merely uses the word ("商品在运输中破损").
    labels = [*passage_keys, *(p.heading for p in knowledge.passages)]
    statuses = [s for s in (fields.statuses if fields else ()) if any(s in label for label in labels)]
    # A label of the knowledge base's that the question names ("立即开通", "支付失败") is an exact key too.
    named = [k for k in passage_keys if _specific(k) and k in question.text]
    keys = list(dict.fromkeys(screen_keys + statuses + named + _rows_on_screen(knowledge, screen_text)))
    # A customer's own messages in a chat screenshot are their question, whoever forwards it.
    chat = " ".join(customer_messages(perception)) if perception is not None and perception.screen == "chat" else ""
    screen = " ".join([*statuses, *salient_texts(perception)[:6]])
    # Asked in the other language than the screen's, the glossary's words are the bridge to its articles.
    across = bool(screen_text.strip()) and detect_language(screen_text) != question.language
    translation_weight = QUESTION_WEIGHT if across else TRANSLATION_WEIGHT
    parts = [
        QueryPart(question.topic, QUESTION_WEIGHT, focus=True),
        QueryPart(expand(question.topic), translation_weight, focus=True),
        QueryPart(chat, CHAT_WEIGHT, focus=True),
        QueryPart(expand(chat), CHAT_WEIGHT * translation_weight, focus=True),
        QueryPart(screen, SCREEN_WEIGHT),
        # Problems computed from the screen ("below the coupon's minimum") say what a "why" is about: the question.
        QueryPart(" ".join(problems), SCREEN_WEIGHT, focus=question.vague or question.asks_for("cause")),
        QueryPart(context, CONTEXT_WEIGHT),
    ]
    if question.vague:
        parts.append(QueryPart(" ".join(VOCABULARY.get(intent, ())[:6]), INTENT_WEIGHT))
    hits = knowledge.search(parts, keys=keys, limit=max(limit * 2, 12))
    hits = [hit for hit in hits if not _about_other_case(hit, screen_keys)]
    hits = _prefer_screen_language(hits, knowledge, screen_text)
    hits = _unmet_conditions(hits, f"{question.text} {screen} {' '.join(problems)}")
    if question.vague:
        hits = _rerank_by_intent(hits, intent)
    hits = apply_thresholds(hits, fields, question.text)
    query = " ".join(part.text for part in parts if part.text)
    return Grounding(hits=hits[:limit], query=query, keys=keys)


# A heading that applies only past a condition ("退款超过预计到账时间仍未到账", "Still crashing on the latest
# version"), and the words with which a customer or a screen says the condition holds.
_CONDITION_HEADING = re.compile(r"超过|仍未|仍然|还是没|未到|逾期|still|overdue|more than|not .* yet|past ", re.I)
_CONDITION_MET = re.compile(r"超过|还没|没|未|仍|不|过了|still|not|n't|yet|past|overdue|again|no ", re.I)
UNMET_CONDITION = 0.7


def _unmet_conditions(hits: list[Hit], said: str) -> list[Hit]:
    if _CONDITION_MET.search(said):
        return hits
    damped = [
        replace(hit, score=hit.score * UNMET_CONDITION, focus=hit.focus * UNMET_CONDITION)
        if _CONDITION_HEADING.search(hit.passage.heading) and not hit.matched_keys
        else hit
        for hit in hits
    ]
    return sorted(damped, key=lambda hit: (len(hit.matched_keys), hit.score), reverse=True)


ROW_ON_SCREEN = 0.75  # share of a long table label's words the screen must show to count as showing it


def _rows_on_screen(knowledge: KnowledgeBase, screen_text: str) -> list[str]:
    """Table rows named by a long label the screen shows almost word for word: an error message in a known-issues
    table ("A non-null String must be provided to a Text widget (…)"), which OCR rarely reads exactly."""
    if not screen_text:
        return []
    shown = set(tokens(screen_text))
    return [label for label, words in knowledge.long_row_labels if len(words & shown) >= ROW_ON_SCREEN * len(words)]


def _specific(key: str) -> bool:
    """Long enough to name one thing: "立即开通", "Accepted"; not "我的" or "OK"."""
    return len(key) >= 3 if any("\u4e00" <= ch <= "\u9fff" for ch in key) else len(key) >= 4


# A knowledge base written for several products in two languages: the screenshot's language says which
# product it shows, so its articles come first among equals.
SCREEN_LANGUAGE_BOOST = 2.5


def _prefer_screen_language(hits: list[Hit], knowledge: KnowledgeBase, screen_text: str) -> list[Hit]:
    if not screen_text.strip() or not knowledge.mixed_languages:
        return hits
    language = detect_language(screen_text)
    boosted = [
        replace(hit, score=hit.score * SCREEN_LANGUAGE_BOOST, focus=hit.focus * SCREEN_LANGUAGE_BOOST)
        if knowledge.passage_language(hit.passage) == language
        else hit
        for hit in hits
    ]
    return sorted(boosted, key=lambda hit: (len(hit.matched_keys), hit.score), reverse=True)


def _about_other_case(hit: Hit, screen_keys: list[str]) -> bool:
    """The passage names specific codes, exceptions or app classes, and the screen shows others.

    Compared kind by kind: an IllegalStateException in LiveRoomActivity is not the known
    IllegalStateException in CheckoutFragment.
    """
    for kind in (_CLASS_KEY, None):
        own = {k.lower() for k in hit.passage.keys if CODE_LIKE.search(k) and _kind(k) is kind}
        seen = {k.lower() for k in screen_keys if CODE_LIKE.search(k) and _kind(k) is kind}
        if own and seen and not own & seen:
            return True
    return False


def _kind(key: str) -> re.Pattern[str] | None:
    return _CLASS_KEY if _CLASS_KEY.search(key) else None


def _rerank_by_intent(hits: list[Hit], intent: str) -> list[Hit]:
    def key(hit: Hit) -> tuple[int, float]:
        scores = keyword_scores(f"{hit.passage.article} {hit.passage.heading} {hit.passage.text}")
        best = max(scores, key=lambda name: scores[name])
        boost = 1.35 if scores[best] > 0 and best == intent else 1.0
        return (1 if hit.matched_keys else 0, hit.score * boost)

    return sorted(hits, key=key, reverse=True)
