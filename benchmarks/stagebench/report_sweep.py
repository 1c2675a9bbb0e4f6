"""The report's sweep parts: the OCR settings table, the cases that lost points, and the chosen default."""

from __future__ import annotations

from dataclasses import dataclass

from common import fmt, fmt_pct, median

from stagebench.items import Item
from stagebench.sweep import NATIVE_SIDE, NativeReading, SweepConfig, recovery

# The chosen default: the fastest configuration that reaches the best dev score and keeps this much of the
# reference reading's characters.
MIN_RECOVERY = 0.97


@dataclass(frozen=True)
class Row:
    """One configuration's figures that the rule for the chosen default weighs."""

    config: SweepConfig
    ocr_ms: float  # median OCR ms over all cases
    score: float  # dev mean score
    recovered: float  # share of the reference characters recovered, all images
    paired: float  # median over cases of its OCR time / the default's


def sweep_sections(configs: list[SweepConfig], native: NativeReading, items: list[Item]) -> list[str]:
    has_native = bool(native.texts)
    ref_name = "the native-resolution reading" if has_native else "the det_limit_side=4000 reading"
    default = next((c for c in configs if (c.det_limit_side, c.use_cls) == (960, False)), configs[0])
    lines = [
        "## 3. OCR settings sweep: working resolution × classifier",
        "",
        "Each configuration runs every case through `run_set` + `summarise` — the scoring `snapdesk eval` "
        "uses — with `Assistant.from_settings(kb_path=<set>/kb, ocr_det_limit_side=X, moderators=[])` "
        "(the classifier row sets `use_cls=True` on the Assistant's `OcrSettings`, which Settings does not "
        "expose). Configurations ran interleaved per case, once each, after an untimed warm-up. OCR latency "
        f"is the pipeline's `ocr_ms`. “Characters recovered” compares each configuration's text (reading "
        f"order, normalised as the scorer does) with {ref_name}: matched reference characters / all reference "
        "characters over the images (from `difflib.SequenceMatcher` matching blocks), and the image with the lowest "
        "`SequenceMatcher` ratio.",
        "",
        "| det_limit_side / classifier | median OCR ms (all) | median OCR ms (phone) "
        f"| OCR time vs {default.label} (paired median) | dev mean score | perfect answers | intent accuracy "
        "| chars recovered (all) | chars recovered (phone) | worst image (SequenceMatcher ratio) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    rows, table = _config_rows(configs, native, items, default)
    lines += table
    if has_native:
        lines.append(_native_row(native, items, default))
    lines += ["", *_notes(configs), ""]
    lines += _chosen_default(configs, rows, default)
    return lines


def _paired(ocr_ms: dict[str, float], default: SweepConfig) -> float:
    """Median over cases of this OCR time divided by the default configuration's on the same case."""
    return median([ms / default.ocr_ms[case_id] for case_id, ms in ocr_ms.items() if default.ocr_ms.get(case_id)])


def _config_rows(
    configs: list[SweepConfig], native: NativeReading, items: list[Item], default: SweepConfig
) -> tuple[list[Row], list[str]]:
    phone_ids = {i.case_id for i in items if i.phone}
    images = [i.path for i in items]
    phone_images = [i.path for i in items if i.phone]
    # Without the native reading, the least shrunk configuration stands in as the reference.
    reference = native.texts if native.texts else next(c.texts for c in configs if c.det_limit_side == 4000)
    rows, lines = [], []
    for config in configs:
        lat_all = median(list(config.ocr_ms.values()))
        lat_phone = median([ms for case_id, ms in config.ocr_ms.items() if case_id in phone_ids])
        paired = _paired(config.ocr_ms, default)
        rec_all = recovery(reference, config.texts, images)
        rec_phone = recovery(reference, config.texts, phone_images)
        s = config.summary
        rows.append(Row(config, lat_all, s.mean_score, rec_all.share, paired))
        mark = " (current default)" if config is default else ""
        lines.append(
            f"| {config.label}{mark} | {fmt(lat_all)} | {fmt(lat_phone)} | {paired:.2f}× "
            f"| {s.mean_score:.3f} | {fmt_pct(s.perfect_share)} | {fmt_pct(s.intent_accuracy)} "
            f"| {fmt_pct(rec_all.share)} | {fmt_pct(rec_phone.share)} "
            f"| {rec_all.worst_image} ({rec_all.worst_ratio:.3f}) |"
        )
    return rows, lines


def _native_row(native: NativeReading, items: list[Item], default: SweepConfig) -> str:
    phone_ids = {i.case_id for i in items if i.phone}
    lat_all = median(list(native.ms.values()))
    lat_phone = median([ms for case_id, ms in native.ms.items() if case_id in phone_ids])
    return (
        f"| native (bare OCR, reference): {NATIVE_SIDE} with RapidOCR's `Global.max_side_len` raised to "
        f"{NATIVE_SIDE} | {fmt(lat_all)} | {fmt(lat_phone)} | {_paired(native.ms, default):.2f}× | n/a | n/a | n/a "
        "| 100% | 100% | — |"
    )


def _notes(configs: list[SweepConfig]) -> list[str]:
    lines = [
        "“OCR time vs …” is the median over cases of this configuration's `ocr_ms` divided by the default's on "
        "the same case, measured back to back, so it is the latency comparison least disturbed by the shared "
        "machine. Cases that lost points:",
        "",
    ]
    for config in configs:
        lost = [f"{r.case.id} ({r.score:.2f})" for r in config.results if r.score < 1.0]
        lines.append(f"- {config.label}: {', '.join(lost) if lost else 'none'}")
    lines += [
        "",
        "Note on “full size”: RapidOCR first shrinks any image whose longest side exceeds `Global.max_side_len` "
        "(2000 by default, not exposed by SnapDesk's Settings) and then crops the detected lines for the "
        "recogniser from that shrunk image. So `det_limit_side=4000` reads a 1080×2340 screenshot at about "
        "928×2000, not at native size; only the detector's own input shrinks further at 736/960/1280, the "
        "recogniser always sees crops of the ≤2000 px image. The native row lifts that cap too and serves as "
        "the reference reading.",
    ]
    return lines


def _chosen_default(configs: list[SweepConfig], rows: list[Row], default: SweepConfig) -> list[str]:
    best = max(row.score for row in rows)
    eligible = [row for row in rows if row.score >= best - 1e-9 and row.recovered >= MIN_RECOVERY]
    lines = [
        "## Chosen default",
        "",
        f"Rule, applied to the figures above: the fastest configuration (paired OCR time) whose dev "
        f"mean score equals the best of the sweep ({best:.3f}) and that recovers at least {MIN_RECOVERY:.0%} of "
        "the reference characters.",
        "",
    ]
    if not eligible:
        lines.append("No configuration met the rule in this run; the current default stays until a larger set decides.")
        return [*lines, ""]
    chosen = min(eligible, key=lambda row: row.paired)
    config = chosen.config
    lines += [
        f"By that rule the figures pick **det_limit_side={config.det_limit_side}, use_cls={config.use_cls}** "
        f"({chosen.paired:.2f}× the default's OCR time, {fmt(chosen.ocr_ms)} ms median OCR, score {chosen.score:.3f}, "
        f"{fmt_pct(chosen.recovered)} characters).",
        "",
    ]
    current = next((row for row in rows if row.config is default), None)
    if current is not None:
        lines += [f"Trade-off against {default.label}, from the table:", ""]
        for row in rows:
            if row is not current:
                lines.append(
                    f"- {row.config.label}: OCR time {row.paired:.2f}× (paired), dev score {row.score:.3f} vs "
                    f"{current.score:.3f}, characters recovered {fmt_pct(row.recovered)} vs "
                    f"{fmt_pct(current.recovered)}."
                )
        lines.append("")
    lines.append(_against_current(config, rows, len(configs[0].results)))
    return [*lines, ""]


def _against_current(config: SweepConfig, rows: list[Row], cases: int) -> str:
    if (config.det_limit_side, config.use_cls) == (960, False):
        return (
            "This is the Assistant's current default (`ocr_det_limit_side=960`, `use_cls=False`): "
            "the figures support it."
        )
    current = next((row for row in rows if (row.config.det_limit_side, row.config.use_cls) == (960, False)), None)
    return (
        "This differs from the Assistant's current default (`ocr_det_limit_side=960`, `use_cls=False`"
        + (
            f": {fmt(current.ocr_ms)} ms median OCR, score {current.score:.3f}, {fmt_pct(current.recovered)} characters"
            if current
            else ""
        )
        + "), so on this run the figures do not support keeping it unchanged; with "
        f"{cases} cases one case is {1 / max(1, cases):.3f} of the "
        "mean score, so weigh small score differences accordingly."
    )
