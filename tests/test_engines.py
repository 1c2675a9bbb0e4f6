"""Engines register through entry points; a plugin engine gets the same grounded case as the built-in."""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points
from typing import ClassVar

import pytest

from snapdesk import Assistant
from snapdesk.engines import Case, Engine, Reply, available_engines, load_engine
from snapdesk.engines.offline import OfflineEngine
from snapdesk.engines.registry import UnknownEngineError
from tests.screens import phone_screen


class RecordingEngine(Engine):
    """A plugin that records what it was asked."""

    name: ClassVar[str] = "recording"
    accepts_images: ClassVar[bool] = True
    cases: ClassVar[list[Case]] = []

    def answer(self, case: Case) -> Reply:
        RecordingEngine.cases.append(case)
        return Reply(text=f"recorded {case.intent}", escalate=False, passages=case.hits[:1])


@pytest.fixture
def with_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    plugin = EntryPoint(name="recording", value=f"{__name__}:RecordingEngine", group="snapdesk.engines")

    def patched(group: str):
        found = list(entry_points(group=group))
        return [*found, plugin] if group == "snapdesk.engines" else found

    monkeypatch.setattr("snapdesk.engines.registry.entry_points", patched)
    RecordingEngine.cases.clear()


def test_the_builtin_engine_registers_through_entry_points() -> None:
    assert "offline" in available_engines()
    assert isinstance(load_engine("offline"), OfflineEngine)


def test_an_unknown_engine_is_a_clear_error() -> None:
    with pytest.raises(UnknownEngineError, match=r"unknown engine 'nope'.*offline"):
        load_engine("nope")


def test_a_plugin_engine_gets_the_grounded_case(with_plugin: None) -> None:
    assistant = Assistant.from_settings(engine="recording", moderators=[])
    image = phone_screen("收银台", modal=("支付失败", ["错误码：PAY-1101", "超出单笔支付限额"], ["知道了"]))
    answer = assistant.generate(image=image, text="为什么付不了款？")
    assert answer.engine == "recording" and answer.text == "recorded payment_failure"
    (case,) = RecordingEngine.cases
    assert case.image is not None and case.perception is not None
    assert "PAY-1101" in case.fields.codes
    assert case.hits and "PAY-1101" in case.hits[0].matched_keys
    assert answer.passages and answer.passages[0]["id"] == case.hits[0].passage.id
