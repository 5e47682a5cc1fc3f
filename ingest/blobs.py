"""Where original photo bytes live: content-addressed by SHA-256, written once, atomically.

`BlobStore` is the small interface a deployment can back with an S3-compatible bucket;
`LocalBlobStore` is the default, a directory tree `ab/cd/<sha256>.<ext>`. A write goes to
a temporary file in the target directory, is flushed to disk, then renamed into place, so a
crash leaves either the whole file or none; an existing blob is never rewritten.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Protocol

from canvass.errors import StorageError


class BlobStore(Protocol):
    def put(self, sha256: str, extension: str, data: bytes) -> str:
        """Store `data` under its digest (idempotent); return the key to fetch it by."""
        ...

    def get(self, key: str) -> bytes: ...

    def exists(self, key: str) -> bool: ...


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class LocalBlobStore:
    """Blobs in a local directory (the default store)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def key_for(self, sha256: str, extension: str) -> str:
        return f"{sha256[:2]}/{sha256[2:4]}/{sha256}.{extension}"

    def put(self, sha256: str, extension: str, data: bytes) -> str:
        if sha256_of(data) != sha256:
            raise StorageError("refusing to store bytes under a digest that is not theirs")
        key = self.key_for(sha256, extension)
        target = self.root / key
        if target.exists():
            return key
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, 0o444)
            os.replace(tmp, target)
            _fsync_dir(target.parent)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return key

    def get(self, key: str) -> bytes:
        return (self.root / key).read_bytes()

    def exists(self, key: str) -> bool:
        return (self.root / key).is_file()


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
