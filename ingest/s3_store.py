"""The object store on S3 or any S3-compatible server (MinIO, Ceph RGW, Garage, ...).

Chosen by `CANVASS_BLOB_URL=s3://bucket/prefix`. Credentials, region and the endpoint of
an S3-compatible server come from boto3's own standard configuration (`AWS_ACCESS_KEY_ID`,
`AWS_SECRET_ACCESS_KEY`, `AWS_DEFAULT_REGION`, `AWS_ENDPOINT_URL_S3` or
`AWS_ENDPOINT_URL`, `~/.aws/config`), so a deployment configures it the way it configures
every other S3 client.

A PUT is atomic (an object is whole or absent), and every upload carries its MD5 so the
server refuses bytes damaged on the way. The client is made on first use and not pickled:
reader processes are spawned and make their own.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator, Mapping
from typing import Any

from canvass.errors import StorageError
from ingest.blob_types import BlobInfo, content_key, sha256_of


class S3BlobStore:
    """Objects under `prefix/` in `bucket`."""

    def __init__(self, bucket: str, prefix: str) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self._client: Any = None

    def __getstate__(self) -> dict[str, Any]:
        return {"bucket": self.bucket, "prefix": self.prefix, "_client": None}

    def put(self, sha256: str, extension: str, data: bytes) -> str:
        if sha256_of(data) != sha256:
            raise StorageError("refusing to store bytes under a digest that is not theirs")
        key = content_key(sha256, extension)
        if self._stored_digest(key) != sha256:
            self._put_object(key, data, {"sha256": sha256})
        return key

    def write(self, key: str, data: bytes) -> None:
        self._put_object(key, data, {})

    def write_many(self, items: Mapping[str, bytes]) -> None:
        for key, data in items.items():
            self.write(key, data)

    def get(self, key: str) -> bytes:
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self._name(key))["Body"]
            data: bytes = body.read()
            return data
        except self.client.exceptions.NoSuchKey as exc:
            raise StorageError(
                f"{key} is missing from s3://{self.bucket}/{self.prefix}: run `canvass doctor`"
            ) from exc
        except Exception as exc:
            raise _unreachable(self.bucket, exc) from exc

    def exists(self, key: str) -> bool:
        return self._head(key) is not None

    def list(self, prefix: str = "") -> Iterator[BlobInfo]:
        start = f"{self.prefix}/" if self.prefix else ""
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=start + prefix
            )
            for page in pages:
                for item in page.get("Contents", []):
                    key = item["Key"][len(start) :]
                    yield BlobInfo(key, int(item["Size"]), item["LastModified"])
        except Exception as exc:
            raise _unreachable(self.bucket, exc) from exc

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._name(key))
        except Exception as exc:
            raise _unreachable(self.bucket, exc) from exc

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3  # type: ignore[import-untyped]

            self._client = boto3.client("s3")
        return self._client

    def _name(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def _put_object(self, key: str, data: bytes, metadata: dict[str, str]) -> None:
        md5 = base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()
        try:
            self.client.put_object(
                Bucket=self.bucket,
                Key=self._name(key),
                Body=data,
                ContentMD5=md5,
                Metadata=metadata,
            )
        except Exception as exc:
            raise _unreachable(self.bucket, exc) from exc

    def _head(self, key: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError  # type: ignore[import-untyped]

        try:
            head: dict[str, Any] = self.client.head_object(Bucket=self.bucket, Key=self._name(key))
            return head
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise _unreachable(self.bucket, exc) from exc
        except Exception as exc:
            raise _unreachable(self.bucket, exc) from exc

    def _stored_digest(self, key: str) -> str | None:
        """The digest recorded with a stored original, or None when it is absent."""
        head = self._head(key)
        if head is None:
            return None
        recorded: str | None = head.get("Metadata", {}).get("sha256")
        return recorded


def _unreachable(bucket: str, exc: Exception) -> StorageError:
    return StorageError(
        f"the object store (bucket {bucket!r}) refused or cannot be reached ({exc}); check "
        "CANVASS_BLOB_URL, the AWS_* credentials and AWS_ENDPOINT_URL_S3"
    )
