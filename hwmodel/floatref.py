"""Float references of the same topology (docs/spec.md §13, any depth of §15).

Both train the FC layers in float64 on the exact binary spike inputs of the fixed conv front
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


# ---- any depth (spec §15): the layers as one flat weight buffer --------------------------------
# Layer k (0-based, L = K + 1 layers, the last is the output) has nin[k] inputs plus the bias and
# nout[k] units; its weights are W[woff[k]:woff[k+1]] as a (nin[k]+1, nout[k]) row-major matrix.
# Hidden layer k's B values are B[boff[k]:boff[k+1]] as (N_out, nout[k]). Layer 0 reads the spikes
# (x = 1 on the active inputs and the bias); layer k >= 1 reads y_{k-1} and the bias YMAX_{k-1}.

@njit(cache=True, nogil=True)
def _forward_stack(idx, a0, a1, W, woff, nin, nout, inv_as, ymax, yb, yoff, d, inv_sig, one, lab, e):
    """Forward pass of one sample; fills y (activations, bias slot included), d (derivative
    windows) and e (output errors; lab < 0: no label, e holds the output potentials)."""
    L = nin.shape[0]
    for k in range(L):
        n, m, w0 = nin[k], nout[k], woff[k]
        z = np.empty(m)
        for j in range(m):
            z[j] = 0.0
        if k == 0:
            for j in range(m):
                z[j] = W[w0 + n * m + j]                 # bias row first, as the chip does
            for t in range(a0, a1):
                r = w0 + idx[t] * m
                for j in range(m):
                    z[j] += W[r + j]
        else:
            y0 = yoff[k - 1]
            for j in range(m):
                acc = 0.0
                for i in range(n + 1):
                    acc += W[w0 + i * m + j] * yb[y0 + i]
                z[j] = acc
        if k < L - 1:
            y0 = yoff[k]
            for j in range(m):
                u = z[j] * inv_as[k]
                yb[y0 + j] = max(-ymax[k], min(ymax[k], u))
                d[y0 + j] = 1.0 if (u > -ymax[k] and u < ymax[k]) else 0.0
            yb[y0 + m] = ymax[k]
        else:
            for o in range(m):
                if lab >= 0:
                    e[o] = one / (1.0 + math.exp(-z[o] * inv_sig)) - (one if o == lab else 0.0)
                else:
                    e[o] = z[o]


@njit(cache=True, nogil=True)
def _epoch_stack(idx, off, labels, order, W, woff, nin, nout, B, boff, inv_as, ymax, yoff, inv_sig,
                 one, eta, algo, wclip, norm, frozen):
    L = nin.shape[0]
    yb = np.zeros(yoff[L - 1] + 1)
    d = np.zeros(yoff[L - 1] + 1)
    g = np.zeros(yoff[L - 1] + 1)
    e = np.empty(nout[L - 1])
    for s in order:
        a0, a1 = off[s], off[s + 1]
        lab = labels[s]
        _forward_stack(idx, a0, a1, W, woff, nin, nout, inv_as, ymax, yb, yoff, d, inv_sig, one, lab, e)
        # hidden error signals g_k: DRTP from B_k, BP backwards from the output error
        for k in range(L - 2, -1, -1):
            m, y0 = nout[k], yoff[k]
            if algo == DRTP:
                b0 = boff[k] + lab * m
                for j in range(m):
                    g[y0 + j] = d[y0 + j] * B[b0 + j]
            else:
                mn, w1 = nout[k + 1], woff[k + 1]
                for j in range(m):
                    acc = 0.0
                    if k + 1 == L - 1:
                        for o in range(mn):
                            acc += W[w1 + j * mn + o] * e[o]
                    else:
                        z1 = yoff[k + 1]
                        for o in range(mn):
                            acc += W[w1 + j * mn + o] * g[z1 + o]
                    g[y0 + j] = d[y0 + j] * acc * norm[k + 1]
        # updates, layer by layer: u = -g_j * x_i (hidden), -e_o * x_i (output)
        for k in range(L):
            if frozen and k < L - 1:
                continue
            n, m, w0 = nin[k], nout[k], woff[k]
            out = k == L - 1
            if k == 0:
                for t in range(a0, a1 + 1):
                    i = idx[t] if t < a1 else n
                    r = w0 + i * m
                    for j in range(m):
                        gj = e[j] if out else g[yoff[k] + j]
                        w = W[r + j] - eta[k] * gj
                        W[r + j] = max(-wclip[k], min(wclip[k], w))
            else:
                xp = yoff[k - 1]
                for i in range(n + 1):
                    x = yb[xp + i]
                    r = w0 + i * m
                    for j in range(m):
                        gj = e[j] if out else g[yoff[k] + j]
                        w = W[r + j] - eta[k] * gj * x
                        W[r + j] = max(-wclip[k], min(wclip[k], w))


@njit(cache=True, nogil=True)
def _predict_stack(idx, off, W, woff, nin, nout, inv_as, ymax, yoff):
    L = nin.shape[0]
    n_s = off.shape[0] - 1
    out = np.empty(n_s, np.int64)
    yb = np.zeros(yoff[L - 1] + 1)
    d = np.zeros(yoff[L - 1] + 1)
    e = np.empty(nout[L - 1])
    for s in range(n_s):
        _forward_stack(idx, off[s], off[s + 1], W, woff, nin, nout, inv_as, ymax, yb, yoff, d, 0.0, 0.0, -1, e)
        best = 0
        bestv = -np.inf
        for o in range(nout[L - 1]):
            if e[o] > bestv:
                bestv = e[o]
                best = o
        out[s] = best
    return out


class FloatStack:
    """The float network of any depth (spec §13 extended by §15): ``weights[k]`` is layer k's
    (inputs + 1, units) matrix in integer LSBs, ``b_fields[k]`` hidden layer k's stored B fields.
    ``frozen``: the hidden layers keep their initial weights (only the output layer learns).

    BP's error signal of hidden layer k is d_k * (W_{k+1} g_{k+1}) / 2^(WB_{k+1}-1), with the
    output layer's g = e / ONE: error and weights read as values in [-1, 1], so that it has the
    magnitude of a B entry and one gain grid fits both algorithms."""

    def __init__(self, cfg: Config, weights, b_fields, algo: str, frozen: bool = False):
        self.cfg = cfg
        self.algo = DRTP if algo == "drtp" else BP
        self.frozen = bool(frozen)
        hid, outl = cfg.hidden, cfg.output
        L = cfg.depth + 1
        if len(weights) != L or len(b_fields) != cfg.depth:
            raise ValueError(f"{len(weights)} weight matrices / {len(b_fields)} B tables for {cfg.depth} hidden layers")
        self.shapes = [np.asarray(w).shape for w in weights]
        self.nin = np.array([cfg.layer_inputs(k + 1)[0] for k in range(L)], np.int64)
        self.nout = np.array([h.neurons for h in hid] + [outl.neurons], np.int64)
        for k, (r, c) in enumerate(self.shapes):
            if (r, c) != (self.nin[k] + 1, self.nout[k]):
                raise ValueError(f"layer {k + 1}: weights {(r, c)}, expected {(self.nin[k] + 1, self.nout[k])}")
        self.woff = np.concatenate([[0], np.cumsum([r * c for r, c in self.shapes])]).astype(np.int64)
        self.W = np.concatenate([np.asarray(w, np.float64).ravel() for w in weights])
        bl = [(2.0 * np.asarray(b, np.float64) + 1.0).ravel() for b in b_fields]
        self.boff = np.concatenate([[0], np.cumsum([len(b) for b in bl])]).astype(np.int64)
        self.B = np.concatenate(bl) if bl else np.zeros(0)
        self.inv_as = np.array([2.0 ** -h.act_shift for h in hid] + [1.0])
        self.ymax = np.array([float(h.ymax) for h in hid] + [0.0])
        self.yoff = np.concatenate([[0], np.cumsum(self.nout[:-1] + 1)]).astype(np.int64)
        wbs = [h.wb for h in hid] + [outl.wb]
        # float DRTP has no weight range; BP is trained inside the integer range it will be loaded into
        self.wclip = np.array([np.inf if self.algo == DRTP else float((1 << (b - 1)) - 1) for b in wbs])
        self.norm = np.array([1.0 / 2.0 ** (b - 1) for b in wbs])
        self.norm[-1] = 1.0 / (cfg.one * 2.0 ** (wbs[-1] - 1))
        self.inv_sig = 2.0 ** -(outl.sig_shift + outl.lut_frac)
        self.lr = np.array([2.0 ** -h.lr_shift for h in hid] + [2.0 ** -outl.lr_shift])

    def train(self, idx, off, labels, order, gains: tuple[float, float]) -> None:
        """One pass over ``order``; gains = (hidden layers, output layer)."""
        eta = self.lr * np.array([gains[0]] * self.cfg.depth + [gains[1]])
        _epoch_stack(idx, off, labels, order, self.W, self.woff, self.nin, self.nout, self.B, self.boff,
                     self.inv_as, self.ymax, self.yoff, self.inv_sig, float(self.cfg.one), eta, self.algo,
                     self.wclip, self.norm, self.frozen)

    def predict(self, idx, off) -> np.ndarray:
        return _predict_stack(idx, off, self.W, self.woff, self.nin, self.nout, self.inv_as, self.ymax,
                              self.yoff)

    def weights(self) -> list[np.ndarray]:
        return [self.W[self.woff[k]:self.woff[k + 1]].reshape(self.shapes[k]).copy()
                for k in range(len(self.shapes))]


@dataclass
class FloatResult:
    algo: str
    gains: tuple[float, float]
    val_accuracy: float
    train_accuracy: float
    test_accuracy: float
    weights: list[np.ndarray]          # layer k's (inputs + 1, units) float weights
    grid: list[dict]

    @property
    def w1(self) -> np.ndarray:
        """First layer's weights (the hidden layer of a one-hidden-layer stack)."""
        return self.weights[0]

    @property
    def w2(self) -> np.ndarray:
        """The output layer's weights."""
        return self.weights[-1]


