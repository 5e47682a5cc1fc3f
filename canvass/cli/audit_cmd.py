"""`canvass audit verify`: walk the hash chain and say whether the log is intact."""

from __future__ import annotations

import typer

from canvass.cli.common import JsonFlag, emit_json, open_database, settings_of, stderr_console
from canvass.errors import StorageError


def verify(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Check every audit entry; print the head hash to compare with signed reports."""
    from canvass.store.audit import verify_chain

    check = verify_chain(open_database(settings_of(ctx)))
    if as_json:
        emit_json(
            {
                "ok": check.ok,
                "entries": check.entries,
                "head": check.head,
                "problems": check.problems,
            }
        )
    elif check.ok:
        stderr_console().print(f"audit log intact: {check.entries} entries, head {check.head}")
    if not check.ok:
        raise StorageError(
            f"the audit log has been tampered with: {'; '.join(check.problems[:3])}"
            f"{' ...' if len(check.problems) > 3 else ''}; keep this database as evidence "
            "and restore the log from a backup"
        )
