"""Settings: one class, read from `SNAPDESK_*` environment variables and an optional TOML file.

Every setting carries a help text; `snapdesk config` prints them, and a test checks the README's
settings table against this class.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


class EngineEntry(BaseModel):
    """One configured model engine (a `[[engines]]` table in snapdesk.toml, or SNAPDESK_ENGINES as JSON)."""

    name: str = Field(description="What `engine` names to answer with this entry.")
    kind: str = Field(
        default="openai", description="The `snapdesk.engines` entry point that runs it: openai or transformers."
    )
    base_url: str | None = Field(
        default=None, description="OpenAI-compatible server, e.g. http://vllm:8000/v1 or Zhipu's /api/paas/v4."
    )
    model: str | None = Field(default=None, description="Model name sent to the server, e.g. zai-org/GLM-4.6V-Flash.")
    api_key_env: str | None = Field(
        default=None, description="Environment variable holding the server's API key (the key never sits in a file)."
    )
    model_path: str | None = Field(default=None, description="transformers: local folder of the checkpoint.")
    device: str = Field(default="auto", description="transformers: cpu, cuda, cuda:1 or auto.")
    timeout_seconds: float = Field(
        default=30.0,
        description="Longest a model call may take (the request's own deadline may cut it shorter); "
        "past it the offline engine answers.",
    )
    max_tokens: int = Field(default=512, description="Most tokens the model writes on the best rung.")
    greedy_max_tokens: int = Field(default=256, description="Most tokens on the cheaper (greedy) rung.")
    temperature: float = Field(default=0.2, description="Sampling temperature on the best rung (greedy uses 0).")
    beam_width: int = Field(
        default=0, description="Beam search width on the best rung where the server supports it (vLLM); 0: off."
    )
    accepts_images: bool = Field(default=True, description="Send the screenshot itself, not only its OCR text.")
    image_max_side: int = Field(default=1024, description="Longest side of the image sent to the model, in pixels.")
    extra_body: dict[str, Any] = Field(
        default_factory=dict,
        description="Extra request fields, e.g. {chat_template_kwargs = {enable_thinking = false}} for GLM-4.6V.",
    )
    failures_to_open: int = Field(default=3, description="Consecutive failures that open the circuit breaker.")
    reset_seconds: float = Field(default=30.0, description="How long an open breaker waits before a probe call.")
    slow_seconds: float = Field(
        default=8.0, description="Recent latency above this moves requests from the best rung to the greedy one."
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SNAPDESK_", extra="ignore")

    kb_path: Path | None = Field(
        default=None, description="Knowledge-base folder (kb-format.md). Empty: the bundled demo shop's."
    )
    engine: str = Field(
        default="offline",
        description="Answer engine: an `[[engines]]` entry's name, or a `snapdesk.engines` entry point (offline).",
    )
    engines: list[EngineEntry] = Field(
        default=[],
        description="Model engines (OpenAI-compatible servers, local transformers); see docs/gpu.md.",
    )
    engine_concurrency: int = Field(
        default=16, description="Model calls in flight at once when the engine is a network engine."
    )
    moderators: list[str] = Field(
        default=["nudenet"],
        description="Moderation steps run on every image first, by `snapdesk.moderators` entry-point name.",
    )
    max_image_bytes: int = Field(default=15 * 1024 * 1024, description="Largest accepted image file, in bytes.")
    max_image_pixels: int = Field(
        default=40_000_000, description="Largest accepted width x height; checked before decoding."
    )
    max_question_chars: int = Field(default=2000, description="Longest accepted question, in characters.")
    ocr_det_limit_side: int = Field(
        default=960, description="Longest side the OCR text detector works at (see BENCHMARKS.md)."
    )
    ocr_min_confidence: float = Field(default=0.5, description="OCR lines below this confidence are dropped.")
    ocr_threads: int = Field(default=0, description="onnxruntime threads for OCR; 0 uses every core.")
    ocr_rec_batch: int = Field(
        default=1, description="Text lines the OCR recogniser reads per batch (1 is fastest and smallest on a CPU)."
    )
    perception_cache_size: int = Field(
        default=64, description="Screenshots whose OCR results are kept in process for follow-up questions."
    )

    # The service (`snapdesk serve`).
    host: str = Field(default="127.0.0.1", description="Address `snapdesk serve` listens on.")
    port: int = Field(default=8000, description="Port `snapdesk serve` listens on.")
    data_dir: Path = Field(default=Path("data"), description="Folder for the SQLite database and stored screenshots.")
    regression_set: Path | None = Field(
        default=None,
        description="Evaluation set the console's 'save as test case' appends to (eval-format.md; `snapdesk eval` "
        "runs it). Empty: <data_dir>/regression.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db. Empty: SQLite in the data folder.",
    )
    redis_url: str | None = Field(
        default=None, description="Redis URL for the shared cache and rate limits. Empty: in-process only."
    )
    cache_ttl_seconds: int = Field(default=3600, description="How long cached OCR results and answers live.")
    cache_max_entries: int = Field(default=2048, description="Most entries the in-process cache holds.")
    workers: int = Field(default=0, description="Answering workers; 0: one per two CPU cores, at least one.")
    queue_size: int = Field(
        default=16, description="Requests waiting for a worker before new ones get the holding reply."
    )
    request_deadline_seconds: float = Field(
        default=10.0, description="A request still waiting after this long gets the holding reply."
    )
    wait_budget_seconds: float = Field(
        default=2.0,
        gt=0,
        description="Longest expected wait a request is admitted to: past it, the next cheaper rung at once, "
        "or the holding reply when none fits.",
    )
    public_chat: bool = Field(
        default=False,
        description="Customers' browsers (the chat page, the widget) may chat without an API key once keys exist: "
        "sessions belong to each browser's token, rate-limited per token and per address.",
    )
    trusted_proxies: list[str] = Field(
        default=[],
        description="Addresses or networks of the proxies in front of SnapDesk whose X-Forwarded-For is believed "
        "(the customer's address for per-address limits). Empty: only 127.0.0.1.",
    )
    rate_limit_per_minute: int = Field(default=120, description="Requests per minute per API key (0: no limit).")
    remote_image_hosts: list[str] = Field(
        default=[], description="Hosts whose http(s) image URLs /v1/chat/completions may fetch. Empty: none."
    )
    webhook_url: str | None = Field(
        default=None,
        description="Hand-overs, and what then happens to their cases, are POSTed here as JSON events, retried with "
        "backoff until accepted (README: Webhook events).",
    )
    webhook_secret: SecretStr | None = Field(
        default=None,
        description="Shared secret that signs each webhook POST: header `X-SnapDesk-Signature: t=<unix seconds>,"
        "v1=<hex HMAC-SHA256 of '<t>.<body>'>`, so the receiver can check who sent it and when.",
    )
    image_retention_days: float = Field(
        default=30, description="Stored screenshots older than this are deleted (`snapdesk purge`)."
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Precedence: explicit arguments, then the environment, then the TOML file.
        config_file = Path(os.environ.get("SNAPDESK_CONFIG", "snapdesk.toml"))
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=config_file))
