"""The review queue on both databases: claims under concurrency, decisions, blind double entry."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from canvass.errors import ConflictError, InputError
from canvass.settings import Settings
from canvass.store.audit import verify_chain
from canvass.store.decide import decide, decisions_for
from canvass.store.review import NewItem, claim, queue, queue_item_by_id, sync_items
from canvass.store.types import utcnow
from tests.support.intake import make_intake


def item(
    key: str, kind: str = "mismatch", sde: float = 0.1, precinct: str = "POLK-ANK-01"
) -> NewItem:
    return NewItem(
        key=key,
        precinct_id=precinct,
        county="Polk",
        kind=kind,
        fields=["final.Sanders"],
        details={"paper": None if kind == "unreadable" else 52, "reported": {"app": 25}},
        effect_delegates=1,
        effect_sde=sde,
    )


def engine_with(settings: Settings, *items: NewItem) -> Engine:
    engine = make_intake(settings).engine
    sync_items(engine, "iowa-dem-2020", ["POLK-ANK-01", "POLK-ANK-02"], list(items), utcnow())
    return engine


def test_queue_is_ordered_by_effect_and_rerun_keeps_decisions(database_settings: Settings) -> None:
    engine = engine_with(
        database_settings, item("a", sde=0.1), item("b", sde=2.5), item("c", sde=0.7)
    )
    assert queue(engine, "iowa-dem-2020")[0].details == {
        "paper": 52,
        "reported": {"app": 25},
    }
    ids = [i.id for i in queue(engine, "iowa-dem-2020")]
    order = {i.id: i.effect_sde for i in queue(engine, "iowa-dem-2020")}
    assert [order[i] for i in ids] == [2.5, 0.7, 0.1]
    now = utcnow()
    claim(engine, ids[0], "ann", now)
    decide(engine, ids[0], "ann", "confirm_reported", "app matches paper on a second look", now)
    again = sync_items(
        engine, "iowa-dem-2020", ["POLK-ANK-01"], [item("a"), item("b"), item("c")], utcnow()
    )
    assert (again.created, again.kept, again.superseded) == (0, 3, 0)
    assert len(queue(engine, "iowa-dem-2020")) == 2
    assert decisions_for(engine, ids[0])[0].reason == "app matches paper on a second look"
    changed = sync_items(engine, "iowa-dem-2020", ["POLK-ANK-01"], [item("a"), item("d")], utcnow())
    assert (changed.created, changed.superseded) == (1, 1)  # c; b is resolved: its record stays
    assert decisions_for(engine, ids[0])[0].action == "confirm_reported"
    assert queue_item_by_id(engine, ids[0]).status == "resolved"
    assert verify_chain(engine).ok


def test_a_kept_open_item_shows_its_current_support(database_settings: Settings) -> None:
    """A decision elsewhere on the sheet moves an item's support, not its identity."""
    engine = engine_with(database_settings, item("a", kind="unreadable"))
    [before] = queue(engine, "iowa-dem-2020")
    moved = item("a", kind="unreadable")
    moved.details["support"] = 0.42
    again = sync_items(engine, "iowa-dem-2020", ["POLK-ANK-01"], [moved], utcnow())
    assert (again.created, again.kept) == (0, 1)
    [after] = queue(engine, "iowa-dem-2020")
    assert after.id == before.id and after.details["support"] == 0.42


