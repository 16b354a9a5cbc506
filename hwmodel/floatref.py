"""Float references of the same topology (docs/spec.md §13).

Both train the two FC layers in float64 on the exact binary spike inputs of the fixed conv front
end, in the integer model's units (weights in LSBs, activations up to YMAX, sigmoid of
z / 2^(SS+LF) scaled by ONE), from the same initial weights and B values:

- ``drtp``: float DRTP, the integer on-chip rule without rounding or saturation; the gap between
  it and the integer model is the quantization gap.
- ``bp``: backpropagation through the hard-tanh (off-chip training); weights are kept inside
  the integer weight range during training so that quantizing them for the chip only rounds.
  Its hidden modulatory signal sum_o W2[j,o] e_o is divided by ONE * 2^(W2B-1) (error and weight
  read as values in [-1, 1]) so that it has the magnitude of a B entry and one gain grid fits both.

Learning rates are eta_k = g_k * 2^-LR_k with gains g chosen on a validation split.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from .config import Config

DRTP, BP = 0, 1
GAINS = (0.25, 0.5, 1.0, 2.0, 4.0)


@njit(cache=True, nogil=True)
def _epoch(idx, off, labels, order, W1, W2, B, inv_as, ymax, inv_sig, one, eta1, eta2, algo, wclip1, wclip2,
           bp_norm):
    N1 = W1.shape[1]
    N2 = W2.shape[1]
    nin = W1.shape[0] - 1
    z1 = np.empty(N1)
    y1 = np.empty(N1 + 1)
    d1 = np.empty(N1)
    z2 = np.empty(N2)
    e = np.empty(N2)
    g = np.empty(N1)
    for s in order:
        a0, a1 = off[s], off[s + 1]
        for j in range(N1):
            z1[j] = W1[nin, j]
        for t in range(a0, a1):
            i = idx[t]
            for j in range(N1):
                z1[j] += W1[i, j]
        for j in range(N1):
            u = z1[j] * inv_as
            y1[j] = max(-ymax, min(ymax, u))
            d1[j] = 1.0 if (u > -ymax and u < ymax) else 0.0
        y1[N1] = ymax
        lab = labels[s]
        for o in range(N2):
            acc = 0.0
            for j in range(N1 + 1):
                acc += W2[j, o] * y1[j]
            z2[o] = acc
            e[o] = one / (1.0 + math.exp(-acc * inv_sig)) - (one if o == lab else 0.0)
        if algo == DRTP:
            for j in range(N1):
                g[j] = d1[j] * B[lab, j]
        else:
            for j in range(N1):
                acc = 0.0
                for o in range(N2):
                    acc += W2[j, o] * e[o]
                g[j] = d1[j] * acc * bp_norm
        # hidden layer: u = -g * x, x = 1 on active inputs and the bias
        for t in range(a0, a1 + 1):
            i = idx[t] if t < a1 else nin
            for j in range(N1):
                w = W1[i, j] - eta1 * g[j]
                W1[i, j] = max(-wclip1, min(wclip1, w))
        for j in range(N1 + 1):
            for o in range(N2):
                w = W2[j, o] - eta2 * e[o] * y1[j]
                W2[j, o] = max(-wclip2, min(wclip2, w))


@njit(cache=True, nogil=True)
def _predict(idx, off, W1, W2, inv_as, ymax):
    n = off.shape[0] - 1
    N1 = W1.shape[1]
    nin = W1.shape[0] - 1
    out = np.empty(n, np.int64)
    z1 = np.empty(N1 + 1)
    for s in range(n):
        for j in range(N1):
            z1[j] = W1[nin, j]
        for t in range(off[s], off[s + 1]):
            for j in range(N1):
                z1[j] += W1[idx[t], j]
        for j in range(N1):
            z1[j] = max(-ymax, min(ymax, z1[j] * inv_as))
        z1[N1] = ymax
        best = 0
        bestv = -np.inf
        for o in range(W2.shape[1]):
            acc = 0.0
            for j in range(N1 + 1):
                acc += W2[j, o] * z1[j]
            if acc > bestv:
                bestv = acc
                best = o
        out[s] = best
    return out


@dataclass
class FloatResult:
    algo: str
    gains: tuple[float, float]
    val_accuracy: float
    train_accuracy: float
    test_accuracy: float
    w1: np.ndarray
    w2: np.ndarray
    grid: list[dict]


class FloatNet:
    """The float network; ``train`` runs epochs over (CSR spike inputs, labels)."""

    def __init__(self, cfg: Config, w1: np.ndarray, w2: np.ndarray, b_fields: np.ndarray, algo: str):
        self.cfg = cfg
        self.algo = DRTP if algo == "drtp" else BP
        self.W1 = w1.astype(np.float64).copy()
        self.W2 = w2.astype(np.float64).copy()
        self.B = (2.0 * b_fields + 1.0).astype(np.float64)
        b = cfg.bits
        # float DRTP has no weight range; BP is trained inside the integer range it will be loaded into
        self.clip1 = np.inf if self.algo == DRTP else float((1 << (b["W1B"] - 1)) - 1)
        self.clip2 = np.inf if self.algo == DRTP else float((1 << (b["W2B"] - 1)) - 1)
        self.inv_as = 2.0 ** -cfg.fc1.act_shift
        self.inv_sig = 2.0 ** -(cfg.fc2.sig_shift + cfg.fc2.lut_frac)
        self.bp_norm = 1.0 / (cfg.one * 2.0 ** (b["W2B"] - 1))

    def train(self, idx, off, labels, order, gains: tuple[float, float]) -> None:
        c = self.cfg
        eta1 = gains[0] * 2.0 ** -c.fc1.lr_shift
        eta2 = gains[1] * 2.0 ** -c.fc2.lr_shift
        _epoch(idx, off, labels, order, self.W1, self.W2, self.B, self.inv_as, float(c.ymax),
               self.inv_sig, float(c.one), eta1, eta2, self.algo, self.clip1, self.clip2, self.bp_norm)

    def predict(self, idx, off) -> np.ndarray:
        return _predict(idx, off, self.W1, self.W2, self.inv_as, float(self.cfg.ymax))


def train_reference(cfg: Config, algo: str, init: tuple[np.ndarray, np.ndarray, np.ndarray],
                    train: tuple[np.ndarray, np.ndarray, np.ndarray], test: tuple[np.ndarray, np.ndarray, np.ndarray],
                    epochs: int, orders: list[np.ndarray], val_fraction: float = 0.1,
                    gains: tuple[float, ...] = GAINS, progress=None) -> FloatResult:
    """Grid-search the gains on a validation split of the training set, then retrain on the whole
    training set with the best gains. ``train``/``test`` are (idx, off, labels) CSR triples and
    ``orders[e]`` the sample order of epoch e (the same orders the integer model uses)."""
    w1, w2, bf = init
    idx, off, y = train
    n = len(y)
    n_val = max(1, int(round(n * val_fraction)))
    val_mask = np.zeros(n, bool)
    val_mask[np.arange(n - n_val, n)] = True
    grid = []
    best = None
    for g1 in gains:
        for g2 in gains:
            net = FloatNet(cfg, w1, w2, bf, algo)
            for e in range(epochs):
                net.train(idx, off, y, orders[e][~val_mask[orders[e]]], (g1, g2))
            pv = net.predict(idx, off)
            acc = float(np.mean(pv[val_mask] == y[val_mask]))
            grid.append({"g1": g1, "g2": g2, "val_accuracy": acc})
            if best is None or acc > best[0]:
                best = (acc, (g1, g2))
            if progress is not None:
                progress.update(1)
    net = FloatNet(cfg, w1, w2, bf, algo)
    for e in range(epochs):
        net.train(idx, off, y, orders[e], best[1])
    tr_acc = float(np.mean(net.predict(idx, off) == y))
    te_acc = float(np.mean(net.predict(test[0], test[1]) == test[2]))
    if progress is not None:
        progress.update(1)
    return FloatResult(algo, best[1], best[0], tr_acc, te_acc, net.W1, net.W2, grid)


def quantize(w: np.ndarray, bits: int) -> np.ndarray:
    """Round to nearest (ties away from zero) and saturate to s<bits>: how float weights are loaded."""
    hi = (1 << (bits - 1)) - 1
    return np.clip(np.sign(w) * np.floor(np.abs(w) + 0.5), -hi - 1, hi).astype(np.int64)
