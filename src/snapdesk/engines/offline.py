"""The embedded default engine: a grounded answer composed from the case, on a laptop CPU, no network.

It never writes policy of its own: the answer is quoted from the knowledge base, the facts from the
screenshot, the arithmetic from the fields; when no passage fits it says what it saw and hands over.
The question drives it: the passage that answers what was asked, the sentences of it that hold what
the kind of question wants, the direct answer first, then the evidence, then the hand-over.
"""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from ..answering.describe import facts, rank_facts
from ..answering.extract import Unit, rank_units
from ..answering.grounding import problem_evidence
from ..knowledge import Hit, Passage
from ..knowledge.text import detect_language, tokens
from ..safety import mask_pii
from .base import Case, Engine, Reply
from .compose import UNIT_MIN, WHOLE_PASSAGE, Composer
from .fitting import lead_passage
from .handover import apology, care_passage, fallback_text, hand_over, owner_of


class OfflineEngine(Engine):
    name: ClassVar[str] = "offline"
    accepts_images: ClassVar[bool] = False

    def answer(self, case: Case) -> Reply:
        asked = case.understood
        zh = case.language == "zh"
        seen = rank_facts(facts(case.perception, case.fields, intent=case.intent, language=case.language), asked)
        wants_person = asked.wants_person or (asked.upset and asked.asks_for("contact"))
        no_problem = case.perception is not None and not problem_evidence(case.perception, case.fields)
        lead = lead_passage(case)
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
        care = care_passage(case) if wants_person or asked.upset else None
        if care is not None and asked.upset and case.history:
            lead = care  # answered before and back upset: the people who handle complaints, not the remedy again
        keyed = _keyed(case, lead)
        # The lead's hand-over, or that of a passage found by the same code ("see 风控拦截 below", which hands over).
        prescribed = next((p for p in (lead, keyed) if p is not None and p.escalate_to), None)
        escalate = prescribed is not None or wants_person
        owner = prescribed or (owner_of(case, lead, care) if escalate else None)
        team = owner.escalate_to if owner is not None else None
        composer = Composer(zh=zh, question=asked)
        if asked.upset or wants_person:
            composer.add(apology(zh))
        screen_first = asked.vague or asked.asks_for("meaning", "status") or lead is None
        if screen_first:
            composer.add_sentence([fact for fact, _ in seen[:3]])
        composer.add_sentence(related[:2])
        # Someone who asked for a person, or is upset, hears first who takes it; otherwise the remedy comes first
        # and the hand-over the passage prescribes after it.
        handover_first = wants_person or asked.upset
        if escalate and handover_first:
            hand_over(composer, case, owner, lead, team)
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
                    hand_over(composer, case, owner, lead, team)
            elif id(passage) in keyed_rows:  # the known issue the screen shows word for word: it bears on any question
                composer.add_units(ranked, limit=limit)
            else:  # a companion speaks only where it bears on the question
                composer.add_units([unit for unit in ranked if unit.score >= UNIT_MIN], limit=limit)
        if escalate and not handover_first and not answering:
            hand_over(composer, case, owner, lead, team)
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


def _screen_terms(case: Case) -> frozenset[str]:
    if case.fields is None:
        return frozenset()
    return frozenset(tokens(" ".join([*case.fields.statuses, *case.fields.keys])))


def _nothing_fits(case: Case, seen: list[str], related: list[str]) -> Reply:
    """Honest when the knowledge base is silent: what was seen, that it is not covered, a hand-over."""
    zh = case.language == "zh"
    composer = Composer(zh=zh, question=case.understood)
    composer.add_sentence(seen[:3])
    composer.add_sentence(related[:2])
    composer.add(fallback_text(case))
    return Reply(text=mask_pii(composer.text()), escalate=True, team=None)


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
