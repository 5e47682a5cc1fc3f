"""`canvass users ...` and `canvass serve`: accounts for the web app, and the app.

Every account command calls the same store function the web app would, each audited in
the same transaction; disabling an account or resetting its password moves its epoch on,
which ends its browser sessions and API tokens at once.
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

import typer

from canvass.cli.common import (
    JsonFlag,
    emit_json,
    open_database,
    settings_of,
    stderr_console,
    stdout_console,
)
from canvass.errors import InputError
from canvass.roles import ROLES

if TYPE_CHECKING:
    from canvass.settings import Settings
    from canvass.store.accounts import Account

users_app = typer.Typer(help="Accounts of the web app.", no_args_is_help=True)
DEMO_ACCOUNTS = (
    ("chair", "uploader", "Casey Chair (precinct chair)"),
    ("ann", "reviewer", "Ann Reviewer"),
    ("bob", "reviewer", "Bob Reviewer"),
    ("pat", "certifier", "Pat Certifier (county chair)"),
    ("sam", "certifier", "Sam State (state party chair)"),
    ("admin", "admin", "Alex Admin"),
)
NameArg = Annotated[str, typer.Argument(help="The user name.")]
CountyOpt = Annotated[
    list[str] | None,
    typer.Option("--county", help="A county the certifier may sign (repeatable)."),
]
StateOpt = Annotated[bool, typer.Option("--state", help="The certifier may sign the state.")]
PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input.")
]


@users_app.command("add")
def add_user(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The user name (lower case, digits, . _ -).")],
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(ROLES)}.")],
    display_name: Annotated[
        str | None, typer.Option("--display-name", help="Shown on pages and sign-offs.")
    ] = None,
    county: CountyOpt = None,
    state: StateOpt = False,
    password_stdin: PasswordStdin = False,
    as_json: JsonFlag = False,
) -> None:
    """Create a web account; the password is asked for (twice) unless --password-stdin.
    A certifier needs --county NAME (repeatable) and/or --state: what it may sign."""
    from canvass.store.accounts import add_account
    from canvass.store.types import utcnow

    if role not in ROLES:
        raise InputError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    scopes = _scopes(county, state)
    if role == "certifier" and not scopes:
        raise InputError("a certifier needs a scope: give --county NAME (repeatable) or --state")
    password = _read_password(password_stdin)
    engine = open_database(settings_of(ctx))
    account = add_account(engine, name, password, role, utcnow(), display_name, scopes=scopes)
    _done(account, as_json, f"account {account.username} ({account.role}) created")


@users_app.command("list")
def list_users(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Every account, its role, whether it is active, and what a certifier may sign."""
    from rich.table import Table

    from canvass.store.accounts import list_accounts

    accounts = list_accounts(open_database(settings_of(ctx)))
    if as_json:
        emit_json([a.as_json() for a in accounts])
        return
    table = Table(
        "user", "name", "role", "active", "may certify", title=f"{len(accounts)} accounts"
    )
    for a in accounts:
        table.add_row(
            a.username, a.display_name, a.role, "yes" if a.active else "no", _shown_scopes(a)
        )
    stdout_console().print(table)


@users_app.command("disable")
def disable_user(ctx: typer.Context, name: NameArg, as_json: JsonFlag = False) -> None:
    """Stop an account: it cannot sign in, and its sessions and API tokens stop at once."""
    from canvass.store.accounts import disable_account
    from canvass.store.types import utcnow

    account = disable_account(open_database(settings_of(ctx)), name, utcnow())
    _done(account, as_json, f"account {name} disabled; its sessions and tokens are ended")


@users_app.command("enable")
def enable_user(ctx: typer.Context, name: NameArg, as_json: JsonFlag = False) -> None:
    """Let a disabled account sign in again (old sessions and tokens stay ended)."""
    from canvass.store.accounts import enable_account
    from canvass.store.types import utcnow

    account = enable_account(open_database(settings_of(ctx)), name, utcnow())
    _done(account, as_json, f"account {name} enabled: it may sign in again")


@users_app.command("reset-password")
def reset_user_password(
    ctx: typer.Context,
    name: NameArg,
    password_stdin: PasswordStdin = False,
    as_json: JsonFlag = False,
) -> None:
    """A new password (asked twice unless --password-stdin); its sessions and tokens end."""
    from canvass.store.accounts import reset_password
    from canvass.store.types import utcnow

    password = _read_password(password_stdin)
    account = reset_password(open_database(settings_of(ctx)), name, password, utcnow())
    _done(account, as_json, f"new password set for {name}; its sessions and tokens are ended")