def test_two_reviewers_never_hold_the_same_item(database_settings: Settings) -> None:
    engine = engine_with(database_settings, item("race"))
    [target] = queue(engine, "iowa-dem-2020")
    winners: list[str] = []
    losers: list[str] = []
    barrier = threading.Barrier(8)

    def attempt(name: str) -> None:
        barrier.wait()
        try:
            claim(engine, target.id, name, utcnow())
            winners.append(name)
        except ConflictError:
            losers.append(name)

    threads = [threading.Thread(target=attempt, args=(f"r{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1 and len(losers) == 7
    assert queue(engine, "iowa-dem-2020")[0].claimed_by == winners[0]


def test_an_abandoned_claim_expires(database_settings: Settings) -> None:
    engine = engine_with(database_settings, item("x"))
    [target] = queue(engine, "iowa-dem-2020")
    start = utcnow()
    claim(engine, target.id, "ann", start, ttl=timedelta(minutes=15))
    with pytest.raises(ConflictError, match="held by ann"):
        claim(engine, target.id, "bob", start + timedelta(minutes=5))
    claim(engine, target.id, "bob", start + timedelta(minutes=16))
    with pytest.raises(ConflictError, match="claim item"):
        decide(engine, target.id, "ann", "confirm_reported", "late", start + timedelta(minutes=17))


def test_decisions_need_a_reason_and_a_claim(database_settings: Settings) -> None:
    engine = engine_with(database_settings, item("y"))
    [target] = queue(engine, "iowa-dem-2020")
    now = utcnow()
    with pytest.raises(ConflictError, match="claim"):
        decide(engine, target.id, "ann", "confirm_reported", "ok", now)
    claim(engine, target.id, "ann", now)
    with pytest.raises(InputError, match="reason"):
        decide(engine, target.id, "ann", "confirm_reported", "  ", now)
    with pytest.raises(InputError, match="--value"):
        decide(engine, target.id, "ann", "paper_says", "read it", now)
    with pytest.raises(InputError, match="unknown decision"):
        decide(engine, target.id, "ann", "ignore", "meh", now)
    outcome = decide(engine, target.id, "ann", "request_photo", "photo is blurred", now)
    assert outcome.status == "waiting"
    assert queue(engine, "iowa-dem-2020")[0].status == "waiting"


def test_blind_double_entry_agreeing(database_settings: Settings) -> None:
    engine = engine_with(database_settings, item("u", kind="unreadable"))
    [target] = queue(engine, "iowa-dem-2020")
    now = utcnow()
    claim(engine, target.id, "ann", now)
    first = decide(engine, target.id, "ann", "paper_says", "keyed from crop", now, value=52)
    assert first.status == "open"
    with pytest.raises(ConflictError, match="already keyed"):
        claim(engine, target.id, "ann", now)
        decide(engine, target.id, "ann", "paper_says", "again", now, value=52)
    claim(engine, target.id, "bob", now + timedelta(minutes=20))
    second = decide(
        engine, target.id, "bob", "paper_says", "keyed", now + timedelta(minutes=20), value=52
    )
    assert second.status == "resolved"
    assert queue(engine, "iowa-dem-2020") == []


def test_blind_double_entry_disagreeing_goes_to_a_third(database_settings: Settings) -> None:
    engine = engine_with(database_settings, item("v", kind="unreadable"))
    [target] = queue(engine, "iowa-dem-2020")
    now = utcnow()
    claim(engine, target.id, "ann", now)
    decide(engine, target.id, "ann", "paper_says", "keyed", now, value=52)
    claim(engine, target.id, "bob", now)
    assert decide(engine, target.id, "bob", "paper_says", "keyed", now, value=57).status == "open"
    assert queue(engine, "iowa-dem-2020")[0].details["needs"] == "a third reviewer to decide"
    shown = str(queue(engine, "iowa-dem-2020")[0].details)
    assert "52" not in shown and "57" not in shown  # blind: entries are never shown
    claim(engine, target.id, "cat", now)
    third = decide(engine, target.id, "cat", "paper_says", "compared with paper", now, value=57)
    assert third.status == "resolved"
    finals = [d for d in decisions_for(engine, target.id) if d.final]
    assert [(d.reviewer, d.value) for d in finals] == [("cat", 57)]


def test_math_findings_are_acknowledged_not_fixed(database_settings: Settings) -> None:
    engine = engine_with(database_settings, item("m", kind="math_finding"))
    [target] = queue(engine, "iowa-dem-2020")
    now = utcnow()
    claim(engine, target.id, "ann", now)
    with pytest.raises(InputError, match="never fixed"):
        decide(engine, target.id, "ann", "paper_says", "fix", now, value=3)
    assert (
        decide(engine, target.id, "ann", "acknowledge", "seen; the sheet stands", now).status
        == "resolved"
    )
