"""A long scrolling screenshot is read in tiles: text at the bottom of a 1080x9000 capture is still read.

Read whole, RapidOCR would shrink it to 2,000 px tall and garble its text (measured: see ocr.py).
"""

from __future__ import annotations

from PIL import Image

from snapdesk.perception import perceive
from tests.screens import phone_screen


def _long_capture(height: int = 9000) -> Image.Image:
    top = phone_screen("订单详情", status=("待补充地址", "收货地址信息不完整"), rows=[("订单编号", "202611240087731")])
    middle = phone_screen("订单详情", lines=["商品清单"] + [f"商品 {n} 号 保温杯 ¥{n}9.00" for n in range(1, 20)])
    bottom = phone_screen("订单详情", banner=["收货地址不完整：缺少门牌号"], rows=[("退款编号", "TK2026112409911")])
    canvas = Image.new("RGB", (1080, height), "white")
    canvas.paste(top.crop((0, 0, 1080, 2200)), (0, 0))
    canvas.paste(middle.crop((0, 180, 1080, 2340)), (0, 2150))  # seams fall inside tiles and overlaps
    canvas.paste(bottom.crop((0, 180, 1080, 2340)), (0, height - 2160))
    return canvas


def test_text_everywhere_in_a_long_capture_is_read_once() -> None:
    perception = perceive(_long_capture())
    texts = [line.text.replace(" ", "") for line in perception.lines]
    assert any("202611240087731" in t for t in texts)  # first tile
    assert "收货地址不完整：缺少门牌号" in texts  # the last tile, read exactly
    assert "退款编号" in texts and "TK2026112409911" in texts
    # Lines in the overlaps are kept once, not once per tile.
    goods = [t for t in texts if "保温杯" in t]
    assert len(goods) == len(set(goods)) >= 15
    # Boxes are in the capture's coordinates.
    tail = next(line for line in perception.lines if "TK2026112409911" in line.text.replace(" ", ""))
    assert tail.box[1] > 9000 - 2160
