"""Photo intake on a fresh database holding the Iowa 2020 election."""

from __future__ import annotations

from canvass.settings import Settings
from canvass.store.db import migrate, open_engine
from canvass.store.elections import save_election
from ingest.blobs import LocalBlobStore
from ingest.photos import Intake
from ingest.sniff import Limits
from tests.support.iowa import IOWA

LIMITS = Limits(max_bytes=40_000_000, max_pixels=100_000_000, max_pdf_pages=20)


def make_intake(settings: Settings, limits: Limits = LIMITS) -> Intake:
    engine = open_engine(settings)
    migrate(engine)
    save_election(engine, IOWA)
    return Intake(engine, LocalBlobStore(settings.photos_dir), IOWA, limits)
