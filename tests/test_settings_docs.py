"""Docs and settings agree: every setting has a help text and a row in the README's settings table."""

from __future__ import annotations

import re
from pathlib import Path

from snapdesk.config import Settings

README = Path(__file__).resolve().parents[1] / "README.md"


def test_every_setting_has_help() -> None:
    assert all(field.description for field in Settings.model_fields.values())


def test_readme_documents_exactly_the_settings() -> None:
    documented = set(re.findall(r"^\| `(SNAPDESK_[A-Z_]+)` \|", README.read_text(encoding="utf-8"), re.M))
    documented.discard("SNAPDESK_CONFIG")  # the config file's path, read before the settings
    assert documented == {f"SNAPDESK_{name.upper()}" for name in Settings.model_fields}


def test_environment_overrides(monkeypatch) -> None:
    monkeypatch.setenv("SNAPDESK_OCR_DET_LIMIT_SIDE", "736")
    monkeypatch.setenv("SNAPDESK_MODERATORS", '["nudenet"]')
    settings = Settings()
    assert settings.ocr_det_limit_side == 736 and settings.moderators == ["nudenet"]


def test_toml_file(tmp_path: Path, monkeypatch) -> None:
    config = tmp_path / "snapdesk.toml"
    config.write_text('engine = "offline"\nmax_question_chars = 500\n')
    monkeypatch.setenv("SNAPDESK_CONFIG", str(config))
    assert Settings().max_question_chars == 500
