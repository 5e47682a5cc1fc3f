"""Is this file a photo canvass can read? Decided from the content, never from the name.

Accepted: JPEG, PNG, HEIC/HEIF (phones), and PDF (a scanner's pages). Everything is
checked before it is stored: the type from its magic bytes, the byte size, the pixel size
from the header *before* decoding (so a decompression bomb is refused without being
expanded), and a full decode (so a truncated or corrupt file is refused at the door, when
the uploader can still send it again, not hours later when it is read).
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import pillow_heif
import pypdfium2
from PIL import Image

from canvass.errors import RefusedError

JPEG, PNG, HEIC, PDF = "image/jpeg", "image/png", "image/heic", "application/pdf"
EXTENSIONS = {JPEG: "jpg", PNG: "png", HEIC: "heic", PDF: "pdf"}
HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_pixels: int
    max_pdf_pages: int


@dataclass(frozen=True)
class PhotoInfo:
    media_type: str
    width: int
    height: int
    pages: int


def sniff_media_type(data: bytes) -> str | None:
    """The media type the bytes are, or None when they are none of the accepted kinds."""
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS:
        return HEIC
    if data.startswith(b"%PDF-"):
        return PDF
    return None


def inspect_photo(data: bytes, limits: Limits) -> PhotoInfo:
    """Check `data` fully; raise RefusedError with a reason a person can act on."""
    if not data:
        raise RefusedError("the file is empty (0 bytes): send the photo again")
    if len(data) > limits.max_bytes:
        raise RefusedError(
            f"the file is {len(data) / 1e6:.1f} MB, over the {limits.max_bytes / 1e6:.0f} MB "
            "limit: send the photo at the phone's normal size"
        )
    media_type = sniff_media_type(data)
    if media_type is None:
        raise RefusedError(
            "not a photo (the content is not JPEG, PNG, HEIC or PDF, whatever its name says): "
            "send the worksheet photo itself"
        )
    if media_type == PDF:
        return _inspect_pdf(data, limits)
    return _inspect_image(data, media_type, limits)


def _inspect_image(data: bytes, media_type: str, limits: Limits) -> PhotoInfo:
    kind = EXTENSIONS[media_type].upper()
    if media_type == HEIC:
        pillow_heif.register_heif_opener()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            _refuse_too_many_pixels(width, height, limits)
            if media_type == JPEG:
                # Header, size and end marker only: entropy-decoding a 4 MB JPEG, even at
                # 1/8 scale, costs ~40 ms of CPU per upload, which an upload surge cannot
                # afford. libjpeg only warns on damaged data anyway; the reader decodes the
                # photo fully and refuses an unreadable one with a reason.
                _require_jpeg_end(data)
            else:
                image.load()
    except RefusedError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise RefusedError(
            f"the image is over the {limits.max_pixels / 1e6:.0f} megapixel limit ({exc}): "
            "send the photo at the phone's normal resolution"
        ) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise RefusedError(
            f"the {kind} file is truncated or corrupt ({exc}): send the photo again"
        ) from exc
    return PhotoInfo(media_type=media_type, width=width, height=height, pages=1)


def _refuse_too_many_pixels(width: int, height: int, limits: Limits) -> None:
    if width <= 0 or height <= 0:
        raise RefusedError("the image has no pixels: send the photo again")
    if width * height > limits.max_pixels:
        raise RefusedError(
            f"the image is {width} x {height} pixels, over the {limits.max_pixels / 1e6:.0f} "
            "megapixel limit: send the photo at the phone's normal resolution"
        )


def _require_jpeg_end(data: bytes) -> None:
    """A complete JPEG ends with the EOI marker (allowing trailing padding phones add).

    libjpeg only warns on a short stream and fills the rest with grey, so the marker is the
    check for an upload cut off in transit. A file cut and then given a forged end marker
    passes here; the reader refuses its grey, empty lower part as unreadable.
    """
    if b"\xff\xd9" not in data[-4096:]:
        raise RefusedError(
            "the JPEG file is truncated (it stops before its end marker): send the photo again"
        )


def _inspect_pdf(data: bytes, limits: Limits) -> PhotoInfo:
    try:
        document = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as exc:
        raise RefusedError(f"the PDF is damaged ({exc}): scan the worksheet again") from exc
    try:
        pages = len(document)
        if pages == 0:
            raise RefusedError("the PDF has no pages: scan the worksheet again")
        if pages > limits.max_pdf_pages:
            raise RefusedError(
                f"the PDF has {pages} pages, over the limit of {limits.max_pdf_pages}: "
                "send one worksheet (front and back) per file"
            )
        width, height = (round(v) for v in document[0].get_size())
    finally:
        document.close()
    return PhotoInfo(media_type=PDF, width=width, height=height, pages=pages)
