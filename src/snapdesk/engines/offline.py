"""The embedded default engine: a grounded answer composed from the case, on a laptop CPU, no network.

It never writes policy of its own: the remedy is quoted from the knowledge base, the facts from the
screenshot, the arithmetic from the fields; when no passage fits it says what it saw and hands over.
"""

from __future__ import annotations

import re
from typing import ClassVar

from ..answering.describe import facts
from ..answering.grounding import CODE_LIKE, customer_messages, problem_evidence, salient_texts
from ..answering.intent import VOCABULARY, asks_for_person, keyword_scores
from ..answering.relations import relations
from ..knowledge import Hit, Passage
from ..knowledge.loader import DEFAULT_FALLBACK
from ..knowledge.text import tokens
from ..safety import mask_pii
from .base import Case, Engine, Reply

_SENTENCE_END = re.compile(r"(?<=[。！？；;\n])|(?<=[.!?])\s+")
_ACTION = re.compile(
    r"请|可以|可在|点击|需|建议|处理|联系|升级|更换|重新|补充|修改|申请|申诉|等待|关闭|充值|"
    r"please|click|tap|contact|update|upgrade|retry|try|change|apply|wait|you can",
    re.I,
)
_SYMPTOM = re.compile(r"^\s*(现象|symptom|cause)\s*[:：]", re.I)
_CATCH_ALL = re.compile(r"其他|其它|未收录|不在本文|未列出|以外|other|unlisted|not listed|unknown", re.I)
# Characters: the customer reads the first few lines. English needs more letters for the same content.
_ANSWER_BUDGET = {"zh": 280, "en": 460}


class OfflineEngine(Engine):
    name: ClassVar[str] = "offline"
    accepts_images: ClassVar[bool] = False

    def answer(self, case: Case) -> Reply:
        zh = case.language == "zh"
        seen = facts(case.perception, case.fields, intent=case.intent, language=case.language)
        wants_person = asks_for_person(case.question)
        vague = not any(keyword_scores(case.question + " " + " ".join(t.text for t in case.history)).values())
        no_problem = case.perception is not None and not problem_evidence(case.perception, case.fields)
        if vague and no_problem and not wants_person:
            return _describe_and_ask(seen, zh)
        chosen = _fitting(case)
        related = [r.zh if zh else r.en for r in relations(case.fields, question=case.question)] if case.fields else []
        if wants_person and (vague or not chosen):
            # Asked for a person, about nothing the knowledge base answers: handed over with what was seen.
            text = _sentence(seen, zh) + _sentence(related, zh) + to_a_person(zh)
            return Reply(text=mask_pii(text), escalate=True)
        if not chosen:
            return self._nothing_fits(case, seen, related)
        companions = [h for h in case.hits if h is not chosen[0] and set(h.matched_keys) & set(chosen[0].matched_keys)]
        used = chosen + companions[:1]
        team = next((h.passage.escalate_to for h in used if h.passage.escalate_to), None)
        parts = [_sentence(seen, zh), _sentence(related, zh)]
        handover = handover_sentence(team, zh) if team else to_a_person(zh) if wants_person else ""
        head = "".join(p for p in parts if p)
        budget = _ANSWER_BUDGET.get(case.language, 280) - len(head) - len(handover)
        remedy = _remedy(chosen[0].passage, max(budget, 60), zh)
        text = head + remedy + handover
        return Reply(text=mask_pii(text), escalate=bool(team) or wants_person, team=team, passages=used)

    def _nothing_fits(self, case: Case, seen: list[str], related: list[str]) -> Reply:
        zh = case.language == "zh"
        perception = case.perception
        if case.intent == "other" and (perception is None or not seen):
            return _describe_and_ask([], zh)  # no problem in sight: ask, don't hand over an empty case
        intro = _sentence(seen, zh) + _sentence(related, zh)
        # The business's own wording when it is in the customer's language; else the default in theirs.
        knowledge = case.knowledge
        fallback = knowledge.fallback if knowledge.language == case.language else DEFAULT_FALLBACK[case.language]
        return Reply(text=mask_pii(intro + fallback), escalate=True, team=None)


