"""The decision policy: which decisions each kind of review item takes, and what each does.

One pure table, the only owner of these rules. The store enforces it on every decision
(`canvass.store.decide.decide` calls `plan_decision`), so the command line, the pages and
the JSON API refuse the same things with the same words; the pages and the API document
derive what they offer from it (`allowed_actions`, `Action`).

The rule it serves: a number reaches the results only when the paper clearly says it, or
two people agree on it. So:
- a value no machine could read (`unreadable`) is keyed blind; it counts when two
  accounts key the same number (a third entry counts when it matches one of two that
  differ); nobody can "confirm" a report on it;
- "the report is right" stores a value a report gave, taken from the report on the
  server; a value sent with it that no report gave is refused;
- "the paper says N" settles at once when the paper clearly shows N (on one of its photos,
  when they disagree) or a report gave N (a second person, at the precinct, already said
  it); any other N waits for a second reviewer to key the same N;
- findings of the sheet's own math are acknowledged, never fixed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, get_args

from canvass.errors import ConflictError, InputError

Action = Literal["paper_says", "confirm_reported", "request_photo", "escalate", "acknowledge"]
ACTIONS: tuple[Action, ...] = get_args(Action)
ItemKind = Literal[
    "mismatch",
    "unreadable",
    "sources_disagree",
    "missing_paper",
    "missing_report",
    "precinct_conflict",
    "math_finding",
    "late_evidence",
    "photos_disagree",
    "uploader_differs",
]
ITEM_KINDS: tuple[ItemKind, ...] = get_args(ItemKind)
Outcome = Literal["settles", "entry", "closes", "waits"]
"""settles: resolves the item with a field value; entry: one of two (or three) entries of
a value, resolved when two accounts agree; closes: resolves without a field value;
waits: the item waits (for a new photo, for the county chair)."""

WAITING: tuple[Action, ...] = ("request_photo", "escalate")


@dataclass(frozen=True)
class KindRule:
    """What an item kind takes. `blind`: its value is keyed by two accounts who see
    neither the reports, nor the machine's guess, nor each other's entry. `field_value`:
    the item is about one field's number (its decisions can settle that number)."""

    actions: tuple[Action, ...]
    blind: bool = False
    field_value: bool = False


POLICY: Mapping[str, KindRule] = {
    "mismatch": KindRule(
        ("paper_says", "confirm_reported", "request_photo", "escalate"), field_value=True
    ),
    "unreadable": KindRule(("paper_says", "request_photo", "escalate"), True, True),
    "sources_disagree": KindRule(
        ("paper_says", "confirm_reported", "request_photo", "escalate"), field_value=True
    ),
    "missing_paper": KindRule(("confirm_reported", "request_photo", "escalate")),
    "precinct_conflict": KindRule(("confirm_reported", "request_photo", "escalate")),
    "math_finding": KindRule(("acknowledge", "escalate")),
    "missing_report": KindRule(("acknowledge", "escalate")),
    "late_evidence": KindRule(("acknowledge", "escalate")),
    "photos_disagree": KindRule(("paper_says", "request_photo", "escalate"), field_value=True),
    "uploader_differs": KindRule(
        ("paper_says", "confirm_reported", "request_photo", "escalate"), field_value=True
    ),
}
BLIND_KINDS: tuple[str, ...] = tuple(k for k, r in POLICY.items() if r.blind)


@dataclass(frozen=True)
class ItemFacts:
    """What the policy needs to know of an item: its kind, each source's reported value
    (for a field item), the value the paper clearly shows (None when it does not), the
    largest number the field's boxes can hold, when photos of the sheet disagree the
    number each photo clearly shows, for a missing paper the fields on which the sources
    disagree, and for a finding on numbers people keyed, who keyed them (they may not
    be the ones to wave it through)."""

    kind: str
    reported: Mapping[str, int]
    paper_clear: int | None = None
    max_value: int | None = None
    photo_values: tuple[int, ...] = ()
    disagree: tuple[str, ...] = ()
    keyed_by: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Plan:
    """What a permitted decision does: its outcome and the value it records."""

    action: Action
    outcome: Outcome
    value: int | None


def rule_for(kind: str) -> KindRule:
    rule = POLICY.get(kind)
    if rule is None:
        raise InputError(f"items of kind {kind!r} cannot be decided: ask an administrator")
    return rule


