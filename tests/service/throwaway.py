"""Throwaway PostgreSQL and Redis servers that a test may stop and start: never the shared ones.

PostgreSQL comes from the machine's own install (`initdb` and `pg_ctl` under /usr/lib/postgresql/<version>/bin),
run as the `postgres` user when the tests run as root (PostgreSQL refuses to run as root), with its data in a
temporary folder and its own port. Redis is `redis-server` with no persistence on its own port. Without those
programs the tests skip with the reason; CI (SNAPDESK_REQUIRE_SERVICES=1) fails instead.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.servers import free_port


def _missing(what: str) -> None:
    if os.environ.get("SNAPDESK_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{what} is required in CI")
    pytest.skip(f"{what} is not installed here")


def _wait_for_port(port: int, *, up: bool, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.2)
            listening = sock.connect_ex(("127.0.0.1", port)) == 0
        if listening == up:
            return
        time.sleep(0.1)
    raise RuntimeError(f"port {port} did not {'open' if up else 'close'} within {seconds} s")


@dataclass
class ThrowawayPostgres:
    bin_dir: Path
    data: Path
    port: int
    user: str | None  # run as this user (root may not run PostgreSQL)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data} -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data / "db"), "-o", options, "-l", str(self.data / "log"), "-w", "start")
        _wait_for_port(self.port, up=True)

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data / "db"), "-m", "immediate", "-w", "stop")
        _wait_for_port(self.port, up=False)


@contextmanager
def throwaway_postgres() -> Iterator[ThrowawayPostgres]:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        _missing("PostgreSQL's initdb")
    user = "postgres" if os.geteuid() == 0 else None
    folder = Path(tempfile.mkdtemp(prefix="snapdesk-pg-"))
    if user:
        shutil.chown(folder, user=user)
    server = ThrowawayPostgres(Path(found[-1]).parent, folder, free_port(), user)
    try:
        server._run("initdb", "-D", str(folder / "db"), "-U", "postgres", "--auth=trust", "--no-sync")
        server.start()
        yield server
    finally:
        with suppress(subprocess.SubprocessError, RuntimeError):  # already stopped by the test
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class ThrowawayRedis:
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_for_port(self.port, up=True)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=20)
            self.process = None
        _wait_for_port(self.port, up=False)


@contextmanager
def throwaway_redis() -> Iterator[ThrowawayRedis]:
    if shutil.which("redis-server") is None:
        _missing("redis-server")
    server = ThrowawayRedis(free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()
