"""The local transformers engine, run for real on a tiny random GLM-4.1V checkpoint built in the test.

Needs torch and transformers (the `transformers` extra): without them these tests skip, except in CI
(SNAPDESK_REQUIRE_TRANSFORMERS=1), where their absence fails the run. The tiny model's words are
noise; the tests check the path: the image reached the model, the rung's decoding was used, tokens
were generated and cleaned, boxes land on the customer's pixels.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from snapdesk import Assistant
from snapdesk.config import EngineEntry
from snapdesk.engines import Case, load_engine
from snapdesk.engines.transformers_engine import LocalModelError, TransformersEngine
from snapdesk.intake import load_image
from snapdesk.knowledge import demo_kb_path, load_knowledge_base
from tests.engines.tiny_glm4v import MERGE, PATCH, build_tiny_glm4v

ORDER_PNG = Path(__file__).resolve().parents[2] / "examples" / "order.png"
MAX_SIDE = 112  # the working size: order.png (540x1170) goes in as 56x112 pixels, 8 image tokens


def _require_transformers() -> None:
    try:
        import tokenizers  # noqa: F401
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as error:
        if os.environ.get("SNAPDESK_REQUIRE_TRANSFORMERS") == "1":
            pytest.fail(f"torch and transformers are required in CI: {error}")
        pytest.skip(f"the transformers extra is not installed (pip install 'snapdesk[transformers]'): {error}")


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    _require_transformers()
    folder = tmp_path_factory.mktemp("tiny-glm4v")
    return folder, build_tiny_glm4v(folder)


def _entry(folder: Path, **overrides: Any) -> EngineEntry:
    settings: dict[str, Any] = {
        "name": "tiny", "kind": "transformers", "model_path": str(folder), "device": "cpu",
        "max_tokens": 8, "greedy_max_tokens": 5, "temperature": 0.7, "image_max_side": MAX_SIDE,
    }  # fmt: skip
    return EngineEntry(**(settings | overrides))


@pytest.fixture(scope="module")
def engine(checkpoint: tuple[Path, dict[str, int]]) -> TransformersEngine:
    # The registry's path: the entry's kind names the entry point, the class gets the entry; the service
    # runs it behind the guard (answer check, breaker), which these tests leave out to see the raw path.
    guarded = load_engine("tiny", entries=[_entry(checkpoint[0])])
    built = guarded.model  # type: ignore[attr-defined]
    assert isinstance(built, TransformersEngine) and guarded.name == "tiny" and guarded.accepts_images
    return built


class GenerateSpy:
    """Wraps the model's generate: records its inputs, keyword arguments and outputs."""

    def __init__(self, engine: TransformersEngine, monkeypatch: pytest.MonkeyPatch, pause: float = 0.0) -> None:
        self.calls: list[tuple[dict[str, Any], Any]] = []
        self.running = self.most_at_once = 0
        real = engine.model.generate

        def spy(**kwargs: Any) -> Any:
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
            time.sleep(pause)  # widens the window in which an unlocked second call would overlap
            try:
                output = real(**kwargs)
            finally:
                self.running -= 1
            self.calls.append((kwargs, output))
            return output

        monkeypatch.setattr(engine.model, "generate", spy)


@pytest.fixture(scope="module")
def tiny_assistant(assistant: Assistant, engine: TransformersEngine) -> Assistant:
    return assistant.with_engine(engine)  # the session's pipeline (no moderators), its OCR cache shared


