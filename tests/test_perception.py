"""perceive() on rendered screens read by the real OCR: cues, screen kinds, reading order, blocks, pairs.

A second group feeds recognised lines straight into perceive_lines() over synthetic pixels, so the
colour rules (banner, red ink, dialog over a dimmed page, toast) are pinned down without OCR noise.
"""

from __future__ import annotations

import unicodedata

import pytest
from PIL import Image, ImageDraw

from snapdesk.perception import DIALOG, RED_TEXT, TOAST, WARNING, OcrLine, Perception, RawLine, perceive_lines
from tests.conftest import ScreenBook


def norm(text: str) -> str:
    """NFKC and no whitespace: OCR re-spaces lines and mixes full- and half-width punctuation."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def line_with(perception: Perception, fragment: str) -> OcrLine:
    found = [line for line in perception.lines if norm(fragment) in norm(line.text)]
    assert found, f"no line reads {fragment!r}: {[line.text for line in perception.lines]}"
    return found[0]


def index_of(perception: Perception, fragment: str) -> int:
    return perception.lines.index(line_with(perception, fragment))


# --------------------------------------------------------------------------------------------- cues


def test_modal_dialog_lines_carry_dialog_and_the_dimmed_page_does_not(screens: ScreenBook) -> None:
    perception = screens.perception("payment_limit")
    for fragment in ("支付失败", "PAY-1101", "超出单笔限额", "我知道了"):
        assert DIALOG in line_with(perception, fragment).cues, fragment
    for fragment in ("收银台", "订单编号", screens.LONG_ORDER_NO, "需支付", "招商银行储蓄卡"):
        assert DIALOG not in line_with(perception, fragment).cues, fragment
    assert not any(TOAST in line.cues for line in perception.lines)


def test_warning_status_block_and_banner_are_marked(screens: ScreenBook) -> None:
    perception = screens.perception("order_address")
    assert WARNING in line_with(perception, "待补充地址").cues  # white text on the orange status block
    banner = line_with(perception, "收货地址缺少区县和门牌号")
    assert banner.cues & {WARNING, RED_TEXT}
    assert banner.salient
    for fragment in ("订单编号", screens.ORDER_NO, "下单时间", "¥199.00"):
        line = line_with(perception, fragment)
        assert not line.cues & {WARNING, RED_TEXT, DIALOG, TOAST}, (fragment, line.cues)


def test_toast_is_marked_and_the_page_under_it_is_not(screens: ScreenBook) -> None:
    perception = screens.perception("login_code_error")
    toast = line_with(perception, "验证码错误")
    assert TOAST in toast.cues
    assert DIALOG not in toast.cues
    for fragment in ("验证码登录", "手机号", "482913"):
        assert TOAST not in line_with(perception, fragment).cues, fragment


def test_dark_terminal_has_red_error_lines_and_no_toasts(screens: ScreenBook) -> None:
    perception = screens.perception("crash_scan")
    assert perception.dark
    assert RED_TEXT in line_with(perception, "SecurityException").cues
    assert RED_TEXT not in line_with(perception, "ScanActivity.openCamera").cues  # frames are grey
    assert not any(TOAST in line.cues for line in perception.lines)


# --------------------------------------------------------------------------------------------- screen kinds


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("payment_limit", "payment"),
        ("crash_scan", "log"),
        ("chat_damaged", "chat"),
        ("tracking_3_days", "tracking"),
        ("order_address", "order_detail"),
        ("refund_progress", "refund"),
        ("login_code_error", "login"),
    ],
)
def test_screen_kind(screens: ScreenBook, name: str, kind: str) -> None:
    assert screens.perception(name).screen == kind


# --------------------------------------------------------------------------------------------- layout


def test_reading_order_is_top_to_bottom_and_left_to_right(screens: ScreenBook) -> None:
    perception = screens.perception("order_address")
    expected = [
        "订单详情",
        "待补充地址",
        "请尽快完善收货地址",
        "门牌号",
        "订单编号",
        screens.ORDER_NO,
        "下单时间",
        "2026-03-15",
        "实付款",
        "¥199.00",
        "联系客服",
        "完善地址",
    ]
    positions = [index_of(perception, fragment) for fragment in expected]
    assert positions == sorted(positions), [perception.lines[i].text for i in positions]
    centres = [(line.box[1] + line.box[3]) / 2 for line in perception.lines]
    for before, after, line in zip(centres, centres[1:], perception.lines[1:], strict=False):
        assert after >= before - line.height / 2, line.text  # never a line well above the one before


def test_wrapped_sentence_is_one_block(screens: ScreenBook) -> None:
    perception = screens.perception("refund_progress")
    sentence = "退款将按原支付方式退回，储蓄卡一般在几个工作日内到账，具体以银行入账时间为准，请耐心等待。"
    pieces = [line for line in perception.lines if norm(line.text) and norm(line.text) in norm(sentence)]
    assert len(pieces) >= 2, "the sentence should wrap over two lines on a phone"
    blocks = [block for block in perception.blocks if norm(block.text) == norm(sentence)]
    assert len(blocks) == 1, [block.text for block in perception.blocks]
    # The paragraph above it ends without punctuation but is a paragraph of its own.
    assert any(norm(block.text) == norm("预计 2026-03-20 前原路退回储蓄卡") for block in perception.blocks)


def test_wrapped_chat_bubble_is_one_block(screens: ScreenBook) -> None:
    perception = screens.perception("chat_damaged")
    wanted = norm(f"我收到的杯子碎了，订单号 {screens.ORDER_NO}")
    assert any(norm(block.text) == wanted for block in perception.blocks), [b.text for b in perception.blocks]


def test_dialog_sentence_is_joined_within_the_dialog(screens: ScreenBook) -> None:
    perception = screens.perception("payment_limit")
    wanted = norm("本次需支付 ¥12,800.00，超出单笔限额 ¥5,000.00")
    blocks = [block for block in perception.blocks if norm(block.text) == wanted]
    assert len(blocks) == 1, [b.text for b in perception.blocks]
    assert DIALOG in blocks[0].cues


def test_separate_paragraphs_stay_separate(screens: ScreenBook) -> None:
    perception = screens.perception("tracking_3_days")
    texts = [norm(block.text) for block in perception.blocks]
    assert norm("物流信息已 3 天没有更新") in texts, texts


def test_key_value_pairs_from_rows(screens: ScreenBook) -> None:
    perception = screens.perception("order_address")
    pairs = {key: value for key, value in perception.pairs}
    assert pairs.get("订单编号") == screens.ORDER_NO
    assert norm(pairs.get("实付款", "")) == norm("¥199.00")
    assert norm(pairs.get("下单时间", "")) == norm("2026-03-15 10:21")
    assert perception.value("订单编号") == screens.ORDER_NO
    payment = screens.perception("payment_limit")
    assert dict(payment.pairs).get("错误码") == "PAY-1101"  # "键：值" in one dialog line
    assert dict(payment.pairs).get("订单编号") == screens.LONG_ORDER_NO  # under the dimmed layer


def test_perception_of_an_image_without_text(screens: ScreenBook) -> None:
    perception = screens.perception("landscape")
    assert perception.screen == "other"
    assert all(len(line.text.strip()) >= 2 for line in perception.lines)
    assert (perception.width, perception.height) == screens.image("landscape").size


# --------------------------------------------------------------------------------------------- synthetic pixels

W, H = 1080, 2340


def _ink(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], colour: tuple[int, int, int]) -> None:
    """Stand-in glyphs: short vertical strokes inside the box, as text would put ink there."""
    x0, y0, x1, y1 = box
    for x in range(x0 + 4, x1 - 4, 14):
        draw.rectangle([x, y0 + 6, x + 5, y1 - 6], fill=colour)


def test_cue_rules_on_synthetic_pixels() -> None:
    image = Image.new("RGB", (W, H), (244, 245, 247))
    draw = ImageDraw.Draw(image)
    banner = (60, 400, 700, 450)
    draw.rectangle([40, 380, 1040, 470], fill=(255, 228, 196))  # orange-tinted banner
    _ink(draw, banner, (120, 60, 20))
    red = (60, 600, 600, 650)
    _ink(draw, red, (232, 60, 60))
    plain = (60, 800, 600, 850)
    _ink(draw, plain, (34, 34, 34))
    toast = (320, 1900, 760, 1950)
    draw.rounded_rectangle([290, 1870, 790, 1980], radius=20, fill=(24, 24, 24))
    _ink(draw, toast, (255, 255, 255))
    lines = [
        RawLine("配送异常提醒", banner, 0.99),
        RawLine("地址不完整", red, 0.99),
        RawLine("订单编号", plain, 0.99),
        RawLine("网络异常，请重试", toast, 0.99),
    ]
    perception = perceive_lines(image, lines)
    cues = {line.text: line.cues for line in perception.lines}
    assert WARNING in cues["配送异常提醒"]
    assert RED_TEXT in cues["地址不完整"]
    assert cues["订单编号"] == frozenset()
    assert TOAST in cues["网络异常，请重试"]
    assert not any(DIALOG in c for c in cues.values())


def test_dialog_over_a_dimmed_page_on_synthetic_pixels() -> None:
    image = Image.new("RGB", (W, H), (110, 110, 112))  # the page under a 45 % black overlay
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle([110, 900, 970, 1400], radius=28, fill=(255, 255, 255))
    inside, outside = (200, 1000, 700, 1050), (60, 300, 500, 350)
    _ink(draw, inside, (17, 17, 17))
    _ink(draw, outside, (15, 15, 15))
    perception = perceive_lines(image, [RawLine("支付失败", inside, 0.99), RawLine("收银台页面", outside, 0.99)])
    cues = {line.text: line.cues for line in perception.lines}
    assert DIALOG in cues["支付失败"]
    assert DIALOG not in cues["收银台页面"]


def test_layout_on_given_lines() -> None:
    image = Image.new("RGB", (W, H), "white")
    raw = [
        # Given out of order, as a detector may return them.
        RawLine("实付款", (40, 700, 160, 740), 0.99),
        RawLine("¥199.00", (860, 700, 1020, 740), 0.99),
        RawLine("订单编号", (40, 600, 200, 640), 0.99),
        RawLine("202603150087731", (700, 600, 1020, 640), 0.99),
        RawLine("收货地址不完整时，订单会停在待补充地址，仓库", (40, 200, 1000, 240), 0.99),
        RawLine("不会发货。", (40, 250, 240, 290), 0.99),
        RawLine("请补全地址后保存。", (40, 400, 420, 440), 0.99),
        RawLine("く", (20, 100, 50, 140), 0.99),  # a back arrow read as a character
    ]
    perception = perceive_lines(image, raw)
    assert [line.text for line in perception.lines] == [
        "收货地址不完整时，订单会停在待补充地址，仓库",
        "不会发货。",
        "请补全地址后保存。",
        "订单编号",
        "202603150087731",
        "实付款",
        "¥199.00",
    ]
    assert [block.text for block in perception.blocks][:2] == [
        "收货地址不完整时，订单会停在待补充地址，仓库不会发货。",
        "请补全地址后保存。",
    ]
    assert ("订单编号", "202603150087731") in perception.pairs
    assert ("实付款", "¥199.00") in perception.pairs
    assert perception.screen == "order_detail"
