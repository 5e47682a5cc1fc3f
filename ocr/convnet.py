"""A small convolutional network in numpy: the digit model's second opinion.

Why numpy: the product must not depend on a deep-learning framework, and a network this
small (about 110k weights) runs fast enough as a few matrix products; training it in numpy
too (`training.convnet_fit`: initialisation, the backward pass, Adam, on this module's forward
pass) keeps the whole model reproducible from this repository.

Architecture, for a 20x20 normalised digit frame plus the geometry features:
conv 3x3x16 + ReLU + 2x2 max-pool -> conv 3x3x32 + ReLU + 2x2 max-pool -> (800 + geometry)
-> dense 128 + ReLU -> dense CLASSES logits. Everything is float32.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

Array = NDArray[np.float32]
PARAM_NAMES: tuple[str, ...] = ("w1", "b1", "w2", "b2", "w3", "b3", "w4", "b4")


@dataclass(frozen=True)
class ConvNet:
    """The weights: w1 (16, 1*9), w2 (32, 16*9) as (out, in*3*3); w3 (in, 128), w4 (128, k)."""

    w1: Array
    b1: Array
    w2: Array
    b2: Array
    w3: Array
    b3: Array
    w4: Array
    b4: Array

    def params(self) -> dict[str, Array]:
        """The weights by name, e.g. to save them with numpy.savez."""
        return {name: getattr(self, name) for name in PARAM_NAMES}


@dataclass
class Trace:
    """What the forward pass keeps for the backward pass (`training.convnet_fit`)."""

    cols1: Array
    act1: Array
    pool1: Array
    cols2: Array
    act2: Array
    flat: Array
    hidden: Array


def im2col(x: Array) -> Array:
    """(B, C, H, W) -> (B*H*W, C*9): the 3x3 neighbourhoods, zero-padded by 1."""
    b, c, h, w = x.shape
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    windows = sliding_window_view(padded, (3, 3), axis=(2, 3))  # (B, C, H, W, 3, 3)
    return np.ascontiguousarray(windows.transpose(0, 2, 3, 1, 4, 5)).reshape(b * h * w, c * 9)


def conv(x: Array, weights: Array, bias: Array) -> tuple[Array, Array]:
    """3x3 'same' convolution + ReLU; returns (activation (B, O, H, W), the im2col matrix)."""
    b, _, h, w = x.shape
    cols = im2col(x)
    out = cols @ weights.T + bias
    act = np.maximum(out, 0.0).reshape(b, h, w, -1).transpose(0, 3, 1, 2)
    return np.ascontiguousarray(act), cols


def pool(x: Array) -> Array:
    """2x2 max-pool (H and W even): the larger of the four pixels of each 2x2 block, as
    three elementwise maxima of strided views (a max over two reshaped axes took four
    times the rest of the network)."""
    top = np.maximum(x[:, :, 0::2, 0::2], x[:, :, 0::2, 1::2])
    bottom = np.maximum(x[:, :, 1::2, 0::2], x[:, :, 1::2, 1::2])
    return np.asarray(np.maximum(top, bottom), np.float32)


def forward(net: ConvNet, frames: Array, extra: Array) -> tuple[Array, Trace]:
    """Logits (B, classes) for frames (B, 20, 20) in [0, 1] and extra features (B, k)."""
    x = frames[:, None, :, :]
    act1, cols1 = conv(x, net.w1, net.b1)
    pool1 = pool(act1)
    act2, cols2 = conv(pool1, net.w2, net.b2)
    flat = np.hstack([pool(act2).reshape(len(frames), -1), extra])
    hidden = np.maximum(flat @ net.w3 + net.b3, 0.0)
    logits = hidden @ net.w4 + net.b4
    return logits, Trace(cols1, act1, pool1, cols2, act2, flat, hidden)


def logits_of(net: ConvNet, frames: Array, extra: Array) -> Array:
    """Logits only (inference)."""
    return forward(net, frames, extra)[0]


def softmax(logits: Array) -> Array:
    """Row-wise softmax, numerically stable."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)
