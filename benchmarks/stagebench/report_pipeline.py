"""The report's main-run parts: end to end against bare RapidOCR, memory, and the per-image table."""

from __future__ import annotations

from pathlib import Path

from common import fmt, fmt_pct, median, mib, quantile

from stagebench.items import PHONE
from stagebench.pipeline import Sample
from stagebench.results import StageRun

STAGES = ("intake_ms", "moderation_ms", "ocr_ms", "layout_ms", "fields_ms", "retrieval_ms", "engine_ms", "total_ms")
TARGET_OVERHEAD = 0.10


def stage_rows(samples: list[Sample]) -> list[tuple[str, list[float]]]:
    rows = [
        ("bare RapidOCR (same settings)", [s.bare_ms for s in samples]),
        ("RapidOCR on the file path (its own decoding)", [s.file_ms for s in samples]),
    ]
    for stage in STAGES:
        rows.append((f"`{stage}`", [s.timings[stage] for s in samples if stage in s.timings]))
    rows.append(("end to end (caller's clock)", [s.e2e_ms for s in samples]))
    return rows


def per_image(samples: list[Sample]) -> dict[Path, dict[str, float]]:
    grouped: dict[Path, list[Sample]] = {}
    for sample in samples:
        grouped.setdefault(sample.item.path, []).append(sample)
    return {
        path: {
            "bare": median([s.bare_ms for s in group]),
            "file": median([s.file_ms for s in group]),
            "e2e": median([s.e2e_ms for s in group]),
            "ocr": median([s.timings.get("ocr_ms", float("nan")) for s in group]),
            "moderation": median([s.timings.get("moderation_ms", float("nan")) for s in group]),
        }
        for path, group in grouped.items()
    }


def ratios(samples: list[Sample]) -> dict[str, float]:
    images = per_image(samples)
    return {
        "e2e_over_bare": median([s.e2e_ms for s in samples]) / median([s.bare_ms for s in samples]),
        "overhead_vs_ocr_ms": median([(v["e2e"] - v["ocr"]) / v["ocr"] for v in images.values()]),
        "overhead_vs_bare": median([(v["e2e"] - v["bare"]) / v["bare"] for v in images.values()]),
        "overhead_vs_file": median([(v["e2e"] - v["file"]) / v["file"] for v in images.values()]),
        "moderation_share": median([v["moderation"] / v["ocr"] for v in images.values()]),
    }


def end_to_end(run: StageRun) -> list[str]:
    samples, phone = run.samples, run.phone
    lines = [
        "## 1. End to end against bare RapidOCR (main run)",
        "",
        f"Per image, bare OCR (`read_lines` on the decoded RGB image, same `OcrSettings`) then "
        f"`Assistant.generate` from the file, {run.repeats} pass(es) over the set after one untimed warm-up of "
        "each. Stage rows are the Assistant's own `Answer.timings`; “end to end” is the caller's clock around "
        "`generate` (it includes decoding the file). Milliseconds.",
        "",
        f"| Stage | all p50 | all p95 | phone {PHONE[0]}×{PHONE[1]} p50 | phone p95 |",
        "|---|---:|---:|---:|---:|",
    ]
    phone_rows = dict(stage_rows(phone)) if phone else {}
    for name, values in stage_rows(samples):
        pv = phone_rows.get(name, [])
        lines.append(
            f"| {name} | {fmt(quantile(values, 0.5))} | {fmt(quantile(values, 0.95))} "
            f"| {fmt(quantile(pv, 0.5))} | {fmt(quantile(pv, 0.95))} |"
        )
    lines += ["", *_ratio_table(samples, phone), ""]
    if phone:
        lines += [_overhead_note(phone), ""]
    return lines


