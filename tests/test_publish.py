"""A public export that verifies itself (`canvass publish`, `canvass verify-publication`).

The web tests' site (a real photo of ADAIR-03SW read by the real reader, with its crops;
Adams with a field waiting for blind double entry and a mismatch settled by a reviewer;
Audubon certified) is published with the real `canvass publish`; the export's own
`verify_publication.py` runs under the system Python, isolated (`-I -S`: no site-packages,
nothing of canvass), and passes. Then each kind of tampering, on a copy, makes it fail
naming what and where; and the commands refuse what they must.
"""

from __future__ import annotations

import ast
import csv
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from canvass.publish import verify_publication
from canvass.settings import Settings
from canvass.store.accounts import add_account
from canvass.store.db import open_engine
from canvass.store.decide import decide
from canvass.store.review import claim, queue
from canvass.store.types import utcnow
from canvass.stories.certify import certify_scope, signer_named
from canvass.stories.reconcile import reconcile_election
from tests.conftest import CANVASS, canvass_env
from tests.support.intake import make_intake
from tests.support.iowa import CERTIFIED, IOWA
from tests.support.site import MISMATCH_FIELD, PASSWORD, SiteData, precincts_of, prepare_site

SYSTEM_PYTHON = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else "python3"


def canvass(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CANVASS, *args], env=canvass_env(settings), capture_output=True, text=True
    )


def settle_mismatch(settings: Settings) -> None:
    """A reviewer says what the paper shows on Adams's mismatch (the sheet's number)."""
    engine = open_engine(settings)
    precinct = precincts_of("Adams")[0]
    items = queue(engine, IOWA.id, county="Adams")
    item = next(
        i for i in items if i.precinct_id == precinct and list(i.fields) == [MISMATCH_FIELD]
    )
    value = CERTIFIED[precinct].tally.final[MISMATCH_FIELD.partition(".")[2]]
    claim(engine, item.id, "ann", utcnow())
    decide(engine, item.id, "ann", "paper_says", "the sheet shows it", utcnow(), value)
    reconcile_election(engine, IOWA, utcnow())
    engine.dispose()


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> tuple[SiteData, Path, dict[str, Any]]:
    base = tmp_path_factory.mktemp("publish")
    site = prepare_site(Settings(data_dir=base / "data"))
    settle_mismatch(site.settings)
    engine = open_engine(site.settings)
    signer = signer_named(engine, "pat")
    certify_scope(engine, IOWA, "Audubon", signer, "chair", base / "signed", utcnow())
    engine.dispose()
    out = base / "export"
    done = canvass(site.settings, "publish", "--out", str(out), "--publisher", "admin", "--json")
    assert done.returncode == 0, done.stderr
    return site, out, json.loads(done.stdout)


def verify(folder: Path) -> subprocess.CompletedProcess[str]:
    """The export's own checker under the plain system Python, isolated from everything."""
    script = folder / "verify_publication.py"
    return subprocess.run(
        [SYSTEM_PYTHON, "-I", "-S", str(script), str(folder)],
        capture_output=True,
        text=True,
        cwd=folder.parent,
    )


def manifest_of(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / "manifest.json").read_text())
    return data


def numbers_of(folder: Path) -> dict[str, dict[str, Any]]:
    return {n["id"]: n for n in manifest_of(folder)["numbers"]}


def test_publish_then_verify_passes(published: tuple[SiteData, Path, dict[str, Any]]) -> None:
    site, out, answer = published
    checked = verify(out)
    assert checked.returncode == 0, checked.stderr
    assert "publication verified" in checked.stdout
    assert answer["manifest_sha256"] in checked.stdout
    assert answer["scope"] == "STATE" and answer["publisher"] == "admin"
    logged = json.loads(canvass(site.settings, "audit", "verify", "--json").stdout)
    assert logged["ok"] and logged["head"] == answer["audit_entry"], "the publication is logged"
    cli = canvass(site.settings, "verify-publication", str(out))
    assert cli.returncode == 0 and "publication verified" in cli.stderr + cli.stdout


