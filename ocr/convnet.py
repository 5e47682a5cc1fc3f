"""A small convolutional network in numpy: the digit model's second opinion.

Why numpy: the product must not depend on a deep-learning framework, and a network this
small (about 110k weights) runs fast enough as a few matrix products; training it with the
same code (`training.convnet_fit`) keeps the whole model reproducible from this repository.

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
    """What the forward pass keeps for the backward pass (training only)."""

    cols1: Array
    act1: Array
    pool1: Array
    cols2: Array
    act2: Array
    flat: Array
    hidden: Array


def init_convnet(rng: np.random.Generator, extra: int, classes: int) -> ConvNet:
    """He-initialised weights for `extra` geometry features and `classes` outputs."""

    def he(fan_in: int, shape: tuple[int, ...]) -> Array:
        return (rng.normal(0.0, np.sqrt(2.0 / fan_in), shape)).astype(np.float32)

    flat = 32 * 5 * 5 + extra
    return ConvNet(
        w1=he(9, (16, 9)),
        b1=np.zeros(16, np.float32),
        w2=he(144, (32, 144)),
        b2=np.zeros(32, np.float32),
        w3=he(flat, (flat, 128)),
        b3=np.zeros(128, np.float32),
        w4=he(128, (128, classes)),
        b4=np.zeros(classes, np.float32),
    )


def im2col(x: Array) -> Array:
    """(B, C, H, W) -> (B*H*W, C*9): the 3x3 neighbourhoods, zero-padded by 1."""
    b, c, h, w = x.shape
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    windows = sliding_window_view(padded, (3, 3), axis=(2, 3))  # (B, C, H, W, 3, 3)
    return np.ascontiguousarray(windows.transpose(0, 2, 3, 1, 4, 5)).reshape(b * h * w, c * 9)


def col2im(cols: Array, shape: tuple[int, int, int, int]) -> Array:
    """The adjoint of im2col: scatters (B*H*W, C*9) gradients back to (B, C, H, W)."""
    b, c, h, w = shape
    grads = cols.reshape(b, h, w, c, 3, 3).transpose(0, 3, 1, 2, 4, 5)
    padded = np.zeros((b, c, h + 2, w + 2), np.float32)
    for i in range(3):
        for j in range(3):
            padded[:, :, i : i + h, j : j + w] += grads[..., i, j]
    return padded[:, :, 1:-1, 1:-1]


def conv(x: Array, weights: Array, bias: Array) -> tuple[Array, Array]:
    """3x3 'same' convolution + ReLU; returns (activation (B, O, H, W), the im2col matrix)."""
    b, _, h, w = x.shape
    cols = im2col(x)
    out = cols @ weights.T + bias
    act = np.maximum(out, 0.0).reshape(b, h, w, -1).transpose(0, 3, 1, 2)
    return np.ascontiguousarray(act), cols


def pool(x: Array) -> Array:
    """2x2 max-pool (H and W even)."""
    b, c, h, w = x.shape
    return x.reshape(b, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))


def unpool(grad: Array, before: Array, after: Array) -> Array:
    """Gradient of the 2x2 max-pool: to the position(s) that held the maximum."""
    up = np.repeat(np.repeat(after, 2, axis=2), 2, axis=3)
    mask = (before == up).astype(np.float32)
    return mask * np.repeat(np.repeat(grad, 2, axis=2), 2, axis=3)


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


def backward(net: ConvNet, trace: Trace, dlogits: Array) -> dict[str, Array]:
    """Gradients of the loss w.r.t. every weight, given d loss / d logits."""
    b = len(dlogits)
    grads = {"w4": trace.hidden.T @ dlogits, "b4": dlogits.sum(axis=0)}
    dhidden = (dlogits @ net.w4.T) * (trace.hidden > 0)
    grads["w3"], grads["b3"] = trace.flat.T @ dhidden, dhidden.sum(axis=0)
    dflat = dhidden @ net.w3.T
    pooled2 = pool(trace.act2)
    dpool2 = np.asarray(dflat[:, : 32 * 25], np.float32).reshape(pooled2.shape)
    dact2 = unpool(dpool2, trace.act2, pooled2) * (trace.act2 > 0)
    dout2 = dact2.transpose(0, 2, 3, 1).reshape(-1, 32)
    grads["w2"], grads["b2"] = dout2.T @ trace.cols2, dout2.sum(axis=0)
    dpool1 = col2im(dout2 @ net.w2, trace.pool1.shape)
    dact1 = unpool(dpool1, trace.act1, trace.pool1) * (trace.act1 > 0)
    dout1 = dact1.transpose(0, 2, 3, 1).reshape(-1, 16)
    grads["w1"], grads["b1"] = dout1.T @ trace.cols1, dout1.sum(axis=0)
    del b
    return grads
