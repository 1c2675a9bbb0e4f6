"""Which passage answers the case: the lead of the offline engine's answer.

Among the best few passages (exact keys first) and the one the question's own words favour most, the one whose
score, share of the question's words and heading fit the question best; it must hold enough of the question, or
an exact key from the screen. A question that names nothing leaves the choice to the screen's topic.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..answering.grounding import CODE_LIKE, customer_messages, salient_texts
from ..answering.intent import keyword_scores
from ..answering.question import Question, understand
from ..knowledge import Hit, Passage
from ..knowledge.glossary import equivalents
from ..knowledge.text import detect_language, is_cjk, normalize, tokens
from ..perception.fields import Fields
from .base import Case

_CATCH_ALL = re.compile(r"其他|其它|未收录|不在本文|未列出|以外|other|unlisted|not listed|unknown", re.I)

# How much of the question's words a passage must hold to answer it: a share, not a BM25 score (scores grow
# with the size of the knowledge base, shares do not).
COVERAGE_MIN = 0.25
KEY_BOOST = 1.6
STATUS_BOOST = 1.3
NAMED_ROW_BOOST = 1.6
# Among passages that fit, what the question's own words gave a passage counts whole and what the screen and the
# exact keys gave counts this much: the screen says what the case is about, the question what is asked of it.
# (On the two development sets 0.35 chose best; 0.25 and 0.5 each lost two to four cases.)
SCREEN_SHARE = 0.35


def lead_passage(case: Case) -> Passage | None:
    """The passage that answers the case: among the best few, the one whose score (question and screen) and
    share of the question's words are highest together; it must hold enough of the question, or an exact key
    from the screen. A question that names nothing: the screen's topic decides."""
    asked = case.understood
    unknown_code = bool(case.fields and any(CODE_LIKE.search(k) for k in case.fields.keys))
    candidates: list[tuple[float, Passage]] = []
    screen = case.perception.text if case.perception else ""
    # In a chat screenshot the customer's own messages ask the question too, whoever forwards it.
    chat = (
        customer_messages(case.perception) if case.perception is not None and case.perception.screen == "chat" else []
    )
    readers = [asked, understand(" ".join(chat), default_language=asked.language)] if chat else [asked]
    problems = _problem_readers(case)
    # The first few as ranked (exact keys first), and the one the question's own words favour most.
    pool = case.hits[:4]
    asked_most = max(case.hits, key=lambda hit: hit.focus, default=None)
    if asked_most is not None and asked_most not in pool and not asked.vague:
        pool = [*pool, asked_most]
    for hit in pool:
        specific = any(CODE_LIKE.search(k) for k in hit.passage.keys)
        if unknown_code and specific and not hit.matched_keys and not _CATCH_ALL.search(hit.passage.heading):
            continue  # a passage about another code would be invented policy; a general one still applies
        coverage = max(_coverage(q, hit.passage, screen) for q in readers)
        if asked.vague:
            fits = hit.matched_keys or (_topic(hit.passage) in (None, case.intent) and case.intent != "other")
            fits = fits and (bool(hit.matched_keys) or _shares(case, hit) >= 2)
        else:
            fits = bool(hit.matched_keys) or (hit.focus > 0 and coverage >= COVERAGE_MIN)
        if fits:
            candidates.append((_fit_value(case, hit, coverage, readers, problems), hit.passage))
        if asked.vague and candidates:
            break  # the first that fits, as ranked by keys and the screen
    return max(candidates, key=lambda item: item[0])[1] if candidates else None


