"""The main job end to end on a few counties: every injected report error reaches the queue."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from canvass.demo import run_demo
from canvass.settings import Settings
from canvass.store.audit import verify_chain
from canvass.store.db import open_engine


@contextmanager
def no_bar(_label: str) -> Iterator[Callable[[int, int], None]]:
    yield lambda done, total: None


@pytest.mark.slow
def test_demo_catches_every_injected_error(sqlite_settings: Settings) -> None:
    result = run_demo(sqlite_settings, ("Adair", "Adams", "Audubon"), 2020, no_bar)
    assert result.precincts == 12 and result.stored == 12
    assert result.read is not None and result.read.read + result.read.rejected == 12
    assert result.injected, "the seed should inject some errors"
    assert result.missed == []
    assert result.reconciled is not None and result.reconciled.fields_cleared > 0
    assert verify_chain(open_engine(sqlite_settings)).ok
    again = run_demo(sqlite_settings, ("Adair", "Adams", "Audubon"), 2020, no_bar)
    assert again.stored == 0  # the same photos are duplicates, not stored twice
    assert again.reconciled is not None and again.reconciled.items_created == 0
