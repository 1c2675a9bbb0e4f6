"""A real `snapdesk serve` process and a headless Chromium (Debian's, driven by Playwright) for the page tests."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.servers import free_port, start_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def snapdesk_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The data folder (SQLite database, screenshots) of the `snapdesk_server` process."""
    return tmp_path_factory.mktemp("web") / "data"


@pytest.fixture(scope="session")
def snapdesk_server(snapdesk_data_dir: Path) -> Iterator[str]:
    """Base URL of one `snapdesk serve` shared by the web tests (starting one loads the OCR models)."""
    port = free_port()
    # No rate limit: the page tests send many requests from one browser within a minute.
    process = start_server(port, snapdesk_data_dir, {"SNAPDESK_RATE_LIMIT_PER_MINUTE": "0"})
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where tests save screenshots of the pages they drive, for people to look at."""
    folder = Path(os.environ.get("SNAPDESK_ARTIFACTS") or Path(__file__).parent / "artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        if os.environ.get("SNAPDESK_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is required in CI (Debian package chromium)")
        pytest.skip(f"{CHROMIUM} is not installed (Debian package chromium); the browser tests need it")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("SNAPDESK_REQUIRE_BROWSER") == "1":
            raise
        pytest.skip("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context (own localStorage) and page; English UI unless a test opens its own context."""
    context = browser.new_context(locale="en-US", viewport={"width": 1100, "height": 900})
    context.set_default_timeout(30_000)
    try:
        yield context.new_page()
    finally:
        context.close()
