"""Any vision-language model behind an OpenAI-compatible `/v1/chat/completions`: vLLM, SGLang, LMDeploy,
Ollama, llama.cpp's server, Zhipu's cloud API (glm-4.6v-flash), or another SnapDesk.

Declared in configuration (`[[engines]]`, kind "openai"), not code. The screenshot goes as a PNG
`data:` URL at the entry's working size, the case as grounding text (engines/prompt.py); the raw
answer is cleaned of reasoning and box tokens and returned for checking (engines/guard.py).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any, ClassVar

from ..config import EngineEntry
from ..errors import SnapDeskError
from .base import Case, Engine, EngineUnavailableError, Reply
from .prompt import build_messages, clean_output, image_data_url, reply_from_output


class OpenAIEngine(Engine):
    name: ClassVar[str] = "openai"
    accepts_images: ClassVar[bool] = True
    needs_network: ClassVar[bool] = True

    def __init__(self, *, entry: EngineEntry) -> None:
        from openai import OpenAI  # imported here: the offline default never needs it

        if not entry.base_url or not entry.model:
            raise SnapDeskError(f"engine {entry.name!r}: an openai engine needs base_url and model")
        self.entry = entry
        self.name = entry.name  # type: ignore[misc]  # an instance is named after its entry
        self.accepts_images = entry.accepts_images  # type: ignore[misc]
        # Whether the model may write reasoning before its answer (GLM-4.xV does unless told not to): a stream
        # then sends nothing until the reasoning has ended, since the chat template may open it unseen.
        template = entry.extra_body.get("chat_template_kwargs") or {}
        thinking = entry.extra_body.get("thinking") or {}
        thinking_off = isinstance(thinking, dict) and thinking.get("type") == "disabled"
        self.reasoning = not (template.get("enable_thinking") is False or thinking_off)
        api_key = os.environ.get(entry.api_key_env, "") if entry.api_key_env else ""
        # Retries are the guard's business (regenerate once, then the offline engine), not the client's.
        self.client = OpenAI(
            base_url=entry.base_url, api_key=api_key or "none", timeout=entry.timeout_seconds, max_retries=0
        )

    def request(self, case: Case, *, stream: bool = False) -> dict[str, Any]:
        """The keyword arguments of the chat-completions call for this case and rung."""
        image_part = None
        if self.entry.accepts_images and case.image is not None:
            url = image_data_url(case.image.image, max_side=self.entry.image_max_side)
            image_part = {"type": "image_url", "image_url": {"url": url}}
        extra: dict[str, Any] = dict(self.entry.extra_body)
        request: dict[str, Any] = {"model": self.entry.model, "messages": build_messages(case, image_part=image_part)}
        if case.effort == "greedy":
            request |= {"max_tokens": self.entry.greedy_max_tokens, "temperature": 0.0}
        elif self.entry.beam_width > 1 and not stream:
            # vLLM's beam search: `use_beam_search` with the beam width as `n`; the first choice is the best beam.
            request |= {"max_tokens": self.entry.max_tokens, "temperature": 0.0, "n": self.entry.beam_width}
            extra["use_beam_search"] = True
        else:
            request |= {"max_tokens": self.entry.max_tokens, "temperature": self.entry.temperature}
        if extra:
            request["extra_body"] = extra
        timeout = self.entry.timeout_seconds
        if case.deadline is not None:
            timeout = max(0.1, min(timeout, case.deadline - time.monotonic()))
        request["timeout"] = timeout
        return request

    def answer(self, case: Case) -> Reply:
        try:
            response = self.client.chat.completions.create(**self.request(case))
            choice = response.choices[0] if response.choices else None
            raw = choice.message.content if choice is not None else None
        except Exception as error:  # the SDK's timeout/connection/status/decoding errors alike
            raise EngineUnavailableError(f"engine {self.name!r}: {type(error).__name__}: {error}") from error
        if not isinstance(raw, str):
            raise EngineUnavailableError(f"engine {self.name!r}: the response has no message content")
        reply = self.reply_for(case, raw)
        if choice.finish_reason == "length":  # cut off at max_tokens: not an answer to show as it is
            reply.problems.append("truncated: the model ran out of tokens")
        return reply

    def stream(self, case: Case) -> Iterator[str]:
        """The raw answer as the server streams it (reasoning and box tokens included: the caller cleans)."""
        try:
            for chunk in self.client.chat.completions.create(**self.request(case, stream=True), stream=True):
                if chunk.choices and chunk.choices[0].delta and chunk.choices[0].delta.content:
                    yield chunk.choices[0].delta.content
        except Exception as error:
            raise EngineUnavailableError(f"engine {self.name!r}: {type(error).__name__}: {error}") from error

    def reply_for(self, case: Case, raw: str) -> Reply:
        """The Reply for a raw answer (cleaned; boxes mapped to the original image's pixels)."""
        size = case.image.image.size if case.image is not None else (None, None)
        return reply_from_output(case, clean_output(raw, width=size[0], height=size[1]))
