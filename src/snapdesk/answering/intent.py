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
# document's "handing the case to a person when it should").
_WANTS_PERSON = re.compile(
    r"转人工|人工客服|找人工|要人工|接人工|真人|联系客服|找客服|客服人员|"
    r"\b(?:human|real person|live agent|(?:an?|your|support|customer service) (?:agent|representative)|"
    r"(?:speak|talk|chat) (?:to|with) (?:someone|a person|somebody|support|an agent))\b",
    re.IGNORECASE,
)


def asks_for_person(question: str) -> bool:
    return bool(_WANTS_PERSON.search(question))


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
