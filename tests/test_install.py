"""Installable: the built wheel, installed into a fresh virtual environment outside the
checkout, sets up its database and runs the main job on a small county, with the data it
needs from the package itself (not from a checkout it does not have).

The fresh environment gets the project's dependencies from the development environment's
site-packages by a path file (no download; the closed network allows none), and the
project itself only from the wheel: the test checks that `canvass` is imported from the
fresh environment, and runs in a folder far from the checkout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from tests.support.wheel import build_wheel

pytestmark = pytest.mark.slow


def fresh_environment(home: Path, wheel: Path) -> Path:
    """A new virtual environment with the wheel installed; returns its bin/ folder."""
    venv.EnvBuilder(with_pip=False).create(home)
    python = home / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    dependencies = sysconfig.get_paths()["purelib"]  # this (development) environment's
    (Path(purelib) / "canvass-test-deps.pth").write_text(dependencies + "\n")
    install = [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
               "--no-index", "-q", str(wheel)]  # fmt: skip
    done = subprocess.run(install, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return home / "bin"


def test_the_wheel_installs_and_runs_the_main_job_outside_the_checkout(tmp_path: Path) -> None:
    binaries = fresh_environment(tmp_path / "venv", build_wheel(tmp_path))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CANVASS_", "VIRTUAL_ENV"))}
    env |= {"CANVASS_DATA_DIR": str(elsewhere / "data"), "PYTHONPATH": ""}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(binaries / "canvass"), *args], cwd=elsewhere, env=env,
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip

    where = subprocess.run(
        [str(binaries / "python"), "-c", "import canvass; print(canvass.__file__)"],
        cwd=elsewhere, env=env, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert where.startswith(str(tmp_path / "venv")), where
    init = run("init", "--json")
    assert init.returncode == 0, init.stderr
    assert json.loads(init.stdout) == {"election": "iowa-dem-2020", "precincts": 1765}
    demo = run("demo", "--county", "Audubon")
    assert demo.returncode == 0, demo.stderr
    assert "injected report errors caught in the queue" in demo.stdout
    queue = run("queue", "--json")
    assert queue.returncode == 0 and json.loads(queue.stdout), queue.stderr
