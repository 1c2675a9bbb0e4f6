"""Settings: one class, read from `SNAPDESK_*` environment variables and an optional TOML file.

Every setting carries a help text; `snapdesk config` prints them, and a test checks the README's
settings table against this class.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SNAPDESK_", extra="ignore")

    kb_path: Path | None = Field(
        default=None, description="Knowledge-base folder (kb-format.md). Empty: the bundled demo shop's."
    )
    engine: str = Field(default="offline", description="Answer engine, by its `snapdesk.engines` entry-point name.")
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
    rate_limit_per_minute: int = Field(default=120, description="Requests per minute per API key (0: no limit).")
    remote_image_hosts: list[str] = Field(
        default=[], description="Hosts whose http(s) image URLs /v1/chat/completions may fetch. Empty: none."
    )
    webhook_url: str | None = Field(
        default=None, description="Hand-overs are POSTed here as JSON, retried with backoff until accepted."
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
