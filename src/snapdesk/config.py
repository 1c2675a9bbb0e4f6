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
