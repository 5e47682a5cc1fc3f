"""The worksheet's QR code: which election, precinct and form a sheet belongs to.

Payload: `canvass:1|<election id>|<precinct id>|<form id>`. Ids cannot contain `|` (their
patterns allow letters, digits and hyphens only), so the format needs no escaping. The
leading `canvass:1` names the payload format and its version, so a reader can refuse a
QR code from some other form instead of guessing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from canvass.errors import InputError

PAYLOAD_PREFIX = "canvass:1"


@dataclass(frozen=True)
class SheetIdentity:
    """What a worksheet's QR code says about it."""

    election: str
    precinct: str
    form: str

    def payload(self) -> str:
        return "|".join((PAYLOAD_PREFIX, self.election, self.precinct, self.form))


def parse_payload(text: str) -> SheetIdentity:
    """The identity in a decoded QR text; InputError if it is not a canvass worksheet's."""
    parts = text.strip().split("|")
    if len(parts) != 4 or parts[0] != PAYLOAD_PREFIX or not all(parts[1:]):
        raise InputError(
            f"QR code {text[:60]!r} is not a canvass worksheet code "
            f"(expected '{PAYLOAD_PREFIX}|election|precinct|form'); print the sheet again "
            "with `canvass worksheet render`"
        )
    return SheetIdentity(election=parts[1], precinct=parts[2], form=parts[3])


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
