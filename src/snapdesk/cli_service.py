"""The HTTP service's commands: `snapdesk serve`, `keys`, `db upgrade` and `purge`."""

from __future__ import annotations

import logging
import threading
from typing import Annotated

import typer
from rich.table import Table

from .cli_common import err, fail, open_store, out

keys_app = typer.Typer(help="API keys for the HTTP service (stored hashed).", no_args_is_help=True)
db_app = typer.Typer(help="The service's database.", no_args_is_help=True)


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
    store = open_store()
    if not store.has_api_keys():
        local = settings.host in ("127.0.0.1", "localhost", "::1")
        if not local:
            fail("no API key exists, so the service may only listen on localhost; create one with snapdesk keys create")
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
    admin: Annotated[bool, typer.Option("--admin", help="May call every endpoint, the console's included.")] = False,
    agent: Annotated[
        bool,
        typer.Option("--agent", help="A person who works the operator inbox; manages neither keys nor the KB."),
    ] = False,
) -> None:
    """Create a key; its secret is shown once."""
    if admin and agent:
        fail("a key is either --admin or --agent")
    key_id, secret = open_store().create_api_key(name=name, role="admin" if admin else "agent" if agent else "client")
    out.print(f"{key_id}  {secret}", highlight=False)


@keys_app.command("list")
def keys_list() -> None:
    """List keys (never their secrets)."""
    table = Table()
    for column in ("id", "name", "prefix", "role", "created", "revoked"):
        table.add_column(column)
    for key in open_store().list_api_keys():
        table.add_row(*(str(key.get(c, "")) for c in ("id", "name", "prefix", "role", "created_at", "revoked_at")))
    out.print(table)


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="The key's id.")]) -> None:
    """Revoke a key at once."""
    if not open_store().revoke_api_key(key_id=key_id):
        fail(f"no active key {key_id}")
    out.print(f"revoked {key_id}")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the database migrations (the service also does it at start)."""
    open_store()
    out.print("database is up to date")


def purge() -> None:
    """Delete stored screenshots older than the retention period."""
    from datetime import timedelta

    from .config import Settings

    days = Settings().image_retention_days
    count = open_store().purge_images(older_than=timedelta(days=days))
    out.print(f"deleted {count} screenshot(s) older than {days:g} days")
