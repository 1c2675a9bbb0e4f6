"""SnapDesk HTTP service load benchmark: `/chat` under 1-64 concurrent clients, caches, follow-ups, memory.

One run, on this machine, over loopback; BENCHMARKS.md gets a section written from that run only:

1. Server A, started with the perception and answer caches effectively off (SNAPDESK_CACHE_MAX_ENTRIES=1:
   one in-process LRU holds both, and every answer evicts the reading before it), so that every image
   request at the full or fast rung runs OCR. Every question carries a request counter, so no two are alike.
   a. Untimed warm-up: every screenshot once, 4 clients (loads the `fast` rung's OCR engine as well).
   b. Bare OCR capacity, server idle: each screenshot's bytes decoded (`snapdesk.intake.load_image`) and read
      (`snapdesk.perception.ocr.read_lines`, the service's default OcrSettings) in a plain loop in this process,
      decode and OCR timed apart, on half of the screenshots before the first level and after every level,
      alternating halves: the passes on either side of a level read every screenshot once, and that level's
      ratio uses them (the machine is shared and its load drifts). The verdict compares with decode + OCR (what
      reading a screenshot file takes); the ratio against OCR alone is reported beside it.
   c. Closed-loop clients (1, 4, 16, 64), each sending the next screenshot with its question as soon as its last
      answer came back; a client that gets the holding reply waits its Retry-After first (capped at the window's
      end), as the ladder asks. Each level runs for a fixed window; requests still in flight then are waited for.
2. Server B, default settings (caches on), fresh: answer-cache hits (the same request again, server-side
   `latency_ms`), follow-ups (same session, no image, another question), then a mix of cache hits, follow-ups
   and new sessions on known screenshots until N requests in all; VmRSS of the server after 100 and after N.
3. Server C, default settings, fresh: GET /readyz polled until it says 200, then at once one screenshot request
   (nothing cached yet) timed on the client's clock, and the next few on other screenshots for comparison.

The code is in loadbench/ (one module per concern; its __init__ lists them) and common.py (shared with run.py).

Usage (from the repository root; the dev set stays outside the repository):

    .venv/bin/python benchmarks/load.py [--set ../shared/eval/dev] [--requests N] [--duration S] [--out BENCHMARKS.md]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from common import DEFAULT_SET, REPO, set_present
from loadbench.levels import LEVELS
from loadbench.report import report, write_section
from loadbench.runner import Options, log, run
from loadbench.shots import load_shots


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", type=Path, default=DEFAULT_SET, help="evaluation set (cases.jsonl, images/, kb/)")
    parser.add_argument("--out", type=Path, default=REPO / "BENCHMARKS.md", help="report file (default BENCHMARKS.md)")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per concurrency level (default 30)")
    parser.add_argument(
        "--levels", default=",".join(map(str, LEVELS)), help="concurrent clients per level (default 1,4,16,64)"
    )
    parser.add_argument("--requests", type=int, default=5000, help="N, requests to server B in all (default 5000)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = build_parser()
    args = arguments.parse_args(argv)
    set_dir = args.set.resolve()
    if not set_present(set_dir):
        return 2
    executable = Path(sys.executable).parent / "snapdesk"
    if not executable.exists():
        print(f"error: {executable} not found; run this with the project's .venv/bin/python", file=sys.stderr)
        return 2
    try:
        levels = [int(x) for x in args.levels.split(",") if x.strip()]
    except ValueError:
        arguments.error("--levels takes numbers separated by commas")
    if not levels or min(levels) < 1:
        arguments.error("--levels needs at least one level of 1 client or more")
    shots = load_shots(set_dir)
    if not shots:
        print(f"error: no case in {set_dir} has a screenshot", file=sys.stderr)
        return 2
    if args.requests < 300:
        arguments.error("--requests must be at least 300 (the fixed cache and follow-up phases use about 260)")

    result = run(Options(set_dir, shots, levels, args.duration, args.requests, executable))
    if result is None:
        return 1
    section = report(result)
    write_section(args.out, section)
    print(section)
    log(f"wrote the service section of {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
