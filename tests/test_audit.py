"""The hash-chained audit log: appends verify; any edit, removal or reordering is found."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from canvass.settings import Settings
from canvass.store.audit import GENESIS, append, head_hash, verify_chain
from canvass.store.db import migrate, open_engine, session_scope


def logged(settings: Settings, n: int = 5) -> Engine:
    engine = open_engine(settings)
    migrate(engine)
    for i in range(n):
        with session_scope(engine) as session:
            append(session, f"reviewer{i}", "resolve", f"item/{i}", {"value": i, "reason": "paper"})
    return engine


def without_triggers(engine: Engine, statement: str) -> None:
    """What someone with direct database access could do: drop the guard, then tamper."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("DROP TRIGGER audit_log_no_change ON audit_log"))
        else:
            conn.execute(text("DROP TRIGGER audit_log_no_update"))
            conn.execute(text("DROP TRIGGER audit_log_no_delete"))
        for part in statement.split("; "):
            conn.execute(text(part))


def test_an_untouched_log_verifies(database_settings: Settings) -> None:
    engine = logged(database_settings)
    check = verify_chain(engine)
    assert check.ok and check.entries == 5
    assert check.head == head_hash(engine) != GENESIS


def test_the_database_refuses_edits_and_deletes(database_settings: Settings) -> None:
    engine = logged(database_settings)
    for statement in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log WHERE seq = 2"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    assert verify_chain(engine).ok


@pytest.mark.parametrize(
    ("statement", "found"),
    [
        ("UPDATE audit_log SET details_json = '{}' WHERE seq = 3", "entry 3"),
        ("UPDATE audit_log SET actor = 'mallory' WHERE seq = 1", "entry 1"),
        ("DELETE FROM audit_log WHERE seq = 2", "entry 2 is missing"),
        (
            "UPDATE audit_log SET seq = 100 WHERE seq = 2; "
            "UPDATE audit_log SET seq = 2 WHERE seq = 4; "
            "UPDATE audit_log SET seq = 4 WHERE seq = 100",
            "does not follow",
        ),
    ],
    ids=["edited details", "edited actor", "removed", "reordered"],
)
def test_tampering_is_detected(database_settings: Settings, statement: str, found: str) -> None:
    engine = logged(database_settings)
    without_triggers(engine, statement)
    check = verify_chain(engine)
    assert not check.ok
    assert any(found in p for p in check.problems), check.problems


def test_cutting_the_tail_changes_the_head(database_settings: Settings) -> None:
    engine = logged(database_settings)
    head = head_hash(engine)
    without_triggers(engine, "DELETE FROM audit_log WHERE seq = 5")
    check = verify_chain(engine)
    assert check.ok  # a shorter chain is still a chain ...
    assert check.head != head  # ... but its head no longer matches the one recorded at sign-off
