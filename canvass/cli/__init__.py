"""The `canvass` command line. Errors from the core are translated here, once, into one
line on stderr and the error's exit code.

Every command is registered at start (so `--help` lists them all, with their docstrings)
but imports its work only when it runs: command modules import typer, the standard
library and `canvass.cli.common` at module level, nothing heavier (OpenCV, the reader,
the photo generator, the web app, the database). A new command or group follows the same
pattern; `tests/test_cli_imports.py` checks `--help`, `status` and `queue` stay light."""

from __future__ import annotations

import sys

import typer

from canvass.cli import setup_cmds
from canvass.errors import CanvassError


def build_app() -> typer.Typer:
    app = typer.Typer(
        name="canvass",
        help="Photos of precinct worksheets in, certified reconciled results out.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )

    @app.callback()
    def _read_settings(ctx: typer.Context) -> None:
        from canvass.settings import load_settings

        ctx.obj = load_settings()

    app.command("init")(setup_cmds.init)
    app.command("precincts")(setup_cmds.precincts)
    election_app = typer.Typer(help="Election definitions.", no_args_is_help=True)
    election_app.command("export")(setup_cmds.export_election)
    app.add_typer(election_app, name="election")
    _register_stages(app)
    return app


def _register_stages(app: typer.Typer) -> None:
    """Commands of the pipeline stages; each module adds its own commands."""
    from canvass.cli import (
        audit_cmd,
        certify_cmd,
        demo,
        ingest_cmd,
        math_cmd,
        publish_cmd,
        read_cmd,
        review_cmd,
        web_cmds,
        worker_cmds,
    )
    from canvass.cli.synth_cmd import synth_app
    from canvass.cli.testdeck_cmd import testdeck_app
    from canvass.cli.worksheet_cmd import worksheet_app

    app.command("demo")(demo.demo)
    app.command("math")(math_cmd.math)
    app.command("ingest")(ingest_cmd.ingest)
    app.command("status")(ingest_cmd.status)
    app.command("photos")(ingest_cmd.photos)
    app.command("read")(read_cmd.read)
    app.command("read-queued")(read_cmd.read_queue)
    app.command("worker")(worker_cmds.worker)
    app.command("doctor")(worker_cmds.doctor)
    reports_app = typer.Typer(
        help="Electronic reports (app, hotline, published).", no_args_is_help=True
    )
    reports_app.command("import")(ingest_cmd.import_reports)
    app.add_typer(reports_app, name="reports")
    app.command("reconcile")(review_cmd.reconcile)
    app.command("queue")(review_cmd.show_queue)
    app.command("resolve")(review_cmd.resolve)
    app.command("release")(review_cmd.release)
    app.command("certify")(certify_cmd.certify)
    app.command("reopen")(certify_cmd.reopen_scope)
    app.command("results")(certify_cmd.results)
    app.command("publish")(publish_cmd.publish)
    app.command("verify-publication")(publish_cmd.verify_publication)
    audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
    audit_app.command("verify")(audit_cmd.verify)
    app.add_typer(audit_app, name="audit")
    app.add_typer(worksheet_app, name="worksheet")
    app.add_typer(synth_app, name="synth")
    app.add_typer(testdeck_app, name="testdeck")
    app.add_typer(web_cmds.users_app, name="users")
    app.command("serve")(web_cmds.serve)


def main() -> None:
    """Console-script entry point. Typer reports usage errors itself (exit 2)."""
    app = build_app()
    try:
        app()
    except CanvassError as exc:
        _fail(exc.message, exc.exit_code)


def _fail(message: str, code: int) -> None:
    sys.stderr.write(f"canvass: error: {message}\n")
    sys.exit(code)