def FloatNet(cfg: Config, w1: np.ndarray, w2: np.ndarray, b_fields: np.ndarray, algo: str) -> FloatStack:
    """The one-hidden-layer network (the original interface of this module)."""
    return FloatStack(cfg, [w1, w2], [b_fields], algo)


def train_reference(cfg: Config, algo: str, init, train: tuple[np.ndarray, np.ndarray, np.ndarray],
                    test: tuple[np.ndarray, np.ndarray, np.ndarray], epochs: int, orders: list[np.ndarray],
                    val_fraction: float = 0.1, gains: tuple[float, ...] = GAINS, progress=None,
                    frozen: bool = False) -> FloatResult:
    """Grid-search the gains on a validation split of the training set, then retrain on the whole
    training set with the best gains. ``init`` = (weights per layer, B fields per hidden layer), or
    the one-hidden-layer triple (w1, w2, b_fields). ``train``/``test`` are (idx, off, labels) CSR
    triples and ``orders[e]`` the sample order of epoch e (the same orders the integer model uses)."""
    if len(init) == 3 and cfg.depth == 1 and not isinstance(init[0], (list, tuple)):
        weights, bfs = [init[0], init[1]], [init[2]]
    else:
        weights, bfs = list(init[0]), list(init[1])
    idx, off, y = train
    n = len(y)
    n_val = max(1, int(round(n * val_fraction)))
    val_mask = np.zeros(n, bool)
    val_mask[np.arange(n - n_val, n)] = True
    grid = []
    best = None
    for g1 in gains:
        for g2 in gains:
            net = FloatStack(cfg, weights, bfs, algo, frozen)
            for e in range(epochs):
                net.train(idx, off, y, orders[e][~val_mask[orders[e]]], (g1, g2))
            pv = net.predict(idx, off)
            acc = float(np.mean(pv[val_mask] == y[val_mask]))
            grid.append({"g1": g1, "g2": g2, "val_accuracy": acc})
            if best is None or acc > best[0]:
                best = (acc, (g1, g2))
            if progress is not None:
                progress.update(1)
    net = FloatStack(cfg, weights, bfs, algo, frozen)
    for e in range(epochs):
        net.train(idx, off, y, orders[e], best[1])
    tr_acc = float(np.mean(net.predict(idx, off) == y))
    te_acc = float(np.mean(net.predict(test[0], test[1]) == test[2]))
    if progress is not None:
        progress.update(1)
    return FloatResult(algo, best[1], best[0], tr_acc, te_acc, net.weights(), grid)


def quantize(w: np.ndarray, bits: int) -> np.ndarray:
    """Round to nearest (ties away from zero) and saturate to s<bits>: how float weights are loaded."""
    hi = (1 << (bits - 1)) - 1
    return np.clip(np.sign(w) * np.floor(np.abs(w) + 0.5), -hi - 1, hi).astype(np.int64)
