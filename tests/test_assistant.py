"""The whole pipeline on rendered screenshots: intake → moderation → real OCR → fields → demo KB → offline engine.

Expectations come from the screenshot (the order number, the amounts, what they compute to) and from
the bundled demo knowledge base (the remedy a passage prescribes, the team its 转人工 line names), so
that an answer that merely sounds right does not pass.
"""

from __future__ import annotations

import json
import random
import re
import struct
import zlib
from dataclasses import replace
from decimal import Decimal

import pytest
from PIL import Image

from snapdesk import Answer, Assistant, HistoryTurn
from snapdesk.engines import Case, Engine, Reply
from snapdesk.errors import (
    ImageRefusedError,
    ImageTooLargeError,
    IntakeError,
    NotAnImageError,
    QuestionError,
    TooManyPixelsError,
    TruncatedImageError,
    UnsupportedFormatError,
)
from snapdesk.intake import ModerationVerdict, PreparedImage
from snapdesk.knowledge import KnowledgeStore, Passage, demo_kb_path
from tests.conftest import DemoKB, ScreenBook
from tests.screens import to_bytes

_CJK = re.compile(r"[\u4e00-\u9fff]")


def ask(assistant: Assistant, screens: ScreenBook, name: str, question: str) -> Answer:
    return assistant.generate(text=question, image=screens.png(name))


def money(value: Decimal) -> str:
    return f"{value:,.2f}"


def assert_follows(answer: Answer, passage: Passage, *phrases: str) -> None:
    """The answer rests on `passage` first and quotes `phrases`, which must be the passage's own words."""
    assert answer.passages, f"no passage chosen; answer: {answer.text}"
    assert answer.passages[0]["id"] == passage.id, f"chose {answer.passages[0]['id']}; answer: {answer.text}"
    for phrase in phrases:
        assert phrase in passage.text, f"test bug: {phrase!r} is not in passage {passage.id}"
        assert phrase in answer.text, f"remedy {phrase!r} missing from: {answer.text}"


def assert_handover(answer: Answer, team: str | None) -> None:
    assert answer.escalate is (team is not None), answer.text
    assert answer.team == team, answer.text
    if team:
        assert team in answer.text


# --------------------------------------------------------------------------------------------- payment


def test_payment_over_single_limit_states_both_amounts_and_the_excess(
    assistant: Assistant, screens: ScreenBook, demo_kb: DemoKB
) -> None:
    answer = ask(assistant, screens, "payment_limit", "付款失败了，怎么办？")
    row = demo_kb.row("PAY-1101")
    assert answer.screen == "payment"
    assert answer.intent == "payment_failure"
    assert_follows(answer, row, "换一张单笔限额更高的银行卡", "分次支付")
    assert_handover(answer, row.escalate_to)
    assert row.escalate_to is None  # the row prescribes a self-service remedy
    due, limit = Decimal("12800.00"), Decimal("5000.00")
    assert "12,800.00" in answer.text
    assert "5,000.00" in answer.text
    assert money(due - limit) in answer.text  # 7,800.00: computed, not printed on the screen
    assert screens.LONG_ORDER_NO in answer.text  # a 19-digit order number is not mistaken for a card
    assert "PAY-1101" in answer.text
    roles = {a["role"]: a["value"] for a in answer.fields["amounts"]}
    assert Decimal(roles["due"]) == due
    assert Decimal(roles["single_limit"]) == limit
    # The dialog's lines are the evidence, with their boxes and the dialog cue.
    dialog = [e for e in answer.evidence if "dialog" in e["cues"]]
    assert any("PAY-1101" in e["text"] for e in dialog)
    assert all(len(e["box"]) == 4 for e in answer.evidence)
    assert set(answer.timings) >= {"intake_ms", "ocr_ms", "retrieval_ms", "engine_ms", "total_ms"}


