"""Which kind of screen a screenshot shows, from its words and its shape."""

from __future__ import annotations

import re

from .types import DIALOG, OcrLine

# Words that mark each kind of screen, in Chinese and English. A screen is scored by how many of its
# lines carry one; title-bar words count double because they name the page.
_SIGNS: dict[str, tuple[str, ...]] = {
    "payment": (
        "收银台",
        "需支付",
        "支付失败",
        "付款失败",
        "支付方式",
        "应付金额",
        "确认支付",
        "余额不足",
        "payment failed",
        "checkout",
        "pay now",
        "card declined",
        "amount due",
    ),
    "order_detail": (
        "订单详情",
        "订单编号",
        "订单号",
        "下单时间",
        "实付款",
        "收货地址",
        "待发货",
        "待付款",
        "order details",
        "order number",
        "order no",
        "order status",
        "shipping address",
    ),
    "refund": ("退款详情", "退款金额", "退款编号", "退款进度", "退款", "售后", "refund", "return request"),
    "login": (
        "验证码",
        "密码登录",
        "登录",
        "账号",
        "忘记密码",
        "sign in",
        "log in",
        "login",
        "password",
        "verification code",
    ),
    "tracking": (
        "物流详情",
        "物流",
        "快递",
        "运单号",
        "转运中心",
        "已签收",
        "派送",
        "揽收",
        "tracking",
        "in transit",
        "delivered",
        "courier",
        "shipment",
    ),
    "checkout": (
        "确认订单",
        "优惠券",
        "商品金额",
        "运费",
        "提交订单",
        "coupon",
        "voucher",
        "subtotal",
        "shipping fee",
        "place order",
    ),
    "chat": ("客服", "在线咨询", "请问有什么", "为您服务", "customer service", "how can i help", "live chat"),
    "log": (
        "exception",
        "error",
        "fatal",
        "at com.",
        "at java.",
        "at android.",
        "traceback",
        "stack",
        "crash",
        "sigsegv",
        "exc_bad_access",
        "logcat",
        "崩溃",
        "闪退",
    ),
}
_TIMESTAMP = re.compile(r"\d{2}:\d{2}:\d{2}|\d{4}-\d{2}-\d{2}")


def classify_screen(lines: list[OcrLine], *, width: int, height: int) -> str:
    if not lines:
        return "other"
    scores = dict.fromkeys(_SIGNS, 0.0)
    for line in lines:
        text = line.text.lower()
        title = line.box[1] < height * 0.1
        for kind, signs in _SIGNS.items():
            if any(sign in text for sign in signs):
                scores[kind] += 2.0 if title else 1.0
    # A log is many short-gapped lines of code-like text: stack frames, timestamps.
    code_like = sum(1 for line in lines if line.text.lstrip().startswith("at ") or _TIMESTAMP.search(line.text))
    if code_like >= 5:
        scores["log"] += code_like / 3
    # Chat: bubbles alternate between the left and the right margin.
    if scores["chat"] and _two_sided(lines, width):
        scores["chat"] += 3
    if any(DIALOG in line.cues for line in lines) and scores["payment"]:
        scores["payment"] += 2
    kind, best = max(scores.items(), key=lambda item: item[1])
    return kind if best >= 1 else "other"


def _two_sided(lines: list[OcrLine], width: int) -> bool:
    left = sum(1 for line in lines if line.box[0] < width * 0.2 and line.box[2] < width * 0.8)
    right = sum(1 for line in lines if line.box[0] > width * 0.2 and line.box[2] > width * 0.85)
    return left >= 1 and right >= 1
