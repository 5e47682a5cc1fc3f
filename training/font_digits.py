"""Digits drawn from Debian's handwriting fonts, as extra writing styles for training only.

Why: the only real handwriting we have is 5,000 MNIST samples, and a model trained on 3,000
of them learns one population of writers (few crossed sevens, few open fours). Handwriting
fonts add other hands. They are used by `training.train_digits` only; the reader never needs
them, and the trained model does not depend on them being installed.

The fonts come from these Debian packages, installed at training time with
`apt-get install -y $(python -m training.font_digits --packages)`:
FONT_PACKAGES below. A font is used only if it has its own glyphs for all ten digits
(not the fallback box). Left out on purpose: outline and hatched fonts (fonts-femkeklaver,
fonts-cabinsketch), which no pen writes.

Each font digit is turned into a 20x20 tile shaped like a digits.png sample (ink bright on
black, about 15 px tall, centred on its centre of mass), so the same box renderer
(`training.augment.render`) turns it into photo-like box crops. Deterministic: no randomness
here; variation comes from the renderer's seeded generator.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

FONT_PACKAGES: tuple[str, ...] = (
    "fonts-bwht",
    "fonts-dkg-handwriting",
    "fonts-breip",
    "fonts-rufscript",
    "fonts-klee",
    "fonts-humor-sans",
    "fonts-sjfonts",
    "fonts-kristi",
    "fonts-comic-neue",
    "fonts-tomsontalks",
    "fonts-yusei-magic",
    "fonts-seto",
    "fonts-kiloji",
    "fonts-dancingscript",
    "fonts-kaushanscript",
)
FONT_DIRS: tuple[str, ...] = (
    "opentype/bwht",
    "truetype/fifthhorseman",
    "truetype/breip",
    "truetype/rufscript",
    "truetype/klee",
    "truetype/humor-sans",
    "truetype/sjfonts",
    "truetype/kristi",
    "opentype/comic-neue",
    "truetype/tomsontalks",
    "truetype/yusei-magic",
    "truetype/seto",
    "truetype/kiloji",
    "opentype/dancingscript",
    "opentype/kaushanscript",
)
FONT_ROOT = Path("/usr/share/fonts")
RENDER_PX = 96
TILE = 20
GLYPH_HEIGHT = 15


@dataclass(frozen=True)
class FontDigits:
    """Tiles (N, 20, 20) uint8, their digits, and the font file of each."""

    images: NDArray[np.uint8]
    labels: NDArray[np.int64]
    fonts: list[str]


def font_files(root: Path = FONT_ROOT) -> list[Path]:
    """The installed font files of FONT_PACKAGES, sorted (an empty list when none is)."""
    found: list[Path] = []
    for folder in FONT_DIRS:
        found.extend(p for p in (root / folder).glob("*") if p.suffix.lower() in (".ttf", ".otf"))
    return sorted(found)


def ink_of(font: ImageFont.FreeTypeFont, text: str) -> NDArray[np.uint8]:
    """`text` drawn white on black at RENDER_PX, cropped to its ink (empty when none)."""
    canvas = Image.new("L", (RENDER_PX * 3, RENDER_PX * 3), 0)
    ImageDraw.Draw(canvas).text((RENDER_PX, RENDER_PX // 2), text, fill=255, font=font)
    pixels = np.asarray(canvas, np.uint8)
    ys, xs = np.nonzero(pixels > 60)
    if len(ys) == 0:
        return np.zeros((0, 0), np.uint8)
    return pixels[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]


def has_own_digits(font: ImageFont.FreeTypeFont) -> bool:
    """False when the digits are missing (drawn as the font's fallback box or nothing)."""
    missing = ink_of(font, "\ue000")
    shapes = [ink_of(font, str(d)) for d in range(10)]
    if any(s.size == 0 for s in shapes):
        return False
    same = [s.shape == missing.shape and bool((s == missing).all()) for s in shapes]
    distinct = len({s.tobytes() for s in shapes}) == 10
    return distinct and not any(same)


def to_tile(ink: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """A digits.png-like tile: GLYPH_HEIGHT px tall (narrower if too wide), mass-centred."""
    h, w = ink.shape
    scale = min(GLYPH_HEIGHT / h, (TILE - 2) / w)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    small = np.asarray(cv2.resize(ink, (nw, nh), interpolation=cv2.INTER_AREA), np.float32)
    total = float(small.sum()) or 1.0
    cy = float((small.sum(axis=1) * np.arange(nh)).sum()) / total
    cx = float((small.sum(axis=0) * np.arange(nw)).sum()) / total
    left = int(np.clip(round(TILE / 2 - cx - 0.5), 0, TILE - nw))
    top = int(np.clip(round(TILE / 2 - cy - 0.5), 0, TILE - nh))
    tile = np.zeros((TILE, TILE), np.float32)
    tile[top : top + nh, left : left + nw] = small
    return np.clip(tile, 0, 255).astype(np.uint8)


def load_font_digits(root: Path = FONT_ROOT) -> FontDigits:
    """One tile per digit per usable font."""
    images: list[NDArray[np.uint8]] = []
    labels: list[int] = []
    names: list[str] = []
    for path in font_files(root):
        font = ImageFont.truetype(str(path), RENDER_PX)
        if not has_own_digits(font):
            continue
        for digit in range(10):
            images.append(to_tile(ink_of(font, str(digit))))
            labels.append(digit)
            names.append(path.name)
    stacked = np.array(images, np.uint8).reshape(-1, TILE, TILE)
    return FontDigits(stacked, np.array(labels, np.int64), names)


def main() -> None:
    """`--packages` prints the Debian packages to install; otherwise lists usable fonts."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--packages", action="store_true", help="print the apt package names")
    args = parser.parse_args()
    if args.packages:
        print(" ".join(FONT_PACKAGES))
        return
    digits = load_font_digits()
    fonts = sorted(set(digits.fonts))
    print(f"{len(fonts)} fonts with their own digits: {', '.join(fonts)}")


if __name__ == "__main__":
    main()
