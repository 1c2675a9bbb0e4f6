"""The embedded default engine: a grounded answer composed from the case, on a laptop CPU, no network.

It never writes policy of its own: the answer is quoted from the knowledge base, the facts from the
screenshot, the arithmetic from the fields; when no passage fits it says what it saw and hands over.
The question drives it: the passage that answers what was asked, the sentences of it that hold what
the kind of question wants, the direct answer first, then the evidence, then the hand-over.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache
from typing import ClassVar

from ..answering.describe import facts, rank_facts
from ..answering.extract import Unit, rank_units
from ..answering.grounding import CODE_LIKE, customer_messages, problem_evidence, salient_texts
from ..answering.intent import keyword_scores
from ..answering.question import Question, understand
from ..knowledge import Hit, Passage, QueryPart
from ..knowledge.glossary import equivalents
from ..knowledge.loader import DEFAULT_FALLBACK
from ..knowledge.text import detect_language, in_language, is_cjk, normalize, tokens
from ..perception.fields import Fields
from ..safety import mask_pii
from .base import Case, Engine, Reply
from .compose import UNIT_MIN, WHOLE_PASSAGE, Composer

_CATCH_ALL = re.compile(r"其他|其它|未收录|不在本文|未列出|以外|other|unlisted|not listed|unknown", re.I)
# Generic words of complaint handling and contact: they find the business's own passage on it, whose team,
# channel and hours an upset customer or one asking for a person is told.
COMPLAINT_QUERY = "投诉 不满 主管 处理结果 complaint unhappy manager supervisor"
CONTACT_QUERY = "联系客服 人工客服 在线客服 服务时间 电话 contact us live chat phone hours support agent"
# The heading of such a passage says so (a passage that merely mentions 转人工 is about something else).
_CARE_HEADING = re.compile(
    r"投诉|客服|人工|联系|complain|contact|customer care|support|manager|supervisor|person|human|agent", re.I
)
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


class OfflineEngine(Engine):
    name: ClassVar[str] = "offline"
    accepts_images: ClassVar[bool] = False

    def answer(self, case: Case) -> Reply:
        asked = case.understood
        zh = case.language == "zh"
        seen = rank_facts(facts(case.perception, case.fields, intent=case.intent, language=case.language), asked)
        wants_person = asked.wants_person or (asked.upset and asked.asks_for("contact"))
        no_problem = case.perception is not None and not problem_evidence(case.perception, case.fields)
        lead = _fitting(case)
        if asked.vague and not case.history and no_problem and not wants_person and lead is None:
            return _describe_and_ask([fact for fact, _ in seen], zh)
        # Asked about, or a deadline for a "can I" question: the window decides whether they still can.
        related = [
            r.zh if zh else r.en
            for r in case.relations
            if r.asked or (r.kind == "deadline" and asked.asks_for("eligibility"))
        ]
        if lead is None and not wants_person and not asked.upset:
            return _nothing_fits(case, [fact for fact, _ in seen], related)
        care = _care(case) if wants_person or asked.upset else None
        if care is not None and asked.upset and case.history:
            lead = care  # answered before and back upset: the people who handle complaints, not the remedy again
        keyed = _keyed(case, lead)
        # The lead's hand-over, or that of a passage found by the same code ("see 风控拦截 below", which hands over).
        prescribed = next((p for p in (lead, keyed) if p is not None and p.escalate_to), None)
        escalate = prescribed is not None or wants_person
        owner = prescribed or (_owner(case, lead, care) if escalate else None)
        team = owner.escalate_to if owner is not None else None
        composer = Composer(zh=zh, question=asked)
        if asked.upset or wants_person:
            composer.add(_apology(zh))
        screen_first = asked.vague or asked.asks_for("meaning", "status") or lead is None
        if screen_first:
            composer.add_sentence([fact for fact, _ in seen[:3]])
        composer.add_sentence(related[:2])
        # Someone who asked for a person, or is upset, hears first who takes it; otherwise the remedy comes first
        # and the hand-over the passage prescribes after it.
        handover_first = wants_person or asked.upset
        if escalate and handover_first:
            _hand_over(composer, case, owner, lead, team)
        extra = _screen_terms(case)
        answering = _answering(case, lead)
        keyed_rows = {id(p) for p in (keyed,) if p is not None and p.row is not None}
        for number, (passage, limit) in enumerate(answering):
            ranked = _unrestated(rank_units(passage, asked, extra_terms=extra), case)
            if number == 0:
                composer.add_units(ranked, limit=limit, whole_under=WHOLE_PASSAGE)
                if not screen_first:  # the evidence, after the direct answer: what bears on the question
                    composer.add_sentence([fact for fact, weight in seen[:2] if weight > 0], optional=True)
                if escalate and not handover_first:
                    _hand_over(composer, case, owner, lead, team)
            elif id(passage) in keyed_rows:  # the known issue the screen shows word for word: it bears on any question
                composer.add_units(ranked, limit=limit)
            else:  # a companion speaks only where it bears on the question
                composer.add_units([unit for unit in ranked if unit.score >= UNIT_MIN], limit=limit)
        if escalate and not handover_first and not answering:
            _hand_over(composer, case, owner, lead, team)
        used = _hits_for([p for p, _ in answering] + ([owner] if owner is not None else []), case)
        return Reply(text=mask_pii(composer.text()), escalate=escalate, team=team, passages=used)


LONG_LABEL = 40  # characters: a table label this long is an error message, not a name


def _unrestated(ranked: list[Unit], case: Case) -> list[Unit]:
    """Units without the long error message the screen already shows (a known-issues row is labelled by it): the
    customer has it in front of them, and the answer's first lines are for what they do not know."""
    shown = [key for key in (case.fields.keys if case.fields else ()) if len(key) >= LONG_LABEL]
    shown += [h for hit in case.hits for h in hit.matched_keys if len(h) >= LONG_LABEL]
    if not shown:
        return ranked
    out = []
    for unit in ranked:
        text = unit.text
        short = "该报错" if detect_language(text) == "zh" else "This error"
        for label in dict.fromkeys(shown):
            text = text.replace(label, short)
        out.append(replace(unit, text=text))
    return out


