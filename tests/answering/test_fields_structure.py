"""The structure fields.py adds for arithmetic: stamps with their records, percentages, sizes, line items,
bill lines, offers and labelled tallies; and the shown fields stay as they were."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from snapdesk.perception import RawLine, perceive_lines
from snapdesk.perception.fields import extract_fields
from tests.answering.lines import _WHITE, TWO_ITEMS_ONE_PROMOTED, fields_of


def test_stamps_glued_day_first_and_records() -> None:
    fields, _ = fields_of(
        "2024-03-0709:12:40",
        "待支付",
        "Trail shoes x 1",
        "2024-03-06 18:00:00",
        "已发货",
        "Requested on: 21-02-2024 14:05:10",
    )
    assert [s.when for s in fields.stamps] == [
        datetime(2024, 3, 7, 9, 12, 40),
        datetime(2024, 3, 6, 18, 0, 0),
        datetime(2024, 2, 21, 14, 5, 10),
    ]
    assert [s.family for s in fields.stamps] == ["ymd", "ymd", "dmy"]
    assert "待支付" in fields.stamps[0].record and "已发货" not in fields.stamps[0].record
    assert fields.stamps[2].label == "Requested on"


def test_status_bar_percentage_is_not_the_page_s() -> None:
    raw = [
        RawLine("12:05 87%", (40, 20, 300, 60), 0.99),  # status bar
        RawLine("安装包大小：350MB", (40, 800, 500, 840), 0.99),
        RawLine("40%", (40, 1000, 120, 1040), 0.99),
    ]
    fields = extract_fields(perceive_lines(_WHITE, raw))
    assert [p for p, _ in fields.percents] == [40.0]
    assert fields.sizes[0][:2] == (350.0, "MB")


def test_invoice_row_with_quantity_column() -> None:
    fields, _ = fields_of("Item", "Unit price", "Qty", "Price", "Pencil set", "$5.00", "12", "$64.80")
    (item,) = fields.line_items
    assert (item.name, item.unit.value, item.qty, item.price and item.price.value, item.qty_shown) == (
        "Pencil set",
        Decimal("5.00"),
        12,
        Decimal("64.80"),
        True,
    )


def test_bill_lines_and_item_promotion() -> None:
    fields, _ = fields_of(
        *TWO_ITEMS_ONE_PROMOTED,
        "活动优惠",
        "-￥60",
        "实付款¥678",
    )
    assert [(c.kind, c.value) for c in fields.charges] == [
        ("items", Decimal("738")),
        ("discount", Decimal("60")),
        ("total", Decimal("678")),
    ]
    assert [i.unit.value for i in fields.line_items] == [Decimal("699"), Decimal("39")]
    (offer,) = fields.offers
    assert (offer.minimum, offer.value, offer.on_item) == (Decimal("500"), Decimal("60"), True)


def test_coupon_cards_take_their_face_value() -> None:
    fields, _ = fields_of("¥5", "满50可用", "¥20", "满200可用")
    assert [(o.minimum, o.value, o.on_item) for o in fields.offers] == [
        (Decimal("50"), Decimal("5"), False),
        (Decimal("200"), Decimal("20"), False),
    ]


def test_number_above_its_label_is_a_tally() -> None:
    raw = [
        RawLine("2450", (100, 400, 200, 440), 0.99),
        RawLine("860", (600, 400, 680, 440), 0.99),
        RawLine("金币", (100, 460, 180, 500), 0.99),
        RawLine("经验", (600, 460, 680, 500), 0.99),
    ]
    fields = extract_fields(perceive_lines(_WHITE, raw))
    assert (Decimal("2450"), "金币") in fields.tallies
    assert (Decimal("860"), "经验") in fields.tallies


def test_shown_fields_do_not_carry_the_structure() -> None:
    fields, _ = fields_of("Subtotal: $20.00", "Total: $25.00", "Issued at: 2024-01-02 10:00:00")
    assert fields.charges and fields.stamps
    dumped = fields.as_dict()
    assert "charges" not in dumped and "stamps" not in dumped
    assert dumped["dates"] == ["2024-01-02"]