def _fitting(case: Case) -> list[Hit]:
    """The best hit that really fits: an exact key, or the case's topic and enough shared words.

    When the screen names a code or exception the knowledge base does not know, only a catch-all
    passage ("其他未收录的闪退") fits: a passage about something else would be invented policy.
    """
    unknown_code = bool(case.fields and any(CODE_LIKE.search(k) for k in case.fields.keys))
    for hit in case.hits[:3]:
        if hit.matched_keys:
            return [hit]
        if case.intent == "other":
            continue  # no topic: only an exact key says a passage is about this case
        if unknown_code and not _CATCH_ALL.search(f"{hit.passage.heading} {hit.passage.text}"):
            continue
        if _topic(hit.passage) not in (None, case.intent) and case.intent != "other":
            continue  # a refund article does not answer a payment failure, however many words they share
        shared = _case_tokens(case) & set(tokens(f"{hit.passage.heading} {hit.passage.text}"))
        if len(shared) >= 2:
            return [hit]
    return []


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
    ask = (
        "截图中没有看到报错或异常提示，请问您具体遇到了什么问题？"
        if zh
        else "I don't see an error or a warning on this screen; what went wrong?"
    )
    return Reply(text=mask_pii(_sentence(seen, zh) + ask))


def _topic(passage: Passage) -> str | None:
    scores = keyword_scores(f"{passage.article} {passage.heading} {passage.text}")
    best = max(scores, key=lambda name: scores[name])
    return best if scores[best] > 0 else None


def _case_tokens(case: Case) -> set[str]:
    words = [case.question, *(case.fields.statuses if case.fields else ()), *VOCABULARY.get(case.intent, ())]
    if case.perception is not None:
        words += salient_texts(case.perception) + customer_messages(case.perception)
    return set(tokens(" ".join(words)))


def _sentence(items: list[str], zh: bool) -> str:
    items = [item.strip().rstrip("。.") for item in items if item.strip()]
    if not items:
        return ""
    body = "，".join(items) if zh else "; ".join(items)
    if not zh:
        body = body[0].upper() + body[1:]
    return body + ("。" if zh else ". ")


def _passage_text(passage: Passage, zh: bool) -> str:
    if passage.row:
        cells = [c for c in passage.row.values() if c]
        if len(cells) >= 3:
            head, meaning, *rest = cells
            return f"{head}（{meaning}）：{'；'.join(rest)}" if zh else f"{head} ({meaning}): {'; '.join(rest)}"
    return passage.text


def _remedy(passage: Passage, budget: int, zh: bool) -> str:
    text = re.sub(r"\s*\n\s*", " " if not zh else "", _passage_text(passage, zh)).strip()
    label = f"根据《{passage.article}》：" if zh else f"Per “{passage.article}”: "
    if len(text) + len(label) <= budget:
        return label + _end(text, zh)
    sentences = [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]
    scored = []
    for index, sentence in enumerate(sentences):
        score = 2.0 * bool(_ACTION.search(sentence)) + 1.0 * bool(re.search(r"\d", sentence))
        score -= 3.0 * bool(_SYMPTOM.search(sentence))
        scored.append((score, index, sentence))
    keep: list[tuple[int, str]] = []
    room = budget - len(label)
    for _score, index, sentence in sorted(scored, key=lambda item: (-item[0], item[1])):
        if len(sentence) <= room:
            keep.append((index, sentence))
            room -= len(sentence)
    if not keep:
        return label + _end(text[: max(room, 40)], zh)
    return label + _end("".join(s for _, s in sorted(keep)) if zh else " ".join(s for _, s in sorted(keep)), zh)


def _end(text: str, zh: bool) -> str:
    text = text.strip().rstrip("；;，,")
    if text and text[-1] not in "。！？.!?":
        text += "。" if zh else "."
    return text if zh else text + " "


def to_a_person(zh: bool) -> str:
    """The hand-over a customer asked for, when no passage names the team."""
    if zh:
        return "已为您转接人工客服，请稍候，客服会尽快联系您。"
    return "I've passed this to a support agent; they will follow up shortly."


def handover_sentence(team: str, zh: bool) -> str:
    return (
        f"已为您转交{team}人工处理，请耐心等待。"
        if zh
        else f"I've handed this to our {team} team; an agent will follow up."
    )
