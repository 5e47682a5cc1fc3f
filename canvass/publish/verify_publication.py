"""Check a canvass publication offline: `python3 verify_publication.py [DIR]`.

This file is copied into every export written by `canvass publish` and needs nothing but
the Python standard library (3.8 or later): anyone who downloads the export can run it,
with no canvass, no server and no network. It checks that

- `manifest.json` is the one `index.html` names (its SHA-256);
- every file the manifest lists is there with the SHA-256 it lists (every photo's too is
  the digest in its name), and no file is there that it does not list;
- every number has a justification that holds: the machine reading (status ok or blank,
  the same value), a recorded decision (the final one gives the same value), a report
  the paper verified (every source gives the same value) or, for a certified precinct,
  the sign-off; a withheld or undetermined number shows no value at all;
- every number in `results.json`, `results.csv` and the HTML pages equals the manifest's,
  and every total equals the sum of the manifest's numbers.

It exits 0 with a summary when everything holds, 1 naming what and where otherwise.
canvass imports the same checks (`canvass verify-publication DIR`) and the same totals
when it writes an export, so the two cannot drift apart.
"""

from __future__ import annotations

import csv
import hashlib
import json
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

MANIFEST, INDEX, RESULTS_JSON, RESULTS_CSV = (
    "manifest.json",
    "index.html",
    "results.json",
    "results.csv",
)
UNLISTED = (MANIFEST, INDEX)  # the manifest cannot list itself; index.html names it
MANIFEST_META = "canvass-manifest-sha256"
ALL = "ALL"
TOTAL = "TOTAL"
SHOWN_STATUSES = ("settled", "provisional")
HIDDEN_STATUSES = ("withheld", "undetermined")
NUMBER_ACTIONS = ("paper_says", "confirm_reported")
CSV_HEAD = ["county", "precinct", "name", "field", "value", "status", "justification"]
CSV_HEAD += ["crop", "photo"]


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def shown(value: int | None) -> str:
    """How a number is written in the pages and the CSV: '?' when it is not published."""
    return "?" if value is None else str(value)