def allowed_actions(kind: str) -> tuple[Action, ...]:
    """The decisions an item of `kind` takes, in the order a page offers them."""
    return rule_for(kind).actions


def is_blind(kind: str) -> bool:
    return kind in BLIND_KINDS


def check_action(action: str) -> Action:
    """`action` as an Action, or InputError listing the five."""
    for known in ACTIONS:
        if action == known:
            return known
    raise InputError(f"unknown decision {action!r}: use one of {', '.join(ACTIONS)}")


def plan_decision(
    facts: ItemFacts, action: str, reason: str, value: int | None, reviewer: str = ""
) -> Plan:
    """The decision's plan, or InputError saying why it is refused and what to do instead.
    Pure: the caller stores the plan (and the entries that decide double entry)."""
    chosen = check_action(action)
    if reviewer and reviewer in facts.keyed_by:
        raise ConflictError(
            "you keyed the number this finding is about: another reviewer must look at it"
        )
    if not reason.strip():
        raise InputError("give a reason for the decision (--reason)")
    rule = rule_for(facts.kind)
    if chosen not in rule.actions:
        raise InputError(
            f"a {facts.kind.replace('_', ' ')} item does not take {chosen!r}: "
            f"use {', '.join(rule.actions)}" + _blind_hint(facts.kind, chosen)
        )
    if value is not None and (
        value < 0 or (facts.max_value is not None and value > facts.max_value)
    ):
        limit = f"0 to {facts.max_value}" if facts.max_value is not None else "0 or more"
        raise InputError(
            f"{value} cannot be written in this field's boxes: give a count of {limit}"
        )
    if chosen == "paper_says":
        return _paper_says(facts, value)
    if chosen == "confirm_reported":
        return _confirm_reported(facts, rule, value)
    if value is not None:
        raise InputError(f"{chosen!r} takes no value: leave it out")
    return Plan(chosen, "waits" if chosen in WAITING else "closes", None)


def _blind_hint(kind: str, action: str) -> str:
    if is_blind(kind) and action == "confirm_reported":
        return " (nobody could read this value: two reviewers key what the crop shows, blind)"
    if kind == "math_finding":
        return " (a worksheet math finding is never fixed: the sheet stands as written)"
    return ""


def _paper_says(facts: ItemFacts, value: int | None) -> Plan:
    if value is None:
        raise InputError("say what the paper shows (--value N, a count of 0 or more)")
    if is_blind(facts.kind):
        return Plan("paper_says", "entry", value)
    if value == facts.paper_clear or value in (*facts.reported.values(), *facts.photo_values):
        return Plan("paper_says", "settles", value)
    return Plan("paper_says", "entry", value)  # neither paper nor report: a second person


def _confirm_reported(facts: ItemFacts, rule: KindRule, value: int | None) -> Plan:
    if not rule.field_value:
        if value is not None:
            raise InputError("this decision takes no value: leave it out")
        if facts.disagree:
            raise InputError(
                f"the sources disagree on {', '.join(facts.disagree)}: there is no one report to "
                "accept; ask for a photo of the sheet (request_photo) or escalate"
            )
        return Plan("confirm_reported", "closes", None)
    given = sorted(set(facts.reported.values()))
    if not given:
        raise InputError("no report gives this field: say what the paper shows instead")
    if value is None:
        if len(given) > 1:
            listed = ", ".join(f"{s} {v}" for s, v in sorted(facts.reported.items()))
            raise InputError(
                f"the sources disagree ({listed}): say which value is right (--value N)"
            )
        return Plan("confirm_reported", "settles", given[0])
    if value not in given:
        raise InputError(
            f"no report gave {value} (they say {', '.join(map(str, given))}): to record "
            "another number, say what the paper shows (paper_says)"
        )
    return Plan("confirm_reported", "settles", value)


def entry_decides(previous: list[tuple[str, int | None]], reviewer: str, value: int | None) -> bool:
    """Double entry: `previous` are the earlier entries (reviewer, value), oldest first.
    An entry decides when it equals an earlier entry (two accounts agree): the second
    when it matches the first, else a third that matches one of them, and so on. An
    entry that matches none never decides alone. The same account never enters twice."""
    if any(who == reviewer for who, _ in previous):
        raise ConflictError("you have already keyed this value: another reviewer must key it")
    return any(earlier == value for _, earlier in previous)
