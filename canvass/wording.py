"""The one owner of the words for the codes: decisions, findings and kinds of review item.

Codes are the contract (the store, the API and the CSVs keep them); people read words. Every
page, the certification report and the CSVs' words columns take them from here, so a
decision reads the same on the review page, the certify page and the signed PDF. A code
this module does not know still reads as words (`NEW_CODE` -> "New code"), never as a
blank, so a new finding shows up before anyone writes its sentence.

Kernel layer: plain strings, no imports of the reconciler, so every layer may use it; the
test `tests/test_wording.py` checks that every code the product raises has its words.
"""

from __future__ import annotations

DECISIONS = {
    "paper_says": "The paper says",
    "confirm_reported": "The report is right",
    "request_photo": "Ask for a new photo",
    "escalate": "Escalate to the county chair",
    "acknowledge": "Acknowledge: the sheet stands as written",
}
"""A decision as offered on the review page and recorded on every page after it."""

KIND_DECISIONS = {
    "missing_paper": "Accept the reports (documented exception)",
    "precinct_conflict": "The sheet's QR code is right",
}
"""Where "the report is right" means something else for one kind of item."""

REASONS = {
    "paper_says": "read from the sheet's photo",
    "confirm_reported": "the sheet supports the report",
    "request_photo": "the photo does not show this clearly: retake it",
    "escalate": "needs the county chair's decision",
    "acknowledge": "seen; the sheet stands as written",
}
"""The reason a decision's form suggests (the reviewer may write another)."""

KIND_REASONS = {"missing_paper": "no sheet: the reports stand as a documented exception"}

KINDS = {
    "mismatch": "Paper and report differ",
    "unreadable": "Not readable: key it blind",
    "sources_disagree": "Reports disagree",
    "missing_paper": "No photo of the sheet",
    "missing_report": "No electronic report",
    "precinct_conflict": "Which precinct?",
    "math_finding": "The sheet's math",
    "late_evidence": "Arrived after certification",
    "photos_disagree": "Photos disagree",
    "uploader_differs": "Sender says the sheet differs",
    "no_paper": "No sheet read",
}
"""A kind of review item in a few words: badges, headings, group names (and `no_paper`,
the certify page's blocker that is no item: a precinct with no sheet read)."""

KIND_TEXT = {
    "mismatch": "The paper and the reports differ",
    "unreadable": "The paper could not be read with certainty: key it blind",
    "sources_disagree": "The electronic sources disagree",
    "missing_paper": "No photo of the sheet has been read for this precinct",
    "missing_report": "No electronic report for this precinct",
    "precinct_conflict": "The sheet and the uploader name different precincts",
    "math_finding": "The sheet's own math has a finding",
    "late_evidence": "New evidence arrived after the county was certified",
    "photos_disagree": "Photos of this sheet show different numbers: say which the paper is",
    "uploader_differs": (
        "The person who sent the photo says the sheet shows another number than stands: "
        "say what the paper shows"
    ),
}
"""A kind of review item explained in a sentence: what the reviewer is asked."""

FINDINGS = {
    "FIRST_TOTAL_MISMATCH": "The first alignment does not add up to the attendees",
    "FINAL_EXCEEDS_ATTENDEES": "The final alignment counts more people than attended",
    "VIABLE_GROUP_SHRANK": "A viable group lost people between the alignments",
    "THRESHOLD_MISMATCH": "The viability threshold written is not the rule's",
    "NONVIABLE_GROUP_AWARDED": "A group that was not viable was given delegates",
    "VIABLE_GROUP_UNAWARDED": "A viable group was given no delegates",
    "DELEGATE_TOTAL_MISMATCH": "The county delegates do not add up to the precinct's",
    "ALLOCATION_MISMATCH": "The county delegates are not what the rule gives",
    "MORE_VIABLE_GROUPS_THAN_DELEGATES": "More viable groups than delegates to award",
    "COIN_TOSS_REQUIRED": "A coin toss decides a delegate",
    "LINE_TOTAL_MISMATCH": "A line's total is not its election-day plus absentee votes",
    "COLUMN_TOTAL_MISMATCH": "The totals row is not the sum of the lines",
    "KEYED_VALUE_OUT_OF_BOUNDS": "A keyed number breaks the sheet's bounds",
}
"""A finding on the sheet's own math, in a sentence (caucus, results sheet, keyed values)."""


def decision_words(code: str, kind: str | None = None) -> str:
    """A decision in words; `kind` picks the kind's own wording of "the report is right"."""
    if kind is not None and code == "confirm_reported" and kind in KIND_DECISIONS:
        return KIND_DECISIONS[kind]
    return DECISIONS.get(code) or code_words(code)


def reason_words(code: str, kind: str | None = None) -> str:
    """The reason the form suggests for a decision."""
    if kind is not None and code == "confirm_reported" and kind in KIND_REASONS:
        return KIND_REASONS[kind]
    return REASONS.get(code) or code_words(code)


def finding_words(code: str) -> str:
    """A finding's code in a sentence."""
    return FINDINGS.get(code) or code_words(code)


def kind_words(kind: str) -> str:
    """A kind of review item in a few words."""
    return KINDS.get(kind) or code_words(kind)


def kind_text(kind: str) -> str:
    """A kind of review item explained in a sentence."""
    return KIND_TEXT.get(kind) or code_words(kind)


def code_words(code: str) -> str:
    """The fallback for a code nobody wrote words for: `NEW_CODE` -> "New code"."""
    words = " ".join(code.replace("_", " ").replace(".", " ").split()).lower()
    return words[:1].upper() + words[1:] if words else "(none)"


def message_words(message: str, code: object = None) -> str:
    """An item's stored message with its finding's code in words: the reconciler writes a
    math finding as `CODE: what the sheet has` (the code is the contract), people read
    `The final alignment counts more people than attended: what the sheet has`."""
    if isinstance(code, str) and code and message.startswith(f"{code}: "):
        return f"{finding_words(code)}: {message[len(code) + 2 :]}"
    return message


def details_words(details: object) -> str:
    """`message_words` of an item's details (its `message` and, for a finding, `code`)."""
    if not isinstance(details, dict):
        return ""
    return message_words(str(details.get("message") or ""), details.get("code"))