def _hand_over(composer: Composer, case: Case, owner: Passage | None, lead: Passage | None, team: str | None) -> None:
    """Who takes the case, the order number they will need, and when and how the customer will hear back."""
    zh = composer.zh
    composer.add(handover_sentence(team, zh) if team else to_a_person(zh))
    composer.add_sentence(_case_ids(case, zh), optional=True)
    if owner is not None and owner is not lead:
        composer.add_units(rank_units(owner, _reply_time_question(case.understood)), limit=2)


def _fitting(case: Case) -> Passage | None:
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
            candidates.append((_fit_value(case, hit, coverage), hit.passage))
        if asked.vague and candidates:
            break  # the first that fits, as ranked by keys and the screen
    return max(candidates, key=lambda item: item[0])[1] if candidates else None


def _fit_value(case: Case, hit: Hit, coverage: float) -> float:
    """How well a passage that fits answers the case: its score, the question's share of it weighed up, times
    the share of the question's words it holds and what the screen's exact keys say about it."""
    asked = case.understood
    screen_keys = set(case.fields.keys) | set(case.fields.statuses) if case.fields else set()
    # A code the screen shows (an error code, an exception), found verbatim in the passage, says it is about
    # this case; a status or label is weaker evidence, the question's words decide among those.
    seen = set(hit.matched_keys) & screen_keys
    boost = KEY_BOOST if any(CODE_LIKE.search(k) for k in seen) else STATUS_BOOST if seen else 1.0
    # The table row named by the code itself is the lookup's answer; a section mentioning it comes after.
    label = next(iter(hit.passage.row.values()), "") if hit.passage.row is not None else ""
    if label in hit.matched_keys and (asked.vague or CODE_LIKE.search(label) is not None):
        boost *= NAMED_ROW_BOOST
    # "Why…" or "where is…" about a state the screen shows: the passage on that state explains it.
    explains = asked.asks_for("cause", "status") and _names_state(hit.passage, case.fields)
    weight = hit.score if asked.vague or explains else hit.focus + SCREEN_SHARE * (hit.score - hit.focus)
    return weight * (0.5 + coverage) * (1 + _heading_share(asked, hit.passage)) * boost


def _heading_share(asked: Question, passage: Passage) -> float:
    """Share of the question's words the passage's heading holds: a heading names what its passage is about."""
    heading = normalize(passage.heading)
    if not heading or not asked.words:
        return 0.0
    own = frozenset(tokens(heading))
    held = [w for w in asked.words if any(e in heading if is_cjk(e[0]) else e in own for e in equivalents(w))]
    return len(held) / len(asked.words)


def _names_state(passage: Passage, fields: Fields | None) -> bool:
    """The passage is about a status the screen shows: its heading or its table row's label is that status."""
    if fields is None:
        return False
    label = next(iter(passage.row.values()), "") if passage.row is not None else passage.heading
    return normalize(label) in {normalize(status) for status in fields.statuses}


