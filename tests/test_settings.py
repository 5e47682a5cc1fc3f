"""The settings object reads `CANVASS_*` as pydantic-settings did (issue 17 replaced it with a
plain dataclass) and refuses an impossible value with a message that names the variable,
whether it came from the environment or from the constructor; the CLI turns the refusal
into its one-line error and exit code 3."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from canvass.errors import InputError
from canvass.settings import BUILTIN_DATA, Settings, load_settings


def test_defaults_without_any_variable() -> None:
    settings = Settings.from_environment({"PATH": "/bin", "CANVASS_TEST_POSTGRES_URL": "x"})
    assert settings == Settings()
    assert settings.data_dir == Path("canvass-data")
    assert settings.database_url is None
    assert settings.max_photo_bytes == 40_000_000
    assert settings.secure_cookies is False
    assert settings.worker_stalled_seconds == 30.0
    assert settings.fixtures_dir == BUILTIN_DATA
    assert settings.effective_database_url() == "sqlite:///canvass-data/canvass.db"


def test_every_kind_of_value_is_read_from_its_variable(tmp_path: Path) -> None:
    settings = Settings.from_environment(
        {
            "CANVASS_DATA_DIR": str(tmp_path),
            "CANVASS_DATABASE_URL": "postgresql://u@h/db",
            "canvass_max_photo_bytes": "40_000",  # names are case-insensitive, like before
            "CANVASS_MAX_PDF_PAGES": "5.0",
            "CANVASS_SECURE_COOKIES": "Yes",
            "CANVASS_RECEIVE_TIMEOUT_SECONDS": "2.5",
            "CANVASS_MIN_UPLOAD_RATE": "0",
            "CANVASS_SECRET_KEY": "s" * 40,
        }
    )
    assert settings.data_dir == tmp_path
    assert settings.effective_database_url() == "postgresql+psycopg://u@h/db"
    assert (settings.max_photo_bytes, settings.max_pdf_pages) == (40_000, 5)
    assert settings.secure_cookies is True
    assert settings.receive_timeout_seconds == 2.5
    assert settings.min_upload_rate == 0
    assert "s" * 40 not in repr(settings)  # the secret key is never printed


@pytest.mark.parametrize(
    ("variable", "value", "problem"),
    [
        ("CANVASS_MAX_PHOTO_BYTES", "0", "should be greater than 0"),
        ("CANVASS_MAX_PHOTO_BYTES", "5.5", "should be a whole number"),
        ("CANVASS_MAX_PHOTO_BYTES", "lots", "should be a whole number"),
        ("CANVASS_MIN_UPLOAD_RATE", "-1", "should be at least 0"),
        ("CANVASS_WORKER_STALLED_SECONDS", "1", "should be at least 2"),
        ("CANVASS_WORKER_STALLED_SECONDS", "nan", "should be at least 2"),
        ("CANVASS_RECEIVE_TIMEOUT_SECONDS", "soon", "should be a number"),
        ("CANVASS_SECURE_COOKIES", "maybe", "should be true or false"),
    ],
)
def test_an_impossible_variable_is_refused_by_name(variable: str, value: str, problem: str) -> None:
    with pytest.raises(InputError, match=f"{variable} is '.*': it {problem}; fix it or unset it"):
        Settings.from_environment({variable: value})


def test_the_constructor_checks_the_same_bounds() -> None:
    with pytest.raises(InputError, match="CANVASS_MAX_CONNECTIONS is '0': it should be greater"):
        Settings(max_connections=0)
    assert Settings(data_dir="text").data_dir == Path("text")  # type: ignore[arg-type]


def test_load_settings_reads_the_process_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CANVASS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CANVASS_MAX_PDF_PAGES", "3")
    settings = load_settings()
    assert (settings.data_dir, settings.max_pdf_pages) == (tmp_path, 3)


def test_the_cli_says_which_variable_is_wrong(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "canvass", "status", "--json"],
        env={"CANVASS_DATA_DIR": str(tmp_path), "CANVASS_MAX_PHOTO_BYTES": "0"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 3
    assert done.stdout == ""
    assert done.stderr == (
        "canvass: error: CANVASS_MAX_PHOTO_BYTES is '0': it should be greater than 0; "
        "fix it or unset it\n"
    )
