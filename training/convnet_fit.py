"""Training of the numpy convnet (`ocr.convnet`): minibatch Adam on softmax cross-entropy.

Why a module of its own: the reader only runs `ocr.convnet`'s forward pass; this code is
needed only by `training.train_digits`. Deterministic for a seed (shuffling and initialisation
draw from one Generator; numpy's matrix products give the same sums for the same BLAS and
thread count).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ocr.convnet import PARAM_NAMES, Array, ConvNet, backward, forward, init_convnet, softmax


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
