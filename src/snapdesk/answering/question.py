"""What the customer asked, independent of any business: the kind of answer wanted, the words that
name its object, the figures they quote, and whether they are upset or ask for a person.

Only generic question words live here (Chinese and English); what a business's words mean comes from
its knowledge base. The kinds steer which sentences of a passage answer the question (a duration for
"how long", the steps for "how do I"); they never decide which passage may answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..knowledge.segment import segmenter
from ..knowledge.text import detect_language, is_cjk, normalize, tokens
from .intent import asks_for_person, without_person_requests

# Each kind of question and the generic words that ask it. Order matters only for display.
ASKS: dict[str, re.Pattern[str]] = {
    "cause": re.compile(
        r"为什么|为啥|怎么回事|什么原因|原因|怎么会|怎么还|怎么没|怎么不|怎么就|凭什么|"
        r"\bwhy\b|how come|what happened|what went wrong|"
        r"what'?s wrong|overcharg",
        re.I,
    ),
    "remedy": re.compile(
        r"怎么办|咋整|咋办|怎么处理|怎么解决|怎么弄|如何处理|要不要|该怎么|能不能解决|"
        r"what (?:should|do|can) i do|what now|how (?:do|can) i fix|fix (?:it|this)|"
        r"what do i do|anything (?:i can|cheaper)|do i need to",
        re.I,
    ),
    "procedure": re.compile(
        r"怎么(?!样|回事|会|办|还|没|不|就)|如何|在哪(?:里|儿)?(?:用|点|改|设置|开|看|找)|步骤|哪个按钮|点哪|按哪|"
        r"how (?:do|can|should|to) |which button|what order|steps?\b|where (?:do|can) i",
        re.I,
    ),
    "duration": re.compile(
        r"多久|多长时间|(?<!好)几天|几个小时|什么时候|何时|几点|最晚|截止|哪天|来得及|过期|"
        r"how long|how soon|when\b|what time|deadline|by when|until|expire",
        re.I,
    ),
    "amount": re.compile(
        r"多少|几块|几元|价格|价钱|费用|运费|实付|抵扣|能抵|划算|便宜|贵|"
        r"how much|how many|price|cost|charge|fee|total|pay\b|cheaper|discount|worth",
        re.I,
    ),
    "eligibility": re.compile(
        r"能不能|可不可以|能否|可以[^，。？?]{0,12}[吗嘛]|能[^，。？?]{0,12}[吗嘛]|行不行|行吗|会不会|是否|还在吗|"
        r"\b(?:can|could|may) i\b|is it (?:ok|okay|possible|safe|allowed)|am i allowed|still\b|will (?:it|they|i)",
        re.I,
    ),
    "contact": re.compile(
        r"联系|找谁|电话|邮箱|客服|人工|谁能|contact|reach|call you|e-?mail (?:you|address)|someone|who can",
        re.I,
    ),
    "status": re.compile(
        r"到哪|进度|状态|怎么样了|怎样了|[^，。？?]了没(?:有)?|发货了吗|成功了吗|到账了吗|有没有(?:成功|发)|"
        r"where is|status|go through|went through|arriv|has it|did it",
        re.I,
    ),
    "verification": re.compile(
        r"对吗|对不对|是不是|正确|真的|正规|中毒|病毒|骗|is (?:this|it|that) (?:right|correct|real|genuine|legit)|"
        r"did you|am i being|virus|scam|safe\b|worried",
        re.I,
    ),
    "meaning": re.compile(
        r"在[^，。？?]{0,6}什么|什么问题|什么情况|什么意思|啥意思|是什么|是啥|干什么|做什么|什么用|有什么影响|会怎样|会有什么|"
        r"what (?:does|is|are|'s)|what do(?:es)? (?:it|this|that) (?:mean|do)|mean\b|asking",
        re.I,
    ),
}

# Signs of an upset customer: exclamation runs, repetition, insults, explicit displeasure.
_UPSET = re.compile(
    r"[!！][^!！]*[!！]|都[^，。]{0,10}了还|太[^，。]{0,4}了[!！]|失望|垃圾|骗人|气死|无语|耗光|老是|没人回|没人理|"
    r"受不了|差评|再也不|third time|again and again|fed up|ridiculous|unacceptable|terrible|awful|angry|"
    r"nobody (?:has )?(?:replied|answered)|no one (?:has )?(?:replied|answered)|a joke|sick of|tired of",
    re.I,
)
# Question words and filler removed before the question's own terms are taken (content words such as
# 运费 or "price" stay: they name what is asked about).
# "能不能", "有没有": a question asked by repeating a word around 不/没; it says nothing is missing or refused.
_A_NOT_A = r"有没有|能不能|可不可以|是不是|行不行|会不会|要不要|对不对"
_FILLER = re.compile(
    r"怎么办|咋整|咋办|怎么回事|好几|怎么|如何|为什么|为啥|多久|多长时间|多少|什么|啥|"
    + _A_NOT_A
    + r"|到底|请问|一下|这个|那个|这里|那里|还是|我们|你们|我|你|他|她|的|了|吗|呢|吧|啊|呀|嘛|"
    # Words about the picture itself ("帮我看看这个聊天记录", "check this screenshot") name no topic.
    r"帮我|帮忙|看看|看下|看一看|聊天记录|截图|图片|图里|这张|\b(?:screenshot|picture|image|look at|check)\b|"
    r"\b(?:i'?m|i'?ve|i'?d|my|me|you|your|it|this|that|these|the|a|an|is|are|was|be|do|does|did|just|actually|"
    r"really|now|so|and|or|but|if|on|in|at|to|of|for|with|what|there|here|any|some|lol|ok|okay|get|got|"
    r"should|would|could|can|will|how|why|when|where|which|who|about|anything|something|thing|know|"
    # English function words: they say how, not what about ("wasn't", "a few minutes later", "ended up").
    r"have|has|had|was|were|wasn'?t|isn'?t|aren'?t|don'?t|doesn'?t|didn'?t|haven'?t|hasn'?t|won'?t|can'?t|"
    r"am|been|being|few|later|again|also|then|than|very|too|up|out|off|one|ever|even|yet|all|only|still|"
    r"anywhere|anyone|somewhere|someone|honestly|please|thanks|thank|hi|hello)\b",
    re.I,
)
_MARKUP = re.compile(r"<[^<>]{0,200}>")
# Single characters that carry grammar, not a topic.
_FUNCTION_CHARACTERS = frozenset(
    "是有在不也就都还又再能会要想让被把给跟和与及或上下里中先后刚才很太更最没多少个些点次这那哪谁好"
)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# The customer says something is absent or did not happen ("也没设置过别的验证方式", "I don't have the old phone"):
# the sentence for their case is the one that states the same absence ("If you have no other method").
# "有没有", "能不能" ask a question; they say nothing is missing.
_FILLER_QUESTIONS = re.compile(_A_NOT_A)
_ABSENCE = re.compile(r"(?<!有)没(?!有?人)|未|无法|不了|\b(?:no|not|never|without|nothing)\b|n't", re.I)


@dataclass(frozen=True)
class Question:
    text: str
    language: str  # "zh" or "en": the language to answer in
    asks: tuple[str, ...]  # kinds asked, in the order of ASKS
    terms: tuple[str, ...]  # index terms of the words that name what is asked about
    words: tuple[str, ...]  # the same words whole (Chinese segmented): what a passage must hold to answer it
    numbers: tuple[str, ...]  # figures the customer quotes ("2799", "3900", "$18.41")
    upset: bool
    wants_person: bool
    topic: str = ""  # the text without its requests for a person: what retrieval looks up
    absence: bool = False  # says something is missing or did not happen

    def asks_for(self, *kinds: str) -> bool:
        return any(kind in self.asks for kind in kinds)

    @property
    def vague(self) -> bool:
        """Names nothing ("怎么办？", "what's this?"): the screenshot has to say what it is about."""
        return len(self.terms) < 2


def understand(text: str, *, default_language: str = "zh") -> Question:
    """Read the question once; every later stage uses this instead of matching words again."""
    plain = _MARKUP.sub(" ", text)
    language = detect_language(plain) if any(ch.isalpha() for ch in plain) else default_language
    # A statement of a problem ("付款页一打开就闪退，这是日志") asks, without saying so, what to do about it.
    asks = tuple(kind for kind, pattern in ASKS.items() if pattern.search(text)) or ("remedy",)
    # Markup pasted into a question (an HTML tag) names nothing the customer asks about.
    topic = without_person_requests(plain)
    remainder = _FILLER.sub(" ", topic)
    return Question(
        text=text,
        language=language,
        asks=asks,
        terms=tuple(dict.fromkeys(tokens(remainder))),
        words=tuple(dict.fromkeys(_words(remainder))),
        numbers=tuple(dict.fromkeys(m.group(0) for m in _NUMBER.finditer(text))),
        upset=bool(_UPSET.search(text)),
        wants_person=asks_for_person(text),
        topic=topic,
        absence=bool(_ABSENCE.search(_FILLER_QUESTIONS.sub(" ", topic))),
    )


def _words(text: str) -> list[str]:
    """Whole words: jieba's, with runs of single characters it could not place joined again (a word missing
    from its dictionary, such as a shop's own term, comes out as single characters)."""
    out: list[str] = []
    run = ""
    for word in [*segmenter().lcut(normalize(text), HMM=False), " "]:
        word = word.strip()
        if len(word) == 1 and is_cjk(word):
            run += word
            continue
        if len(run) >= 2 or (run and run not in _FUNCTION_CHARACTERS):
            out.append(run)  # a single character too: "碎", "退", "丢" carry the question
        run = ""
        if any(is_cjk(ch) for ch in word):
            if len(word) >= 2:
                out.append(word)
        elif word.isalnum() and len(word) >= 2:
            out.extend(tokens(word))
    return out
