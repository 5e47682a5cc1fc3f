"""The object store: the local directory store on a real disk, the choice of store from the
settings, and the S3 store over HTTP against an S3-compatible server (moto's server, unless
CANVASS_TEST_S3_URL names another)."""

from __future__ import annotations

import os
import pickle
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

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


@pytest.fixture(scope="module")
def s3_url() -> Iterator[str]:
    """The S3-compatible server the test talks to over HTTP: the one CANVASS_TEST_S3_URL
    names (with the AWS_* variables), else moto's standalone server on a free loopback port
    (an S3 implementation, not a stand-in inside boto3: requests go over the network)."""
    if S3_URL:
        yield S3_URL
        return
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    env = {
        "AWS_ENDPOINT_URL_S3": f"http://{host}:{port}",
        "AWS_ACCESS_KEY_ID": "canvass-test",
        "AWS_SECRET_ACCESS_KEY": "canvass-test",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        boto3.client("s3").create_bucket(Bucket="canvass-test")
        yield "s3://canvass-test/runs"
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        server.stop()


def test_the_s3_store_against_a_real_server(tmp_path: Path, s3_url: str) -> None:
    settings = Settings(data_dir=tmp_path, blob_url=f"{s3_url}/{uuid.uuid4().hex}")
    store = open_blob_store(settings)
    assert isinstance(store, S3BlobStore)
    exercise(store)


def test_the_s3_store_says_what_to_do_about_a_missing_bucket(tmp_path: Path, s3_url: str) -> None:
    store = open_blob_store(Settings(data_dir=tmp_path, blob_url="s3://no-such-bucket-here/x"))
    with pytest.raises(StorageError, match="no-such-bucket-here"):
        store.put(sha256_of(b"x"), "jpg", b"x")
