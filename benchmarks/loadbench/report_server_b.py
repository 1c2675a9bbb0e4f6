"""The report's server B and C parts: caches and follow-ups, the server's memory over N requests, and the
first answer after /readyz."""

from __future__ import annotations

import collections

from common import fmt, quantile

from loadbench.client import Rec, statuses
from loadbench.first_answer import FOLLOWING
from loadbench.phases import FILLER_CLIENTS, FOLLOW, HITS, PRIME, RSS_EVERY, TEXT_HITS
from loadbench.results import LoadRun


def caches_table(run: LoadRun) -> list[str]:
    prime = run.b.phase(PRIME)
    lines = [
        "### Caches and follow-ups (server B, one client, otherwise idle)",
        "",
        "| requests | n | rungs | server `latency_ms` p50 | p95 | client p50 ms |",
        "|---|---:|---|---:|---:|---:|",
    ]
    for phase in (prime, run.b.phase(HITS), run.b.phase(TEXT_HITS), run.b.phase(FOLLOW)):
        rungs = collections.Counter(_rung(r) for r in phase.recs)
        server_ms = phase.server_ms()
        lines.append(
            f"| {phase.name} | {len(phase.recs)} | {', '.join(f'{k} {v}' for k, v in rungs.most_common())} "
            f"| {fmt(quantile(server_ms, 0.5), 1)} | {fmt(quantile(server_ms, 0.95), 1)} "
            f"| {fmt(quantile([r.client_ms for r in phase.recs], 0.5), 1)} |"
        )
    lines += [
        "",
        "The targets use the answer-cache rows' `cache` answers and the follow-ups' `full` answers, by the "
        "server's own `latency_ms`. For scale: decoding one of these screenshots (intake: decode, normalise, "
        f"pixel digest) takes {fmt(quantile([x for b in run.a.bare for x in b.decode_ms], 0.5))} ms p50 in the bare "
        "passes above, so a hit that took less did not decode the upload again. The text-only row is the cache "
        "path without an image. A follow-up finds the session's screenshot in the database and, with the offline "
        "engine (which reads the OCR, not the pixels), takes its reading from the perception cache without "
        "decoding the stored file"
        + (
            ": none of them ran OCR (the full rung's OCR runs below are exactly the first questions)."
            if run.b.ocr_runs.get("full", 0) == len(prime.recs)
            else "; the OCR count below says how often a reading was not there."
        ),
        "",
    ]
    return lines


def memory_table(run: LoadRun) -> list[str]:
    tally = run.b.tally
    rss100, rss_n = tally.rss.get(100, {}).get("VmRSS"), run.b.rss_end.get("VmRSS")
    lines = [
        f"### Memory of the server process (server B, N = {tally.total} requests)",
        "",
        "| after | VmRSS MiB | VmHWM (peak) MiB |",
        "|---:|---:|---:|",
        f"| start, ready (no request yet) | {run.b.rss_start.get('VmRSS', 0) / 1024:.0f} "
        f"| {run.b.rss_start.get('VmHWM', 0) / 1024:.0f} |",
    ]
    for count in sorted(tally.rss):
        values = tally.rss[count]
        lines.append(
            f"| {count} requests | {values.get('VmRSS', 0) / 1024:.0f} | {values.get('VmHWM', 0) / 1024:.0f} |"
        )
    lines += [
        f"| {tally.total} requests, all answered (idle) | {fmt((rss_n or 0) / 1024)} "
        f"| {fmt(run.b.rss_end.get('VmHWM', 0) / 1024)} |",
        "",
    ]
    if rss100 and rss_n:
        lines += [
            f"Growth from 100 to {tally.total} requests: {(rss_n - rss100) / 1024:+.0f} MiB. Readings at multiples "
            f"of {RSS_EVERY} were taken with {FILLER_CLIENTS} requests in flight. For comparison only: the first "
            "section's RSS target (< 700 MB) is stated for the pipeline in one process; this server process also "
            "holds the fast rung's own RapidOCR objects once that rung is used (the ONNX sessions are shared), "
            "the web stack, SQLite and the "
            f"in-process cache (up to {run.settings.cache_max_entries} answers and readings).",
            "",
        ]
    return [*lines, _requests_note(run), "", _ocr_b_note(run), ""]