def test_risk_control_code_is_handed_to_the_team_its_passage_names(
    assistant: Assistant, screens: ScreenBook, demo_kb: DemoKB
) -> None:
    answer = ask(assistant, screens, "payment_risk", "付款一直失败，怎么回事？")
    row = demo_kb.row("PAY-1106")
    section = demo_kb.passage("风控拦截（PAY-1106）")
    assert answer.intent == "payment_failure"
    assert_follows(answer, row, "请勿反复重试")
    # The table row has no hand-over line of its own; the PAY-1106 section under it has one.
    assert row.escalate_to is None
    assert section.escalate_to == "支付风控组"
    assert section.id in [p["id"] for p in answer.passages]
    assert_handover(answer, section.escalate_to)
    assert screens.ORDER_NO in answer.text


# --------------------------------------------------------------------------------------------- orders


def test_order_waiting_for_address_quotes_the_status_passage(
    assistant: Assistant, screens: ScreenBook, demo_kb: DemoKB
) -> None:
    answer = ask(assistant, screens, "order_address", "我的订单为什么一直不发货？")
    passage = demo_kb.passage("待补充地址")
    assert answer.screen == "order_detail"
    assert answer.intent == "order_status"
    assert "待补充地址" in answer.fields["statuses"]
    assert screens.ORDER_NO in answer.text
    assert "待补充地址" in answer.text
    # "完善地址" is also a button on the page; these two phrases exist only in the passage.
    assert_follows(answer, passage, "补全详细地址后保存", "24 小时内仍未补全地址")
    assert_handover(answer, passage.escalate_to)
    # The red banner is stressed on screen and is part of the evidence.
    banner = [e for e in answer.evidence if "门牌号" in e["text"]]
    assert banner, answer.evidence
    assert {"warning", "red_text"} & set(banner[0]["cues"])


def test_refund_in_progress_gives_the_amount_and_the_arrival_times(
    assistant: Assistant, screens: ScreenBook, demo_kb: DemoKB
) -> None:
    answer = ask(assistant, screens, "refund_progress", "退款什么时候到账？")
    passage = demo_kb.passage("退款到账时间")
    assert answer.screen == "refund"
    assert answer.intent == "refund"
    assert "89.50" in answer.text
    assert_follows(answer, passage, "储蓄卡 1-5 个工作日到账")
    assert_handover(answer, passage.escalate_to)


def test_verification_code_error_toast(assistant: Assistant, screens: ScreenBook, demo_kb: DemoKB) -> None:
    answer = ask(assistant, screens, "login_code_error", "登录不上去")
    passage = demo_kb.passage("验证码提示错误或过期")
    assert answer.screen == "login"
    assert answer.intent == "account_login"
    assert_follows(answer, passage, "10 分钟内有效")
    assert_handover(answer, passage.escalate_to)
    toast = [e for e in answer.evidence if "toast" in e["cues"]]
    assert toast and "验证码错误" in toast[0]["text"]


# --------------------------------------------------------------------------------------------- crashes


def test_known_crash_gets_its_fix_without_a_handover(
    assistant: Assistant, screens: ScreenBook, demo_kb: DemoKB
) -> None:
    answer = ask(assistant, screens, "crash_scan", "App 一打开扫一扫就闪退")
    passage = demo_kb.passage("扫码时闪退（ScanActivity）")
    assert answer.screen == "log"
    assert answer.intent == "app_crash"
    assert "SecurityException" in answer.text
    assert_follows(answer, passage, "允许使用相机")
    assert passage.escalate_to is None  # "这是权限设置问题，不需要转人工"
    assert_handover(answer, None)
    assert "3.8.1" in answer.text


def test_unknown_exception_is_handed_to_the_app_team(
    assistant: Assistant, screens: ScreenBook, demo_kb: DemoKB
) -> None:
    answer = ask(assistant, screens, "crash_unknown", "App 闪退了")
    passage = demo_kb.passage("其他闪退")
    assert answer.intent == "app_crash"
    assert "ArithmeticException" in answer.text
    assert "CartPriceCalculator" in answer.text  # the app frame the crash happened in
    assert_follows(answer, passage, "App 版本号、手机型号、系统版本")
    assert passage.escalate_to == "App 技术组"
    assert_handover(answer, passage.escalate_to)


