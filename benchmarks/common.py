"""Helpers both benchmarks share (run.py: the pipeline in one process; load.py: the HTTP service).

One copy of each: the evaluation set's location and checks, percentiles and number formats, what the
machine is and how busy it is (/proc), process memory and CPU, the git state, a free port, and the marker
that splits BENCHMARKS.md between the two scripts. Nothing here imports snapdesk, so load.py can clear the
caller's SNAPDESK_* environment before the first snapdesk import.
"""

from __future__ import annotations

import os
import platform
import resource
import shlex
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SET = REPO.parent / "shared" / "eval" / "dev"
# benchmarks/load.py owns everything from this line to the end of BENCHMARKS.md; run.py keeps it as it is.
SERVICE_MARKER = "<!-- service-benchmark -->"


# --------------------------------------------------------------------------- the evaluation set


def set_present(set_dir: Path) -> bool:
    """Whether the evaluation set is there; if not, say so on stderr (both benchmarks need it)."""
    missing = [name for name in ("cases.jsonl", "images", "kb") if not (set_dir / name).exists()]
    if missing:
        print(
            f"error: evaluation set not found: {set_dir} lacks {', '.join(missing)}.\n"
            "Point --set at a folder with cases.jsonl, images/ and kb/ (the dev set lives outside the repository, "
            "at ../shared/eval/dev relative to it).",
            file=sys.stderr,
        )
    return not missing


def case_image(image: Any, history: Iterable[Mapping[str, Any]] | None) -> Any:
    """The screenshot a case is about: its own, or for a follow-up the conversation's last one (None if neither)."""
    return image or next((turn["image"] for turn in reversed(list(history or [])) if turn.get("image")), None)


# --------------------------------------------------------------------------- figures and their text


def quantile(values: Sequence[float], q: float) -> float:
    """Same method as snapdesk.evaluation's summary (inclusive percentiles)."""
    values = list(values)
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def fmt(value: float | None, digits: int = 0) -> str:
    return "n/a" if value is None or value != value else f"{value:.{digits}f}"  # value != value: NaN


def fmt_pct(value: float | None) -> str:
    return "n/a" if value is None or value != value else f"{value:.1%}"


def fmt_load(load: Sequence[float]) -> str:
    """A load average triple as the reports print it: `1.14 / 1.18 / 1.05`."""
    return " / ".join(f"{x:.2f}" for x in load)


def verdict(ok: bool) -> str:
    return "**met**" if ok else "**NOT met**"


def command_line(script: str) -> str:
    """The command this run was started with, as the reports quote it (the project's interpreter, repo-relative)."""
    return " ".join(shlex.quote(part) for part in [".venv/bin/python", script, *sys.argv[1:]])


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def split_at_marker(text: str) -> tuple[str, str]:
    """BENCHMARKS.md cut at the line SERVICE_MARKER: (run.py's part, load.py's part from the marker on)."""
    lines = text.splitlines(keepends=True)
    cut = next((n for n, line in enumerate(lines) if line.strip() == SERVICE_MARKER), len(lines))
    return "".join(lines[:cut]), "".join(lines[cut:])


# --------------------------------------------------------------------------- the machine


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def mem_total() -> str:
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemTotal:"):
                    return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def machine_line() -> str:
    """The `- CPU: ...` line both reports open their machine description with."""
    return f"CPU: {cpu_model()}; `nproc` = {cores()}; memory {mem_total()}; {platform.platform()}"


def git_state() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head}" + (" with uncommitted changes under src/" if dirty else " (src/ clean)")


def free_port() -> int:
    # The kernel picks a port nobody listens on; the server binds it a moment later (a race we accept).
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --------------------------------------------------------------------------- process memory and CPU


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, KiB."""
    found: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    found[line.split(":")[0]] = int(line.split()[1])
    except OSError:
        pass
    return found


def rss_now_kib() -> int:
    return proc_status(os.getpid()).get("VmRSS", 0)


def peak_rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def mib(kib: float) -> float:
    return kib / 1024


def proc_cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
    except (OSError, ValueError, IndexError):
        return float("nan")


@dataclass(frozen=True)
class CpuMark:
    """Machine-wide busy CPU seconds (/proc/stat), this process's and (when given) a server's CPU seconds."""

    wall: float
    busy: float
    own: float
    server: float

    @classmethod
    def now(cls, server_pid: int | None = None) -> CpuMark:
        busy = float("nan")
        try:
            with open("/proc/stat", encoding="ascii") as handle:
                fields = [int(x) for x in handle.readline().split()[1:]]
            # user nice system idle iowait irq softirq steal ...: busy = all but idle and iowait
            busy = (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            pass
        usage = resource.getrusage(resource.RUSAGE_SELF)
        server = proc_cpu_seconds(server_pid) if server_pid is not None else 0.0
        return cls(time.perf_counter(), busy, usage.ru_utime + usage.ru_stime, server)


@dataclass(frozen=True)
class CpuUse:
    server_cores: float  # the server process's CPU seconds per wall second (0 without a server)
    client_cores: float  # this process's
    others_share: float  # share of the machine's capacity used by every other process

    @classmethod
    def between(cls, start: CpuMark, end: CpuMark) -> CpuUse:
        wall = end.wall - start.wall
        if wall <= 0:
            return cls(float("nan"), float("nan"), float("nan"))
        server, own = end.server - start.server, end.own - start.own
        # What the machine was busy with, less our own processes: the other sessions sharing it.
        others = max(0.0, (end.busy - start.busy) - server - own) / (wall * cores())
        return cls(server / wall, own / wall, others)
