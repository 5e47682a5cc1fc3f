"""Training of the numpy convnet (`ocr.convnet`): minibatch Adam on softmax cross-entropy.

Why a module of its own: the reader only runs `ocr.convnet`'s forward pass; this code (the
initialisation, the backward pass and the optimiser) is needed only by
`training.train_digits`. Deterministic for a seed (shuffling and initialisation draw from one
Generator; numpy's matrix products give the same sums for the same BLAS and thread count).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ocr.convnet import PARAM_NAMES, Array, ConvNet, Trace, forward, pool, softmax


def fit_convnet(
    frames: Array,
    extra: Array,
    labels: NDArray[np.int64],
    classes: int,
    seed: int,
    epochs: int = 10,
    batch: int = 128,
    rate: float = 2e-3,
    decay: float = 5e-4,
) -> ConvNet:
    """Trains from scratch on frames (N, 20, 20) in [0, 1], extra (N, k), labels (N,).
    The learning rate follows a cosine from `rate` down to 2% of it; `decay` is L2 on
    the weight matrices (not the biases)."""
    rng = np.random.default_rng(seed)
    net = init_convnet(rng, extra.shape[1], classes)
    params = net.params()
    moments = {k: np.zeros_like(v) for k, v in params.items()}
    squares = {k: np.zeros_like(v) for k, v in params.items()}
    steps_per_epoch = (len(labels) + batch - 1) // batch
    total, step = epochs * steps_per_epoch, 0
    for _ in range(epochs):
        order = rng.permutation(len(labels))
        for start in range(0, len(order), batch):
            idx = order[start : start + batch]
            batch_frames = jitter(frames[idx], rng)
            grads = gradients(ConvNet(**params), batch_frames, extra[idx], labels[idx])
            step += 1
            lr = rate * (0.02 + 0.98 * 0.5 * (1 + np.cos(np.pi * step / total)))
            adam_step(params, grads, moments, squares, step, lr, decay)
    return ConvNet(**params)


def jitter(frames: Array, rng: np.random.Generator) -> Array:
    """Each frame shifted by -1, 0 or +1 px each way (zero fill): cheap extra variety
    against over-fitting the few thousand real samples behind the renderings."""
    padded = np.pad(frames, ((0, 0), (1, 1), (1, 1)))
    size = frames.shape[1]
    shifts = rng.integers(0, 3, size=(len(frames), 2))
    out = np.empty_like(frames)
    for dy in range(3):
        for dx in range(3):
            pick = (shifts[:, 0] == dy) & (shifts[:, 1] == dx)
            out[pick] = padded[pick, dy : dy + size, dx : dx + size]
    return out


def gradients(
    net: ConvNet, frames: Array, extra: Array, labels: NDArray[np.int64]
) -> dict[str, Array]:
    """Mean cross-entropy gradients over one minibatch."""
    logits, trace = forward(net, frames, extra)
    dlogits = softmax(logits)
    dlogits[np.arange(len(labels)), labels] -= 1.0
    return backward(net, trace, (dlogits / len(labels)).astype(np.float32))


def adam_step(
    params: dict[str, Array],
    grads: dict[str, Array],
    moments: dict[str, Array],
    squares: dict[str, Array],
    step: int,
    lr: float,
    decay: float,
) -> None:
    """One Adam update in place (beta 0.9 / 0.999), with L2 decay on the weight matrices."""
    for name in PARAM_NAMES:
        grad = grads[name] + (decay * params[name] if name.startswith("w") else 0.0)
        moments[name] = (0.9 * moments[name] + 0.1 * grad).astype(np.float32)
        squares[name] = (0.999 * squares[name] + 0.001 * grad * grad).astype(np.float32)
        m_hat = moments[name] / (1 - 0.9**step)
        v_hat = squares[name] / (1 - 0.999**step)
        params[name] = (params[name] - lr * m_hat / (np.sqrt(v_hat) + 1e-8)).astype(np.float32)


def cross_entropy(net: ConvNet, frames: Array, extra: Array, labels: NDArray[np.int64]) -> float:
    """Mean cross-entropy (for reporting)."""
    probs = softmax(forward(net, frames, extra)[0])
    return float(-np.log(np.maximum(probs[np.arange(len(labels)), labels], 1e-12)).mean())


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


def col2im(cols: Array, shape: tuple[int, int, int, int]) -> Array:
    """The adjoint of im2col: scatters (B*H*W, C*9) gradients back to (B, C, H, W)."""
    b, c, h, w = shape
    grads = cols.reshape(b, h, w, c, 3, 3).transpose(0, 3, 1, 2, 4, 5)
    padded = np.zeros((b, c, h + 2, w + 2), np.float32)
    for i in range(3):
        for j in range(3):
            padded[:, :, i : i + h, j : j + w] += grads[..., i, j]
    return padded[:, :, 1:-1, 1:-1]


def unpool(grad: Array, before: Array, after: Array) -> Array:
    """Gradient of the 2x2 max-pool: to the position(s) that held the maximum."""
    up = np.repeat(np.repeat(after, 2, axis=2), 2, axis=3)
    mask = (before == up).astype(np.float32)
    return mask * np.repeat(np.repeat(grad, 2, axis=2), 2, axis=3)