def _ratio_table(samples: list[Sample], phone: list[Sample]) -> list[str]:
    r_all, r_phone = ratios(samples), ratios(phone) if phone else {}
    rows = (
        ("median(e2e) / median(bare OCR)", "e2e_over_bare"),
        ("median over images of (e2e − `ocr_ms`) / `ocr_ms` — overhead beyond OCR", "overhead_vs_ocr_ms"),
        ("median over images of (e2e − bare OCR) / bare OCR", "overhead_vs_bare"),
        (
            "median over images of (e2e − RapidOCR on the path) / RapidOCR on the path (both decode the file)",
            "overhead_vs_file",
        ),
        ("median over images of `moderation_ms` / `ocr_ms` (NudeNet's part of the overhead)", "moderation_share"),
    )
    lines = ["| Ratio | all images | phone subset |", "|---|---:|---:|"]
    for label, key in rows:
        if key == "e2e_over_bare":  # a plain ratio; the others are shares
            lines.append(f"| {label} | {r_all[key]:.2f} | {r_phone.get(key, float('nan')):.2f} |")
        else:
            lines.append(f"| {label} | {fmt_pct(r_all[key])} | {fmt_pct(r_phone.get(key))} |")
    return lines


def _overhead_note(phone: list[Sample]) -> str:
    parts = {
        stage: median([s.timings.get(stage, 0.0) for s in phone])
        for stage in ("intake_ms", "moderation_ms", "layout_ms", "fields_ms", "retrieval_ms", "engine_ms")
    }
    rest = median([s.e2e_ms - s.timings.get("ocr_ms", 0.0) for s in phone])
    ocr_p50 = median([s.timings.get("ocr_ms", 0.0) for s in phone])
    return (
        f"Where the overhead goes on the phone subset (medians, ms): everything but OCR {rest:.0f} ms = "
        + ", ".join(f"`{k}` {v:.0f}" for k, v in parts.items())
        + f" (the rest is unattributed: answer assembly, evidence, masking). {TARGET_OVERHEAD:.0%} of the "
        f"median `ocr_ms` ({ocr_p50:.0f} ms) is {ocr_p50 * TARGET_OVERHEAD:.0f} ms."
    )


def memory(run: StageRun) -> list[str]:
    rises = sorted(run.samples, key=lambda s: s.peak_rise_kib, reverse=True)[:3]
    return [
        "## 2. Memory",
        "",
        "| When | peak RSS (`ru_maxrss`) | RSS now (`VmRSS`) |",
        "|---|---:|---:|",
        f"| process start (Python + argparse only) | — | {mib(run.rss_start_kib):.0f} MiB |",
        f"| after the main run (default OCR engine + NudeNet, {len(run.items)} images) "
        f"| {mib(run.peak_main_kib):.0f} MiB | {mib(run.rss_main_kib):.0f} MiB |",
        f"| end of the run (plus {len(run.configs)} sweep OCR configurations"
        f"{' and the native-resolution reader' if run.native.ms else ''} loaded at once) "
        f"| {mib(run.peak_end_kib):.0f} MiB | {mib(run.rss_end_kib):.0f} MiB |",
        "",
        "The target applies to the service's process, i.e. the first two rows; the last row is the benchmark "
        "holding several OCR engines at once and says nothing about the service. The main-run process also made "
        "the benchmark's bare-OCR calls (same OCR engine, one image at a time), so a process that only serves "
        "`generate` may peak somewhat lower; the verdict above is on what this run measured. "
        "Images of the main run that raised the peak most: "
        + ", ".join(
            f"{s.item.path.name} ({s.item.size[0]}×{s.item.size[1]}, +{mib(s.peak_rise_kib):.0f} MiB)" for s in rises
        )
        + ".",
        "",
    ]


def per_image_table(run: StageRun) -> list[str]:
    lines = [
        "## Per image (main run, medians over passes, ms)",
        "",
        "| image | size | bare OCR | e2e | `ocr_ms` in e2e | (e2e − `ocr_ms`) / `ocr_ms` |",
        "|---|---|---:|---:|---:|---:|",
    ]
    medians = per_image(run.samples)
    for item in run.items:
        v = medians.get(item.path)
        if v:
            lines.append(
                f"| {item.path.name} | {item.size[0]}×{item.size[1]} | {v['bare']:.0f} | {v['e2e']:.0f} "
                f"| {v['ocr']:.0f} | {fmt_pct((v['e2e'] - v['ocr']) / v['ocr'])} |"
            )
    return [*lines, ""]
