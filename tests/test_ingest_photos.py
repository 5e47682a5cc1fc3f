"""Photo intake against bad and good inputs, on both databases, with real image files."""

from __future__ import annotations

import json
import os
import signal
import struct
import subprocess
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlmodel import Session, col

from canvass.errors import NotFoundError
from canvass.settings import Settings
from canvass.store.db import open_engine
from canvass.store.tables import PhotoRow, UploadRow
from ingest.blobs import LocalBlobStore, sha256_of
from ingest.photos import Custody, ingest_paths, intake_photo, safe_name
from ingest.sniff import Limits
from tests.conftest import CANVASS, canvass_env
from tests.support.images import heic, jpeg, pdf, png
from tests.support.intake import make_intake

CUSTODY = Custody(uploader="chair@polk", client_source="test", declared_precinct="POLK-ANK-01")


def png_bomb(width: int = 30_000, height: int = 30_000) -> bytes:
    """A tiny PNG whose header claims 900 megapixels of 1-bit image (a decompression bomb)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (width // 8 + 1) * 64, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


BAD_INPUTS: list[tuple[str, Callable[[], bytes], str]] = [
    ("zero bytes", lambda: b"", "empty"),
    ("text named .jpg", lambda: b"precinct,field,value\nPOLK-ANK-01,attendees,3\n", "not a photo"),
    ("truncated JPEG", lambda: jpeg()[:5000], "truncated"),
    ("truncated PNG", lambda: png()[:-30], "truncated or corrupt"),
    ("PNG bomb 30000x30000", png_bomb, "megapixel limit"),
    ("HTML page", lambda: b"<!doctype html><html><body>hi</body></html>", "not a photo"),
    ("damaged PDF", lambda: b"%PDF-1.7\n garbage garbage", "PDF is damaged"),
]


@pytest.mark.parametrize(("case", "make", "reason"), BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_inputs_are_refused_with_a_reason(
    sqlite_settings: Settings, case: str, make: Callable[[], bytes], reason: str
) -> None:
    intake = make_intake(sqlite_settings)
    result = intake_photo(intake, make(), "photo.jpg", CUSTODY)
    assert result.status == "rejected", case
    assert result.reason is not None and reason in result.reason
    assert ":" in result.reason  # what is wrong: what to do
    with Session(intake.engine) as session:
        assert session.execute(select(func.count()).select_from(PhotoRow)).scalar_one() == 0
        refusal = session.execute(select(UploadRow)).scalar_one()
        assert refusal.outcome == "rejected" and refusal.reason == result.reason
    assert (
        not list(sqlite_settings.photos_dir.rglob("*.*"))
        if sqlite_settings.photos_dir.exists()
        else True
    )


GOOD_INPUTS: list[tuple[str, Callable[[], bytes], str, tuple[int, int]]] = [
    ("JPEG", jpeg, "image/jpeg", (640, 480)),
    ("PNG", png, "image/png", (320, 240)),
    ("HEIC", heic, "image/heic", (640, 480)),
    ("PDF scan", pdf, "application/pdf", (612, 792)),
]


@pytest.mark.parametrize(
    ("case", "make", "media_type", "size"), GOOD_INPUTS, ids=[c[0] for c in GOOD_INPUTS]
)
def test_good_inputs_are_stored_byte_for_byte(
    database_settings: Settings,
    case: str,
    make: Callable[[], bytes],
    media_type: str,
    size: tuple[int, int],
) -> None:
    intake = make_intake(database_settings)
    data = make()
    result = intake_photo(intake, data, f"IMG_0001.{case.lower()}", CUSTODY)
    assert result.status == "stored", result.reason
    assert result.sha256 == sha256_of(data)
    with Session(intake.engine) as session:
        photo = session.execute(select(PhotoRow)).scalar_one()
    assert photo.media_type == media_type
    assert photo.status == "queued"
    assert (photo.width, photo.height) == size or media_type == "application/pdf"
    assert intake.blobs.get(photo.blob_key) == data


def test_a_20_megabyte_photo_is_accepted_and_a_smaller_limit_refuses_it(
    sqlite_settings: Settings,
) -> None:
    data = jpeg(5000, 4000, quality=97)
    assert len(data) > 20_000_000
    assert intake_photo(make_intake(sqlite_settings), data, "big.jpg", CUSTODY).status == "stored"
    strict = Limits(max_bytes=10_000_000, max_pixels=100_000_000, max_pdf_pages=20)
    other = jpeg(5000, 4000, seed=9, quality=97)
    refused = intake_photo(make_intake(sqlite_settings, strict), other, "big2.jpg", CUSTODY)
    assert refused.status == "rejected"
    assert refused.reason and "over the 10 MB limit" in refused.reason


def test_same_photo_under_two_names_is_stored_once_with_both_uploads(
    database_settings: Settings,
) -> None:
    intake = make_intake(database_settings)
    data = jpeg()
    first = intake_photo(intake, data, "IMG_1.jpg", CUSTODY)
    second = intake_photo(
        intake, data, "copy of IMG_1.jpg", Custody("secretary", "phone", "POLK-ANK-01")
    )
    assert (first.status, second.status) == ("stored", "duplicate")
    assert first.photo_id == second.photo_id
    with Session(intake.engine) as session:
        assert session.execute(select(func.count()).select_from(PhotoRow)).scalar_one() == 1
        uploads = session.execute(select(UploadRow).order_by(col(UploadRow.id))).scalars().all()
    assert [(u.original_name, u.uploader, u.outcome) for u in uploads] == [
        ("IMG_1.jpg", "chair@polk", "stored"),
        ("copy of IMG_1.jpg", "secretary", "duplicate"),
    ]
    assert all(u.received_at.utcoffset() is not None for u in uploads)
    assert len(list(database_settings.photos_dir.rglob("*.jpg"))) == 1


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system32\\evil.jpg", "evil.jpg"),
        ("ok\x00name\n.jpg", "okname.jpg"),
        ("/", "unnamed"),
        ("x" * 400 + ".jpg", "x" * 255),
    ],
)
def test_path_traversal_names_are_recorded_safely(given: str, kept: str) -> None:
    assert safe_name(given) == kept


def test_traversal_name_never_touches_the_file_system(sqlite_settings: Settings) -> None:
    intake = make_intake(sqlite_settings)
    result = intake_photo(intake, jpeg(), "../../../../tmp/escaped.jpg", CUSTODY)
    assert result.status == "stored"
    assert not Path("/tmp/escaped.jpg").exists()
    stored = list(sqlite_settings.photos_dir.rglob("*.jpg"))
    assert [p.name for p in stored] == [f"{result.sha256}.jpg"]


def test_unknown_declared_precinct_stops_before_anything_is_stored(
    sqlite_settings: Settings,
) -> None:
    intake = make_intake(sqlite_settings)
    with pytest.raises(NotFoundError, match="canvass precincts"):
        intake_photo(intake, jpeg(), "a.jpg", Custody("chair", "cli", "POLK-NOPE"))


def test_folders_are_expanded_and_hidden_files_skipped(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "night"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.jpg").write_bytes(jpeg(seed=1))
    (folder / "sub" / "b.png").write_bytes(png())
    (folder / ".DS_Store").write_bytes(b"junk")
    results = ingest_paths(make_intake(sqlite_settings), [folder], CUSTODY)
    assert [(Path(r.file).name, r.status) for r in results] == [
        ("a.jpg", "stored"),
        ("b.png", "stored"),
    ]
    with pytest.raises(NotFoundError):
        ingest_paths(make_intake(sqlite_settings), [tmp_path / "absent"], CUSTODY)


def test_kill_in_the_middle_of_a_batch_loses_and_doubles_nothing(
    database_settings: Settings, tmp_path: Path
) -> None:
    """SIGKILL `canvass ingest` mid-batch, run it again: every photo there once, files intact."""
    folder = tmp_path / "batch"
    folder.mkdir()
    for i in range(40):
        (folder / f"IMG_{i:03d}.jpg").write_bytes(jpeg(1600, 1200, seed=100 + i))
    env = canvass_env(database_settings)
    assert subprocess.run([CANVASS, "init"], env=env, capture_output=True).returncode == 0
    proc = subprocess.Popen(
        [CANVASS, "ingest", str(folder), "--json"], env=env, stdout=subprocess.PIPE
    )
    engine = open_engine(database_settings)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and _count(engine) < 8:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    acknowledged = _count(engine)
    assert 0 < acknowledged < 40, "the kill should land mid-batch"
    again = subprocess.run(
        [CANVASS, "ingest", str(folder), "--json"], env=env, capture_output=True, text=True
    )
    assert again.returncode == 0, again.stderr
    statuses = [r["status"] for r in json.loads(again.stdout)]
    assert statuses.count("duplicate") >= acknowledged
    assert statuses.count("stored") + statuses.count("duplicate") == 40
    assert _count(engine) == 40
    with Session(engine) as session:
        photos = session.execute(select(PhotoRow)).scalars().all()
    blobs = LocalBlobStore(database_settings.photos_dir)
    assert all(sha256_of(blobs.get(p.blob_key)) == p.sha256 for p in photos)
    assert len({p.sha256 for p in photos}) == 40


def _count(engine: object) -> int:
    with Session(engine) as session:  # type: ignore[arg-type]
        return int(session.execute(select(func.count()).select_from(PhotoRow)).scalar_one())
