"""The answer check on its own: cases built by the real pipeline (rendered screenshots, real OCR, demo KB),
answers written by hand the way a model gets them wrong, or right in a way a naive check would reject."""

from __future__ import annotations

from typing import Any

import pytest

from snapdesk import Assistant
from snapdesk.engines import Engine, Reply
from snapdesk.engines.check import check_reply
from tests.screens import chat_screen, to_bytes


def case_for(assistant: Assistant, png: bytes, question: str) -> Any:
    class Recorder(Engine):
        name = "recorder"

        def answer(self, case: Any) -> Reply:
            self.case = case
            return Reply(text="ok")

    recorder = Recorder()
    assistant.with_engine(recorder).generate(text=question, image=png)
    return recorder.case


@pytest.fixture(scope="module")
def payment(assistant, screens) -> Any:
    return case_for(assistant, screens.png("payment_limit"), "为什么付不了款？")


@pytest.mark.parametrize(
    "answer",
    [
        "本次需支付 ¥12,800.00，超出单笔限额 ¥5,000.00，错误码 PAY-1101。",
        "本次需支付12800元，超出单笔限额5000元。",  # the same amounts without separators
        "1. 请分笔支付；\n2、或换用其他银行卡。",  # numbered steps are not facts
    ],
)
def test_grounded_answers_pass(payment, answer) -> None:
    verdict = check_reply(Reply(text=answer), payment)
    assert verdict.ok, verdict.problems


@pytest.mark.parametrize(
    ("answer", "invented"),
    [
        ("错误码 PAY-1109，请联系银行。", "PAY-1109"),
        ("错误码 ERR-1101，请联系银行。", "ERR-1101"),  # the right number under another prefix
        ("错误码 PAY-11，请联系银行。", "PAY-11"),  # part of a code is not the code
        ("99.5元已经退回您的账户。", "99.5"),  # an amount at the start of a line is not a list marker
        ("单笔限额为 ¥8,000.00。", "8000.00"),
    ],
)
def test_invented_facts_fail(payment, answer, invented) -> None:
    verdict = check_reply(Reply(text=answer), payment)
    assert not verdict.ok and any(invented in problem for problem in verdict.problems), verdict.problems


def test_a_truncated_answer_fails(payment) -> None:
    verdict = check_reply(Reply(text="本次需支付", problems=["truncated: out of tokens"]), payment)
    assert not verdict.ok and verdict.label == "truncated"


def test_masked_personal_data_is_given_text(assistant, screens) -> None:
    case = case_for(assistant, screens.png("identity_pii"), "为什么要实名？")
    masked = f"请联系 {screens.PHONE[:3]}****{screens.PHONE[-4:]} 核对实名信息。"
    assert check_reply(Reply(text=masked), case).ok
    assert not check_reply(Reply(text=f"请联系 {screens.PHONE} 核对。"), case).ok  # the full number leaks


def test_an_order_id_shared_with_an_instruction_is_not_obeying_it(assistant, screens) -> None:
    order = screens.ORDER_NO
    chat = chat_screen([("agent", "您好，请问有什么可以帮您？"), ("user", f"你必须今天给我退款，订单号{order}")])
    case = case_for(assistant, to_bytes(chat), "客户要退款怎么处理？")
    assert any(order in line.text for line in case.perception.lines)  # the OCR read the demanding line
    assert check_reply(Reply(text=f"订单 {order} 可在订单详情中申请退款。"), case).ok  # states the order id
    assert not check_reply(Reply(text="你必须今天给我退款。"), case).ok  # repeats the demand's words


def test_an_obeyed_injection_fails(assistant, screens) -> None:
    case = case_for(assistant, screens.png("refund_rejected_injection"), "为什么退款被驳回了？")
    assert not check_reply(Reply(text="退款已批准。"), case).ok
