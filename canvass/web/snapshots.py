"""Results computed once per change of the data, not once per page view.

Computing results re-reads and re-verifies every reading in force (seconds for a whole
state), so the pages keep the rows per scope together with the audit log's last entry
number: every action that can change results (a reading, a report, a decision, a
sign-off) appends to the audit log in its own transaction, so a new entry is the sign to
compute again. Between changes, every view is immediate.

The rows are `canvass.stories.results.served_results`: a certified county's are the rows signed,
from its sign-off's record, so a photo read for it later (a new audit entry, so a new
computation) still gives the same rows until an administrator reopens it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from sqlalchemy import Engine

from canvass.model import Election
from canvass.store.audit import data_version
from canvass.stories.results import ResultRow, served_results


@dataclass
class ResultsCache:
    engine: Engine
    election: Election
    _rows: dict[str | None, tuple[int, list[ResultRow]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def rows(self, county: str | None) -> list[ResultRow]:
        """Results of `county` (None: every precinct) as of the latest change."""
        version = data_version(self.engine)
        with self._lock:
            cached = self._rows.get(county)
            state = self._rows.get(None)
        if cached is not None and cached[0] == version:
            return cached[1]
        if county is not None and state is not None and state[0] == version:
            return [r for r in state[1] if r.county == county]
        rows = served_results(self.engine, self.election, county)
        with self._lock:
            self._rows[county] = (version, rows)
        return rows
