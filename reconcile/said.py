"""What the person who sent a photo says its sheet shows, against what stands. Pure.

An uploader who answers the read-back with "No, something differs" names fields and the
numbers they see on the paper. That is one person's word: it never changes a number by
itself (a number reaches the results only when the paper clearly says it or two people
agree). But it must never be silent either: a field the machine cleared, or people
decided, that the sender says reads otherwise goes back to a reviewer as an
`uploader_differs` item, and blocks the county's sign-off until someone decides it.

A field that already has an item is left to that item (the reviewers see the sender's
word there); a field nobody has determined yet is keyed blind anyway.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

KIND: Final[Literal["uploader_differs"]] = "uploader_differs"
IN_FORCE = "in_force"
"""The detail holding the number that stands: it moves with decisions, so it is not part
of the item's identity (see `reconcile.compare.VOLATILE`)."""


@dataclass(frozen=True)
class Said:
    """One field of one "something differs": who said it of which photo, and when."""

    value: int
    photo: str  # the photo's SHA-256
    uploader: str
    at: str


@dataclass(frozen=True)
class Contradiction:
    """A number that stands where the sender says the sheet shows another."""

    key: str
    said: Said
    in_force: int


def contradictions(
    said: Mapping[str, Sequence[Said]],
    in_force: Mapping[str, int | None],
    covered: Collection[str],
) -> list[Contradiction]:
    """Each distinct number said for a field that stands at another number and has no
    item of its own; oldest first (one item per number said, however often it is said)."""
    found: list[Contradiction] = []
    for key, statements in said.items():
        standing = in_force.get(key)
        if key in covered or standing is None:
            continue
        seen: set[int] = set()
        for statement in statements:
            if statement.value != standing and statement.value not in seen:
                seen.add(statement.value)
                found.append(Contradiction(key, statement, standing))
    return found


def message(c: Contradiction) -> str:
    """The item's line: stable for the same statement (not naming the number that
    stands, which decisions move)."""
    return (
        f"{c.key}: the person who sent photo {c.said.photo[:12]} says the sheet shows "
        f"{c.said.value}; compare the crop"
    )


def details(c: Contradiction) -> dict[str, object]:
    return {
        "said": {c.said.uploader: c.said.value},
        "photo": c.said.photo,
        "said_at": c.said.at,
        IN_FORCE: c.in_force,
    }
