"""`canvass users add|list` and `canvass serve`: accounts for the web app, and the app."""

from __future__ import annotations

import secrets
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from canvass.cli.common import JsonFlag, emit_json, open_database, settings_of, stderr_console
from canvass.errors import InputError
from canvass.settings import Settings
from canvass.store.accounts import ROLES, add_account, ensure_account, list_accounts
from canvass.store.types import utcnow

users_app = typer.Typer(help="Accounts of the web app.", no_args_is_help=True)
DEMO_ACCOUNTS = (
    ("chair", "uploader", "Casey Chair (precinct chair)"),
    ("ann", "reviewer", "Ann Reviewer"),
    ("bob", "reviewer", "Bob Reviewer"),
    ("pat", "certifier", "Pat Certifier (county chair)"),
    ("admin", "admin", "Alex Admin"),
)


@users_app.command("add")
def add_user(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The user name (lower case, digits, . _ -).")],
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(ROLES)}.")],
    display_name: Annotated[
        str | None, typer.Option("--display-name", help="Shown on pages and sign-offs.")
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Create a web account; the password is asked for (twice) unless --password-stdin."""
    if role not in ROLES:
        raise InputError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    engine = open_database(settings_of(ctx))
    account = add_account(engine, name, password, role, utcnow(), display_name)
    if as_json:
        emit_json(account.as_json())
    else:
        stderr_console().print(f"account {account.username} ({account.role}) created")


@users_app.command("list")
def list_users(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Every account, its role and whether it is active."""
    accounts = list_accounts(open_database(settings_of(ctx)))
    if as_json:
        emit_json([a.as_json() for a in accounts])
        return
    table = Table("user", "name", "role", "active", title=f"{len(accounts)} accounts")
    for a in accounts:
        table.add_row(a.username, a.display_name, a.role, "yes" if a.active else "no")
    Console().print(table)


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="The address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="The port to listen on.")] = 8000,
    no_reader: Annotated[
        bool, typer.Option("--no-reader", help="Do not read photos in this server.")
    ] = False,
) -> None:
    """Serve the web app (uploads, review, certification) until Ctrl-C."""
    run_server(settings_of(ctx), host, port, reader=not no_reader)


def run_server(settings: Settings, host: str, port: int, reader: bool) -> None:
    """Build the app (refused when the database is not ready) and run uvicorn."""
    import uvicorn

    from canvass.web.app import create_app
    from canvass.web.limits import guard_app, serve_options

    app = create_app(settings, background_reader=reader)
    guarded = guard_app(app, settings, app.state.ctx.secret_key)  # abuse limits, outermost
    stderr_console().print(
        f"canvass: serving on [bold]http://{host}:{port}/[/bold] "
        f"(API documentation at /docs; reader {'on' if reader else 'off'}); Ctrl-C stops"
    )
    uvicorn.run(
        guarded,
        host=host,
        port=port,
        log_level="warning",
        proxy_headers=False,
        **serve_options(settings),  # raises the descriptor limit; connection caps; h11
    )


def demo_accounts(settings: Settings) -> list[tuple[str, str, str]]:
    """One account per role (two reviewers, for blind double entry), each with a new
    random password: (user, role, password)."""
    engine = open_database(settings)
    made = []
    for username, role, display in DEMO_ACCOUNTS:
        password = secrets.token_urlsafe(9)
        ensure_account(engine, username, password, role, utcnow(), display, actor="demo")
        made.append((username, role, password))
    engine.dispose()
    return made


def serve_demo(settings: Settings, host: str, port: int) -> None:
    """Print the demo accounts and the address, then serve (the end of `canvass demo --serve`)."""
    console = Console()
    table = Table("role", "user name", "password", title="Demo accounts (new passwords each run)")
    for username, role, password in demo_accounts(settings):
        table.add_row(role, username, password)
    console.print(table)
    console.print(
        f"Open [bold]http://{host}:{port}/[/bold] in a browser and sign in. Upload as "
        "'chair', review as 'ann' and 'bob' (a value no machine could read needs both), "
        "certify as 'pat'."
    )
    run_server(settings, host, port, reader=True)
