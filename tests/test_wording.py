"""Every code the product raises has its words, in one place (`canvass.wording`), and a
code nobody wrote words for still reads as words."""

from __future__ import annotations

from canvass.forms.registry import FORMS
from canvass.policy import ACTIONS, ITEM_KINDS
from canvass.wording import (
    FINDINGS,
    code_words,
    decision_words,
    finding_words,
    kind_text,
    kind_words,
)
from reconcile.findings import FindingCode
from reconcile.keyed import CODE as KEYED_CODE


def test_every_decision_and_kind_has_words() -> None:
    for action in ACTIONS:
        assert "_" not in decision_words(action)
    for kind in ITEM_KINDS:
        assert "_" not in kind_words(kind) and "_" not in kind_text(kind)
    assert decision_words("confirm_reported", "missing_paper").startswith("Accept the reports")


def test_every_finding_code_has_words() -> None:
    sums = {s.code for spec in FORMS.values() for s in spec.sums}
    for code in {*FindingCode, *sums, KEYED_CODE}:
        assert code in FINDINGS, code
        assert code not in finding_words(code)


def test_an_unknown_code_still_reads_as_words() -> None:
    assert finding_words("SOMETHING_NEW") == "Something new"
    assert decision_words("hold_on") == "Hold on"
    assert kind_words("") == code_words("") == "(none)"
