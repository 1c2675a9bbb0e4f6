"""The `snapdesk` command: ask, eval, kb check, config."""

from __future__ import annotations

import json
import logging
import sys
import threading
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .errors import SnapDeskError

app = typer.Typer(
    help="SnapDesk: answers customers' screenshots and questions from your knowledge base.",
    no_args_is_help=True,
    add_completion=False,
)
kb_app = typer.Typer(help="Work with a knowledge-base folder.", no_args_is_help=True)
app.add_typer(kb_app, name="kb")
keys_app = typer.Typer(help="API keys for the HTTP service (stored hashed).", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
db_app = typer.Typer(help="The service's database.", no_args_is_help=True)
app.add_typer(db_app, name="db")
out = Console()
err = Console(stderr=True)

KbOption = Annotated[
    Path | None, typer.Option("--kb", help="Knowledge-base folder (default: SNAPDESK_KB_PATH, else the demo shop's).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def _fail(message: str) -> None:
    err.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def _assistant(kb: Path | None) -> Any:
    from .assistant import Assistant
    from .config import Settings

    settings = Settings(**({"kb_path": kb} if kb else {}))
    return Assistant.from_settings(settings)


@app.command()
def ask(
    image: Annotated[str | None, typer.Argument(help="Screenshot path, or - for standard input.")] = None,
    question: Annotated[str | None, typer.Argument(help="The customer's question.")] = None,
    kb: KbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Answer one question about a screenshot (the image may be left out)."""
    if question is None:  # `snapdesk ask "question"`: no image
        image, question = None, image
    if not question:
        _fail("a question is required: snapdesk ask [IMAGE] QUESTION")
    source: Any = None
    if image == "-":
        source = sys.stdin.buffer.read()
    elif image is not None:
        if not Path(image).is_file():
            _fail(f"no such file: {image}")
        source = Path(image)
    try:
        answer = _assistant(kb).generate(text=question, image=source)
    except SnapDeskError as error:
        _fail(str(error))
    if as_json:
        out.print_json(json.dumps(answer.to_dict(), ensure_ascii=False, default=str))
        return
    out.print(answer.text, highlight=False, soft_wrap=True)
    if answer.escalate:
        err.print(f"[yellow]→ handed over to {answer.team or 'a support agent'}[/yellow]", highlight=False)


@app.command("eval")
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
        assistant = _assistant(kb or (folder / "kb" if (folder / "kb").is_dir() else None))
    except SnapDeskError as error:
        _fail(str(error))
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
            _fail(f"cannot write {out_path}: {error.strerror}")
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


@kb_app.command("check")
def kb_check(folder: Annotated[Path, typer.Argument(help="Knowledge-base folder.")]) -> None:
    """List articles, passages and hand-over markers, and the problems found."""
    from .knowledge import load_knowledge_base

    try:
        kb = load_knowledge_base(folder)
    except SnapDeskError as error:
        _fail(str(error))
    out.print(f"[bold]{kb.name}[/bold] ({kb.language}), version {kb.version}", highlight=False)
    table = Table()
    for column in ("article", "passages", "hand-over"):
        table.add_column(column)
    for article in kb.articles:
        passages = [p for p in kb.passages if p.article == article]
        teams = sorted({p.escalate_to for p in passages if p.escalate_to})
        table.add_row(article, str(len(passages)), ", ".join(teams))
    out.print(table)
    out.print(f"{len(kb.passages)} passages, teams: {', '.join(kb.teams) or 'none declared'}", highlight=False)
    for problem in kb.problems:
        out.print(f"[yellow]problem:[/yellow] {problem}", highlight=False)
    if kb.problems:
        raise typer.Exit(1)


@app.command()
def config() -> None:
    """Print the effective settings and what each one does."""
    from .config import Settings

    try:
        settings = Settings()
    except Exception as error:  # pydantic's ValidationError: a bad SNAPDESK_* value
        _fail(f"invalid settings: {error}")
    table = Table()
    for column in ("setting", "value", "help"):
        table.add_column(column)
    for name, field in Settings.model_fields.items():
        value = getattr(settings, name)
        shown = "****" if any(s in name for s in ("key", "secret", "password", "token")) and value else str(value)
        if name.endswith("_url") and value:
            shown = _mask_url(str(value))
        table.add_row(f"SNAPDESK_{name.upper()}", shown, field.description or "")
    out.print(table)


def _mask_url(url: str) -> str:
    """A URL with its password hidden: postgresql+psycopg://shop:****@db/snapdesk."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":****@", 1)
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def _store() -> Any:
    from .config import Settings
    from .store import Store

    try:
        store = Store.from_settings(Settings())
        store.upgrade()
    except Exception as error:  # a bad URL or an unreachable server: one line, not a traceback
        _fail(f"cannot open the database: {' '.join(str(error).split())[:300]}")
    return store


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on (default: SNAPDESK_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: SNAPDESK_PORT).")] = None,
    open_page: Annotated[
        bool, typer.Option("--open", help="Open the chat page in this machine's browser once listening.")
    ] = False,
) -> None:
    """Run the HTTP service (/chat, /v1/chat/completions, sessions, metrics) and its pages (/, /admin)."""
    import uvicorn

    from .config import Settings
    from .service.app import create_app

    settings = Settings(**{k: v for k, v in {"host": host, "port": port}.items() if v is not None})
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))  # each record is already one JSON object
    logging.getLogger("snapdesk").addHandler(handler)
    logging.getLogger("snapdesk").setLevel(logging.INFO)
    store = _store()
    if not store.has_api_keys():
        local = settings.host in ("127.0.0.1", "localhost", "::1")
        if not local:
            _fail(
                "no API key exists, so the service may only listen on localhost; create one with snapdesk keys create"
            )
        err.print(
            "[bold yellow]WARNING: no API key configured — only callers on this machine are served. "
            "Create one with `snapdesk keys create NAME`.[/bold yellow]"
        )
    base = f"http://{settings.host}:{settings.port}"
    err.print(
        f"SnapDesk listening on {base} — chat page {base}/, console {base}/admin "
        f"(database: {'PostgreSQL' if settings.database_url else 'SQLite'}, "
        f"cache: {'Redis' if settings.redis_url else 'in process'}, engine: {settings.engine})",
        highlight=False,
    )
    if open_page:  # after a moment: uvicorn loads the OCR models before it accepts connections
        threading.Timer(2.0, typer.launch, args=(f"{base}/",)).start()
    # The holding reply's Retry-After is at most 7 s and uvicorn's default keep-alive is 5 s: a client that waits as
    # asked would find its connection closed (or racing the close). 15 s keeps it open for the retry.
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level="warning",
        timeout_keep_alive=15,
        # Behind a load balancer the customer's address is in X-Forwarded-For: per-address limits need it.
        forwarded_allow_ips=",".join(settings.trusted_proxies) or None,
    )


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Argument(help="Who the key is for.")],
    admin: Annotated[bool, typer.Option("--admin", help="May call admin endpoints.")] = False,
) -> None:
    """Create a key; its secret is shown once."""
    key_id, secret = _store().create_api_key(name=name, admin=admin)
    out.print(f"{key_id}  {secret}", highlight=False)


@keys_app.command("list")
def keys_list() -> None:
    """List keys (never their secrets)."""
    table = Table()
    for column in ("id", "name", "prefix", "admin", "created", "revoked"):
        table.add_column(column)
    for key in _store().list_api_keys():
        table.add_row(*(str(key.get(c, "")) for c in ("id", "name", "prefix", "admin", "created_at", "revoked_at")))
    out.print(table)


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="The key's id.")]) -> None:
    """Revoke a key at once."""
    if not _store().revoke_api_key(key_id=key_id):
        _fail(f"no active key {key_id}")
    out.print(f"revoked {key_id}")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the database migrations (the service also does it at start)."""
    _store()
    out.print("database is up to date")


@app.command()
def purge() -> None:
    """Delete stored screenshots older than the retention period."""
    from datetime import timedelta

    from .config import Settings

    days = Settings().image_retention_days
    count = _store().purge_images(older_than=timedelta(days=days))
    out.print(f"deleted {count} screenshot(s) older than {days:g} days")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
