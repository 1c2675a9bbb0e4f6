"""The screenshot renderer in ``tests/screens.py`` draws text that the real OCR reads back."""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Callable

import numpy as np
import pytest
from PIL import Image
from rapidocr import RapidOCR

from tests import screens
from tests.screens import chat_screen, phone_screen, photo_like, terminal_screen, to_bytes, web_screen

OCR_MAX_SIDE = 1600  # a 1080x2340 phone screen is read at 739x1600: ~30% faster, same text

Reader = Callable[[Image.Image], list[str]]

ORDER_NO = "202611240087731"


def norm(text: str) -> str:
    """NFKC (full-width punctuation and digits to ASCII) and no whitespace: OCR splits, merges and
    re-spaces lines and mixes full-width and half-width punctuation."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def assert_reads(texts: list[str], *expected: str, fold: Callable[[str], str] = norm) -> None:
    joined = fold("".join(texts))
    missing = [e for e in expected if fold(e) not in joined]
    assert not missing, f"OCR did not read {missing!r}; it read {texts!r}"


@pytest.fixture(scope="module")
def ocr() -> Reader:
    # Screenshots are upright, so the 180-degree line classifier is off: with it on, RapidOCR 3.x
    # turns some upright lines upside down and reads garbage, e.g. the terminal line
    # 'java.lang.NullPointerException: Cannot invoke "Address.getStreet()" because "address" is null'.
    engine = RapidOCR(params={"Global.log_level": "error", "Global.use_cls": False})

    def read(image: Image.Image) -> list[str]:
        scale = OCR_MAX_SIDE / max(image.size)
        if scale < 1:
            size = (round(image.width * scale), round(image.height * scale))
            image = image.resize(size, Image.Resampling.LANCZOS)
        result = engine(image)
        return list(result.txts or ())

    return read


# --------------------------------------------------------------------------------------------- OCR


def test_phone_order_page_reads_back(ocr: Reader) -> None:
    image = phone_screen(
        "订单详情",
        status=("待补充地址", "收货地址信息不完整"),
        banner=["您的收货地址缺少门牌号，包裹可能无法派送。"],
        rows=[("订单编号", ORDER_NO), ("下单时间", "2026-11-24 10:32:08"), ("实付金额", "¥268.00")],
        lines=["如有疑问，请联系在线客服，工作时间为每天9:00-21:00。"],
        red_lines=["提示：修改地址后将重新计算运费"],
        buttons=["联系客服", "修改地址"],
    )
    assert image.mode == "RGB"
    assert image.size == (1080, 2340)
    texts = ocr(image)
    assert_reads(
        texts,
        "订单详情",
        "待补充地址",
        "收货地址信息不完整",
        "您的收货地址缺少门牌号，包裹可能无法派送。",
        "订单编号",
        ORDER_NO,
        "2026-11-24 10:32:08",
        "如有疑问，请联系在线客服",
        "提示：修改地址后将重新计算运费",
        "修改地址",
    )


def test_phone_modal_reads_back(ocr: Reader) -> None:
    image = phone_screen(
        "支付",
        rows=[("订单编号", ORDER_NO)],
        buttons=["立即支付"],
        modal=("支付失败", ["银行卡余额不足，请更换支付方式后重试。", "错误码：E1024"], ["取消", "重新支付"]),
    )
    assert_reads(ocr(image), "支付失败", "银行卡余额不足，请更换支付方式后重试。", "错误码：E1024", "重新支付")


def test_phone_dark_theme_toast_reads_back(ocr: Reader) -> None:
    image = phone_screen("我的钱包", dark=True, rows=[("账户余额", "¥12.50")], toast="网络连接失败，请稍后重试")
    assert np.asarray(image).mean() < 60  # a dark page
    assert_reads(ocr(image), "我的钱包", "账户余额", "12.50", "网络连接失败，请稍后重试")


def test_web_page_reads_back(ocr: Reader) -> None:
    image = web_screen(
        "账户安全",
        url="https://shop.example.com/account/security",
        status=("账号已冻结", "检测到异常登录"),
        banner=["为了您的账户安全，请完成身份验证后解冻。"],
        rows=[("用户名", "zhang_san_88"), ("绑定手机", "138****5678")],
        buttons=["身份验证"],
    )
    assert image.size == (1440, 900)
    assert_reads(
        ocr(image),
        "shop.example.com/account/security",
        "账号已冻结",
        "为了您的账户安全，请完成身份验证后解冻。",
        "zhang_san_88",
        "138****5678",
        "身份验证",
    )


def test_web_modal_reads_back(ocr: Reader) -> None:
    image = web_screen(
        "订单管理",
        rows=[("订单编号", ORDER_NO)],
        modal=("确认取消订单？", ["取消后优惠券将退回您的账户。"], ["再想想", "确认取消"]),
        toast="操作成功",
    )
    assert_reads(ocr(image), "确认取消订单？", "取消后优惠券将退回您的账户。", "再想想", "确认取消", "操作成功")


def test_terminal_stack_trace_reads_back(ocr: Reader) -> None:
    image = terminal_screen(
        [
            "2026-11-24 10:32:16.021 ERROR [http-nio-8080-exec-3] c.e.shop.OrderController : Request failed",
            'java.lang.NullPointerException: Cannot invoke "Address.getStreet()" because "address" is null',
            "\tat com.example.shop.OrderService.submit(OrderService.java:42)",
            "\tat com.example.shop.OrderController.create(OrderController.java:88)",
            "\t... 42 more",
        ]
    )
    assert image.size == (1600, 900)

    def fold(text: str) -> str:  # the monospace capital O reads as a zero ("0rderService")
        return norm(text).replace("O", "0")

    assert_reads(
        ocr(image),
        "java.lang.NullPointerException",
        "com.example.shop.OrderService.submit(OrderService.java:42)",
        "ERROR",
        fold=fold,
    )


def test_chat_bubbles_read_back_from_jpeg_bytes(ocr: Reader) -> None:
    image = chat_screen(
        [
            ("user", f"你好，我的订单{ORDER_NO}一直没有发货，怎么回事？"),
            ("agent", "您好，系统显示您的收货地址不完整，请补充门牌号后我们会尽快安排发货。"),
            ("user", "好的，我现在去改。"),
        ]
    )
    data = to_bytes(image, "JPEG", quality=85)
    assert data[:2] == b"\xff\xd8"
    decoded = Image.open(io.BytesIO(data)).convert("RGB")
    assert_reads(
        ocr(decoded),
        "在线客服",
        f"你好，我的订单{ORDER_NO}",
        "一直没有发货",
        "您好，系统显示您的收货地址不完整，请补充门牌号后我们会尽快安排发货。",
        "好的，我现在去改。",
    )


def test_photo_has_no_text(ocr: Reader) -> None:
    texts = ocr(photo_like(seed=3))
    assert len(norm("".join(texts))) <= 2, texts


# --------------------------------------------------------------------------------------------- no OCR


def test_same_call_same_pixels() -> None:
    kwargs: dict[str, object] = {
        "rows": [("订单编号", ORDER_NO)],
        "toast": "已复制",
        "modal": ("提示", ["x"], ["好"]),
    }
    assert phone_screen("订单", **kwargs).tobytes() == phone_screen("订单", **kwargs).tobytes()  # type: ignore[arg-type]
    assert photo_like(seed=5).tobytes() == photo_like(seed=5).tobytes()
    assert photo_like(seed=5).tobytes() != photo_like(seed=6).tobytes()
    assert terminal_screen(["a"]).tobytes() == terminal_screen(["a"]).tobytes()


def test_modal_dims_the_page_to_about_45_percent() -> None:
    base = np.asarray(phone_screen("订单", rows=[("订单编号", ORDER_NO)]), dtype=np.float64)
    dimmed = np.asarray(
        phone_screen("订单", rows=[("订单编号", ORDER_NO)], modal=("提示", ["确定吗"], ["好"])),
        dtype=np.float64,
    )
    corner = (slice(0, 400), slice(0, 1080))  # status and title bars, far from the dialog
    ratio = dimmed[corner].mean() / base[corner].mean()
    assert 0.40 <= ratio <= 0.50


def test_banner_is_red_on_pink() -> None:
    image = phone_screen("订单", banner=["地址不完整"])
    pixels = np.asarray(image).reshape(-1, 3)
    assert (pixels == (253, 236, 236)).all(axis=1).any()  # the banner background
    assert (pixels == (232, 60, 60)).all(axis=1).any()  # the stripe on its left


def test_long_text_wraps_inside_the_screen() -> None:
    line = "这是一段很长的说明文字，" * 8 + "The quick brown fox jumps over the lazy dog. " * 3
    lines = screens._wrap(line, screens._font(38), 900)
    assert len(lines) > 3
    assert all(screens._font(38).getlength(x) <= 900 + 40 for x in lines)  # closing punctuation may hang
    assert norm("".join(lines)) == norm(line)


def test_to_bytes_round_trips() -> None:
    image = photo_like(size=(320, 240))
    png = to_bytes(image)
    assert png.startswith(b"\x89PNG")
    assert Image.open(io.BytesIO(png)).size == (320, 240)
    assert to_bytes(image, "JPEG", quality=70)[:2] == b"\xff\xd8"


def test_missing_font_names_the_debian_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(screens, "_fc_match", lambda pattern: None)
    monkeypatch.setitem(screens._FONT_CANDIDATES, "regular", ("Nope", (("/nonexistent/font.ttc", 0),)))
    screens.find_font.cache_clear()
    try:
        with pytest.raises(RuntimeError, match="fonts-noto-cjk"):
            screens.find_font("regular")
    finally:
        screens.find_font.cache_clear()
