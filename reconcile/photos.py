"""When photos of one sheet disagree: a later photo must not silently overrule an earlier one.

The reading in force is the latest photo's, so one person with a phone could otherwise
replace a sheet: photograph a forged copy that agrees with a wrong report, and every field
would clear. So wherever an earlier accepted photo of the precinct clearly shows (read `ok`
or `blank`) another number than the one the photo in force settles on, the field is
disputed: it is taken out of what is cleared, its other items give way to one
`photos_disagree` item, and its number stays undetermined until a person decides which
photo the paper is. A field people have already decided is not disputed. Pure: no
storage, web or CLI.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from canvass.model import SheetReading


def clear_value(reading: SheetReading, key: str) -> int | None:
    """The number a reading shows for `key` without doubt (`ok`, or `blank` = 0), else None."""
    found = reading.fields.get(key)
    if found is None or found.status not in ("ok", "blank"):
        return None
    return 0 if found.status == "blank" else found.value


def disputed_fields(
    keys: Iterable[str],
    earlier: Iterable[tuple[int, SheetReading]],
    settled: Callable[[str], int | None],
    decided: Mapping[str, int],
) -> dict[str, dict[int, int]]:
    """Per disputed field, every photo's clear number (photo id -> number): the fields an
    earlier photo clearly shows differently from `settled(key)`, the number the photo in
    force settles on (None: it settles nothing, and the field goes its usual way)."""
    earlier = list(earlier)
    found: dict[str, dict[int, int]] = {}
    for key in keys:
        now = settled(key)
        if key in decided or now is None:
            continue
        others = {pid: v for pid, r in earlier if (v := clear_value(r, key)) is not None}
        if any(v != now for v in others.values()):
            found[key] = others
    return found
