"""A real `snapdesk serve` process for the tests that need one (pages, two replicas, faults)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int, data_dir: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """`snapdesk serve` on the port; returns once /readyz answers 200 (OCR models loaded)."""
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    log = server_log(port, data_dir).open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "snapdesk.cli", "serve", "--port", str(port)],
        env={**os.environ, "SNAPDESK_MODERATORS": "[]", **(env or {}), "SNAPDESK_DATA_DIR": str(data_dir)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(Path(log.name).read_text(errors="replace")[-4000:] or "server exited")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    process.kill()
    raise RuntimeError("snapdesk serve did not become ready in 120 s")


def server_log(port: int, data_dir: Path) -> Path:
    """Where `start_server` writes the process's output."""
    return data_dir.parent / f"serve-{port}.log"


@contextmanager
def running(data_dir: Path, env: dict[str, str]) -> Iterator[tuple[str, Path]]:
    """A server for the block: its base URL and its log file; stopped (SIGTERM) after."""
    port = free_port()
    process = start_server(port, data_dir, env)
    try:
        yield f"http://127.0.0.1:{port}", server_log(port, data_dir)
    finally:
        process.terminate()
        process.wait(timeout=30)