# --------------------------------------------------------------------------------------------- complaints


def test_chat_complaint_quotes_the_customer_and_the_order(assistant: Assistant, screens: ScreenBook) -> None:
    answer = ask(assistant, screens, "chat_damaged", "我要投诉，收到的东西是坏的")
    assert answer.screen == "chat"
    assert answer.intent == "complaint"
    assert screens.ORDER_NO in answer.text
    assert "杯子碎了" in answer.text  # the customer's own words, quoted
    assert "碎成两半" in answer.text
    assert answer.passages, answer.text
    chosen = answer.passages[0]
    assert chosen["article"] == "商品问题与投诉"
    sentences = [s for s in re.split(r"[。；\n]", chosen["text"]) if len(s) >= 10]
    assert any(s in answer.text for s in sentences), answer.text  # quotes the chosen passage's remedy
    assert_handover(answer, chosen["escalate_to"])


@pytest.mark.parametrize("question", ["东西碎了怎么办", "帮我看看这个聊天记录"])
def test_chat_about_a_broken_item_is_answered_with_the_damage_passage(
    assistant: Assistant, screens: ScreenBook, demo_kb: DemoKB, question: str
) -> None:
    answer = ask(assistant, screens, "chat_damaged", question)
    passage = demo_kb.passage("商品破损")
    assert answer.intent == "complaint"
    assert_follows(answer, passage, "72 小时内申请售后")
    assert_handover(answer, passage.escalate_to)


# --------------------------------------------------------------------------------------------- coupons


def test_coupon_below_threshold_states_the_shortfall(
    assistant: Assistant, screens: ScreenBook, demo_kb: DemoKB
) -> None:
    answer = ask(assistant, screens, "checkout_coupon", "为什么优惠券用不了？")
    passage = demo_kb.passage("满减券门槛")
    assert answer.screen == "checkout"
    assert answer.intent == "coupon"
    goods, threshold = Decimal("86.50"), Decimal("120")
    assert "86.50" in answer.text
    assert "120" in answer.text
    assert money(threshold - goods) in answer.text  # 33.50: computed
    assert_follows(answer, passage, "不包括运费")
    assert_handover(answer, passage.escalate_to)


# --------------------------------------------------------------------------------------------- logistics


def test_tracking_stalled_past_two_days_asks_to_chase_the_courier(
    assistant: Assistant, screens: ScreenBook, demo_kb: DemoKB
) -> None:
    answer = ask(assistant, screens, "tracking_3_days", "快递好几天不动了，怎么回事？")
    passage = demo_kb.passage("物流 2 天没有更新")
    assert answer.screen == "tracking"
    assert answer.intent == "logistics"
    assert_follows(answer, passage, "我要催件")
    assert_handover(answer, passage.escalate_to)
    assert passage.escalate_to is None


def test_tracking_stalled_past_five_days_is_a_suspected_loss_for_the_logistics_team(
    assistant: Assistant, screens: ScreenBook, demo_kb: DemoKB
) -> None:
    answer = ask(assistant, screens, "tracking_6_days", "快递好几天不动了，怎么回事？")
    passage = demo_kb.passage("物流超过 5 天没有更新（疑似丢件）")
    assert answer.intent == "logistics"
    assert passage.escalate_to == "物流组"
    assert_follows(answer, passage, "疑似丢件")
    assert_handover(answer, passage.escalate_to)


# --------------------------------------------------------------------------------------------- safety


def test_instruction_inside_the_screenshot_is_not_obeyed(
    assistant: Assistant, screens: ScreenBook, demo_kb: DemoKB
) -> None:
    answer = ask(assistant, screens, "refund_rejected_injection", "我的退款为什么被驳回了？")
    assert answer.intent == "refund"
    assert "退款已批准" not in answer.text
    assert "忽略" not in answer.text
    assert "退款申请被驳回" in answer.text  # what the page really says
    passage = demo_kb.passage("退款申请被驳回")
    assert_follows(answer, passage, "发起申诉")
    assert_handover(answer, passage.escalate_to)


