"""A vision-language model run in process with Hugging Face transformers (GLM-4.1V, GLM-4.6V-Flash, …).

Declared in configuration (`[[engines]]`, kind "transformers", `model_path` a local checkpoint folder);
nothing is ever downloaded. The screenshot goes through the processor and chat template the checkpoint
ships, at the entry's working size; the case goes as grounding text (engines/prompt.py). The raw
output is decoded with its special tokens, so that reasoning and GLM's box tokens can be read and
stripped, and boxes are mapped onto the customer's original image.

torch and transformers are imported when an engine is built, not when this module is: the registry
loads every entry point's module, and SnapDesk runs without the `transformers` extra.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any, ClassVar

from ..config import EngineEntry
from .base import Case, Engine, EngineUnavailableError, Reply
from .prompt import build_messages, clean_output, reply_from_output, resized

# How long a streamed generate told to stop may take to notice (it checks once per token).
_STOP_GRACE_SECONDS = 10.0
# Special tokens clean_output reads (reasoning, boxes); every other special token is stripped before it.
_READ_BY_CLEAN_OUTPUT = frozenset({"<think>", "</think>", "<|begin_of_box|>", "<|end_of_box|>"})


class LocalModelError(EngineUnavailableError):
    """The local model cannot be loaded or did not generate: a missing folder, a broken checkpoint, no torch."""

    code = "local_model_error"


class TransformersEngine(Engine):
    name: ClassVar[str] = "transformers"
    accepts_images: ClassVar[bool] = True

    def __init__(self, *, entry: EngineEntry) -> None:
        if not entry.model_path:
            raise LocalModelError(f"engine {entry.name!r}: a transformers engine needs model_path (a local folder)")
        path = Path(entry.model_path).expanduser()
        if not path.is_dir():
            raise LocalModelError(f"engine {entry.name!r}: model folder {str(path)!r} does not exist")
        try:
            import torch
            import transformers  # noqa: F401  # fail here, with the install hint, rather than mid-load
        except ImportError as error:
            raise LocalModelError(
                f"engine {entry.name!r}: the transformers engine needs torch and transformers "
                f"(pip install 'snapdesk[transformers]'): {error}"
            ) from error
        self.entry = entry
        self.name = entry.name  # type: ignore[misc]  # an instance is named after its entry
        self.accepts_images = entry.accepts_images  # type: ignore[misc]
        device = entry.device
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = torch.device(device)
        self.needs_gpu = self.device.type == "cuda"  # type: ignore[misc]
        # bfloat16 halves GPU memory at no cost in answer quality; CPUs are slow (or wrong) in bf16.
        self.dtype = torch.bfloat16 if self.device.type == "cuda" else torch.float32
        try:
            self.processor = _load_processor(path)
            self.model = _load_model(path, self.device, self.dtype)
        except Exception as error:  # a corrupt checkpoint, an unknown architecture, out of memory
            raise LocalModelError(
                f"engine {entry.name!r}: cannot load the model in {str(path)!r}: {type(error).__name__}: {error}"
            ) from error
        specials = {t.content for t in self.processor.tokenizer.added_tokens_decoder.values() if t.special}
        # Longest first: a token that contains another is removed whole.
        self._strip = sorted(specials - _READ_BY_CLEAN_OUTPUT, key=len, reverse=True)
        eos = self.model.generation_config.eos_token_id
        eos_ids = [eos] if isinstance(eos, int) else list(eos or ())
        # How a finished answer ends when decoded with its special tokens (GLM: <|user|>, <|endoftext|>, …).
        ends = self.processor.tokenizer.convert_ids_to_tokens(eos_ids)
        self._ends = tuple(token for token in ends if token)
        # One generate at a time: the service calls engines from a thread pool, and a model on one
        # device gains nothing from interleaved calls but memory pressure.
        self._lock = threading.Lock()
        self._stuck = False  # a streamed generate that did not stop when told to (see stream)

    def generation_kwargs(self, case: Case) -> dict[str, Any]:
        """`generate` arguments for the case's rung: best (beams or sampling) or greedy (shorter)."""
        entry = self.entry
        if case.effort == "greedy":
            return {"max_new_tokens": entry.greedy_max_tokens, "do_sample": False, "num_beams": 1}
        if entry.beam_width > 1:
            return {"max_new_tokens": entry.max_tokens, "do_sample": False, "num_beams": entry.beam_width}
        if entry.temperature > 0:
            return {"max_new_tokens": entry.max_tokens, "do_sample": True, "temperature": entry.temperature}
        return {"max_new_tokens": entry.max_tokens, "do_sample": False, "num_beams": 1}

    def inputs(self, case: Case) -> dict[str, Any]:
        """The model inputs: the chat template the checkpoint ships, the image at the working size."""
        image_part = None
        if self.entry.accepts_images and case.image is not None:
            image_part = {"type": "image", "image": resized(case.image.image, self.entry.image_max_side)}
        encoded = self.processor.apply_chat_template(
            build_messages(case, image_part=image_part),
            tokenize=True,
            add_generation_prompt=True,
            return_dict=True,
            return_tensors="pt",
        )
        encoded.pop("token_type_ids", None)  # some tokenizers add it; generate() rejects it
        return {
            key: value.to(self.device, dtype=self.dtype) if value.is_floating_point() else value.to(self.device)
            for key, value in encoded.items()
        }

    def _generate_kwargs(self, case: Case) -> dict[str, Any]:
        """The model inputs and generate arguments, with the time left to this request (call under the lock)."""
        kwargs = self.inputs(case) | self.generation_kwargs(case)
        # The request's deadline bounds the time spent generating (counted after the wait for the lock).
        budget = self.entry.timeout_seconds
        if case.deadline is not None:
            budget = min(budget, case.deadline - time.monotonic())
        if budget < 0.1:  # the wait for the lock used up the request's time: nothing worth generating
            raise LocalModelError(f"engine {self.name!r}: no time left to generate")
        kwargs["max_time"] = budget
        return kwargs

    def _failed(self, error: Exception) -> LocalModelError:  # out of memory, a bad input shape: the guard falls back
        return LocalModelError(f"engine {self.name!r}: generation failed: {type(error).__name__}: {error}")

    def _check_not_stuck(self) -> None:
        if self._stuck:
            raise LocalModelError(f"engine {self.name!r}: an earlier generate never stopped; restart SnapDesk")

    def answer(self, case: Case) -> Reply:
        import torch

        with self._lock:
            self._check_not_stuck()
            kwargs = self._generate_kwargs(case)
            try:
                with torch.inference_mode():
                    output = self.model.generate(**kwargs)
            except Exception as error:
                raise self._failed(error) from error
            new_tokens = output[0, kwargs["input_ids"].shape[1] :]
            raw = self.processor.decode(new_tokens, skip_special_tokens=False)
        return self.reply_for(case, raw)

    def stream(self, case: Case) -> Generator[str, None, Reply]:
        """The answer's text as the model writes it (special tokens left out); returns the final Reply.

        generate runs in a thread and hands its text over through transformers' TextIteratorStreamer. Closing
        the stream early (the guard does when it stops reading) stops generation at the next token instead of
        leaving the model busy. A generate that does not stop is given up on: this engine then refuses further
        calls (the guard answers offline) rather than run a second generate beside a stuck one."""
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        class StopWhenAsked(StoppingCriteria):
            def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> bool:
                return stop.is_set()

        stop, failures = threading.Event(), []
        with self._lock:
            self._check_not_stuck()
            kwargs = self._generate_kwargs(case)
            streamer = TextIteratorStreamer(
                self.processor.tokenizer, skip_prompt=True, skip_special_tokens=False, timeout=kwargs["max_time"] + 30
            )
            kwargs |= {"streamer": streamer, "stopping_criteria": StoppingCriteriaList([StopWhenAsked()])}

            def generate() -> None:
                try:
                    with torch.inference_mode():
                        self.model.generate(**kwargs)
                except Exception as error:
                    failures.append(error)
                finally:
                    # The listener waits for this even when generate (or the streamer's own decoding) failed.
                    streamer.text_queue.put(streamer.stop_signal)

            worker = threading.Thread(target=generate, name=f"{self.name}-generate", daemon=True)
            worker.start()
            raw = ""
            try:
                for piece in streamer:
                    raw += piece
                    if shown := self._without_specials(piece):
                        yield shown
            except queue.Empty as error:  # generate hung past its own time limit
                raise LocalModelError(f"engine {self.name!r}: the model stopped sending text") from error
            finally:
                stop.set()
                worker.join(timeout=_STOP_GRACE_SECONDS)
                if worker.is_alive():
                    self._stuck = True
        if failures:
            raise self._failed(failures[0]) from failures[0]
        return self.reply_for(case, raw)

    def reply_for(self, case: Case, raw: str) -> Reply:
        """The decoded output (special tokens included) as a Reply: end-of-turn and padding tokens dropped, the
        rest cleaned; marked truncated when it does not end with an end-of-turn token (max tokens or time)."""
        ended = raw.rstrip().endswith(self._ends) if self._ends else True
        size = case.image.image.size if case.image is not None else (None, None)
        reply = reply_from_output(case, clean_output(self._without_specials(raw), width=size[0], height=size[1]))
        if not ended:
            reply.problems.append("truncated: the model stopped before the end of its answer")
        return reply

    def _without_specials(self, text: str) -> str:
        for token in self._strip:
            text = text.replace(token, "")
        return text


