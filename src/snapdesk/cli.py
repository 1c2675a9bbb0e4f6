"""The `snapdesk` command: ask, kb check and config here; eval in cli_eval.py, the service's in cli_service.py.

The commands of the other modules are registered here, on the one `app`: `python -m snapdesk.cli` runs this file
as __main__, so a module that imported `app` from here would register on a second copy of it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from .cli_common import JsonOption, KbOption, err, fail, open_assistant, out
from .cli_eval import evaluate
from .cli_service import db_app, keys_app, purge, serve
from .errors import SnapDeskError

app = typer.Typer(
    help="SnapDesk: answers customers' screenshots and questions from your knowledge base.",
    no_args_is_help=True,
    add_completion=False,
)
kb_app = typer.Typer(help="Work with a knowledge-base folder.", no_args_is_help=True)
app.add_typer(kb_app, name="kb")
app.add_typer(keys_app, name="keys")
app.add_typer(db_app, name="db")


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
        fail("a question is required: snapdesk ask [IMAGE] QUESTION")
    source: Any = None
    if image == "-":
        source = sys.stdin.buffer.read()
    elif image is not None:
        if not Path(image).is_file():
            fail(f"no such file: {image}")
        source = Path(image)
    try:
        answer = open_assistant(kb).generate(text=question, image=source)
    except SnapDeskError as error:
        fail(str(error))
    if as_json:
        out.print_json(json.dumps(answer.to_dict(), ensure_ascii=False, default=str))
        return
    out.print(answer.text, highlight=False, soft_wrap=True)
    if answer.escalate:
        err.print(f"[yellow]→ handed over to {answer.team or 'a support agent'}[/yellow]", highlight=False)


@kb_app.command("check")
def kb_check(folder: Annotated[Path, typer.Argument(help="Knowledge-base folder.")]) -> None:
    """List articles, passages and hand-over markers, and the problems found."""
    from .knowledge import load_knowledge_base

    try:
        kb = load_knowledge_base(folder)
    except SnapDeskError as error:
        fail(str(error))
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


def config() -> None:
    """Print the effective settings and what each one does."""
    from .config import Settings

    try:
        settings = Settings()
    except Exception as error:  # pydantic's ValidationError: a bad SNAPDESK_* value
        fail(f"invalid settings: {error}")
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


# In the order `snapdesk --help` lists them (the groups kb, keys and db come after).
app.command()(ask)
app.command("eval")(evaluate)
app.command()(config)
app.command()(serve)
app.command()(purge)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