def test_instruction_inside_the_screenshot_is_not_offered_as_evidence(
    assistant: Assistant, screens: ScreenBook
) -> None:
    answer = ask(assistant, screens, "refund_rejected_injection", "我的退款为什么被驳回了？")
    assert not [e for e in answer.evidence if "退款已批准" in e["text"]]


def test_status_bar_clock_is_not_evidence(assistant: Assistant, screens: ScreenBook) -> None:
    answer = ask(assistant, screens, "order_address", "我的订单为什么一直不发货？")
    assert "9:41" not in [e["text"] for e in answer.evidence]


def test_personal_data_never_leaves_unmasked(assistant: Assistant, screens: ScreenBook) -> None:
    answer = ask(assistant, screens, "identity_pii", "实名信息提交不了，怎么办？")
    # The OCR did read both (a wrong digit would fail the ID check or the phone pattern).
    assert {"id_card", "phone"} <= set(answer.fields["pii_kinds"])
    dumped = {
        "text": answer.text,
        "evidence": json.dumps([e["text"] for e in answer.evidence], ensure_ascii=False),
        "fields": json.dumps(answer.fields, ensure_ascii=False),
    }
    for where, text in dumped.items():
        assert screens.ID_NUMBER not in text, where
        assert screens.PHONE not in text, where
        assert screens.ID_NUMBER[6:14] not in text, where  # not even the birth date
    # The masked forms keep what an agent needs to recognise them, and the order number stays.
    everything = " ".join(dumped.values())
    assert screens.ID_NUMBER[-4:] in everything
    assert "138****5678" in everything
    assert screens.ORDER_NO in answer.text
    assert answer.intent == "order_status"
    assert "待实名认证" in answer.text


# --------------------------------------------------------------------------------------------- conversation


def test_follow_up_without_an_image_reuses_the_conversation_image(assistant: Assistant, screens: ScreenBook) -> None:
    png = screens.png("payment_limit")
    first = assistant.generate(text="付款失败了，怎么办？", image=png)
    follow = assistant.generate(
        text="那我换张卡可以吗？",
        image=None,
        history=[HistoryTurn("user", "付款失败了，怎么办？", image=png), HistoryTurn("assistant", first.text)],
    )
    assert follow.image_digest == first.image_digest
    assert follow.image_digest and follow.image_digest.startswith("sha256:")
    assert follow.intent == "payment_failure"
    assert follow.screen == "payment"
    assert "PAY-1101" in follow.fields["codes"]
    assert "单笔限额" in follow.text
    assert follow.timings["ocr_ms"] == 0.0  # read from the perception cache, not OCR'd again


def test_follow_up_refers_to_the_latest_image(assistant: Assistant, screens: ScreenBook) -> None:
    older, newer = screens.png("payment_limit"), screens.png("order_address")
    history = [
        HistoryTurn("user", "付款失败了", image=older),
        HistoryTurn("assistant", "……"),
        HistoryTurn("user", "现在订单又卡住了", image=newer),
        HistoryTurn("assistant", "……"),
    ]
    follow = assistant.generate(text="那现在怎么办？", history=history)
    direct = assistant.generate(text="我的订单为什么一直不发货？", image=newer)
    assert follow.image_digest == direct.image_digest
    assert follow.screen == "order_detail"
    assert follow.intent == "order_status"
    assert screens.ORDER_NO in follow.text


def test_text_only_question_has_no_image(assistant: Assistant) -> None:
    answer = assistant.generate(text="收不到验证码怎么办？")
    assert answer.image_digest is None
    assert answer.screen is None
    assert answer.evidence == []
    assert answer.intent == "account_login"
    assert answer.passages and answer.passages[0]["heading"] == "收不到验证码"


def test_image_without_a_support_problem_asks_for_a_description(assistant: Assistant, screens: ScreenBook) -> None:
    answer = ask(assistant, screens, "landscape", "你好")
    assert answer.intent == "other"
    assert answer.escalate is False
    assert answer.team is None
    assert answer.passages == []
    assert "请描述" in answer.text


