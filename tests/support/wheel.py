"""Building the project's wheel for the packaging tests, from a copy of the checkout (so no
build/ or egg-info lands in it). What the wheel holds is what a user's machine gets."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from canvass.settings import REPO_ROOT

LEFT_OUT = (
    ".git",
    ".venv",
    "bench-out",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".*_cache",
    ".hypothesis",
    "canvass-data",
    "fixtures",
)


def build_wheel(tmp_path: Path) -> Path:
    """`pip wheel --no-deps` of a copy of the checkout; returns the wheel's path."""
    source = tmp_path / "source"
    shutil.copytree(REPO_ROOT, source, ignore=shutil.ignore_patterns(*LEFT_OUT))
    out = tmp_path / "wheel"
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(source)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    (wheel,) = out.glob("canvass-*.whl")
    return wheel
