"""Writing a public export: the evidence's files, results.json, results.csv, the pages,
manifest.json and the stdlib-only verifier, into one folder any static host can serve.

Every file but `manifest.json` and `index.html` is listed in the manifest with its
SHA-256; `index.html` names the manifest's own digest. Photos are named by their digest
(`photos/<sha256>.<ext>`), crops by photo and field (`crops/<photo id>/<h>.png`, `h` a
digest of the field's key, so odd characters in a ballot line never reach a path).
Totals come from the verifier's own `totals_of`, so writer and checker agree by
construction.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from canvass.publish import verify_publication as verifier
from canvass.publish.evidence import Number, PrecinctNumbers
from canvass.publish.pages import PageSet, by_precinct_of, county_slug, write_pages

FORMAT = "canvass-publication-1"
Fetch = Callable[[str], bytes]


@dataclass(frozen=True)
class Written:
    folder: Path
    manifest_sha256: str
    numbers: int
    precincts: int
    files: int


class _Files:
    """The export's files as they are written, each with its SHA-256."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.listed: dict[str, str] = {}

    def write(self, name: str, data: bytes) -> str:
        path = self.folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.listed[name] = hashlib.sha256(data).hexdigest()
        return name


def write_export(
    folder: Path,
    precincts: Sequence[PrecinctNumbers],
    about: dict[str, Any],
    photo_bytes: Fetch,
    crop_bytes: Fetch,
) -> Written:
    """Write the export into `folder` (made if absent; the story checks it is empty).
    `about`: the election, the scope, who published and when; `photo_bytes(blob_key)` and
    `crop_bytes(crop key)` fetch the evidence."""
    files = _Files(folder)
    photos = _copy_photos(files, precincts, photo_bytes)
    numbers = [
        _number_json(n, photos, _copy_crop(files, n, crop_bytes))
        for p in precincts
        for n in p.numbers
    ]
    totals = verifier.totals_of(numbers)
    source = Path(verifier.__file__).read_bytes()
    files.write("verify_publication.py", source)
    files.write(verifier.RESULTS_JSON, _results_json(about, precincts, numbers, totals))
    files.write(verifier.RESULTS_CSV, _results_csv(precincts, numbers, totals).encode())
    pages = PageSet(about, precincts, numbers, totals, photos)
    for name, html in write_pages(pages).items():
        files.write(name, html.encode())
    manifest = _manifest(about, precincts, numbers, files.listed, photos)
    data = json.dumps(manifest, indent=1, sort_keys=True).encode()
    (folder / verifier.MANIFEST).write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    (folder / verifier.INDEX).write_bytes(pages.index(digest).encode())
    return Written(folder, digest, len(numbers), len(precincts), len(files.listed))


def _copy_photos(
    files: _Files, precincts: Sequence[PrecinctNumbers], fetch: Fetch
) -> dict[int, str]:
    """Each photo in force, once: photo id -> its path in the export."""
    paths: dict[int, str] = {}
    for p in precincts:
        if p.photo is not None and p.photo.photo_id not in paths:
            suffix = PurePosixPath(p.photo.blob_key).suffix or ".jpg"
            paths[p.photo.photo_id] = files.write(
                f"photos/{p.photo.sha256}{suffix}", fetch(p.photo.blob_key)
            )
    return paths


def _copy_crop(files: _Files, number: Number, fetch: Fetch) -> str | None:
    if number.crop is None:
        return None
    folder = "sheet" if number.photo is None else number.photo.photo_id
    return files.write(f"crops/{folder}/{_slot(number)}.png", fetch(number.crop))


def _slot(number: Number) -> str:
    """A path-safe name for a field's crop: a digest of its key."""
    return hashlib.sha256(number.field.encode()).hexdigest()[:16]


def _number_json(number: Number, photos: dict[int, str], crop: str | None) -> dict[str, Any]:
    photo = None if number.photo is None else photos.get(number.photo.photo_id)
    return {
        "id": number.id,
        "precinct": number.precinct,
        "county": number.county,
        "field": number.field,
        "label": number.label,
        "value": number.value,
        "status": number.status,
        "justification": number.justification,
        "crop": crop,
        "photo": photo,
    }


def _results_json(
    about: dict[str, Any],
    precincts: Sequence[PrecinctNumbers],
    numbers: list[dict[str, Any]],
    totals: dict[str, Any],
) -> bytes:
    rows = []
    by_precinct = by_precinct_of(numbers)
    for p in precincts:
        mine = by_precinct.get(p.precinct, [])
        rows.append(
            {
                "precinct": p.precinct,
                "county": p.county,
                "name": p.name,
                "certified": p.certified,
                "numbers": {n["field"]: n["value"] for n in mine},
                "status": {n["field"]: n["status"] for n in mine},
            }
        )
    body = {"election": about["election"], "published_at": about["published_at"]}
    body |= {"precincts": rows, "totals": totals}
    return json.dumps(body, indent=1, sort_keys=True).encode()


def _results_csv(
    precincts: Sequence[PrecinctNumbers], numbers: list[dict[str, Any]], totals: dict[str, Any]
) -> str:
    names = {p.precinct: p.name for p in precincts}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(verifier.CSV_HEAD)
    for n in numbers:
        why = (n["justification"] or {}).get("kind", "")
        value = verifier.shown(n["value"])
        row = [n["county"], n["precinct"], names[n["precinct"]], n["field"], value, n["status"]]
        writer.writerow([*row, why, n["crop"] or "", n["photo"] or ""])
    for group, lines in totals.items():
        for field, line in lines.items():
            total = [verifier.shown(line["value"]), line["status"], "", "", ""]
            writer.writerow([group, verifier.TOTAL, "", field, *total])
    return out.getvalue()


def _manifest(
    about: dict[str, Any],
    precincts: Sequence[PrecinctNumbers],
    numbers: list[dict[str, Any]],
    files: dict[str, str],
    photos: dict[int, str],
) -> dict[str, Any]:
    listed = [
        {
            "precinct": p.precinct,
            "county": p.county,
            "name": p.name,
            "certified": p.certified,
            "page": f"{county_slug(p.county)}/{p.precinct}.html",
            "photo": None if p.photo is None else photos.get(p.photo.photo_id),
        }
        for p in precincts
    ]
    return about | {
        "format": FORMAT,
        "files": dict(sorted(files.items())),
        "precincts": listed,
        "numbers": numbers,
    }
