"""Where original photo bytes (and the reviewers' crops) live: an object store.

`BlobStore` is the small interface every caller uses (intake, the reader, the web app, the
doctor): content-addressed `put` for originals, `write` at a chosen key for crops, `get`,
`exists`, `list` and `delete` (the last two for `canvass doctor`). `open_blob_store`
picks the implementation from the settings, so no caller names one:

- `LocalBlobStore` (the default): a directory tree, originals at `ab/cd/<sha256>.<ext>`.
  A write goes to a temporary file in the target directory, is flushed to disk, then
  renamed into place, so a crash leaves either the whole file or none.
- `S3BlobStore` (when `CANVASS_BLOB_URL=s3://bucket/prefix`): any S3-compatible server;
  in `s3_store.py`.

The interface, `BlobInfo` and the keying of originals are in `blob_types.py` (shared by both
implementations); they are importable from here too.

An original is never rewritten while its bytes are right; one whose bytes no longer match
its digest (a damaged disk) is replaced by the next upload of the same photo.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path

from canvass.errors import InputError, StorageError
from canvass.settings import Settings
from ingest.blob_types import Area, BlobInfo, BlobStore, content_key, sha256_of

# The shared part lives in blob_types.py; callers keep importing it from here.
__all__ = [
    "Area",
    "BlobInfo",
    "BlobStore",
    "LocalBlobStore",
    "as_blob_store",
    "content_key",
    "open_blob_store",
    "sha256_of",
]


def open_blob_store(settings: Settings, area: Area = "photos") -> BlobStore:
    """The store for originals (`photos`) or reviewers' crops (`crops`) the settings name:
    `CANVASS_BLOB_URL=s3://bucket/prefix` for S3, else directories in the data dir."""
    url = settings.blob_url
    if not url:
        return LocalBlobStore(settings.data_dir / area)
    if url.startswith("s3://"):
        from ingest.s3_store import S3BlobStore

        bucket, _, prefix = url.removeprefix("s3://").partition("/")
        if not bucket:
            raise InputError(f"CANVASS_BLOB_URL {url!r} names no bucket: use s3://bucket/prefix")
        return S3BlobStore(bucket, "/".join(p for p in (prefix.strip("/"), area) if p))
    if url.startswith("file://") or "://" not in url:
        return LocalBlobStore(Path(url.removeprefix("file://")) / area)
    raise InputError(
        f"CANVASS_BLOB_URL {url!r} is not understood: use s3://bucket/prefix or a directory"
    )


def as_blob_store(place: Path | BlobStore) -> BlobStore:
    """A store from what older callers pass (a directory) or a store itself."""
    return LocalBlobStore(place) if isinstance(place, Path) else place


class LocalBlobStore:
    """Blobs in a local directory (the default store)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def key_for(self, sha256: str, extension: str) -> str:
        return content_key(sha256, extension)

    def put(self, sha256: str, extension: str, data: bytes) -> str:
        if sha256_of(data) != sha256:
            raise StorageError("refusing to store bytes under a digest that is not theirs")
        key = content_key(sha256, extension)
        target = self.root / key
        if target.is_file() and _file_digest(target) == sha256:
            return key
        _write_atomically({target: data})
        os.chmod(target, 0o444)
        return key

    def write(self, key: str, data: bytes) -> None:
        _write_atomically({self._path(key): data})

    def write_many(self, items: Mapping[str, bytes]) -> None:
        _write_atomically({self._path(key): data for key, data in items.items()})

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError as exc:
            raise StorageError(
                f"{key} is missing from the photo store ({self.root}): run `canvass doctor`"
            ) from exc
        except OSError as exc:
            raise StorageError(f"cannot read {key} from {self.root}: {exc.strerror}") from exc

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def list(self, prefix: str = "") -> Iterator[BlobInfo]:
        if not self.root.is_dir():
            return
        for path in sorted(self.root.rglob("*")):
            if not path.is_file() or path.name.startswith(".incoming-"):
                continue
            key = path.relative_to(self.root).as_posix()
            if key.startswith(prefix):
                stat = path.stat()
                yield BlobInfo(key, stat.st_size, datetime.fromtimestamp(stat.st_mtime, UTC))

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def _path(self, key: str) -> Path:
        if key.startswith("/") or ".." in key.split("/"):
            raise StorageError(f"refusing a blob key outside the store: {key!r}")
        return self.root / key


def _write_atomically(targets: Mapping[Path, bytes]) -> None:
    """Each file written to a temporary name and synced, then all renamed into place, then
    each directory synced once: a crash leaves every file whole or absent, and many files
    (a reading's crops) cost one directory sync, not one each."""
    pending: list[tuple[str, Path]] = []
    try:
        for target, data in targets.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
            pending.append((tmp, target))
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        for tmp, target in pending:
            os.replace(tmp, target)
        for directory in {target.parent for target in targets}:
            _fsync_dir(directory)
    except BaseException:
        for tmp, _ in pending:
            Path(tmp).unlink(missing_ok=True)
        raise


def _file_digest(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
