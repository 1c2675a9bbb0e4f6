"""load.py's section of BENCHMARKS.md: the orchestration, the heading and the targets table.

Every report_* function is a pure function of the run (LoadRun) that returns its lines; report() joins them
in the order the section reads.
"""

from __future__ import annotations

from pathlib import Path

from common import SERVICE_MARKER, fmt, quantile, split_at_marker, verdict

from loadbench.client import count_5xx, count_errors
from loadbench.first_answer import TARGET_FIRST_S
from loadbench.levels import OCR_TIERS, TIERS, capacity_of
from loadbench.phases import FOLLOW, HITS
from loadbench.report_server_a import bare_table, level_tables, reading_the_figures
from loadbench.report_server_b import caches_table, first_answer_table, memory_table
from loadbench.report_setup import machine_and_run
from loadbench.results import LoadRun

TARGET_RATIO = 0.9
TARGET_CACHE_MS = 5.0
TARGET_FOLLOW_UP_MS = 50.0


def write_section(out: Path, section: str) -> None:
    """Replace everything from the marker line to the end of `out` with `section` (append if absent)."""
    try:
        old = out.read_text(encoding="utf-8")
    except FileNotFoundError:
        old = ""
    head = split_at_marker(old)[0].rstrip("\n")
    out.write_text((head + "\n\n" if head else "") + section.rstrip("\n") + "\n", encoding="utf-8")


def report(run: LoadRun) -> str:
    lines = [SERVICE_MARKER, "", "## HTTP service under load (`benchmarks/load.py`)", ""]
    lines.append(
        f"Written by `benchmarks/load.py` on {run.started:%Y-%m-%d %H:%M} (local time), from one run that took "
        f"{run.wall_s / 60:.1f} min. Every figure below comes from that run; `benchmarks/run.py` keeps this "
        "section when it rewrites the file."
    )
    lines += ["", "### Targets", ""]
    lines += targets_table(run)
    lines += ["", throughput_note(run), ""]
    for section in (
        machine_and_run,
        bare_table,
        level_tables,
        caches_table,
        memory_table,
        first_answer_table,
        reading_the_figures,
    ):
        lines += section(run)
    return "\n".join(lines) + "\n"


def targets_table(run: LoadRun) -> list[str]:
    capacity = capacity_of(run.a.bare)  # run-wide, every pass
    lines = ["| Target | Measured | Verdict |", "|---|---|---|"]
    for lv in run.a.levels:
        served = lv.per_second(OCR_TIERS)
        ratio, ocr_ratio = served / lv.capacity, served / lv.capacity_ocr
        lines.append(
            f"| Served OCR throughput ≥ {TARGET_RATIO:.0%} of bare OCR capacity, {lv.clients} client(s) "
            f"| {served:.2f} / {lv.capacity:.2f} images/s = **{ratio:.2f}** "
            f"(against the run-wide {capacity:.2f}: {served / capacity:.2f}; against OCR alone, "
            f"decoding left out: {served:.2f} / {lv.capacity_ocr:.2f} "
            f"= {ocr_ratio:.2f}) "
            f"| {verdict(ratio >= TARGET_RATIO)} |"
        )
    hit_ms, follow_ms = run.b.phase(HITS).server_ms("cache"), run.b.phase(FOLLOW).server_ms("full")
    hit_p50, follow_p50 = quantile(hit_ms, 0.5), quantile(follow_ms, 0.5)
    lines.append(
        f"| Answer-cache hit p50 ≤ {TARGET_CACHE_MS:.0f} ms server-side (same request with its screenshot again) "
        f"| {fmt(hit_p50, 1)} ms (n={len(hit_ms)}) | {verdict(hit_p50 <= TARGET_CACHE_MS)} |"
    )
    lines.append(
        f"| Follow-up on the same screenshot p50 ≤ {TARGET_FOLLOW_UP_MS:.0f} ms server-side "
        f"| {fmt(follow_p50, 1)} ms (n={len(follow_ms)}) | {verdict(follow_p50 <= TARGET_FOLLOW_UP_MS)} |"
    )
    lines += _answered_rows(run)
    first = run.first
    lines.append(
        f"| First answer after /readyz ≤ {TARGET_FIRST_S:.0f} s (fresh server C, cache-missing screenshot, "
        f"client's clock) | first answer after /readyz: {first.first_s:.2f} s; p50 of the next "
        f"{len(first.following)}: {fmt(first.following_p50_s, 2)} s "
        f"| {verdict(first.first.status == 200 and first.first_s <= TARGET_FIRST_S)} |"
    )
    return lines


def _answered_rows(run: LoadRun) -> list[str]:
    """The rows on every request of servers A and B: no 5xx, overload shed, an HTTP answer for each."""
    all_recs = [r for lv in run.a.levels for r in lv.recs] + [r for p in run.b.phases for r in p.recs] + run.a.warm_recs
    five_xx, errors = count_5xx(all_recs), count_errors(all_recs)
    top = run.a.levels[-1]
    shed = top.tiers()
    return [
        f"| Zero 5xx at every level, overload shed by the ladder | {five_xx} 5xx in {len(all_recs)} requests; at "
        f"{top.clients} clients the rungs were "
        + ", ".join(f"{t} {shed.get(t, 0)}" for t in TIERS)
        + f" | {verdict(five_xx == 0 and (shed.get('text', 0) + shed.get('hold', 0)) > 0)} |",
        f"| (not an issue target) Every request got an HTTP answer | {errors} of {len(all_recs)} got none "
        f"(connection error or timeout){', see below' if errors else ''} | {verdict(errors == 0)} |",
    ]


def throughput_note(run: LoadRun) -> str:
    from_cache = sum(lv.ocr_runs()[1] for lv in run.a.levels)
    checked = (
        "every one of them ran OCR, none took its reading from the cache"
        if from_cache == 0
        else f"all but {from_cache} of them over the levels ran OCR; those took the reading of their screenshot "
        "from the one-slot cache, left there by a request for the same screenshot just before"
    )
    return (
        "“Served OCR throughput” counts the answers on the rungs that run OCR (`tier` full or fast; checked against "
        f"the server's own log: {checked}) completed within the level's window, per second. "
        "Answers from the `text` rung (no OCR) and holding replies are counted in "
        "the tables below but not here. Bare OCR capacity is how many screenshots per second this process reads "
        "with nothing else: each file's bytes decoded (`load_image`, which any OCR of a PNG must do first; RapidOCR "
        "does it itself when given a file) and read by `read_lines`. Runs of commits before 4c44fef left decoding "
        "out of the bare loop while the service decodes every upload it reads, so their ratio also charged the "
        "service for decoding; that stricter ratio is the last figure in each row. Bare OCR capacity for a level is "
        "measured in the two bare passes just "
        "before and just after it (half of the screenshots each, together every screenshot once); the run-wide "
        "figure pools every pass. The verdict uses the former, because the machine's other load drifts over the "
        "run. The `fast` rung reads at det_limit_side 736 instead of 960, so it is cheaper per image than the "
        "bare loop, which reads at the default 960."
    )
