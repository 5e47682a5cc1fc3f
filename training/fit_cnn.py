"""Fits the digit convnet with torch and exports it to ONNX. Training only, never imported by
the product: it runs in a separate environment that has torch, e.g.

    python3 -m venv /work/train-venv
    /work/train-venv/bin/pip install torch==2.13.0 numpy onnx onnxscript
    /work/train-venv/bin/python training/fit_cnn.py --data train.npz --out digits.onnx

`training.train_cnn` writes the data file (preprocessed glyphs, geometry, labels) and calls
this script; the reader runs the exported network with OpenCV's dnn module, so the product
needs neither torch nor onnx.

The network (about 290k weights, 1.2 MB at the default width 32) reads the 28x28 grey glyph
and the geometry features of `ocr.digit_prep`: three stages of 3x3 conv, batch norm, ReLU
and 2x2 max-pool (32, 64, 128 channels; 28 -> 14 -> 7 -> 4), then the 2,048 pooled values
with the geometry into a 96-unit layer and 11 logits (0-9, not a single digit). Training
adds small random affine moves of the glyphs (rotation, scale, shear, shift) and a smooth
elastic warp (largest moves 2.5 px) to the renderer's own variety; AdamW with a one-cycle
schedule. The warp: with only 3,000 real samples, the network learned the writers' shapes
too literally; warped, it verified 0.3 points more of the calibration photos' fields.
Seeded (weights, data order and the moves): two runs with the same seed and `--threads`
wrote byte-identical ONNX files.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

FRAME = 28
EXTRA = 9
CLASSES = 11
ELASTIC_SIGMA = 3.0


class DigitNet(nn.Module):
    """Three conv-BN-ReLU-pool stages (width, 2 width, 4 width channels; 28 -> 14 -> 7 -> 4),
    then the pooled values with the geometry into `hidden` units and CLASSES logits."""

    def __init__(self, width: int = 32, hidden: int = 96) -> None:
        super().__init__()
        self.features = nn.Sequential(
            *block(1, width),
            nn.MaxPool2d(2),
            *block(width, 2 * width),
            nn.MaxPool2d(2),
            *block(2 * width, 4 * width),
            nn.MaxPool2d(2, ceil_mode=True),
        )
        flat = 4 * width * ((FRAME // 4 + 1) // 2) ** 2
        self.hidden = nn.Linear(flat + EXTRA, hidden)
        self.drop = nn.Dropout(0.2)
        self.out = nn.Linear(hidden, CLASSES)

    def forward(self, frame: torch.Tensor, geometry: torch.Tensor) -> torch.Tensor:
        x = self.features(frame).flatten(1)
        x = torch.cat([x, geometry], dim=1)
        return self.out(self.drop(F.relu(self.hidden(x))))


def block(inputs: int, outputs: int) -> list[nn.Module]:
    """3x3 convolution, batch norm, ReLU."""
    return [
        nn.Conv2d(inputs, outputs, 3, padding=1, bias=False),
        nn.BatchNorm2d(outputs),
        nn.ReLU(),
    ]


def jitter(frames: torch.Tensor, generator: torch.Generator, elastic: float = 0.0) -> torch.Tensor:
    """Small random affine moves of a batch of frames (B, 1, FRAME, FRAME), and with
    `elastic` > 0 a smooth random warp whose largest moves are about that many pixels
    (Simard et al. 2003: the distortion that helps most when real samples are few)."""
    count = frames.shape[0]

    def uniform(low: float, high: float) -> torch.Tensor:
        return low + (high - low) * torch.rand(count, generator=generator)

    angle = uniform(-0.2, 0.2)
    scale = uniform(0.88, 1.12)
    shear = uniform(-0.2, 0.2)
    shift = uniform(-0.1, 0.1), uniform(-0.1, 0.1)
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack(
        [
            torch.stack([cos, -sin + shear, shift[0]], dim=1),
            torch.stack([sin, cos, shift[1]], dim=1),
        ],
        dim=1,
    )
    grid = F.affine_grid(theta, list(frames.shape), align_corners=False)
    if elastic > 0:
        grid = grid + warp_field(count, frames.shape[-1], elastic, generator)
    return F.grid_sample(frames, grid, align_corners=False, padding_mode="zeros")


def warp_field(count: int, size: int, elastic: float, generator: torch.Generator) -> torch.Tensor:
    """Smooth random displacements (count, size, size, 2) in grid units: white noise blurred
    by a Gaussian of ELASTIC_SIGMA px, scaled so its largest moves are about `elastic` px."""
    noise = torch.rand(count * 2, 1, size, size, generator=generator) * 2 - 1
    radius = int(2 * ELASTIC_SIGMA)
    taps = torch.arange(-radius, radius + 1, dtype=torch.float32)
    kernel = torch.exp(-(taps**2) / (2 * ELASTIC_SIGMA**2))
    kernel = kernel / kernel.sum()
    smooth = F.conv2d(noise, kernel.view(1, 1, 1, -1), padding=(0, radius))
    smooth = F.conv2d(smooth, kernel.view(1, 1, -1, 1), padding=(radius, 0))
    smooth = smooth / smooth.abs().amax(dim=(2, 3), keepdim=True).clamp_min(1e-6)
    return (smooth * elastic * 2 / size).view(count, 2, size, size).permute(0, 2, 3, 1)


def load(path: Path) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Frames (N, 1, 20, 20) in [0, 1], geometry (N, 9), labels (N,) from the data file."""
    with np.load(path) as data:
        frames = torch.from_numpy(data["frames"].astype(np.float32) / 255.0).unsqueeze(1)
        geometry = torch.from_numpy(data["geometry"].astype(np.float32))
        labels = torch.from_numpy(data["labels"].astype(np.int64))
    return frames, geometry, labels


