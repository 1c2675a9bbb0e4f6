"""`snapdesk serve` in a subprocess, started with only the settings the benchmark names."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import IO, Any

import httpx
from common import free_port


class Server:
    """`snapdesk serve` in a subprocess, with its own data folder and log in a temporary directory."""

    def __init__(self, label: str, kb: Path, overrides: dict[str, str]) -> None:
        self.label = label
        self.kb = kb
        self.overrides = overrides
        self.port = 0
        self.dir = Path(tempfile.mkdtemp(prefix=f"snapdesk-load-{label}-"))
        self.log_path = self.dir / "server.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.exit_code: int | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def settings_env(self) -> dict[str, str]:
        return {
            "SNAPDESK_DATA_DIR": str(self.dir / "data"),
            "SNAPDESK_KB_PATH": str(self.kb),
            "SNAPDESK_RATE_LIMIT_PER_MINUTE": "0",
            **self.overrides,
        }

    def start(self, executable: Path, timeout: float = 180.0) -> float:
        """Start the server and poll GET /readyz until it says 200; the seconds that took."""
        self.port = free_port()
        # Only the settings named here: none inherited from the caller's environment, no snapdesk.toml.
        env = {key: value for key, value in os.environ.items() if not key.startswith("SNAPDESK_")}
        env.update(self.settings_env(), SNAPDESK_CONFIG=str(self.dir / "absent.toml"))
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        started = time.perf_counter()
        self.process = subprocess.Popen(
            [str(executable), "serve", "--port", str(self.port)],
            cwd=self.dir,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        while time.perf_counter() - started < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"server {self.label} exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(self.url + "/readyz", timeout=2.0).status_code == 200:
                    return time.perf_counter() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"server {self.label} not ready after {timeout:.0f} s:\n{self.log_tail()}")

    def log_size(self) -> int:
        try:
            return self.log_path.stat().st_size
        except OSError:
            return 0

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return ""

    def answers_logged(self, start: int = 0, end: int | None = None) -> list[dict[str, Any]]:
        """The server's log records of answered turns (those with a tier and the pipeline's timings) between two
        offsets of its log: one JSON object a line, either an `answer` event or the request's own line."""
        with open(self.log_path, "rb") as handle:
            handle.seek(start)
            chunk = handle.read(None if end is None else end - start)
        events = []
        for line in chunk.decode("utf-8", errors="replace").splitlines():
            if not (line.startswith("{") and '"timings"' in line):
                continue
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and "tier" in record and isinstance(record.get("timings"), dict):
                events.append(record)
        return events

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
        if self.process is not None:
            self.exit_code = self.process.returncode
        if self._log is not None:
            self._log.close()
            self._log = None

    def remove(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)