def _requests_note(run: LoadRun) -> str:
    """What the N requests to server B were, phase by phase, and how the mixed ones went."""
    tally, mixed = run.b.tally, run.b.phases[-1]
    kinds = collections.Counter(r.kind for r in mixed.recs)
    why = (
        "the issue's figure"
        if tally.total == 5000
        else "not the issue's 5,000: N is chosen so that the whole run fits in about 8 minutes on this machine"
    )
    return (
        f"N = {tally.total} ({why}). The {tally.total} requests were the {len(run.b.phase(PRIME).recs)} first "
        f"questions (one OCR each), {len(run.b.phase(HITS).recs)} repeated requests, {len(run.b.phase(FOLLOW).recs)} "
        f"follow-ups and {len(run.b.phase(TEXT_HITS).recs) + 1} text-only questions above, then {len(mixed.recs)} "
        f"mixed requests at {FILLER_CLIENTS} clients: "
        + ", ".join(f"{v} {k}" for k, v in kinds.most_common())
        + " (new sessions are known screenshots with a new question: answer-cache miss, perception-cache hit). "
        f"Mixed-phase statuses: {dict(sorted(statuses(mixed.recs).items()))}; rungs: "
        f"{dict(collections.Counter(r.tier for r in mixed.recs).most_common())}; server `latency_ms` p50 by kind: "
        + ", ".join(
            f"{k} {fmt(quantile([r.server_ms for r in mixed.recs if r.kind == k and r.server_ms is not None], 0.5), 1)}"
            for k in kinds
        )
        + " ms."
    )


def _ocr_b_note(run: LoadRun) -> str:
    ocr_b = run.b.ocr_runs
    return (
        f"OCR ran {sum(ocr_b.values())} times in server B's whole run (its log: answers with an `ocr_ms` and no "
        "cached reading), by rung: "
        + (", ".join(f"{k} {v}" for k, v in ocr_b.most_common()) or "none")
        + f". The first questions account for {len(run.b.phase(PRIME).recs)} of the full ones."
        + (
            " The fast ones are requests the ladder stepped down to `fast` while 4 clients kept a request "
            "waiting: the fast rung reads at det_limit_side 736, and the perception cache key includes the OCR "
            "settings, so the reading already cached at 960 for that screenshot is not used and the screenshot is "
            "read again (once per screenshot; later fast requests find the 736 reading)."
            if ocr_b.get("fast")
            else ""
        )
        + (
            f" The fast rung was first used at request {run.b.tally.first_fast}; its RapidOCR objects (sharing the "
            "loaded sessions) and its first working buffers at the smaller size are made then."
            if run.b.tally.first_fast
            else ""
        )
    )


def first_answer_table(run: LoadRun) -> list[str]:
    first = run.first
    following = first.following
    ok = [r for r in following if r.status == 200]
    ok_server_ms = [r.server_ms for r in ok if r.server_ms is not None]
    rungs = collections.Counter(_rung(r) for r in following)
    return [
        "### First answer after /readyz (server C, fresh, one client)",
        "",
        f"Server C was started like server B; /readyz (polled every 0.2 s) said 200 {first.ready_s:.1f} s after "
        f"its process started. The first /chat request, {run.shots[0].name} with its case's question (nothing "
        f"cached yet), went out within {first.gap_ms:.0f} ms of that 200 (the client was made before). The next "
        f"{len(following)} (up to {FOLLOWING}) went one at a time, each on another screenshot, so none of them "
        "found an answer or a reading in the cache either. Client's clock around each POST.",
        "",
        "| request | n | rungs | client s | server `latency_ms` |",
        "|---|---:|---|---:|---:|",
        f"| first answer after /readyz | 1 | {_rung(first.first)} "
        f"| {first.first_s:.2f} | {fmt(first.first.server_ms)} |",
        f"| next {len(following)}, p50 | {len(ok)} | {', '.join(f'{k} {v}' for k, v in rungs.most_common())} "
        f"| {fmt(first.following_p50_s, 2)} | {fmt(quantile(ok_server_ms, 0.5))} |",
        "",
    ]


def _rung(rec: Rec) -> str:
    """The rung that answered, or the status when none did (an error, or no HTTP answer)."""
    return rec.tier or statuses([rec]).most_common(1)[0][0]