def totals_of(numbers: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    """Per county and for ALL, per field: the sum of the published values, and `status`
    `incomplete` (a number is not published), `provisional` (one is not settled) or
    `settled`. canvass writes the totals with this very function."""
    groups: dict[str, dict[str, dict[str, Any]]] = {}
    for number in numbers:
        for group in (number["county"], ALL):
            line = groups.setdefault(group, {}).setdefault(
                number["field"], {"value": 0, "status": "settled"}
            )
            if number["value"] is None:
                line["status"] = "incomplete"
            else:
                line["value"] += number["value"]
                if number["status"] == "provisional" and line["status"] == "settled":
                    line["status"] = "provisional"
    return groups


class Problems:
    """What does not hold, each as 'where: what'."""

    def __init__(self) -> None:
        self.found: list[str] = []

    def add(self, where: str, what: str) -> None:
        self.found.append(f"{where}: {what}")


def check_files(folder: Path, manifest: dict[str, Any], problems: Problems) -> int:
    """Every listed file is there with its SHA-256; every photo is named by its digest;
    nothing unlisted is there. Returns how many files matched."""
    listed: dict[str, str] = manifest.get("files", {})
    matched = 0
    for name, expected in sorted(listed.items()):
        path = folder / name
        if ".." in Path(name).parts or not path.is_file():
            problems.add(name, "missing: the manifest lists it, the export does not have it")
            continue
        actual = sha256_file(path)
        if actual != expected:
            problems.add(name, f"SHA-256 is {actual}, the manifest lists {expected}")
            continue
        if name.startswith("photos/") and Path(name).stem != actual:
            problems.add(name, f"the photo's content has SHA-256 {actual}, not its name's")
            continue
        matched += 1
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = path.relative_to(folder).as_posix()
        if name not in listed and name not in UNLISTED:
            problems.add(name, "not listed in the manifest")
    return matched


def check_justification(number: dict[str, Any], certified: bool, problems: Problems) -> None:
    """The number's justification holds and gives the number's value."""
    where = f"{MANIFEST} number {number['id']}"
    value, why, status = number.get("value"), number.get("justification"), number.get("status")
    if status in HIDDEN_STATUSES:
        if value is not None or why is not None:
            problems.add(where, f"a {status} number must show no value and no evidence")
        return
    if status not in SHOWN_STATUSES or not isinstance(value, int) or not isinstance(why, dict):
        problems.add(where, f"value {value!r} ({status}) has no justification")
        return
    reason = _unjustified(why, value, certified)
    if reason:
        problems.add(where, f"value {value} is not justified: {reason}")


def _unjustified(why: dict[str, Any], value: int, certified: bool) -> str:
    """Why the justification does not give `value` ('' when it does)."""
    kind = why.get("kind")
    if why.get("value") != value:
        return f"the {kind} justification gives {why.get('value')!r}"
    if kind == "reading":
        reading = why.get("reading") or {}
        read = 0 if reading.get("status") == "blank" else reading.get("value")
        if reading.get("status") not in ("ok", "blank") or read != value:
            return f"the reading is {reading.get('status')} {reading.get('value')!r}"
        return ""
    if kind == "decision":
        final = [
            d
            for d in why.get("decisions", [])
            if d.get("final") and d.get("action") in NUMBER_ACTIONS
        ]
        if not final or final[-1].get("value") != value:
            said = final[-1].get("value") if final else "nothing"
            return f"the final recorded decision says {said}"
        return ""
    if kind == "report_verified":
        reports = why.get("reports") or {}
        if not reports or set(reports.values()) != {value}:
            return f"the reports the paper verified say {reports}"
        return ""
    if kind == "signed":
        return "" if certified else "the precinct is not certified"
    return f"unknown kind of justification {kind!r}"


def check_numbers(manifest: dict[str, Any], problems: Problems) -> dict[str, dict[str, Any]]:
    """Each number's justification and the files it names; returns the numbers by id."""
    files = manifest.get("files", {})
    certified = {p["precinct"]: bool(p.get("certified")) for p in manifest.get("precincts", [])}
    by_id: dict[str, dict[str, Any]] = {}
    for number in manifest.get("numbers", []):
        by_id[number["id"]] = number
        check_justification(number, certified.get(number["precinct"], False), problems)
        for link in ("crop", "photo"):
            target = number.get(link)
            if target is not None and target not in files:
                problems.add(
                    f"{MANIFEST} number {number['id']}", f"its {link} {target} is not listed"
                )
    return by_id


def check_results_json(
    folder: Path, numbers: dict[str, dict[str, Any]], totals: dict[str, Any], problems: Problems
) -> None:
    data = _load_json(folder / RESULTS_JSON, RESULTS_JSON, problems)
    if data is None:
        return
    seen = set()
    for precinct in data.get("precincts", []):
        for field, value in precinct.get("numbers", {}).items():
            ident = f"{precinct.get('precinct')}|{field}"
            seen.add(ident)
            status = precinct.get("status", {}).get(field)
            _compare(RESULTS_JSON, ident, value, numbers, problems, status)
    for ident in sorted(set(numbers) - seen):
        problems.add(RESULTS_JSON, f"number {ident} is missing")
    for group, lines in data.get("totals", {}).items():
        for field, line in lines.items():
            expected = totals.get(group, {}).get(field)
            if expected != line:
                problems.add(
                    RESULTS_JSON, f"total {group} {field} is {line}, the numbers give {expected}"
                )


def check_results_csv(
    folder: Path, numbers: dict[str, dict[str, Any]], totals: dict[str, Any], problems: Problems
) -> None:
    path = folder / RESULTS_CSV
    if not path.is_file():
        problems.add(RESULTS_CSV, "missing")
        return
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    if not rows or rows[0] != CSV_HEAD:
        problems.add(f"{RESULTS_CSV} line 1", f"the header is not {','.join(CSV_HEAD)}")
        return
    seen = set()
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(CSV_HEAD):
            problems.add(f"{RESULTS_CSV} line {line}", f"{len(row)} columns, not {len(CSV_HEAD)}")
            continue
        county, precinct, field, value, status = row[0], row[1], row[3], row[4], row[5]
        where = f"{RESULTS_CSV} line {line}"
        if precinct == TOTAL:
            line_total = totals.get(county, {}).get(field)
            if line_total is None or [shown(line_total["value"]), line_total["status"]] != [
                value,
                status,
            ]:
                problems.add(
                    where,
                    f"total {county} {field} is {value} ({status}), the numbers give {line_total}",
                )
            continue
        ident = f"{precinct}|{field}"
        seen.add(ident)
        _compare(where, ident, None if value == "?" else _int(value), numbers, problems, status)
    for ident in sorted(set(numbers) - seen):
        problems.add(RESULTS_CSV, f"number {ident} is missing")


class _Marked(HTMLParser):
    """Collects the text of every element carrying `data-number` or `data-total`, and the
    manifest digest index.html names."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.marked: list[tuple[str, str, str, int]] = []  # (attr, id, text, line)
        self.meta: str | None = None
        self._open: list[Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "meta" and found.get("name") == MANIFEST_META:
            self.meta = found.get("content")
        for attr in ("data-number", "data-total"):
            if found.get(attr) is not None:
                self._open = [attr, found[attr], "", self.getpos()[0]]

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open[2] += data

    def handle_endtag(self, tag: str) -> None:
        if self._open is not None:
            attr, ident, text, line = self._open
            self.marked.append((attr, ident, text.strip(), line))
            self._open = None


def check_pages(
    folder: Path,
    manifest: dict[str, Any],
    numbers: dict[str, dict[str, Any]],
    totals: dict[str, Any],
    problems: Problems,
) -> None:
    """Every number and total on every page equals the manifest's; every precinct page
    shows every number of its precinct."""
    pages = [n for n in manifest.get("files", {}) if n.endswith(".html")] + [INDEX]
    page_of = {p["precinct"]: p.get("page") for p in manifest.get("precincts", [])}
    shown_on: dict[str, set[str]] = {}
    for ident, number in numbers.items():
        shown_on.setdefault(str(page_of.get(number["precinct"])), set()).add(ident)
    for name in sorted(pages):
        path = folder / name
        if not path.is_file():
            continue
        parser = _Marked()
        parser.feed(path.read_text(encoding="utf-8"))
        seen = set()
        for attr, ident, text, line in parser.marked:
            where = f"{name} line {line}"
            if attr == "data-number":
                seen.add(ident)
                _compare(where, ident, None if text == "?" else _int(text), numbers, problems)
                continue
            group, _, field = ident.partition("|")
            expected = totals.get(group, {}).get(field)
            if expected is None or text != shown(expected["value"]):
                problems.add(
                    where, f"total {group} {field} shows {text}, the numbers give {expected}"
                )
        for ident in sorted(shown_on.get(name, set()) - seen):
            problems.add(name, f"number {ident} is missing")


def _compare(
    where: str,
    ident: str,
    value: Any,
    numbers: dict[str, dict[str, Any]],
    problems: Problems,
    status: str | None = None,
) -> None:
    number = numbers.get(ident)
    if number is None:
        problems.add(where, f"number {ident} is not in the manifest")
        return
    if value != number["value"]:
        problems.add(
            where, f"{ident} is {shown(value)}, the manifest says {shown(number['value'])}"
        )
    if status is not None and status != number["status"]:
        problems.add(where, f"{ident} is marked {status}, the manifest says {number['status']}")


def _int(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        return text


def _load_json(path: Path, name: str, problems: Problems) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.add(name, "missing")
    except (ValueError, UnicodeDecodeError) as exc:
        problems.add(name, f"not valid JSON ({exc})")
    return None


def verify(folder: Path) -> tuple[list[str], str]:
    """(problems, summary) for the export in `folder`; no problems means it verifies. A
    file whose structure is not the export's is a problem too, never a crash."""
    problems = Problems()
    try:
        return _verify(folder, problems)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        problems.add(str(folder), f"not laid out as a canvass publication ({exc!r})")
        return problems.found, ""


def _verify(folder: Path, problems: Problems) -> tuple[list[str], str]:
    manifest = _load_json(folder / MANIFEST, MANIFEST, problems)
    if manifest is None:
        return problems.found, ""
    digest = sha256_file(folder / MANIFEST)
    index = _Marked()
    if (folder / INDEX).is_file():
        index.feed((folder / INDEX).read_text(encoding="utf-8"))
    if index.meta != digest:
        problems.add(MANIFEST, f"its SHA-256 is {digest}; {INDEX} records {index.meta}")
    matched = check_files(folder, manifest, problems)
    numbers = check_numbers(manifest, problems)
    totals = totals_of(list(numbers.values()))
    check_results_json(folder, numbers, totals, problems)
    check_results_csv(folder, numbers, totals, problems)
    check_pages(folder, manifest, numbers, totals, problems)
    return problems.found, _summary(manifest, numbers, matched, digest)


def _summary(
    manifest: dict[str, Any], numbers: dict[str, dict[str, Any]], files: int, digest: str
) -> str:
    counts: dict[str, int] = {}
    for number in numbers.values():
        counts[number["status"]] = counts.get(number["status"], 0) + 1
    said = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    precincts = len(manifest.get("precincts", []))
    return (
        f"publication verified: {len(numbers)} numbers ({said}) in {precincts} precincts, "
        f"each justified; {files} files match their SHA-256; manifest {digest}"
    )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0]) if args else Path(__file__).resolve().parent
    problems, summary = verify(folder)
    if problems:
        for problem in problems:
            sys.stderr.write(f"FAIL {problem}\n")
        sys.stderr.write(f"{len(problems)} problem(s): this publication does not verify\n")
        return 1
    sys.stdout.write(summary + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
