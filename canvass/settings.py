"""The one typed settings object, read at the edge (CLI, web app factory) and passed down.

Nothing below the edges reads the environment: functions take a `Settings` (or the few
values they need) as arguments.

A frozen dataclass with its own small reader of `CANVASS_*` rather than pydantic-settings:
every command reads the settings before it does anything, and pydantic-settings cost 31 ms
of CPU even with pydantic already imported, against 1.6 ms for this (issue 17). Each field
declares its default, what it means and its bound once, here; `from_environment` and the
constructor check the same bounds, so a bad value is refused however the settings are made.
The environment is read as pydantic-settings read it: names case-insensitive, numbers with
`_` separators, booleans as true/false, 1/0, yes/no, on/off, t/f, y/n.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from canvass.errors import InputError

REPO_ROOT = Path(__file__).resolve().parent.parent
BUILTIN_DATA = Path(__file__).resolve().parent / "data"
"""The data the product needs at run time (Iowa 2020, the handwriting samples the photo
generator writes with), shipped inside the package, so an installed wheel has it."""

ENV_PREFIX = "CANVASS_"


def _about(doc: str, *, gt: float | None = None, ge: float | None = None) -> dict[str, Any]:
    """A field's meaning and its lower bound (`gt`: above it; `ge`: at least it)."""
    return {"doc": doc, "gt": gt, "ge": ge}


@dataclass(frozen=True)
class Settings:
    """Environment variables `CANVASS_*` override these defaults (`load_settings`)."""

    data_dir: Path = field(
        default=Path("canvass-data"),
        metadata=_about("Where the SQLite database, photos and crops live."),
    )
    database_url: str | None = field(
        default=None,
        metadata=_about("A PostgreSQL URL (postgresql://...) to use instead of the SQLite file."),
    )
    max_photo_bytes: int = field(
        default=40_000_000, metadata=_about("Largest photo file accepted, in bytes.", gt=0)
    )
    max_photo_pixels: int = field(
        default=100_000_000,
        metadata=_about("Largest image accepted, in pixels (refuses decompression bombs).", gt=0),
    )
    max_pdf_pages: int = field(default=20, metadata=_about("Most pages in a scanned PDF.", gt=0))
    secret_key: str | None = field(
        default=None,
        repr=False,
        metadata=_about(
            "Signs web sessions and API tokens; unset: <data_dir>/secret_key (made once)."
        ),
    )
    secure_cookies: bool = field(
        default=False,
        metadata=_about(
            "Mark session cookies Secure (set it when users reach the app over HTTPS)."
        ),
    )
    # Abuse limits of the web server (canvass/web/limits.py).
    requests_per_client: int = field(
        default=8, metadata=_about("Requests one client (token, else address) may have open.", gt=0)
    )
    max_request_bytes: int = field(
        default=41_000_000, metadata=_about("Largest request body; more is refused with 413.", gt=0)
    )
    receive_timeout_seconds: float = field(
        default=20.0,
        metadata=_about("Longest wait for the next piece of a request body (408).", gt=0),
    )
    min_upload_rate: int = field(
        default=4_000,
        metadata=_about("Slowest average upload, bytes/s, after the grace (408).", ge=0),
    )
    slow_upload_grace_seconds: float = field(
        default=20.0, metadata=_about("Time before the minimum upload rate applies.", ge=0)
    )
    max_connections: int = field(
        default=10_000, metadata=_about("Open connections the server holds before 503s.", gt=0)
    )
    # Reading on many machines (ingest/blobs.py, ingest/work.py).
    blob_url: str | None = field(
        default=None,
        metadata=_about(
            "Object store for photos and crops: s3://bucket/prefix (AWS_* configure boto3, "
            "AWS_ENDPOINT_URL_S3 an S3-compatible server) or a directory; unset: data_dir."
        ),
    )
    worker_stalled_seconds: float = field(
        default=30.0,
        metadata=_about(
            "A worker silent this long is taken for dead and its jobs are run again.", ge=2
        ),
    )
    fixtures_dir: Path = field(
        default=BUILTIN_DATA,
        metadata=_about("The built-in data (Iowa 2020, handwriting samples): the package's own."),
    )

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.type == "Path" and not isinstance(value, Path):
                object.__setattr__(self, f.name, Path(value))
            _check_bound(f, value)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> Settings:
        """The defaults, overridden by the `CANVASS_*` variables set in `environ`."""
        by_name = {k.lower(): v for k, v in environ.items()}
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            raw = by_name.get((ENV_PREFIX + f.name).lower())
            if raw is not None:
                values[f.name] = _parsed(f, raw)
        return cls(**values)

    @property
    def photos_dir(self) -> Path:
        return self.data_dir / "photos"

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "canvass.db"

    def effective_database_url(self) -> str:
        """The SQLAlchemy URL to connect to: the PostgreSQL one if set, else the SQLite file."""
        if self.database_url:
            url = self.database_url
            if url.startswith("postgresql://") or url.startswith("postgres://"):
                url = "postgresql+psycopg://" + url.split("://", 1)[1]
            return url
        return f"sqlite:///{self.sqlite_path}"


TRUE_WORDS = frozenset({"1", "on", "t", "true", "y", "yes"})
FALSE_WORDS = frozenset({"0", "off", "f", "false", "n", "no"})


def _boolean(raw: str) -> bool:
    word = raw.lower()
    if word not in TRUE_WORDS | FALSE_WORDS:
        raise ValueError(raw)
    return word in TRUE_WORDS


def _whole(raw: str) -> int:
    """pydantic's reading: "40_000_000" and "5.0" are whole numbers, "5.5" is not."""
    try:
        return int(raw)
    except ValueError:
        number = float(raw)
        if not number.is_integer():
            raise
        return int(number)


PARSERS: dict[str, tuple[Callable[[str], Any], str]] = {
    "Path": (Path, "should be a path"),
    "str | None": (str, "should be text"),
    "bool": (_boolean, "should be true or false"),
    "int": (_whole, "should be a whole number"),
    "float": (float, "should be a number"),
}
"""How a variable's text becomes each field's type (keyed by the annotations as written)."""


def _parsed(f: dataclasses.Field[Any], raw: str) -> Any:
    parse, expected = PARSERS[str(f.type)]
    try:
        return parse(raw)
    except ValueError as exc:
        raise InputError(_refusal(f, raw, expected)) from exc


def _check_bound(f: dataclasses.Field[Any], value: Any) -> None:
    gt, ge = f.metadata.get("gt"), f.metadata.get("ge")
    if gt is not None and not value > gt:
        raise InputError(_refusal(f, value, f"should be greater than {gt}"))
    if ge is not None and not value >= ge:
        raise InputError(_refusal(f, value, f"should be at least {ge}"))


def _refusal(f: dataclasses.Field[Any], value: object, problem: str) -> str:
    return f"{ENV_PREFIX}{f.name.upper()} is {str(value)!r}: it {problem}; fix it or unset it"


def load_settings() -> Settings:
    """Read settings from the environment; call this only at an edge."""
    return Settings.from_environment(os.environ)
