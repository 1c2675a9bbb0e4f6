"""What the `snapdesk` command's modules share: the consoles, the one-line failure, options used by several
commands, and the assistant and store they open."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console

out = Console()
err = Console(stderr=True)

KbOption = Annotated[
    Path | None, typer.Option("--kb", help="Knowledge-base folder (default: SNAPDESK_KB_PATH, else the demo shop's).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def fail(message: str) -> NoReturn:
    """Print one line on standard error and exit with status 2: no traceback for a user's mistake."""
    err.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def open_assistant(kb: Path | None) -> Any:
    # Imported here: `snapdesk --help` and the key commands should not load the OCR and retrieval stack.
    from .assistant import Assistant
    from .config import Settings

    settings = Settings(**({"kb_path": kb} if kb else {}))
    return Assistant.from_settings(settings)


def open_store() -> Any:
    """The configured database, migrated to the latest schema."""
    from .config import Settings
    from .store import Store

    try:
        store = Store.from_settings(Settings())
        store.upgrade()
    except Exception as error:  # a bad URL or an unreachable server: one line, not a traceback
        fail(f"cannot open the database: {' '.join(str(error).split())[:300]}")
    return store
