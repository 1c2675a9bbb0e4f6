"""The kind of problem a case is about, from the question, the screen kind and the screenshot's words."""

from __future__ import annotations

import re

INTENTS = (
    "order_status",
    "payment_failure",
    "refund",
    "account_login",
    "app_crash",
    "complaint",
    "coupon",
    "logistics",
    "other",
)

# Words that point at each intent, Chinese and English. Kept short and generic on purpose: they must
# hold for any shop, not for one knowledge base.
VOCABULARY: dict[str, tuple[str, ...]] = {
    "order_status": (
        "发货",
        "没发",
        "不发",
        "还不发",
        "订单",
        "卡住",
        "催",
        "待付款",
        "待发货",
        "预售",
        "地址",
        "实名",
        "认证",
        "清关",
        "海关",
        "直邮",
        "ship",
        "order status",
        "pending",
        "dispatch",
        "address",
        "pre-order",
        "preorder",
    ),
    "payment_failure": (
        "付款",
        "支付",
        "付不了",
        "扣款",
        "限额",
        "余额不足",
        "银行卡",
        "付钱",
        "收银台",
        "pay",
        "payment",
        "card declined",
        "declined",
        "checkout failed",
        "charge",
    ),
    "refund": (
        "退款",
        "退货",
        "退钱",
        "退回",
        "到账",
        "驳回",
        "钱什么时候",
        "refund",
        "return",
        "money back",
        "reimburse",
    ),
    "account_login": (
        "登录",
        "登陆",
        "验证码",
        "密码",
        "冻结",
        "账号",
        "账户",
        "注册",
        "log in",
        "login",
        "sign in",
        "password",
        "verification code",
        "otp",
        "locked out",
        "account",
    ),
    "app_crash": (
        "闪退",
        "崩溃",
        "卡死",
        "打不开",
        "无响应",
        "报错日志",
        "日志",
        "crash",
        "crashes",
        "freez",
        "force close",
        "stopped working",
        "not responding",
        "stack trace",
        "exception",
    ),
    "complaint": (
        "投诉",
        "不满",
        "差评",
        "破损",
        "碎",
        "发错",
        "少发",
        "漏发",
        "态度",
        "complain",
        "complaint",
        "damaged",
        "broken",
        "wrong item",
        "missing item",
    ),
    "coupon": ("券", "优惠", "满减", "折扣", "红包", "coupon", "voucher", "promo", "discount code"),
    "logistics": (
        "快递",
        "物流",
        "签收",
        "没动",
        "不更新",
        "丢件",
        "派送",
        "运单",
        "包裹",
        "没收到货",
        "tracking",
        "courier",
        "delivered",
        "parcel",
        "package",
        "in transit",
    ),
}
_SCREEN_INTENT = {
    "payment": "payment_failure",
    "order_detail": "order_status",
    "refund": "refund",
    "login": "account_login",
    "log": "app_crash",
    "chat": "complaint",
    "checkout": "coupon",
    "tracking": "logistics",
}


# A customer who asks for a person gets one, whatever the case is about (a support norm, and the source
# document's "handing the case to a person when it should"). Requests, not mentions: "需要人工审核",
# "人工客服说已经退款了", "verify you are human" and "the agent said" are not asking for anyone.
_WANTS_PERSON = re.compile(
    r"转人工|转接(?:人工|客服)|转客服|找(?:个)?人工|找客服|找个?(?:能管事|管事)的人|找真人|真人客服|人工服务|请人工|联系人工|有人吗|有没有人在|"
    r"(?<![需不])要(?:个|找)?人工(?!智能)|人工客服(?![说讲称回告表答])|(?:怎么|如何|我要|我想|帮我)联系客服|"
    r"\b(?:talk|speak|chat) (?:to|with) (?:a |an |your )?(?:human|person|someone|somebody|real person|agent|"
    r"representative|manager|customer service|support)\b|"
    r"\b(?:connect|transfer|put) me (?:to|through to|with) (?:a |an )?(?:human|person|agent|representative|"
    r"support|customer service|someone|manager)\b|"
    r"\b(?:i (?:want|need|would like)|get me|give me|can i (?:get|have)) (?:a |an |to talk to a )?"
    r"(?:human|real person|live agent|agent|representative|operator|someone who|somebody who|manager)\b|"
    r"\b(?:human|live) agent\b|\breal person\b|\bcan (?:someone|somebody) (?:from [\w ]{1,30} )?(?:look|check|help)",
    re.IGNORECASE,
)
# "我不需要转人工", "I don't need a human agent": a request turned down in the same breath.
_DECLINED = re.compile(
    r"(?:不|别|无需|不用|没必要)[^，。,.!?！？]{0,4}$|(?:don't|do not|no need|not)\W+(?:\w+\W+){0,3}$", re.IGNORECASE
)


def asks_for_person(question: str) -> bool:
    return any(not _DECLINED.search(question[: match.start()]) for match in _WANTS_PERSON.finditer(question))


def without_person_requests(text: str) -> str:
    """The question with its requests for a person taken out: "转人工" says who should answer, not what about."""
    return _WANTS_PERSON.sub(" ", text)


def keyword_scores(text: str) -> dict[str, float]:
    lowered = text.lower()
    return {intent: float(sum(1 for word in words if word in lowered)) for intent, words in VOCABULARY.items()}


def classify_intent(
    question: str,
    *,
    screen: str | None = None,
    screen_text: str = "",
    context: str = "",
    has_exception: bool = False,
) -> str:
    """Question words count most, then the screen kind, then the screenshot's words and earlier turns."""
    scores = dict.fromkeys(INTENTS, 0.0)
    for intent, value in keyword_scores(question).items():
        scores[intent] += 3 * value
    for intent, value in keyword_scores(context).items():
        scores[intent] += 1.5 * min(value, 2)
    for intent, value in keyword_scores(screen_text).items():
        scores[intent] += 0.5 * min(value, 4)
    if screen in _SCREEN_INTENT:
        scores[_SCREEN_INTENT[screen]] += 2.5
    if has_exception:
        scores["app_crash"] += 3
    best, value = max(scores.items(), key=lambda item: item[1])
    return best if value >= 1.5 else "other"
