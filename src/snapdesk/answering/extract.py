"""The sentences of a passage that answer the question asked: a duration for "how long", the steps for
"how do I", the condition for "can I", the channel and hours for "how do I reach you".

A passage is cut into units (list items, sentences, a table row whole); each unit is scored by the
question's own words it shares and by whether it holds what the kind of question wants. Only generic
signals live here: units, numbers, action and modal words, in Chinese and English.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ..knowledge import Passage
from ..knowledge.glossary import expand
from ..knowledge.text import in_language, is_cjk, tokens
from .question import Question

_SENTENCE = re.compile(r"(?<=[。！？；])|(?<=[.!?])\s+(?=[A-Z(“\"])|\n+")
# What each kind of question wants a sentence to hold.
WANTS: dict[str, re.Pattern[str]] = {
    "duration": re.compile(
        r"\d+\s*(?:[-–~至到]\s*\d+\s*)?(?:个)?(?:分钟|小时|天|日|周|工作日|个月|年|minutes?|hours?|days?|"
        r"business days?|weeks?|months?|seconds?)|\d{1,2}[:：]\d{2}|当天|次日|same day|next business day|"
        r"immediately|at once|立即|马上",
        re.I,
    ),
    "amount": re.compile(r"[¥￥$€£]\s?\d|\d+(?:\.\d+)?\s*(?:元|块|%|percent)|free|免费|包邮|no extra|不收", re.I),
    "procedure": re.compile(
        r"点击?|选择|打开|进入|填写|上传|输入|扫描|设置|→|联系|更新|升级|申请|\b(?:click|tap|open|choose|select|"
        r"enter|type|go to|send|update|press|scan|add|remove|wait|check|contact|reopen|force)\b",
        re.I,
    ),
    "eligibility": re.compile(
        r"可以|不能|只能|不可|无法|不会|不支持|不退|可退|仅|须|必须|需要|\b(?:can|can't|cannot|only|not|never|"
        r"no|must|up to|at least|within|unless|except)\b",
        re.I,
    ),
    "contact": re.compile(
        r"客服|电话|邮箱|在线|留言|回复|回访|@|\d{1,2}[:：]\d{2}|\b(?:chat|e-?mail|phone|hours|reply|replies|"
        r"contact us|call)\b",
        re.I,
    ),
    "meaning": re.compile(r"意思|表示|说明|是指|用于|就是|\b(?:means?|is the|shows?|used to|that is)\b", re.I),
    "cause": re.compile(r"因为|原因|由于|所以|导致|\b(?:because|means|caused|since|due to|so)\b", re.I),
    "verification": re.compile(r"不是|没有|并非|真的|正规|安全|已包含|\b(?:not|genuine|safe|already|included)\b", re.I),
    "status": re.compile(r"状态|已|正在|\b(?:went through|is being|has been|status)\b", re.I),
}
WANTS["remedy"] = WANTS["procedure"]
KIND_WEIGHT = 1.2
# A sentence that states an absence ("If you have no other method"), for a customer who says something is missing.
_ABSENT = re.compile(r"没|未|无|不|缺|\b(?:no|not|never|without|cannot|nothing|none|missing)\b|n't", re.I)
ABSENCE_WEIGHT = KIND_WEIGHT
_CONDITION = re.compile(r"^(?:- |\d+[.、)]\s*)?(?:if|when|once|如果|若|假如|要是)", re.I)


@dataclass(frozen=True)
class Unit:
    text: str
    index: int  # position in the passage: units are put back in this order after the first
    score: float


def row_text(row: dict[str, str]) -> str:
    """A table row as a reader says it: "ERR_1003（银行卡单笔限额不足）：更换额度更高的银行卡", the label, what it
    means, then the rest; two columns read "label: value"."""
    cells = [cell for cell in row.values() if cell]
    if not cells:
        return ""
    cjk = any("\u4e00" <= ch <= "\u9fff" for ch in "".join(cells))
    colon, sep = ("：", "；") if cjk else (": ", "; ")
    if len(cells) >= 3:
        head, meaning, *rest = cells
        return f"{head}（{meaning}）{colon}{sep.join(rest)}" if cjk else f"{head} ({meaning}){colon}{sep.join(rest)}"
    return colon.join(cells)


def units(passage: Passage) -> list[str]:
    """A table row is one unit (its cells mean something only together); prose splits into sentences."""
    if passage.row:
        return [row_text(passage.row)]
    out: list[str] = []
    for line in _logical_lines(passage.text):
        if line.endswith((":", "：")):
            continue  # "付款超过 48 小时仍未发货的订单：" only introduces the items that follow
        if _ITEM.match(line):  # a list item or a numbered step stays whole
            out.append(line)
        else:
            out.extend(part.strip() for part in _SENTENCE.split(line) if part and part.strip())
    return out


_ITEM = re.compile(r"^(?:[-*+] |\d+[.、)]\s*)")


def _logical_lines(text: str) -> list[str]:
    """Lines as written, except that a line cut mid-sentence continues on the next: Markdown wraps a paragraph over
    several lines (a soft break), and a sentence cut there would be read as two."""
    lines: list[str] = []
    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            continue
        previous = lines[-1] if lines else ""
        cut = previous and previous[-1] not in ".!?。！？；;:：)）*" and not previous.startswith(("|", "#"))
        if cut and not _ITEM.match(line) and not line.startswith(("|", "#")):
            lines[-1] += ("" if is_cjk(previous[-1]) and is_cjk(line[0]) else " ") + line
        else:
            lines.append(line)
    return lines


def rank_units(passage: Passage, question: Question, *, extra_terms: frozenset[str] = frozenset()) -> list[Unit]:
    """The passage's units, best answer to the question first."""
    # The glossary's words for the question's concepts find sentences written in the other language.
    wanted = set(question.terms) | set(extra_terms) | set(tokens(expand(question.text)))
    ranked = []
    for index, text in enumerate(units(passage)):
        own = set(tokens(text))
        shared = sum(1.5 if term.isascii() else 1.0 for term in wanted & own)
        score = shared / math.sqrt(max(len(own), 4))
        score += KIND_WEIGHT * sum(1 for kind in question.asks if kind in WANTS and WANTS[kind].search(text))
        score += 0.3 * any(number in text for number in question.numbers)
        if question.absence:  # the sentence for their case states the same absence; "if you still can" is not it
            if _ABSENT.search(text):
                score += ABSENCE_WEIGHT
            elif _CONDITION.match(text):  # the other case: its words are the very thing the customer lacks
                score /= 2
        ranked.append(Unit(text, index, score))
    # A bilingual passage says everything twice: the customer's language only, where it has that.
    own = [unit for unit in ranked if in_language(unit.text, question.language)]
    return sorted(own or ranked, key=lambda unit: (-unit.score, unit.index))