def test_every_number_is_justified_and_linked(
    published: tuple[SiteData, Path, dict[str, Any]],
) -> None:
    _, out, _ = published
    numbers = numbers_of(out)
    kinds = {(n["justification"] or {}).get("kind") for n in numbers.values()}
    assert {"reading", "decision"} <= kinds
    mismatch = numbers[f"{precincts_of('Adams')[0]}|{MISMATCH_FIELD}"]
    assert mismatch["justification"]["decisions"][-1]["reviewer"] == "ann"
    real = [n for n in numbers.values() if n["precinct"] == "ADAIR-03SW"]
    assert real and all(n["photo"] and n["photo"].startswith("photos/") for n in real)
    assert any(n["crop"] for n in real), "the real photo's crops are published"
    page = (out / "adair" / "ADAIR-03SW.html").read_text()
    crop = next(n["crop"] for n in real if n["crop"])
    assert f'href="../{crop}"' in page
    certified = {p["precinct"]: p["certified"] for p in manifest_of(out)["precincts"]}
    assert all(certified[p] for p in precincts_of("Audubon"))
    assert not certified["ADAIR-03SW"]


def test_a_field_waiting_for_blind_entry_is_withheld(
    published: tuple[SiteData, Path, dict[str, Any]],
) -> None:
    """Neither the machine's guess nor a report's value is published for it."""
    site, out, _ = published
    number = numbers_of(out)[f"{site.blind_precinct}|{site.blind_field}"]
    assert number["status"] == "withheld"
    assert number["value"] is None and number["justification"] is None
    results = json.loads((out / "results.json").read_text())
    row = next(p for p in results["precincts"] if p["precinct"] == site.blind_precinct)
    assert row["numbers"][site.blind_field] is None
    county = manifest_of(out)["precincts"]
    page = next(p["page"] for p in county if p["precinct"] == site.blind_precinct)
    assert "waiting for blind double entry" in (out / page).read_text()


def test_the_verifier_needs_only_the_standard_library() -> None:
    source = Path(verify_publication.__file__).read_text()
    tops = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            tops |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0 and node.module
            tops.add(node.module.split(".")[0])
    assert tops and tops <= set(sys.stdlib_module_names), tops - set(sys.stdlib_module_names)


def test_the_export_ships_the_packaged_verifier(
    published: tuple[SiteData, Path, dict[str, Any]],
) -> None:
    _, out, _ = published
    shipped = (out / "verify_publication.py").read_bytes()
    assert shipped == Path(verify_publication.__file__).read_bytes()


def a_shown_number(folder: Path, precinct: str = "ADAIR-03SW") -> dict[str, Any]:
    return next(
        n
        for n in manifest_of(folder)["numbers"]
        if n["precinct"] == precinct and isinstance(n["value"], int) and n["crop"]
    )


def change_results_json(folder: Path) -> str:
    n = a_shown_number(folder)
    data = json.loads((folder / "results.json").read_text())
    row = next(p for p in data["precincts"] if p["precinct"] == n["precinct"])
    row["numbers"][n["field"]] = n["value"] + 1
    (folder / "results.json").write_text(json.dumps(data))
    return f"results.json: {n['id']} is {n['value'] + 1}, the manifest says {n['value']}"


def change_results_csv(folder: Path) -> str:
    n = a_shown_number(folder)
    path = folder / "results.csv"
    rows = list(csv.reader(path.open(newline="")))
    line = next(i for i, r in enumerate(rows) if r[1] == n["precinct"] and r[3] == n["field"])
    rows[line][4] = str(n["value"] + 1)
    with path.open("w", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    return f"results.csv line {line + 1}: {n['id']} is {n['value'] + 1}, the manifest says"


def change_precinct_page(folder: Path) -> str:
    n = a_shown_number(folder)
    path = folder / "adair" / "ADAIR-03SW.html"
    html = path.read_text()
    marker = f'data-number="{n["id"]}" href="../{n["crop"]}">{n["value"]}<'
    assert marker in html
    path.write_text(html.replace(marker, marker.replace(f">{n['value']}<", f">{n['value'] + 7}<")))
    return f"adair/ADAIR-03SW.html line 1: {n['id']} is {n['value'] + 7}, the manifest says"


def change_a_photo_byte(folder: Path) -> str:
    photo = a_shown_number(folder)["photo"]
    flip_byte(folder / photo)
    return f"{photo}: SHA-256 is"


def change_a_crop_byte(folder: Path) -> str:
    crop = a_shown_number(folder)["crop"]
    flip_byte(folder / crop)
    return f"{crop}: SHA-256 is"


def change_the_manifest(folder: Path) -> str:
    """A number changed in the manifest, its justification changed to match."""
    manifest = manifest_of(folder)
    n = next(x for x in manifest["numbers"] if x["id"] == a_shown_number(folder)["id"])
    n["value"] += 1
    n["justification"]["value"] += 1
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))
    return "manifest.json: its SHA-256 is"


