"""A business the project has never seen: an English shop, its own codes, thresholds and teams."""

from __future__ import annotations

from pathlib import Path

import pytest

from snapdesk import Assistant
from tests.screens import phone_screen, web_screen

KB = {
    "kb.yaml": "name: Acme Store\nlanguage: en\nteams: [Payments Risk, Shipping Desk]\n",
    "payments.md": """# Payment errors

## Error codes

| Code | Meaning | What to do |
| --- | --- | --- |
| PAY-4021 | Card's single transaction limit exceeded | Use a card with a higher limit, or split the payment |
| PAY-4090 | Blocked by fraud screening | Do not retry; our risk team reviews it |

## Blocked by fraud screening (PAY-4090)

Payments blocked by fraud screening cannot be retried. A risk analyst reviews the order within one business day.

Escalate: Payments Risk
""",
    "shipping.md": """# Shipping and delivery

## Tracking not updated for more than 2 days

If tracking has not moved for more than 48 hours, tap "Chase courier" on the tracking page.

## Tracking not updated for more than 6 days

After 6 days without a scan we treat the parcel as lost and open a trace with the carrier.

Escalate: Shipping Desk
""",
}


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    folder: Path = tmp_path_factory.mktemp("acme_kb")
    for name, text in KB.items():
        (folder / name).write_text(text, encoding="utf-8")
    return Assistant.from_settings(kb_path=folder, moderators=[])


def test_payment_over_the_limit_is_computed_and_answered_in_english(assistant: Assistant) -> None:
    image = web_screen(
        "Checkout",
        modal=(
            "Payment failed",
            ["Error PAY-4021: your card's single transaction", "limit is $500.00, this payment is $742.50."],
            ["OK"],
        ),
    )
    answer = assistant.generate(image=image, text="Why can't I pay?")
    assert answer.language == "en" and answer.intent == "payment_failure" and not answer.escalate
    assert "242.50" in answer.text  # 742.50 - 500.00, computed
    assert "higher limit" in answer.text  # the remedy from this shop's table row


def test_fraud_block_hands_over_to_the_team_the_kb_names(assistant: Assistant) -> None:
    image = web_screen(
        "Checkout",
        modal=("Payment failed", ["Error PAY-4090: this payment was blocked", "by fraud screening."], ["OK"]),
    )
    answer = assistant.generate(image=image, text="payment failed, what now?")
    assert answer.escalate and answer.team == "Payments Risk"
    assert "Payments Risk" in answer.text


@pytest.mark.parametrize(("days", "team"), [(4, None), (8, "Shipping Desk")])
def test_the_threshold_the_stall_has_passed_decides(assistant: Assistant, days: int, team: str | None) -> None:
    image = phone_screen("Tracking", banner=[f"No tracking update for {days} days"], lines=["Arrived at Memphis hub"])
    answer = assistant.generate(image=image, text="My parcel hasn't moved, is it lost?")
    assert answer.intent == "logistics"
    assert answer.team == team and answer.escalate == (team is not None)
    assert f"{days} days" in answer.text