def _answering(case: Case, lead: Passage | None) -> list[tuple[Passage, int]]:
    """The passages whose sentences make the answer, and how many sentences each may give: the lead; the
    prose of its section when it is a table row (a row means something only with it); a passage found by an
    exact key from the screen (a known issue whose error text the screen shows); another that answers a
    part of the question the lead does not."""
    if lead is None:
        return []
    out = [(lead, 3)]
    if lead.row is not None:
        prose = next((p for p in case.knowledge.passages if p.row is None and _same_section(p, lead)), None)
        if prose is not None:
            out.append((prose, 1))
    keyed = _keyed(case, lead)
    if keyed is not None:
        out.append((keyed, 1))
    second = _second(case, lead)
    if second is not None:
        out.append((second, 2))
    return list({id(p): (p, n) for p, n in out}.values())


def _keyed(case: Case, lead: Passage | None) -> Passage | None:
    """Another passage found by an exact key from the screen (a code's section beside its table row)."""
    lead_keys = next((set(h.matched_keys) for h in case.hits if h.passage is lead), set())
    for hit in case.hits[:4]:
        if hit.passage is lead or not hit.matched_keys:
            continue
        named_row = hit.passage.row is not None and next(iter(hit.passage.row.values()), "") in hit.matched_keys
        if lead_keys & set(hit.matched_keys) or named_row:
            return hit.passage
    return None


def _hits_for(passages: list[Passage], case: Case) -> list[Hit]:
    """The hits of the passages the answer used, the lead first (passages found outside the hits score 0)."""
    by_passage = {id(h.passage): h for h in case.hits}
    ordered = list({id(p): p for p in passages}.values())
    return [by_passage.get(id(p)) or Hit(p, 0.0, ()) for p in ordered]


def _same_section(a: Passage, b: Passage) -> bool:
    return a.source == b.source and a.heading == b.heading


def _owner(case: Case, lead: Passage | None, care: Passage | None) -> Passage | None:
    """The passage whose team takes the case: the lead's own; else one of the same article that hands over
    (its topic's team); else the business's complaint and contact passage."""
    if lead is not None and lead.escalate_to:
        return lead
    if lead is not None:
        ranked = [h.passage for h in case.hits] + list(case.knowledge.passages)
        same = next((p for p in ranked if p.source == lead.source and p.escalate_to), None)
        if same is not None:
            return same
    return care


def _case_ids(case: Case, zh: bool) -> list[str]:
    """What the person taking over will need first: the order number the screen shows."""
    if case.fields is None or not case.fields.order_ids:
        return []
    order = case.fields.order_ids[0]
    return [f"订单号 {order}" if zh else f"order {order}"]


def _coverage(asked: Question, passage: Passage, screen: str = "") -> float:
    """Share of the question's words the passage holds, itself or in the glossary's other words for it."""
    text, own, chinese = _passage_words(passage)
    shown = normalize(screen)

    def holds(word: str) -> bool:
        return any(w in text if is_cjk(w[0]) else w in own or w in text for w in equivalents(word))

    def judged(word: str) -> bool:
        """A word the passage lacks but the screen shows names the case's object (a product, a label); one in
        the other language that the glossary cannot translate says nothing about the passage: both neutral."""
        if len(word) >= 2 and word in shown:
            return False
        return is_cjk(word[0]) == chinese or len(equivalents(word)) > 1

    held = [word for word in asked.words if holds(word)]
    counted = [word for word in asked.words if word in held or judged(word)]
    # A single character matches inside many words ("买" in "购买"): it counts a little.
    weight = {word: 0.3 if len(word) == 1 else 1.0 for word in counted}
    return sum(weight[word] for word in held) / max(sum(weight.values()), 1e-9)


@lru_cache(maxsize=4096)
def _passage_words(passage: Passage) -> tuple[str, frozenset[str], bool]:
    """The passage's normalised text, its tokens, and whether it is written in Chinese."""
    text = normalize(f"{passage.heading} {passage.article} {passage.text}")
    return text, frozenset(tokens(text)), detect_language(passage.text) == "zh"


def _second(case: Case, first: Passage | None) -> Passage | None:
    """Another passage that answers a part of the question the first does not ("is shipping extra, and is
    that the final price?")."""
    if first is None:
        return None
    asked = case.understood
    covered = set(tokens(f"{first.heading} {first.text}"))
    for hit in case.hits[1:4]:
        if hit.passage is first or hit.focus <= 0:
            continue
        new = (set(asked.terms) - covered) & set(tokens(f"{hit.passage.heading} {hit.passage.text}"))
        if len(new) >= 2:
            return hit.passage
    return None


