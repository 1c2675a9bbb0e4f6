"""`snapdesk eval`: run an evaluation set, write one result line a case, print the summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .cli_common import JsonOption, KbOption, err, fail, open_assistant, out
from .errors import SnapDeskError


def evaluate(
    folder: Annotated[Path, typer.Argument(help="Evaluation set: cases.jsonl, images/, kb/ (eval-format.md).")],
    kb: KbOption = None,
    out_file: Annotated[Path | None, typer.Option("--out", help="Results file (JSONL, one line a case).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Run every case of an evaluation set, write the results and print the summary."""
    from .evaluation import load_baseline, load_cases, run_set, summarise

    try:
        cases = load_cases(folder)
        assistant = open_assistant(kb or (folder / "kb" if (folder / "kb").is_dir() else None))
    except SnapDeskError as error:
        fail(str(error))
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as progress:
        task = progress.add_task("evaluating", total=len(cases))
        results = run_set(assistant, cases, progress=lambda _: progress.advance(task))
    out_path = out_file or folder.with_name(folder.name + ".results.jsonl")
    if out_file or not as_json:
        try:
            with open(out_path, "w", encoding="utf-8") as handle:
                for result in results:
                    handle.write(json.dumps(result.record(), ensure_ascii=False) + "\n")
        except OSError as error:
            fail(f"cannot write {out_path}: {error.strerror}")
    summary = summarise(results, baseline=load_baseline(folder))
    if as_json:
        out.print_json(json.dumps(summary.__dict__, ensure_ascii=False))
        return
    _print_summary(summary, out_path)


def _print_summary(summary: Any, out_path: Path) -> None:
    def pct(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.1%}"

    table = Table(title=f"{summary.cases} cases → {out_path}")
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_row("mean score", f"{summary.mean_score:.3f}")
    table.add_row("perfect (score 1)", pct(summary.perfect_share))
    table.add_row("escalation accuracy", pct(summary.escalation_accuracy))
    table.add_row("intent accuracy", pct(summary.intent_accuracy))
    if summary.beyond_ocr is not None:
        table.add_row("facts beyond the OCR text", pct(summary.beyond_ocr))
    table.add_row("latency p50 / p95", f"{summary.p50_ms:.0f} / {summary.p95_ms:.0f} ms")
    out.print(table)
    per = Table(title="per intent")
    for column in ("intent", "cases", "mean score", "intent accuracy"):
        per.add_column(column, justify="right" if column != "intent" else "left")
    for name, row in summary.by_intent.items():
        per.add_row(name, str(row["cases"]), f"{row['mean_score']:.3f}", pct(row["intent_accuracy"]))
    out.print(per)