def _load_processor(path: Path) -> Any:
    from transformers import AutoProcessor
    from transformers.utils import is_torchvision_available

    try:
        return AutoProcessor.from_pretrained(path, local_files_only=True)
    except ImportError:
        # Video-capable processors (GLM-4.xV, Qwen-VL) load a video processor that needs torchvision,
        # which CPU-only installs often lack. SnapDesk sends images only, so it does without one.
        if is_torchvision_available():
            raise
        return _image_only_processor(path)


def _image_only_processor(path: Path) -> Any:
    """The checkpoint's own processor class, built from its tokenizer and image processor alone."""
    import transformers
    from transformers import AutoConfig, AutoImageProcessor, AutoTokenizer
    from transformers.models.auto.processing_auto import PROCESSOR_MAPPING_NAMES

    model_type = AutoConfig.from_pretrained(path, local_files_only=True).model_type
    processor_class = getattr(transformers, PROCESSOR_MAPPING_NAMES[model_type])

    class ImageOnlyProcessor(processor_class):  # type: ignore[misc, valid-type]
        def check_argument_for_proper_class(self, argument_name: str, argument: Any) -> Any:
            # The class check for the video processor needs torchvision itself; None is what we pass.
            if argument_name == "video_processor" and argument is None:
                return None
            return super().check_argument_for_proper_class(argument_name, argument)

    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    template = tokenizer.chat_template
    if template is None and (path / "chat_template.json").is_file():  # older checkpoints keep it there
        template = json.loads((path / "chat_template.json").read_text(encoding="utf-8")).get("chat_template")
    return ImageOnlyProcessor(
        image_processor=AutoImageProcessor.from_pretrained(path, local_files_only=True),
        tokenizer=tokenizer,
        video_processor=None,
        chat_template=template,
    )


def _load_model(path: Path, device: Any, dtype: Any) -> Any:
    from transformers import AutoModelForImageTextToText

    # device_map puts the weights straight onto the device: a 9B checkpoint never sits in CPU memory first.
    model = AutoModelForImageTextToText.from_pretrained(
        path, local_files_only=True, dtype=dtype, device_map=str(device)
    )
    return model.eval()