def change_a_total(folder: Path) -> str:
    path = folder / "index.html"
    html = path.read_text()
    start = html.index('data-total="ALL|')
    close = html.index("<", start)
    value = html[html.index(">", start) + 1 : close]
    path.write_text(html[: close - len(value)] + str(int(value) + 1) + html[close:])
    return "index.html line 1: total ALL"


def delete_a_crop(folder: Path) -> str:
    crop = a_shown_number(folder)["crop"]
    (folder / crop).unlink()
    return f"{crop}: missing"


def add_a_file(folder: Path) -> str:
    (folder / "photos" / "extra.jpg").write_bytes(b"not evidence")
    return "photos/extra.jpg: not listed in the manifest"


def mark_a_provisional_number_settled(folder: Path) -> str:
    n = next(x for x in manifest_of(folder)["numbers"] if x["status"] == "provisional")
    data = json.loads((folder / "results.json").read_text())
    row = next(p for p in data["precincts"] if p["precinct"] == n["precinct"])
    row["status"][n["field"]] = "settled"
    (folder / "results.json").write_text(json.dumps(data))
    return f"results.json: {n['id']} is marked settled, the manifest says provisional"


def replace_the_manifest(folder: Path) -> str:
    (folder / "manifest.json").write_text("[]")
    return "not laid out as a canvass publication"


def flip_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "tamper",
    [
        change_results_json,
        change_results_csv,
        change_precinct_page,
        change_a_photo_byte,
        change_a_crop_byte,
        change_the_manifest,
        change_a_total,
        delete_a_crop,
        add_a_file,
        mark_a_provisional_number_settled,
        replace_the_manifest,
    ],
)
def test_tampering_fails_naming_what_and_where(
    published: tuple[SiteData, Path, dict[str, Any]],
    tmp_path: Path,
    tamper: Callable[[Path], str],
) -> None:
    _, out, _ = published
    copy = tmp_path / "export"
    shutil.copytree(out, copy)
    expected = tamper(copy)
    checked = verify(copy)
    assert checked.returncode == 1
    assert expected in checked.stderr, checked.stderr
    assert "this publication does not verify" in checked.stderr


def test_publish_refuses_clearly(
    published: tuple[SiteData, Path, dict[str, Any]], tmp_path: Path
) -> None:
    site, out, _ = published
    again = canvass(site.settings, "publish", "--out", str(out), "--publisher", "admin")
    assert again.returncode == 6 and "is not an empty folder" in again.stderr
    fresh = tmp_path / "new"
    county = canvass(
        site.settings,
        "publish",
        "--out",
        str(fresh),
        "--publisher",
        "admin",
        "--county",
        "Atlantis",
    )
    assert county.returncode == 4 and "no county 'Atlantis'" in county.stderr
    uploader = canvass(site.settings, "publish", "--out", str(fresh), "--publisher", "chair")
    assert uploader.returncode == 8 and "certifier" in uploader.stderr
    assert not fresh.exists()
    missing = canvass(site.settings, "verify-publication", str(tmp_path))
    assert missing.returncode == 4 and "manifest.json" in missing.stderr


def test_nothing_to_publish_is_refused(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    intake = make_intake(settings)
    add_account(intake.engine, "admin", PASSWORD, "admin", utcnow(), "Admin")
    intake.engine.dispose()
    done = canvass(settings, "publish", "--out", str(tmp_path / "out"), "--publisher", "admin")
    assert done.returncode == 5 and "nothing to publish" in done.stderr


def test_one_county_and_the_command_line_checker(
    published: tuple[SiteData, Path, dict[str, Any]], tmp_path: Path
) -> None:
    site, _, _ = published
    out = tmp_path / "audubon"
    done = canvass(
        site.settings, "publish", "--out", str(out), "--publisher", "pat", "--county", "Audubon"
    )
    assert done.returncode == 0, done.stderr
    assert {p["county"] for p in manifest_of(out)["precincts"]} == {"Audubon"}
    change_a_total(out)
    checked = canvass(site.settings, "verify-publication", str(out), "--json")
    assert checked.returncode == 1
    assert any("index.html" in p for p in json.loads(checked.stdout)["problems"])
