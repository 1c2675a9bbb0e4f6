"""SnapDesk performance benchmark: end-to-end latency against bare RapidOCR, memory, and an OCR settings sweep.

Everything is measured in ONE process and ONE run, and BENCHMARKS.md is written from that run only:

1. Main run. A warm process (one untimed warm-up call of each kind first) reads every image of the
   evaluation set twice, interleaved per image so that machine noise hits both sides alike:
   (a) bare RapidOCR -- `snapdesk.perception.ocr.read_lines` on the decoded RGB image, with the very
       OcrSettings the Assistant uses; (b) `Assistant.generate` end to end from the image file (intake,
       NudeNet moderation, OCR, layout, fields, retrieval, engine), with the perception cache off.
2. Memory: peak RSS (getrusage) and current RSS (/proc/self/status) right after the main run.
3. OCR settings sweep: detector working resolution x text-direction classifier. Each configuration runs
   the set through `run_set` + `summarise` (what `snapdesk eval` does) for its accuracy, records the
   OCR stage's latency from Answer.timings, and compares its text with a reference reading at native
   resolution. Configurations are interleaved per case, again so that machine noise weighs on all alike.

The HTTP service's load benchmark (benchmarks/load.py) writes its own section at the end of BENCHMARKS.md,
from the line `<!-- service-benchmark -->` on; this script keeps that section as it is when it rewrites the file.

The code is in stagebench/ (one module per concern; its __init__ lists them) and common.py (shared with load.py).

Usage (from the repository root):

    .venv/bin/python benchmarks/run.py [--set ../shared/eval/dev] [--repeats N] [--out BENCHMARKS.md]
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from answering import answering_run
from common import (
    DEFAULT_SET,
    REPO,
    CpuMark,
    CpuUse,
    command_line,
    log,
    mib,
    peak_rss_kib,
    rss_now_kib,
    set_present,
)
from stagebench.items import load_items
from stagebench.pipeline import main_run
from stagebench.report import write_report
from stagebench.results import StageRun
from stagebench.sweep import NativeReading, SweepConfig, sweep


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--set", type=Path, default=DEFAULT_SET, help="evaluation set folder (cases.jsonl, images/, kb/)"
    )
    parser.add_argument("--repeats", type=int, default=1, help="passes over the images in the main run (default 1)")
    parser.add_argument("--out", type=Path, default=REPO / "BENCHMARKS.md", help="report file (default BENCHMARKS.md)")
    parser.add_argument("--no-sweep", action="store_true", help="skip the OCR settings sweep (quick check)")
    parser.add_argument("--no-native", action="store_true", help="skip the native-resolution reference reading")
    parser.add_argument("--limit", type=int, default=0, help="use only the first N cases (quick check)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    rss_start_kib = rss_now_kib()  # first, so that the memory table's first row is Python + argparse only
    parser = build_parser()
    args = parser.parse_args(argv)
    set_dir = args.set.resolve()
    if not set_present(set_dir):
        return 2
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    result = measure(args, set_dir, rss_start_kib)
    if result is None:
        return 2
    text = write_report(args.out, result)
    print(text)
    log(f"wrote {args.out}")
    return 0


def measure(args: argparse.Namespace, set_dir: Path, rss_start_kib: int) -> StageRun | None:
    """The whole run: main run, memory, retrieval and composition, sweep; None when the set has no screenshot."""
    from snapdesk.evaluation import load_cases

    started_at = datetime.datetime.now()
    started = time.perf_counter()
    load_before = os.getloadavg()
    cpu_start = CpuMark.now()
    cases = load_cases(set_dir)
    if args.limit:
        cases = cases[: args.limit]
    items = load_items(cases)
    if not items:
        print(f"error: no case in {set_dir} has a screenshot", file=sys.stderr)
        return None
    log(f"{len(cases)} cases, {len(items)} screenshots, {sum(i.phone for i in items)} phone-sized")

    samples, ocr = main_run(items, set_dir, args.repeats)
    peak_main_kib, rss_main_kib = peak_rss_kib(), rss_now_kib()
    cpu_main = CpuMark.now()
    log(f"peak RSS after main run: {mib(peak_main_kib):.0f} MiB, RSS now {mib(rss_main_kib):.0f} MiB")
    log("retrieval and composition on the evaluation sets")
    answering = answering_run([set_dir, set_dir.with_name("dev-real")])

    configs: list[SweepConfig] = []
    native = NativeReading()
    if not args.no_sweep:
        log("sweep")
        configs, native = sweep(cases, items, set_dir, with_native=not args.no_native)
    cpu_end = CpuMark.now()
    return StageRun(
        command=command_line("benchmarks/run.py"),
        set_dir=set_dir,
        cases=len(cases),
        items=items,
        samples=samples,
        repeats=args.repeats,
        ocr=ocr,
        rss_start_kib=rss_start_kib,
        peak_main_kib=peak_main_kib,
        rss_main_kib=rss_main_kib,
        answering=answering,
        configs=configs,
        native=native,
        peak_end_kib=peak_rss_kib(),
        rss_end_kib=rss_now_kib(),
        load_before=load_before,
        load_after=os.getloadavg(),
        contention=(
            CpuUse.between(cpu_start, cpu_main).others_share,
            CpuUse.between(cpu_main, cpu_end).others_share if configs else None,
        ),
        started=started_at,
        wall_s=time.perf_counter() - started,
    )


if __name__ == "__main__":
    sys.exit(main())
