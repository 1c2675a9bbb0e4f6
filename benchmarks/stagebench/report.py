"""run.py's part of BENCHMARKS.md: the orchestration, the heading, the targets and the machine.

Every section function is a pure function of the run (StageRun) that returns its lines; write_report() joins
them in the order the file reads and keeps load.py's section of the old file after them.
"""

from __future__ import annotations

import importlib.metadata
import platform
from pathlib import Path

from answering import section as answering_section
from answering import target_row as answering_target_row
from common import fmt, fmt_load, fmt_pct, machine_line, median, mib, split_at_marker, verdict

from stagebench.items import PHONE
from stagebench.report_pipeline import TARGET_OVERHEAD, end_to_end, memory, per_image_table, ratios
from stagebench.report_sweep import sweep_sections
from stagebench.results import StageRun

TARGET_P50_MS = 800.0
TARGET_RSS_MB = 700.0
_VERSIONED = ("onnxruntime", "rapidocr", "nudenet", "numpy", "pillow", "opencv-python-headless")


def write_report(out: Path, run: StageRun) -> str:
    """Write `out` from this run, keeping load.py's section of the old file; the text written before it."""
    lines = [
        "# SnapDesk benchmarks",
        "",
        f"Written by `benchmarks/run.py` on {run.started:%Y-%m-%d %H:%M} (local time), from one process and one "
        f"run that took {run.wall_s / 60:.1f} min. Every figure below comes from that run; rerun the command to "
        "refresh it.",
        "",
    ]
    lines += targets(run)
    lines += machine_and_run(run)
    lines += end_to_end(run)
    lines += memory(run)
    lines += answering_section(run.answering)
    if run.configs:
        lines += sweep_sections(run.configs, run.native, run.items)
    lines += per_image_table(run)
    text = "\n".join(lines)
    out.write_text(text + kept_service_section(out), encoding="utf-8")
    return text


def kept_service_section(out: Path) -> str:
    """The service benchmark's section of the old report (written by benchmarks/load.py), to carry over as is.

    It starts at the line SERVICE_MARKER and runs to the end of the file; "" when the file or the marker is absent.
    """
    try:
        old = out.read_text(encoding="utf-8")
    except OSError:
        return ""
    kept = split_at_marker(old)[1]
    return "\n" + kept if kept else ""


def targets(run: StageRun) -> list[str]:
    phone = run.phone
    e2e_phone_p50 = median([s.e2e_ms for s in phone]) if phone else float("nan")
    overhead = (ratios(phone) if phone else {}).get("overhead_vs_ocr_ms", float("nan"))
    peak_mb = mib(run.peak_main_kib)
    lines = [
        "## Targets",
        "",
        "| Target | Measured | Verdict |",
        "|---|---|---|",
        f"| End-to-end p50 ≤ {TARGET_P50_MS:.0f} ms, phone screenshot {PHONE[0]}×{PHONE[1]}, warm process "
        f"| {fmt(e2e_phone_p50)} ms ({sum(i.phone for i in run.items)} images × {run.repeats}) "
        f"| {verdict(e2e_phone_p50 <= TARGET_P50_MS)} |",
        f"| Pipeline overhead beyond OCR ≤ {TARGET_OVERHEAD:.0%} of OCR time (median over phone images of "
        f"(e2e − `ocr_ms`) / `ocr_ms`) | {fmt_pct(overhead)} | {verdict(overhead <= TARGET_OVERHEAD)} |",
        f"| Peak RSS < {TARGET_RSS_MB:.0f} MB (default settings, NudeNet on, after the main run) "
        f"| {peak_mb:.0f} MiB ({run.peak_main_kib * 1024 / 1e6:.0f} MB) "
        f"| {verdict(run.peak_main_kib * 1024 / 1e6 < TARGET_RSS_MB)} |",
        answering_target_row(run.answering),
        "",
    ]
    main_share = run.contention[0]
    if main_share == main_share and main_share > 0.10:  # main_share == main_share: not NaN
        bare_phone = median([s.bare_ms for s in phone]) if phone else float("nan")
        lines += [
            f"Read the latency verdict with the machine's state in mind: other processes used "
            f"{fmt_pct(main_share)} of this 2-core machine's CPU during the main run, and bare RapidOCR alone "
            f"took {fmt(bare_phone)} ms (p50, phone) in the same run. The overhead ratio compares the two "
            "sides of each pair and is far less affected; the absolute p50 needs an idle machine to settle.",
            "",
        ]
    return lines


def version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def machine_and_run(run: StageRun) -> list[str]:
    phone_items = sum(i.phone for i in run.items)
    main_share, sweep_share = run.contention
    busy = max((c for c in run.contention if c is not None and c == c), default=0.0) > 0.10
    return [
        "## Machine and run",
        "",
        f"- {machine_line()}",
        f"- Python {platform.python_version()}; " + "; ".join(f"{name} {version(name)}" for name in _VERSIONED),
        f"- Command: `{run.command}`",
        f"- Set: `{run.set_dir}` — {len(run.items)} screenshots ({phone_items} of them {PHONE[0]}×{PHONE[1]}), "
        f"{run.cases} cases; the set stays outside the repository.",
        f"- Load average (1/5/15 min) before: {fmt_load(run.load_before)}; "
        f"after: {fmt_load(run.load_after)}. Other processes used "
        f"{fmt_pct(main_share)} of the machine's CPU capacity during the main run"
        + (f" and {fmt_pct(sweep_share)} during the sweep" if sweep_share is not None else "")
        + " (from /proc/stat less this process's own CPU time).",
        "- **This machine is shared with other sessions' test runs**, which come and go. "
        + (
            "They were busy during this run, so absolute times are noisier and higher than on an idle machine; "
            if busy
            else "They were nearly idle during this run (figures above), but one quiet run is still one sample; "
        )
        + "the side-by-side ratios are the more robust figures because both sides of each pair ran back to back "
        "on the same image.",
        f"- Assistant OCR settings in the main run: det_limit_side={run.ocr.det_limit_side}, "
        f"use_cls={run.ocr.use_cls}, min_confidence={run.ocr.min_confidence}, "
        f"threads={run.ocr.threads or 'all cores'}; moderators: NudeNet (default); "
        "perception cache off (`perception_cache_size=0`) so every call runs OCR. Landscape screenshots at least "
        "1300 px wide (5 of the set) are detected at 4/3 × det_limit_side, capped at their width "
        "(`snapdesk.perception.ocr.for_shape`), in the bare loop and the pipeline alike, and in each row of the "
        "sweep below relative to its own det_limit_side.",
        "",
    ]
