"""The object store: the local directory store on a real disk, the choice of store from the
settings, and the S3 store against a real S3-compatible server when one is named."""

from __future__ import annotations

import os
import pickle
import uuid
from pathlib import Path

import pytest

from canvass.errors import InputError, StorageError
from canvass.settings import Settings
from ingest.blobs import BlobStore, LocalBlobStore, content_key, open_blob_store, sha256_of
from ingest.s3_store import S3BlobStore

S3_URL = os.environ.get("CANVASS_TEST_S3_URL")


def exercise(store: BlobStore) -> None:
    """What every store must do, whatever is behind it."""
    data = b"\xff\xd8 a photo " + uuid.uuid4().bytes
    digest = sha256_of(data)
    key = store.put(digest, "jpg", data)
    assert key == content_key(digest, "jpg") and key.startswith(f"{digest[:2]}/{digest[2:4]}/")
    assert store.put(digest, "jpg", data) == key
    assert store.get(key) == data and store.exists(key)
    with pytest.raises(StorageError, match="not theirs"):
        store.put(digest, "jpg", data + b"x")
    store.write("7/sheet.jpg", b"crop")
    store.write("7/sheet.jpg", b"crop, again")
    assert store.get("7/sheet.jpg") == b"crop, again"
    listed = {b.key: b for b in store.list()}
    assert set(listed) >= {key, "7/sheet.jpg"} and listed[key].size == len(data)
    assert [b.key for b in store.list("7/")] == ["7/sheet.jpg"]
    store.delete(key)
    assert not store.exists(key)
    with pytest.raises(StorageError, match="canvass doctor"):
        store.get(key)
    assert pickle.loads(pickle.dumps(store)).exists("7/sheet.jpg")


def test_the_local_store_keeps_bytes_whole_and_replaces_damaged_ones(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "photos")
    exercise(store)
    data = b"the original bytes"
    key = store.put(sha256_of(data), "png", data)
    path = store.root / key
    assert oct(path.stat().st_mode & 0o777) == "0o444"
    os.chmod(path, 0o644)
    path.write_bytes(b"the damaged bytes!")
    assert store.put(sha256_of(data), "png", data) == key
    assert store.get(key) == data
    assert not list(path.parent.glob(".incoming-*"))
    with pytest.raises(StorageError, match="outside the store"):
        store.get("../escape")


def test_the_store_is_chosen_by_the_settings(tmp_path: Path) -> None:
    local = open_blob_store(Settings(data_dir=tmp_path))
    assert isinstance(local, LocalBlobStore) and local.root == tmp_path / "photos"
    crops = open_blob_store(Settings(data_dir=tmp_path, blob_url=str(tmp_path / "shared")), "crops")
    assert isinstance(crops, LocalBlobStore) and crops.root == tmp_path / "shared" / "crops"
    s3 = open_blob_store(Settings(data_dir=tmp_path, blob_url="s3://votes/iowa/2020"))
    assert isinstance(s3, S3BlobStore)
    assert (s3.bucket, s3.prefix) == ("votes", "iowa/2020/photos")
    assert pickle.loads(pickle.dumps(s3)).prefix == "iowa/2020/photos"
    for bad in ("s3://", "ftp://host/x"):
        with pytest.raises(InputError, match="CANVASS_BLOB_URL"):
            open_blob_store(Settings(data_dir=tmp_path, blob_url=bad))


@pytest.mark.skipif(
    not S3_URL,
    reason="no S3-compatible server named: set CANVASS_TEST_S3_URL=s3://bucket/prefix and "
    "the AWS_* variables (AWS_ENDPOINT_URL_S3 for MinIO and the like)",
)
def test_the_s3_store_against_a_real_server(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, blob_url=f"{S3_URL}/{uuid.uuid4().hex}")
    store = open_blob_store(settings)
    assert isinstance(store, S3BlobStore)
    exercise(store)