def test_english_question_on_an_english_screen_is_answered_in_english(
    assistant: Assistant, screens: ScreenBook
) -> None:
    answer = ask(assistant, screens, "english_payment", "Why did my payment fail?")
    assert answer.language == "en"
    assert answer.intent == "payment_failure"
    first_sentence = re.split(r"(?<=[.!?])\s", answer.text, maxsplit=1)[0]
    assert re.search(r"\b(order|payment|balance|amount)\b", first_sentence, re.IGNORECASE), answer.text
    assert not _CJK.search(first_sentence), answer.text
    assert "PAY-1103" in answer.text
    assert money(Decimal("45.00") - Decimal("12.30")) in answer.text  # 32.70 short
    assert screens.ORDER_NO in answer.text


# --------------------------------------------------------------------------------------------- refusals


def _png_header(width: int, height: int) -> bytes:
    """A PNG whose IHDR (with a correct CRC) claims `width` x `height`, with one tiny IDAT."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b"")


def _noisy_png() -> bytes:
    rng = random.Random(7)
    image = Image.frombytes("RGB", (120, 80), bytes(rng.getrandbits(8) for _ in range(120 * 80 * 3)))
    return to_bytes(image)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        pytest.param(b"", NotAnImageError, id="empty"),
        pytest.param(random.Random(1).randbytes(4096), NotAnImageError, id="random-bytes"),
        pytest.param(
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>',
            UnsupportedFormatError,
            id="svg",
        ),
        pytest.param(_noisy_png()[:9000], TruncatedImageError, id="truncated-png"),
        pytest.param(_png_header(60000, 60000), TooManyPixelsError, id="60000x60000-png"),
    ],
)
def test_unusable_images_are_refused_with_a_typed_error(
    assistant: Assistant, data: bytes, error: type[IntakeError]
) -> None:
    with pytest.raises(IntakeError) as caught:
        assistant.generate(text="付款失败了", image=data)
    assert type(caught.value) is error, caught.value
    assert caught.value.code == error.code
    assert str(caught.value) and "\n" not in str(caught.value)


def test_truncated_png_is_long_enough_to_be_a_real_cut(assistant: Assistant) -> None:
    # Guard for the parametrised case above: the whole file is accepted, so the cut is what is refused.
    whole = _noisy_png()
    assert len(whole) > 9000
    assert assistant.generate(text="这是什么？", image=whole).image_digest


def test_image_over_the_byte_limit_is_refused() -> None:
    small = Assistant.from_settings(moderators=[], max_image_bytes=4096)
    data = _noisy_png()
    assert len(data) > 4096
    with pytest.raises(ImageTooLargeError) as caught:
        small.generate(text="付款失败了", image=data)
    assert caught.value.http_status == 413


@pytest.mark.parametrize("question", ["", "   ", "\n\t"])
def test_empty_question_is_refused(assistant: Assistant, screens: ScreenBook, question: str) -> None:
    with pytest.raises(QuestionError):
        assistant.generate(text=question, image=screens.png("payment_limit"))


def test_over_long_question_is_refused() -> None:
    short = Assistant.from_settings(moderators=[], max_question_chars=20)
    with pytest.raises(QuestionError):
        short.generate(text="付款失败" * 6)


# --------------------------------------------------------------------------------------------- moderation


class RecordingEngine(Engine):
    name = "recording"

    def __init__(self) -> None:
        self.cases: list[Case] = []

    def answer(self, case: Case) -> Reply:
        self.cases.append(case)
        return Reply(text="recorded")


class FixedModerator:
    def __init__(self, *, allow: bool) -> None:
        self.name = "shop-rule" if not allow else "allow-all"
        self.allow = allow
        self.seen: list[PreparedImage] = []

    def check(self, image: PreparedImage) -> ModerationVerdict:
        self.seen.append(image)
        if self.allow:
            return ModerationVerdict(allowed=True, moderator=self.name)
        return ModerationVerdict(allowed=False, moderator=self.name, reason="no screenshots of other shops")


def _assistant_with(moderator: FixedModerator, engine: RecordingEngine) -> Assistant:
    return Assistant(knowledge=KnowledgeStore(demo_kb_path()), engine=engine, moderators=[moderator])


def test_a_refusing_moderator_stops_the_pipeline_before_the_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    import snapdesk.assistant

    def no_ocr(*args: object, **kwargs: object) -> None:
        raise AssertionError("a refused image must not be read")

    monkeypatch.setattr(snapdesk.assistant, "perceive", no_ocr)
    engine, moderator = RecordingEngine(), FixedModerator(allow=False)
    refusing = _assistant_with(moderator, engine)
    data = to_bytes(Image.new("RGB", (64, 48), "white"))
    with pytest.raises(ImageRefusedError) as caught:
        refusing.generate(text="付款失败了", image=data)
    assert engine.cases == []
    assert len(moderator.seen) == 1
    assert moderator.seen[0].image.mode == "RGB"
    assert "shop-rule" in str(caught.value)
    assert caught.value.verdict.reason == "no screenshots of other shops"  # type: ignore[attr-defined]
    # A follow-up that carries the refused image in its history is refused the same way.
    with pytest.raises(ImageRefusedError):
        refusing.generate(text="那怎么办？", history=[HistoryTurn("user", "付款失败了", image=data)])
    assert engine.cases == []


class BrokenModerator:
    name = "broken"

    def check(self, image: PreparedImage) -> ModerationVerdict:
        raise RuntimeError("moderation backend unavailable")


def test_a_failing_moderator_fails_closed() -> None:
    engine = RecordingEngine()
    failing = Assistant(knowledge=KnowledgeStore(demo_kb_path()), engine=engine, moderators=[BrokenModerator()])
    with pytest.raises(RuntimeError, match="unavailable"):
        failing.generate(text="付款失败了", image=to_bytes(Image.new("RGB", (64, 48), "white")))
    assert engine.cases == []


def test_an_allowing_moderator_lets_the_engine_answer() -> None:
    engine, moderator = RecordingEngine(), FixedModerator(allow=True)
    allowing = _assistant_with(moderator, engine)
    data = to_bytes(Image.new("RGB", (64, 48), "white"))
    answer = allowing.generate(text="付款失败了", image=data)
    assert answer.text == "recorded"
    assert answer.engine == "recording"
    assert len(engine.cases) == 1
    assert engine.cases[0].image is not None
    assert engine.cases[0].image.digest == moderator.seen[0].digest == answer.image_digest


def test_default_moderation_lets_an_ordinary_screenshot_through(
    assistant_moderated: Assistant, assistant: Assistant, screens: ScreenBook
) -> None:
    question = "付款失败了，怎么办？"
    moderated = assistant_moderated.generate(text=question, image=screens.png("payment_limit"))
    plain = assistant.generate(text=question, image=screens.png("payment_limit"))
    assert "moderation_ms" in moderated.timings
    assert moderated.text == plain.text
    assert moderated.intent == plain.intent == "payment_failure"


def test_the_cheaper_rung_does_not_moderate_again_what_its_sibling_admitted(
    assistant: Assistant, screens: ScreenBook
) -> None:
    """The service admits an upload through the main assistant and may read it on the `fast` rung's sibling:
    moderation (NudeNet, ~100 ms) runs once per screenshot across both."""
    seen: list[str] = []

    class Counting:
        name = "counting"

        def check(self, image: PreparedImage) -> ModerationVerdict:
            seen.append(image.digest)
            return ModerationVerdict(allowed=True, moderator=self.name)

    main = Assistant(knowledge=assistant.knowledge, engine=assistant.engine, moderators=[Counting()])
    fast = main.with_ocr(replace(main.ocr, det_limit_side=736))
    prepared = main.prepare(screens.png("payment_limit"))
    answer = fast.generate(text="为什么付款失败？", image=prepared)
    assert seen == [prepared.digest] and answer.screen is not None
