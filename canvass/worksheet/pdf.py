"""A minimal streaming PDF writer for worksheet pages: one 1-bit image per letter page.

Pillow's PDF writer keeps every page in memory until the end (8 bits a pixel even for
1-bit images: about 1.5 GB for Polk county's 177 sheets), so county batches stream pages
through this writer instead: each page is thresholded to 1 bit, deflated and written at
once. The page's only greys are box lines, which print black.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from PIL import Image

POINTS_PER_INCH = 72
INK_BELOW = 160  # grey values below this print black


class PdfWriter:
    """Write pages one by one; `close()` (or the context manager) finishes the file."""

    def __init__(self, path: Path, dpi: int):
        self._file: BinaryIO = path.open("wb")
        self._dpi = dpi
        self._offsets: dict[int, int] = {}
        self._pages: list[int] = []
        self._file.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        self._object(1, b"<< /Type /Catalog /Pages 2 0 R >>")

    def __enter__(self) -> PdfWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add_page(self, page: Image.Image) -> None:
        """Append `page` (any mode; thresholded to black and white) as a letter page."""
        bilevel = page.convert("L").point(lambda v: 255 if v >= INK_BELOW else 0, mode="1")
        width, height = bilevel.size
        first = 3 + 3 * len(self._pages)
        page_id, contents_id, image_id = first, first + 1, first + 2
        w_pt = width * POINTS_PER_INCH / self._dpi
        h_pt = height * POINTS_PER_INCH / self._dpi
        self._object(
            page_id,
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] "
            b"/Resources << /XObject << /Im0 %d 0 R >> >> /Contents %d 0 R >>"
            % (w_pt, h_pt, image_id, contents_id),
        )
        self._stream(contents_id, b"", b"q %.2f 0 0 %.2f 0 0 cm /Im0 Do Q" % (w_pt, h_pt))
        data = zlib.compress(bilevel.tobytes(), 6)
        header = (
            b"/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
            b"/BitsPerComponent 1 /Filter /FlateDecode" % (width, height)
        )
        self._stream(image_id, header, data)
        self._pages.append(page_id)

    def close(self) -> None:
        if self._file.closed:
            return
        kids = b" ".join(b"%d 0 R" % p for p in self._pages)
        self._object(2, b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(self._pages)))
        xref_at = self._file.tell()
        count = max(self._offsets) + 1
        lines = [b"xref\n0 %d\n" % count, b"0000000000 65535 f \n"]
        lines += [b"%010d 00000 n \n" % self._offsets[i] for i in range(1, count)]
        self._file.write(b"".join(lines))
        self._file.write(
            b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (count, xref_at)
        )
        self._file.close()

    def _object(self, number: int, body: bytes) -> None:
        self._offsets[number] = self._file.tell()
        self._file.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))

    def _stream(self, number: int, header: bytes, data: bytes) -> None:
        self._offsets[number] = self._file.tell()
        self._file.write(b"%d 0 obj\n<< %s /Length %d >>\nstream\n" % (number, header, len(data)))
        self._file.write(data)
        self._file.write(b"\nendstream\nendobj\n")


def write_pdf(pages: Iterable[Image.Image], path: Path, dpi: int) -> int:
    """Write `pages` (consumed one at a time) to `path`; returns the number of pages."""
    count = 0
    with PdfWriter(path, dpi) as writer:
        for page in pages:
            writer.add_page(page)
            count += 1
    return count