@users_app.command("scope")
def scope_user(
    ctx: typer.Context,
    name: NameArg,
    county: CountyOpt = None,
    state: StateOpt = False,
    as_json: JsonFlag = False,
) -> None:
    """Set what a certifier may sign (replaces its scopes): --county NAME ... and/or --state."""
    from canvass.store.accounts import set_scopes
    from canvass.store.types import utcnow

    scopes = _scopes(county, state)
    account = set_scopes(open_database(settings_of(ctx)), name, scopes, utcnow())
    _done(account, as_json, f"{name} may certify: {_shown_scopes(account)}")


@users_app.command("unlock")
def unlock_user(ctx: typer.Context, name: NameArg, as_json: JsonFlag = False) -> None:
    """Clear the failed sign-ins of a name (from every address), so it may try at once."""
    from canvass.store.throttle import unlock
    from canvass.store.types import utcnow

    cleared = unlock(open_database(settings_of(ctx)), name.strip().lower(), utcnow())
    if as_json:
        emit_json({"username": name, "failures_cleared": cleared})
    else:
        stderr_console().print(f"{cleared} failed sign-ins of {name} cleared")


def _scopes(county: Sequence[str] | None, state: bool) -> list[str]:
    from canvass.store.accounts import STATE_SCOPE

    return [*(county or ()), *([STATE_SCOPE] if state else [])]


def _shown_scopes(account: Account) -> str:
    if account.role == "admin":
        return "any (administrator)"
    if account.role != "certifier":
        return ""
    return ", ".join(account.certify_scopes) or "nothing yet (`canvass users scope`)"


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


def _done(account: Account, as_json: bool, message: str) -> None:
    if as_json:
        emit_json(account.as_json())
    else:
        stderr_console().print(message)


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="The address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="The port to listen on.")] = 8000,
    no_reader: Annotated[
        bool, typer.Option("--no-reader", help="Do not read photos in this server.")
    ] = False,
    readers: Annotated[
        int | None,
        typer.Option(
            min=1, help="Reader processes (default: one per core; they yield to uploads)."
        ),
    ] = None,
) -> None:
    """Serve the web app (uploads, review, certification) until Ctrl-C."""
    count = 0 if no_reader else readers or os.cpu_count() or 1
    run_server(settings_of(ctx), host, port, readers=count)


def run_server(settings: Settings, host: str, port: int, readers: int) -> None:
    """Build the app (refused when the database is not ready) and run uvicorn with
    `readers` embedded reader processes (0: none)."""
    import uvicorn

    from canvass.web.app import create_app
    from canvass.web.limits import guard_app, serve_options

    app = create_app(settings, background_readers=readers)
    guarded = guard_app(app, settings, app.state.ctx.secret_key)  # abuse limits, outermost
    reading = f"{readers} reader process{'es' if readers > 1 else ''}" if readers else "reader off"
    stderr_console().print(
        f"canvass: serving on [bold]http://{host}:{port}/[/bold] "
        f"(API documentation at /docs; {reading}); Ctrl-C stops"
    )
    uvicorn.run(
        guarded,
        host=host,
        port=port,
        log_level="warning",
        proxy_headers=False,
        **serve_options(settings),  # raises the descriptor limit; connection caps; h11
    )


def demo_accounts(
    settings: Settings, counties: Sequence[str] | None = None
) -> list[tuple[str, str, str]]:
    """One account per role (two reviewers, for blind double entry; a county certifier
    for the demo's `counties` (None: all) and a state one), each with a new random
    password: (user, role, password)."""
    from canvass.store.accounts import STATE_SCOPE, ensure_account
    from canvass.store.elections import load_election
    from canvass.store.types import utcnow

    engine = open_database(settings)
    names = [c.name for c in load_election(engine).counties] if counties is None else counties
    scopes = {"pat": list(names), "sam": [STATE_SCOPE]}
    made = []
    for username, role, display in DEMO_ACCOUNTS:
        password = secrets.token_urlsafe(9)
        ensure_account(
            engine, username, password, role, utcnow(), display, "demo", scopes.get(username, [])
        )
        made.append((username, role, password))
    engine.dispose()
    return made


def serve_demo(
    settings: Settings, host: str, port: int, counties: Sequence[str] | None = None
) -> None:
    """Print the demo accounts and the address, then serve (the end of `canvass demo --serve`)."""
    from rich.table import Table

    console = stdout_console()
    table = Table("role", "user name", "password", title="Demo accounts (new passwords each run)")
    for username, role, password in demo_accounts(settings, counties):
        table.add_row(role, username, password)
    console.print(table)
    console.print(
        f"Open [bold]http://{host}:{port}/[/bold] in a browser and sign in. Upload as "
        "'chair', review as 'ann' and 'bob' (a value no machine could read needs both), "
        "certify a county as 'pat', the state as 'sam'."
    )
    run_server(settings, host, port, readers=os.cpu_count() or 1)
