"""A small bilingual glossary of generic customer-service words, for questions asked in the other
language than the knowledge base's article ("旧手机丢了" about an English sign-in page whose article
says "Lost or replaced phone").

Generic on purpose: support concepts any shop, app or service has (orders, payment, refunds, sign-in,
apps, delivery), never one business's product or feature names: those come from its knowledge base.
"""

from __future__ import annotations

from functools import lru_cache

from .text import normalize, tokens

# (Chinese words, English words) naming the same support concept.
PAIRS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("订单", "下单", "单子"), ("order",)),
    (("发货", "寄出", "出库"), ("dispatch", "ship", "shipped")),
    (("快递", "物流", "配送", "送达", "收到"), ("delivery", "courier", "tracking", "arrive")),
    (("运费", "邮费", "包邮"), ("shipping", "delivery cost", "free shipping")),
    (("付款", "支付", "付钱"), ("pay", "payment")),
    (("货到付款",), ("cash on delivery",)),
    (("现金",), ("cash",)),
    (("银行卡", "信用卡", "刷卡"), ("card",)),
    (("退款", "退钱", "退"), ("refund", "money back")),
    (("退货", "寄回", "退回去"), ("return", "send back")),
    (("换货",), ("replacement", "exchange")),
    (("破损", "碎", "坏", "摔坏", "破了"), ("damaged", "broken")),
    (("发票", "收据"), ("invoice", "receipt")),
    (("公司", "抬头"), ("company", "company name")),
    (("重开", "改开", "重新开"), ("re-issue", "reissue", "corrected")),
    (("税", "税费"), ("tax",)),
    (("价格", "价钱", "多少钱"), ("price", "cost")),
    (("总价", "合计", "总计", "一共"), ("total",)),
    (("便宜", "省钱"), ("cheaper", "cheap")),
    (("优惠券", "券", "优惠码", "折扣码"), ("coupon", "code", "voucher")),
    (("折扣", "优惠", "打折"), ("discount",)),
    (("门槛", "最低", "满"), ("minimum", "at least")),
    (("积分",), ("points",)),
    (("会员",), ("member", "membership")),
    (("购物车",), ("cart", "basket")),
    (("结算", "下单页"), ("checkout",)),
    (("登录", "登陆", "登不进去", "进不去"), ("sign in", "log in", "login")),
    (("退出登录", "注销"), ("log out", "logout", "sign out")),
    (("密码",), ("password",)),
    (("忘记", "忘了"), ("forgot", "forgotten")),
    (("重置",), ("reset",)),
    (("用户名", "账号名"), ("username",)),
    (("账号", "账户"), ("account",)),
    (("验证码", "动态码", "校验码"), ("code", "one-time password", "verification code")),
    (("验证", "认证", "两步验证", "二次验证"), ("verification", "two-step", "verify")),
    (("手机",), ("phone", "smartphone")),
    (("电脑",), ("computer", "laptop")),
    (("丢了", "丢失", "换了"), ("lost", "replaced")),
    (("通知", "推送"), ("notification", "push")),
    (("邮件", "邮箱"), ("email",)),
    (("垃圾邮件", "垃圾箱"), ("spam", "junk")),
    (("安全",), ("security", "safe")),
    (("批准", "同意", "确认"), ("approve", "confirm")),
    (("拒绝",), ("deny", "reject", "rejected")),
    (("崩溃", "闪退", "报错", "出错"), ("crash", "error")),
    (("红屏", "变红", "红色"), ("red screen", "red")),
    (("黄色", "黄字"), ("yellow",)),
    (("屏幕", "页面", "界面"), ("screen", "page")),
    (("弹窗", "弹框", "对话框", "框"), ("dialog", "pop-up", "box")),
    (("病毒", "中毒"), ("virus",)),
    (("更新", "升级"), ("update", "upgrade")),
    (("版本",), ("version",)),
    (("下载",), ("download",)),
    (("重启", "重新打开"), ("restart", "reopen")),
    (("取消",), ("cancel",)),
    (("发送", "上报", "发了"), ("send", "sent", "report")),
    (("寄", "寄回"), ("send", "sent back")),
    (("影响", "丢数据", "丢失数据"), ("affected", "lost", "lose")),
    (("按钮", "点哪个"), ("button", "tap", "click")),
    (("商家", "卖家"), ("seller", "merchant")),
    (("买家", "顾客", "客户"), ("customer", "buyer")),
    (("客服", "人工"), ("customer care", "support", "agent")),
    (("投诉",), ("complaint", "complain")),
    (("主管", "经理", "负责人"), ("supervisor", "manager")),
    (("地址",), ("address",)),
    (("修改", "更改", "改", "换"), ("change", "edit", "switch")),
    (("工作日",), ("business day", "business days")),
    (("截止", "最晚", "期限"), ("deadline", "within", "by")),
    (("别的", "其他", "其它", "另一个"), ("other", "another")),
    (("方式", "方法"), ("method", "way")),
    (("身份",), ("identity",)),
    (("提交",), ("submitted", "submit")),
    (("记住",), ("remember",)),
)

_INDEX: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = tuple(
    (tuple(normalize(w) for w in zh), tuple(normalize(w) for w in en)) for zh, en in PAIRS
)


_STEMS: tuple[frozenset[str], ...] = tuple(frozenset(t for w in en for t in tokens(w)) for _, en in _INDEX)


@lru_cache(maxsize=1024)
def expand(text: str) -> str:
    """The words, in both languages, of the support concepts `text` names ("" when it names none): "能退吗"
    gives "退款 退钱 refund money back". English words match on word starts, so "refunded" finds "refund"
    but "cart" is not found in "cartridge"."""
    norm = normalize(text)
    found: list[str] = []
    for zh, en in _INDEX:
        if any(word in norm for word in zh) or any(_has_word(norm, word) for word in en):
            found.extend(word for word in (*zh, *en) if word not in norm)
    return " ".join(dict.fromkeys(found))


@lru_cache(maxsize=8192)
def equivalents(word: str) -> frozenset[str]:
    """The word and the other words (both languages) of every concept it names: "退" → {"退款", "refund", …}."""
    norm = normalize(word)
    out = {norm}
    for (zh, en), stems in zip(_INDEX, _STEMS, strict=True):
        if norm in zh or norm in en or norm in stems:
            out.update(zh)
            out.update(en)
    return frozenset(out)


def _has_word(text: str, word: str) -> bool:
    start = text.find(word)
    while start != -1:
        if start == 0 or not text[start - 1].isalnum():
            return True
        start = text.find(word, start + 1)
    return False