def fit(
    data: Path, seed: int, epochs: int, batch: int, width: int, elastic: float
) -> tuple[DigitNet, dict[str, Any]]:
    """Trains on the whole data file; returns the network and the training figures."""
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    frames, geometry, labels = load(data)
    model = DigitNet(width)
    optimiser = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=5e-4)
    steps = epochs * math.ceil(len(labels) / batch)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=3e-3, total_steps=steps)
    started = time.monotonic()
    history = []
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(labels), generator=generator)
        total, right = 0.0, 0
        for start in range(0, len(labels), batch):
            take = order[start : start + batch]
            x = jitter(frames[take], generator, elastic)
            logits = model(x, geometry[take])
            loss = F.cross_entropy(logits, labels[take])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total += float(loss.detach()) * len(take)
            right += int((logits.argmax(1) == labels[take]).sum())
        loss_mean, accuracy = total / len(labels), right / len(labels)
        history.append({"epoch": epoch + 1, "loss": loss_mean, "accuracy": accuracy})
        print(f"epoch {epoch + 1}: loss {loss_mean:.4f}, accuracy {accuracy:.4f}", flush=True)
    figures = {
        "history": history,
        "seconds": round(time.monotonic() - started, 1),
        "samples": len(labels),
    }
    return model.eval(), figures


def export(model: DigitNet, path: Path) -> None:
    """Writes the network as ONNX (inputs "frame", "geometry"; output "logits"). The graph is
    declared for a batch of one: OpenCV's importer mis-infers shapes with a symbolic batch,
    while at run time it takes any batch size."""
    example = (torch.zeros(1, 1, FRAME, FRAME), torch.zeros(1, EXTRA))
    torch.onnx.export(
        model,
        example,
        str(path),
        input_names=["frame", "geometry"],
        output_names=["logits"],
        opset_version=13,
        dynamo=False,
    )


def main() -> None:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--elastic", type=float, default=2.5, help="largest warp, px")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model, figures = fit(args.data, args.seed, args.epochs, args.batch, args.width, args.elastic)
    with torch.no_grad():
        export(model, args.out)
    final = figures["history"][-1]
    print(f"wrote {args.out}: {figures['samples']} samples, {figures['seconds']} s, final {final}")


if __name__ == "__main__":
    main()