def _care(case: Case) -> Passage | None:
    """The business's passage on complaints and reaching a person: in the screenshot's language when the
    knowledge base serves several products (the screen shows which), else in the customer's."""
    query = COMPLAINT_QUERY if case.understood.upset else CONTACT_QUERY
    hits = case.knowledge.search([QueryPart(query), QueryPart(case.question, 0.5)], limit=8)
    about_care = [h.passage for h in hits if _CARE_HEADING.search(f"{h.passage.article} {h.passage.heading}")]
    language = detect_language(case.perception.text) if case.perception is not None else case.language
    own = [p for p in about_care if case.knowledge.passage_language(p) == language]
    ranked = own or about_care
    if case.understood.upset:  # the passage that names the team taking complaints, where there is one
        return next((p for p in ranked if p.escalate_to), ranked[0] if ranked else None)
    return ranked[0] if ranked else None  # how and when to reach a person


def _reply_time_question(asked: Question) -> Question:
    """The care passage is read for when and how the customer will hear back."""
    return replace(asked, asks=("contact", "duration"), terms=(), words=(), numbers=())


def _screen_terms(case: Case) -> frozenset[str]:
    if case.fields is None:
        return frozenset()
    return frozenset(tokens(" ".join([*case.fields.statuses, *case.fields.keys])))


def _shares(case: Case, hit: Hit) -> int:
    words = [case.question, *(case.fields.statuses if case.fields else ())]
    if case.perception is not None:
        words += salient_texts(case.perception) + customer_messages(case.perception)
    return len(set(tokens(" ".join(words))) & set(tokens(f"{hit.passage.heading} {hit.passage.text}")))


def _topic(passage: Passage) -> str | None:
    scores = keyword_scores(f"{passage.article} {passage.heading} {passage.text}")
    best = max(scores, key=lambda name: scores[name])
    return best if scores[best] > 0 else None


def _nothing_fits(case: Case, seen: list[str], related: list[str]) -> Reply:
    """Honest when the knowledge base is silent: what was seen, that it is not covered, a hand-over."""
    zh = case.language == "zh"
    composer = Composer(zh=zh, question=case.understood)
    composer.add_sentence(seen[:3])
    composer.add_sentence(related[:2])
    composer.add(fallback_text(case))
    return Reply(text=mask_pii(composer.text()), escalate=True, team=None)


def fallback_text(case: Case) -> str:
    """The business's own fallback in the customer's language (a bilingual one gives its half), else the default."""
    own = case.knowledge.fallback
    parts = [p for p in re.split(r"(?<=[.!?。！？])\s*", own) if p.strip()]
    mine = [p for p in parts if in_language(p, case.language)]
    return ("" if case.language == "zh" else " ").join(mine) if mine else DEFAULT_FALLBACK[case.language]


def _describe_and_ask(seen: list[str], zh: bool) -> Reply:
    """A screenshot with no problem in sight and a question that names none: say what is seen, ask."""
    if not seen:
        text = (
            "截图中没有看到订单、支付、报错等信息，未能识别出具体问题。请描述您遇到的问题，或上传出现问题的页面截图。"
            if zh
            else "I couldn't find an order, a payment, an error or another support problem in this image. "
            "Please describe what went wrong, or send a screenshot of the page with the problem."
        )
        return Reply(text=text)
    composer = Composer(zh=zh, question=None)
    composer.add_sentence(seen)
    composer.add(
        "截图中没有看到报错或异常提示，请问您具体遇到了什么问题？"
        if zh
        else "I don't see an error or a warning on this screen; what went wrong?"
    )
    return Reply(text=mask_pii(composer.text()))


def _apology(zh: bool) -> str:
    return "非常抱歉给您带来不便。" if zh else "I'm sorry about this."


def to_a_person(zh: bool) -> str:
    """The hand-over a customer asked for, when no passage names the team."""
    if zh:
        return "已为您转接人工客服，请稍候，客服会尽快联系您。"
    return "I've passed this to a support agent; they will follow up shortly."


def handover_sentence(team: str, zh: bool) -> str:
    if zh:
        return f"已为您转交{team}人工处理，请耐心等待。"
    named = team if re.search(r"(?:team|supervisor|desk|group|department)$", team, re.I) else f"{team} team"
    return f"I've handed this to our {named}; they will follow up."
