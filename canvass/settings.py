"""The one typed settings object, read at the edge (CLI, web app factory) and passed down.

Nothing below the edges reads the environment: functions take a `Settings` (or the few
values they need) as arguments.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
BUILTIN_DATA = Path(__file__).resolve().parent / "data"
"""The data the product needs at run time (Iowa 2020, the handwriting samples the photo
generator writes with), shipped inside the package, so an installed wheel has it."""


class Settings(BaseSettings):
    """Environment variables `CANVASS_*` override these defaults."""

    model_config = SettingsConfigDict(env_prefix="CANVASS_", frozen=True)

    data_dir: Path = Field(
        default=Path("canvass-data"),
        description="Where the SQLite database, photos and crops live.",
    )
    database_url: str | None = Field(
        default=None,
        description="A PostgreSQL URL (postgresql://...) to use instead of the SQLite file.",
    )
    max_photo_bytes: int = Field(
        default=40_000_000, gt=0, description="Largest photo file accepted, in bytes."
    )
    max_photo_pixels: int = Field(
        default=100_000_000,
        gt=0,
        description="Largest image accepted, in pixels (refuses decompression bombs).",
    )
    max_pdf_pages: int = Field(default=20, gt=0, description="Most pages in a scanned PDF.")
    secret_key: str | None = Field(
        default=None,
        repr=False,
        description="Signs web sessions and API tokens; unset: <data_dir>/secret_key (made once).",
    )
    secure_cookies: bool = Field(
        default=False,
        description="Mark session cookies Secure (set it when users reach the app over HTTPS).",
    )
    # Abuse limits of the web server (canvass/web/limits.py).
    requests_per_client: int = Field(
        default=8, gt=0, description="Requests one client (token, else address) may have open."
    )
    max_request_bytes: int = Field(
        default=41_000_000, gt=0, description="Largest request body; more is refused with 413."
    )
    receive_timeout_seconds: float = Field(
        default=20.0, gt=0, description="Longest wait for the next piece of a request body (408)."
    )
    min_upload_rate: int = Field(
        default=4_000, ge=0, description="Slowest average upload, bytes/s, after the grace (408)."
    )
    slow_upload_grace_seconds: float = Field(
        default=20.0, ge=0, description="Time before the minimum upload rate applies."
    )
    max_connections: int = Field(
        default=10_000, gt=0, description="Open connections the server holds before 503s."
    )
    # Reading on many machines (ingest/blobs.py, ingest/work.py).
    blob_url: str | None = Field(
        default=None,
        description="Object store for photos and crops: s3://bucket/prefix (AWS_* configure "
        "boto3, AWS_ENDPOINT_URL_S3 an S3-compatible server) or a directory; unset: data_dir.",
    )
    worker_stalled_seconds: float = Field(
        default=30.0,
        ge=2,
        description="A worker silent this long is taken for dead and its jobs are run again.",
    )
    fixtures_dir: Path = Field(
        default=BUILTIN_DATA,
        description="The built-in data (Iowa 2020, handwriting samples): the package's own.",
    )

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


def load_settings() -> Settings:
    """Read settings from the environment; call this only at an edge."""
    return Settings()
