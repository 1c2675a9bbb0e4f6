"""The report's server A parts: bare OCR capacity, the levels' tables, and "Reading the figures" on them."""

from __future__ import annotations

import collections

from common import fmt, fmt_load, quantile

from loadbench.client import Rec, count_5xx, statuses
from loadbench.levels import OCR_TIERS, Level, capacity_of
from loadbench.results import LoadRun


def bare_table(run: LoadRun) -> list[str]:
    bare = run.a.bare
    lines = [
        "### Bare OCR capacity (same images, same process as the load generator, server idle)",
        "",
        "One screenshot at a time: its bytes decoded by `snapdesk.intake.load_image` (decode, EXIF, RGB, pixel "
        "digest), then `read_lines` with the service's default OcrSettings; the two are timed apart. “images/s” "
        "is screenshots per second in both (the capacity the verdict uses), “OCR alone /s” in `read_lines` only. "
        "Passes alternate between the even and the odd screenshots of the set.",
        "",
        "| pass | screenshots | seconds in `read_lines` | seconds decoding | images/s | OCR alone /s | OCR p50 ms "
        "| decode p50 ms | other processes |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for number, b in enumerate(bare):
        lines.append(
            f"| {b.label} | {('even', 'odd')[number % 2]} ({len(b.ocr_s)}) | {sum(b.ocr_s):.1f} "
            f"| {sum(b.decode_ms) / 1000:.1f} | {b.per_second:.2f} | {b.ocr_per_second:.2f} "
            f"| {quantile([x * 1000 for x in b.ocr_s], 0.5):.0f} "
            f"| {quantile(b.decode_ms, 0.5):.0f} | {b.others_share:.1%} |"
        )
    lines.append(
        f"| **all passes (run-wide)** | {sum(len(b.ocr_s) for b in bare)} | | | **{capacity_of(bare):.2f}** "
        f"| {capacity_of(bare, decode=False):.2f} | | | |"
    )
    return [*lines, ""]


def level_tables(run: LoadRun) -> list[str]:
    lines = ["### Throughput and latency by concurrency (server A)", ""]
    lines += _latency_table(run.a.levels)
    lines += [
        "",
        "Latency is the client's clock around each POST (upload, queueing, answer), over every answered request "
        "of the level, whatever its rung. The window is the level's fixed duration; requests in flight at its end "
        "were waited for and count in the latencies but not in the rates.",
        "",
        "A hold “at the deadline” waited in the queue for request_deadline_seconds (server `latency_ms` at least "
        "90% of it) before the ladder gave up on it; the other holds were answered at once because the queue was "
        "full. “OCR runs” and “readings from cache” come from the server's own log lines (the pipeline's timings).",
        "",
    ]
    lines += _rungs_table(run.a.levels, run.settings.request_deadline_seconds * 1000)
    lines.append("")
    lines += _failures(run.a.levels)
    warm, top = run.a.warm_recs, run.a.levels[-1]
    lines.append(
        f"Warm-up before the levels (untimed, not in the tables): {len(warm)} requests, statuses "
        f"{dict(sorted(statuses(warm).items()))}, rungs {dict(collections.Counter(r.tier for r in warm))}. "
        f"Server A RSS after the {top.clients}-client level: VmRSS {run.a.rss.get('VmRSS', 0) / 1024:.0f} MiB, "
        f"peak (VmHWM) {run.a.rss.get('VmHWM', 0) / 1024:.0f} MiB."
    )
    return [*lines, ""]


def _latency_table(levels: list[Level]) -> list[str]:
    lines = [
        "| clients | requests | answered in window /s (all rungs) | OCR answers /s (full+fast) "
        "| bare OCR around it /s (decode + OCR) | ratio | ratio to OCR alone "
        "| p50 ms | p95 ms | OCR answers p50 / p95 ms | server `latency_ms` p50 "
        "| 5xx | server CPU (cores) | load generator CPU (cores) | other processes |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for lv in levels:
        everything, ocr_ms, served = lv.client_ms(), lv.client_ms(OCR_TIERS), lv.per_second(OCR_TIERS)
        lines.append(
            f"| {lv.clients} | {len(lv.recs)} | {lv.per_second():.2f} | {served:.2f} "
            f"| {lv.capacity:.2f} | {served / lv.capacity:.2f} | {served / lv.capacity_ocr:.2f} "
            f"| {fmt(quantile(everything, 0.5))} "
            f"| {fmt(quantile(everything, 0.95))} "
            f"| {fmt(quantile(ocr_ms, 0.5))} / {fmt(quantile(ocr_ms, 0.95))} "
            f"| {fmt(quantile(lv.server_ms(), 0.5))} | {count_5xx(lv.recs)} | {lv.cpu.server_cores:.2f} "
            f"| {lv.cpu.client_cores:.2f} | {lv.cpu.others_share:.1%} |"
        )
    return lines


def _rungs_table(levels: list[Level], deadline_ms: float) -> list[str]:
    lines = [
        "| clients | HTTP statuses | full | fast | text | hold | of which at the deadline | cache "
        "| OCR runs (server log) | readings from cache | server `ocr_ms` p50 full / fast | load avg after |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for lv in levels:
        tiers = lv.tiers()
        ran, cached = lv.ocr_runs()
        at_deadline = sum(1 for r in lv.recs if r.tier == "hold" and (r.server_ms or 0) >= 0.9 * deadline_ms)
        lines.append(
            f"| {lv.clients} | {', '.join(f'{k}: {v}' for k, v in sorted(statuses(lv.recs).items()))} | "
            + " | ".join(str(tiers.get(t, 0)) for t in ("full", "fast", "text", "hold"))
            + f" | {at_deadline} | {tiers.get('cache', 0)} | {ran} | {cached} "
            f"| {fmt(quantile(lv.stage_ms('full', 'ocr_ms'), 0.5))} / "
            f"{fmt(quantile(lv.stage_ms('fast', 'ocr_ms'), 0.5))} | {fmt_load(lv.load_after)} |"
        )
    return lines


def _failures(levels: list[Level]) -> list[str]:
    """The requests of the levels that got no HTTP answer, grouped by level and error, with their clients' idle
    time before them (a keep-alive connection reused after a long idle gap is the usual suspect)."""
    failed = [(lv.clients, r) for lv in levels for r in lv.recs if r.status == 0]
    if not failed:
        return []
    groups: dict[tuple[int, str], list[Rec]] = {}
    for clients, r in failed:
        groups.setdefault((clients, r.error or "?"), []).append(r)
    parts = []
    for (clients, error), recs in groups.items():
        idle = [r.idle_before for r in recs if r.idle_before is not None]
        near = sum(1 for x in idle if 2.5 <= x <= 7.5)
        parts.append(
            f"{len(recs)} at {clients} clients, {error}, {min(r.client_ms for r in recs):.0f}–"
            f"{max(r.client_ms for r in recs):.0f} ms after sending; its client (and so its connection) had "
            "been idle "
            + (f"{min(idle):.2f}–{max(idle):.2f} s before, {near} of them 2.5–7.5 s" if idle else "— (first)")
        )
    lines = ["Requests with no HTTP answer: " + "; ".join(parts) + ".", ""]
    if any(r.idle_before is not None and 2.5 <= r.idle_before <= 7.5 for _, r in failed):
        lines += [
            "An idle gap of 3–7 s is a client that had just waited out a holding reply's Retry-After and then "
            "reused its keep-alive connection; `snapdesk serve` keeps idle connections 15 s, so such a failure "
            "means the connection was closed for another reason. httpx does not retry a POST on a dropped "
            "connection.",
            "",
        ]
    return lines


def reading_the_figures(run: LoadRun) -> list[str]:
    top = run.a.levels[-1]
    non_ocr = len(top.recs) - sum(top.tiers().get(t, 0) for t in OCR_TIERS)
    return [
        "### Reading the figures",
        "",
        f"- With the default workers=0 the ladder runs {run.workers} answering worker(s) on this machine, "
        "and OCR itself spreads each call over every core; the bare loop does the same one image at a time. The "
        "ratio therefore compares the service's sequential OCR path, plus everything around it (upload, "
        "moderation when first seen, layout, SQLite, the HTTP stack and the load generator on the same two cores), "
        "with decoding and OCR alone; the ratio to OCR alone charges the service for decoding as well.",
        "- At 1 client the server idles while each answer travels back and the next request is decoded, so the "
        "ratio there is the per-request overhead; from 4 clients on, requests wait in the queue and the ladder "
        "steps down to `fast` (and to `text`/`hold` when the queue is half full or full).",
        f"- At {top.clients} clients the server used {top.cpu.server_cores:.2f} cores and other processes "
        f"{top.cpu.others_share:.1%} of the machine, while {non_ocr} of the level's {len(top.recs)} requests "
        "got no OCR answer (text, hold or none). Each of those was still uploaded and parsed, and a session and "
        "the customer's message written to SQLite (one transaction), and a `text` answer's upload checked without "
        "decoding and stored unread; a holding reply chosen on arrival stores nothing but the question. That work "
        "shares the two cores with OCR.",
        "- The `text` rung answers from the knowledge base without reading the screenshot and the holding reply "
        "asks the customer to wait: both answer with HTTP 200 instead of an error or a timeout, but neither is "
        "an OCR answer, which is why they are kept out of the ratio.",
        "",
    ]
