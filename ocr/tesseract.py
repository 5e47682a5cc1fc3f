"""The one module that talks to tesseract (printed text on the sheet; a baseline for digits).

Why the binary is called directly rather than through pytesseract: each call must run with
OMP_THREAD_LIMIT=1 (tesseract's OpenMP threads made calls 2.6x slower on 2 cores, measured
on Debian 12's tesseract 5.3), and pytesseract cannot pass an environment per call without
changing this process's os.environ. The image goes in on stdin as PNG and the text comes
back on stdout: no temporary files. Each call costs about 150 ms, almost all of it tesseract
starting up.

Tesseract is for print, not handwriting: on handwritten digits it is the baseline the digit
model is measured against (`bench.digits`), not a reader.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import lru_cache

import cv2
import numpy as np
from numpy.typing import NDArray

from canvass.errors import CanvassError, InputError, NotReadyError

DIGIT_WHITELIST = "0123456789"
TIMEOUT_SECONDS = 30.0


@lru_cache(maxsize=1)
def tesseract_binary() -> str:
    """The tesseract executable's path; NotReadyError when it is not installed."""
    found = shutil.which("tesseract")
    if found is None:
        raise NotReadyError(
            "tesseract is not installed: install the Debian packages tesseract-ocr and "
            "tesseract-ocr-eng (listed in scripts/apt-packages.txt; ./run.sh setup does it)"
        )
    return found


def read_text(image: NDArray[np.uint8], psm: int = 7, whitelist: str | None = None) -> str:
    """The text tesseract reads in a grey or BGR uint8 image, stripped. `psm` is its page
    segmentation mode (7: one line, 8: one word, 10: one character)."""
    if image.dtype != np.uint8 or image.ndim not in (2, 3):
        raise InputError(
            f"tesseract needs a grey or BGR uint8 image, got {image.dtype} {image.shape}"
        )
    ok, png = cv2.imencode(".png", image)
    if not ok:
        raise InputError("tesseract: the image could not be encoded as PNG")
    command = [tesseract_binary(), "stdin", "stdout", "--psm", str(psm)]
    if whitelist is not None:
        command += ["-c", f"tessedit_char_whitelist={whitelist}"]
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    try:
        done = subprocess.run(
            command,
            input=png.tobytes(),
            capture_output=True,
            env=env,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise CanvassError(f"tesseract took more than {TIMEOUT_SECONDS} s on one image") from exc
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        raise CanvassError(f"tesseract failed: {message[-1] if message else done.returncode}")
    return done.stdout.decode(errors="replace").strip()


def read_digit(crop: NDArray[np.uint8]) -> int | None:
    """Tesseract's reading of one digit box (psm 10, digits only); None when it reads
    nothing or more than one character."""
    text = read_text(crop, psm=10, whitelist=DIGIT_WHITELIST)
    return int(text) if len(text) == 1 and text.isdigit() else None
