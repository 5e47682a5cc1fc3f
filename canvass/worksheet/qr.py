"""The worksheet's QR code: which election, precinct and form a sheet belongs to.

Payload: `canvass:1|<election id>|<precinct id>|<form id>`. Ids cannot contain `|` (their
patterns allow letters, digits and hyphens only), so the format needs no escaping. The
leading `canvass:1` names the payload format and its version, so a reader can refuse a
QR code from some other form instead of guessing.

A logic-and-accuracy test sheet (`canvass testdeck`) adds a fifth part, `test:<code>`
(the code names the deck's sheet: letters, digits and hyphens). A real sheet's payload has
no fifth part and is unchanged; a reading of a sheet with one is a test reading and never
counts as a precinct's paper.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from canvass.errors import InputError

PAYLOAD_PREFIX = "canvass:1"
TEST_PREFIX = "test:"
TEST_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,31}$")


@dataclass(frozen=True)
class SheetIdentity:
    """What a worksheet's QR code says about it."""

    election: str
    precinct: str
    form: str
    test: str | None = None  # a test sheet's code; None on every real sheet

    def payload(self) -> str:
        parts = [PAYLOAD_PREFIX, self.election, self.precinct, self.form]
        if self.test is not None:
            if not TEST_CODE.match(self.test):
                raise InputError(f"test sheet code {self.test!r}: letters, digits and hyphens")
            parts.append(TEST_PREFIX + self.test)
        return "|".join(parts)


def parse_payload(text: str) -> SheetIdentity:
    """The identity in a decoded QR text; InputError if it is not a canvass worksheet's."""
    parts = text.strip().split("|")
    test = _test_code(parts[4]) if len(parts) == 5 else None
    if len(parts) == 5 and test is None:
        parts = []
    if len(parts) not in (4, 5) or parts[0] != PAYLOAD_PREFIX or not all(parts[1:]):
        raise InputError(
            f"QR code {text[:60]!r} is not a canvass worksheet code "
            f"(expected '{PAYLOAD_PREFIX}|election|precinct|form'); print the sheet again "
            "with `canvass worksheet render`"
        )
    return SheetIdentity(election=parts[1], precinct=parts[2], form=parts[3], test=test)


def _test_code(part: str) -> str | None:
    """The code of a `test:<code>` part; None for anything else."""
    if not part.startswith(TEST_PREFIX):
        return None
    code = part[len(TEST_PREFIX) :]
    return code if TEST_CODE.match(code) else None


def qr_image(payload: str, size: int) -> NDArray[np.uint8]:
    """A black-on-white QR code (error correction Q, quiet zone included) scaled by whole
    pixels per module to at most `size` x `size`, centred on white."""
    params = cv2.QRCodeEncoder.Params()
    params.correction_level = cv2.QRCodeEncoder_CORRECT_LEVEL_Q
    modules = cv2.QRCodeEncoder.create(params).encode(payload)
    scale = size // modules.shape[0]
    if scale < 1:
        raise InputError(f"QR payload of {len(payload)} characters is too long for the sheet")
    big = cv2.resize(modules, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
    out = np.full((size, size), 255, np.uint8)
    off = (size - big.shape[0]) // 2
    out[off : off + big.shape[0], off : off + big.shape[1]] = big
    return out


def decode_qr(image: NDArray[Any]) -> SheetIdentity | None:
    """Decode the first canvass QR code in `image` (grey or BGR); None when none is found."""
    text, _points, _ = cv2.QRCodeDetector().detectAndDecode(image)
    if not text:
        return None
    return parse_payload(text)