def _fit_value(case: Case, hit: Hit, coverage: float, readers: list[Question], problems: list[Question]) -> float:
    """How well a passage that fits answers the case: its score, the question's share of it weighed up, times
    the share of the question's words it holds and what the screen's exact keys say about it."""
    asked = case.understood
    screen_keys = set(case.fields.keys) | set(case.fields.statuses) if case.fields else set()
    # A code the screen shows (an error code, an exception), found verbatim in the passage, says it is about
    # this case; a status or label is weaker evidence, the question's words decide among those.
    seen = set(hit.matched_keys) & screen_keys
    coded = any(CODE_LIKE.search(k) for k in seen)
    boost = KEY_BOOST if coded else STATUS_BOOST if seen else 1.0
    # The table row named by the code itself is the lookup's answer; a section mentioning it comes after.
    label = next(iter(hit.passage.row.values()), "") if hit.passage.row is not None else ""
    if label in hit.matched_keys and (asked.vague or CODE_LIKE.search(label) is not None):
        boost *= NAMED_ROW_BOOST
    # A code the screen shows says what the case is, whatever the question's words (exact lookup first); so does a
    # state the screen shows for "why…" or "where is…": the passage on that state explains it.
    explains = coded or (asked.asks_for("cause", "status") and _names_state(hit.passage, case.fields))
    weight = hit.score if asked.vague or explains else hit.focus + SCREEN_SHARE * (hit.score - hit.focus)
    heading = max(_heading_share(reader, hit.passage) for reader in readers)
    problem = max((_heading_share(reader, hit.passage) for reader in problems), default=0.0)
    return weight * (0.5 + coverage) * (1 + heading) * (1 + problem) * boost


def _problem_readers(case: Case) -> list[Question]:
    """For "why…" (or a question that names nothing), the problems computed from the screen ("below the coupon's
    minimum by 33.50") say what is asked about too: a heading that names them ("满减券门槛") is about the case."""
    asked = case.understood
    if not (asked.vague or asked.asks_for("cause")) or not case.relations:
        return []
    said = " ".join(r.zh if asked.language == "zh" else r.en for r in case.relations)
    return [understand(said, default_language=asked.language)]


def _heading_share(asked: Question, passage: Passage) -> float:
    """Share of the question's words the passage's heading holds: a heading names what its passage is about."""
    heading = normalize(passage.heading)
    if not heading or not asked.words:
        return 0.0
    own = frozenset(tokens(heading))
    held = [word for word in asked.words if _holds(word, heading, own, english_inside=False)]
    return len(held) / len(asked.words)


def _holds(word: str, text: str, own: frozenset[str], *, english_inside: bool = True) -> bool:
    """Whether the text says the word, itself or in the glossary's other words for it: Chinese anywhere in the text,
    English as one of its tokens (or, with `english_inside`, anywhere in it)."""
    return any(e in text if is_cjk(e[0]) else e in own or (english_inside and e in text) for e in equivalents(word))


def _names_state(passage: Passage, fields: Fields | None) -> bool:
    """The passage is about a status the screen shows: its heading or its table row's label is that status."""
    if fields is None:
        return False
    label = next(iter(passage.row.values()), "") if passage.row is not None else passage.heading
    return normalize(label) in {normalize(status) for status in fields.statuses}


def _coverage(asked: Question, passage: Passage, screen: str = "") -> float:
    """Share of the question's words the passage holds, itself or in the glossary's other words for it."""
    text, own, chinese = _passage_words(passage)
    shown = normalize(screen)

    def judged(word: str) -> bool:
        """A word the passage lacks but the screen shows names the case's object (a product, a label); one in
        the other language that the glossary cannot translate says nothing about the passage: both neutral."""
        if len(word) >= 2 and word in shown:
            return False
        return is_cjk(word[0]) == chinese or len(equivalents(word)) > 1

    held = [word for word in asked.words if _holds(word, text, own)]
    counted = [word for word in asked.words if word in held or judged(word)]
    # A single character matches inside many words ("买" in "购买"): it counts a little.
    weight = {word: 0.3 if len(word) == 1 else 1.0 for word in counted}
    return sum(weight[word] for word in held) / max(sum(weight.values()), 1e-9)


@lru_cache(maxsize=4096)
def _passage_words(passage: Passage) -> tuple[str, frozenset[str], bool]:
    """The passage's normalised text, its tokens, and whether it is written in Chinese."""
    text = normalize(f"{passage.heading} {passage.article} {passage.text}")
    return text, frozenset(tokens(text)), detect_language(passage.text) == "zh"


def _shares(case: Case, hit: Hit) -> int:
    words = [case.question, *(case.fields.statuses if case.fields else ())]
    if case.perception is not None:
        words += salient_texts(case.perception) + customer_messages(case.perception)
    return len(set(tokens(" ".join(words))) & set(tokens(f"{hit.passage.heading} {hit.passage.text}")))


def _topic(passage: Passage) -> str | None:
    scores = keyword_scores(f"{passage.article} {passage.heading} {passage.text}")
    best = max(scores, key=lambda name: scores[name])
    return best if scores[best] > 0 else None