def test_a_real_case_reaches_the_model_with_its_image(
    engine: TransformersEngine, tiny_assistant: Assistant, checkpoint: tuple[Path, dict[str, int]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    from transformers import Glm4vProcessor

    # The checkpoint's own processor class (built image-only where torchvision is missing, as here).
    assert isinstance(engine.processor, Glm4vProcessor)
    ids = checkpoint[1]
    spy = GenerateSpy(engine, monkeypatch)
    answer = tiny_assistant.generate(image=ORDER_PNG, text="我的货怎么还没发？")

    ((kwargs, output),) = spy.calls
    input_ids = kwargs["input_ids"][0]
    grid = kwargs["image_grid_thw"][0].tolist()
    # The screenshot went in at the working size (longest side 112 → 8x4 patches of 14 px), as pixels.
    assert grid == [1, 8, 4]
    assert kwargs["pixel_values"].shape == (grid[0] * grid[1] * grid[2], 3 * 2 * PATCH * PATCH)
    assert kwargs["pixel_values"].abs().sum() > 0
    # The processor expanded the template's one image slot into one token per merged patch group.
    image_tokens = int((input_ids == ids["<|image|>"]).sum())
    assert image_tokens == grid[1] * grid[2] // MERGE**2 == 8
    prompt = engine.processor.decode(input_ids, skip_special_tokens=False)
    assert prompt.startswith("[gMASK]<sop><|system|>\n") and prompt.endswith("<|assistant|>\n")
    assert "<|begin_of_image|>" + "<|image|>" * 8 + "<|end_of_image|>" in prompt
    assert "202611240087731" in prompt and "我的货怎么还没发？" in prompt  # the OCR'd order number, the question
    # The best rung: sampling at the entry's temperature, max_tokens new tokens at most, some generated.
    assert kwargs["max_new_tokens"] == 8 and kwargs["do_sample"] is True and kwargs["temperature"] == 0.7
    assert input_ids.shape[0] < output.shape[1] <= input_ids.shape[0] + 8
    assert answer.engine == "tiny" and isinstance(answer.text, str)
    for token in ("<|endoftext|>", "<|user|>", "<|assistant|>", "<think>", "<|image|>"):
        assert token not in answer.text


def test_the_greedy_rung_decodes_greedily_with_its_shorter_budget(
    engine: TransformersEngine, tiny_assistant: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = GenerateSpy(engine, monkeypatch)
    deadline = time.monotonic() + 5
    tiny_assistant.generate(image=ORDER_PNG, text="我的货怎么还没发？", effort="greedy", deadline=deadline)
    ((kwargs, output),) = spy.calls
    assert kwargs["max_new_tokens"] == 5 and kwargs["do_sample"] is False and kwargs["num_beams"] == 1
    assert 0 < kwargs["max_time"] <= 5  # the request's deadline bounds generation, not only the entry's timeout
    assert kwargs["input_ids"].shape[1] < output.shape[1] <= kwargs["input_ids"].shape[1] + 5
    # Greedy is deterministic: the same case gives the same tokens.
    tiny_assistant.generate(image=ORDER_PNG, text="我的货怎么还没发？", effort="greedy")
    assert spy.calls[1][1].tolist() == output.tolist()


def test_beam_search_on_the_best_rung_when_a_beam_width_is_set(checkpoint: tuple[Path, dict[str, int]]) -> None:
    beams = TransformersEngine(entry=_entry(checkpoint[0], beam_width=2, max_tokens=4))
    assert beams.generation_kwargs(_case(None)) == {"max_new_tokens": 4, "do_sample": False, "num_beams": 2}
    reply = beams.answer(_case(None, question="退款多久能到账？"))  # a question without an image
    assert isinstance(reply.text, str) and reply.boxes == []


def test_boxes_map_to_the_original_image_and_reasoning_is_dropped(engine: TransformersEngine) -> None:
    case = _case(Image.new("RGB", (800, 1600), "white"))
    raw = "<think>看截图</think>订单状态为待补充地址。<|begin_of_box|>[[100,200,300,400]]<|end_of_box|><|endoftext|>"
    reply = engine.reply_for(case, raw)
    assert reply.boxes == [(80, 320, 240, 640)]  # 0–1000 grid → pixels of the 800x1600 original
    assert reply.text == "订单状态为待补充地址。"


def _drain(stream: Any) -> tuple[list[str], Any]:
    """Every piece a stream yields, and the Reply it returns at its end."""
    pieces = []
    while True:
        try:
            pieces.append(next(stream))
        except StopIteration as end:
            return pieces, end.value


def test_streaming_sends_the_text_as_it_is_written_and_ends_with_the_same_reply(engine: TransformersEngine) -> None:
    case = _case(load_image(ORDER_PNG).image, effort="greedy")
    pieces, streamed = _drain(engine.stream(case))
    whole = engine.answer(case)  # greedy: the same tokens as the stream
    assert pieces and all(piece for piece in pieces)
    assert not any(token in "".join(pieces) for token in ("<|endoftext|>", "<|user|>", "<|assistant|>"))
    assert (streamed.text, streamed.problems, streamed.boxes) == (whole.text, whole.problems, whole.boxes)
    # Five greedy tokens of a random model end without an end-of-turn token: truncated on both paths.
    assert any(p.startswith("truncated") for p in streamed.problems)
    assert engine.reply_for(case, "好的。<|endoftext|>").problems == []  # this checkpoint's end-of-turn token


def test_a_stream_nobody_listens_to_any_more_stops_generating(
    checkpoint: tuple[Path, dict[str, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    long = TransformersEngine(entry=_entry(checkpoint[0], greedy_max_tokens=300, timeout_seconds=60))
    spy = GenerateSpy(long, monkeypatch)
    case = _case(None, question="退款多久能到账？", effort="greedy")
    _drain(long.stream(case))  # listened to the end: greedy, so the same tokens every time
    written = spy.calls[0][1].shape[1] - spy.calls[0][0]["input_ids"].shape[1]
    assert written > 50
    stream = long.stream(case)
    next(stream)
    stream.close()  # the guard withdrew the answer, or the customer left
    stopped = spy.calls[1][1].shape[1] - spy.calls[1][0]["input_ids"].shape[1]
    assert stopped < written  # generation stopped early instead of running to its end
    assert long._lock.acquire(blocking=False)  # and the model is free for the next request
    long._lock.release()


def test_a_failing_generate_ends_the_stream_with_an_error_and_frees_the_model(
    engine: TransformersEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**kwargs: Any) -> Any:
        raise RuntimeError("CUDA out of memory")

    monkeypatch.setattr(engine.model, "generate", broken)
    with pytest.raises(LocalModelError, match="CUDA out of memory"):
        _drain(engine.stream(_case(None, question="退款多久能到账？", effort="greedy")))
    assert engine._lock.acquire(blocking=False)
    engine._lock.release()


def test_a_generate_that_does_not_stop_is_given_up_on(
    checkpoint: tuple[Path, dict[str, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from snapdesk.engines import transformers_engine

    stuck = TransformersEngine(entry=_entry(checkpoint[0]))
    release = threading.Event()

    def ignores_stop(**kwargs: Any) -> Any:
        kwargs["streamer"].on_finalized_text("好的", stream_end=False)
        release.wait(10)  # a kernel that never returns, until the test lets it go

    monkeypatch.setattr(transformers_engine, "_STOP_GRACE_SECONDS", 0.2)
    monkeypatch.setattr(stuck.model, "generate", ignores_stop)
    stream = stuck.stream(_case(None, effort="greedy"))
    assert next(stream) == "好的"
    stream.close()  # returns after the grace period although generate is still running
    with pytest.raises(LocalModelError, match="never stopped"):
        stuck.answer(_case(None, effort="greedy"))  # no second generate beside the stuck one
    release.set()


def test_the_guard_streams_through_a_local_model(
    checkpoint: tuple[Path, dict[str, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    guarded = load_engine("tiny", entries=[_entry(checkpoint[0])])
    streams: list[Case] = []
    real = guarded.model.stream  # type: ignore[attr-defined]
    monkeypatch.setattr(guarded.model, "stream", lambda case: streams.append(case) or real(case))  # type: ignore[attr-defined]
    heard: list[tuple[str, bool]] = []
    case = _case(None, question="退款多久能到账？", effort="greedy")
    case.on_text = lambda text, final: heard.append((text, final))
    reply = guarded.answer(case)
    assert streams == [case]
    # Random tokens fail the answer check (truncated at least): the offline answer is what the listener gets.
    assert reply.rung == "offline" and heard and heard[-1][0] == reply.text


def test_one_generate_at_a_time(engine: TransformersEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    spy = GenerateSpy(engine, monkeypatch, pause=0.2)
    case = _case(Image.new("RGB", (200, 300), "white"), effort="greedy")
    threads = [threading.Thread(target=engine.answer, args=(case,)) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(spy.calls) == 3 and spy.most_at_once == 1


def test_a_missing_model_folder_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-model"
    with pytest.raises(LocalModelError, match=f"model folder '{missing}' does not exist"):
        load_engine("tiny", entries=[_entry(missing)])
    with pytest.raises(LocalModelError, match="needs model_path"):
        TransformersEngine(entry=_entry(tmp_path, model_path=None))


def test_without_torch_the_error_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now fails, as without the extra
    with pytest.raises(LocalModelError, match=r"needs torch and transformers \(pip install 'snapdesk\[transformers\]'"):
        TransformersEngine(entry=_entry(tmp_path))


def test_a_broken_checkpoint_is_a_clear_error(tmp_path: Path) -> None:
    _require_transformers()
    (tmp_path / "config.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(LocalModelError, match=f"cannot load the model in '{tmp_path}'"):
        TransformersEngine(entry=_entry(tmp_path))


def test_the_module_registers_without_importing_torch() -> None:
    code = (
        "import sys; from snapdesk.engines import available_engines;"
        "available_engines()['transformers'].load();"
        "assert sys.modules.get('torch') is None and sys.modules.get('transformers') is None, 'imported at load'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def _case(image: Image.Image | None, *, question: str = "这是什么问题？", effort: str = "best") -> Case:
    return Case(
        question=question,
        language="zh",
        intent="other",
        knowledge=load_knowledge_base(demo_kb_path()),
        hits=[],
        image=load_image(image) if image is not None else None,
        effort=effort,
    )
