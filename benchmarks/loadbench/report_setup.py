"""The report's "Machine and run" part: the machine, the command, the servers' settings and the client."""

from __future__ import annotations

import platform

from common import cores, fmt_load, machine_line

from loadbench.results import LoadRun


def machine_and_run(run: LoadRun) -> list[str]:
    return [
        "### Machine and run",
        "",
        f"- {machine_line()}; Python {platform.python_version()}",
        f"- Command: `{run.command}`",
        f"- Code: commit {run.git}",
        f"- Set: `{run.set_dir}` — {len(run.shots)} screenshots, held in memory by the client and sent "
        "as multipart uploads; questions from `cases.jsonl`. The set stays outside the repository.",
        f"- Load average (1/5/15 min) before: {fmt_load(run.load_before)}; after: {fmt_load(run.load_after)}.",
        "- Client and server on the same machine over loopback: the load generator (httpx, asyncio, one process) "
        "takes CPU from the server; its share is in the tables below.",
        "- **This machine is shared with other sessions' work**, which comes and goes; “other processes” below "
        "is their share of the machine's CPU capacity during each level (from /proc/stat less the server's and "
        "this process's CPU time). One run is one sample.",
        "",
        *servers(run),
        "",
    ]


def servers(run: LoadRun) -> list[str]:
    lines = ["Servers (`.venv/bin/snapdesk serve --port <free port>`, each with a fresh temporary data folder):", ""]
    for server, what in (
        (run.server_a, "throughput levels"),
        (run.server_b, "caches, follow-ups, memory"),
        (run.server_c, "first answer after /readyz"),
    ):
        # The data folder is a fresh temporary one each run: its path says nothing, so it is not printed.
        env = ", ".join(
            f"`{k}={'<tmp>/data' if k == 'SNAPDESK_DATA_DIR' else v}`" for k, v in server.settings_env().items()
        )
        lines.append(f"- Server {server.label} ({what}): {env}; everything else default.")
    settings, ocr = run.settings, run.ocr
    lines += [
        f"- Defaults that matter here: workers=0 → {run.workers} worker(s) on {cores()} cores (one per two "
        f"cores), queue_size={settings.queue_size}, request_deadline_seconds="
        f"{settings.request_deadline_seconds:g}, OCR det_limit_side={ocr.det_limit_side}, "
        f"threads={ocr.threads or 'all cores'}, NudeNet moderation on, SQLite, in-process cache, "
        "offline engine.",
        "- Server A's cache: `SNAPDESK_CACHE_MAX_ENTRIES=1` turns the shared in-process LRU (OCR readings, "
        "answers, the digests of uploads' bytes) into one slot, so a request finds an earlier reading of its "
        "screenshot only when the last cache write was for that screenshot (counted as “readings from cache” "
        "below); each question also carries a request number (`<question> #<n>`), so answers never repeat "
        "either. NudeNet's per-screenshot memo is not a setting and stays on: after the warm-up every screenshot "
        "has passed moderation once, so requests in the levels skip it (its cost is the first section's "
        "`moderation_ms`).",
        "- Client: one process, asyncio; in the levels each simulated client has its own httpx.AsyncClient and "
        f"so its own HTTP/1.1 keep-alive connection; timeout 60 s. Window "
        f"{run.window_s:g} s per level, closed loop, no think time; a client that gets the holding reply "
        "waits its Retry-After (capped at the window's end) before its next request.",
    ]
    return lines
