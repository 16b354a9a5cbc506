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

Learning rates are eta_k = g_k * 2^-LR_k with gains g chosen on a validation split carved from the
training data (``hwmodel.data.select.validation_split``) by the gain search of
``hwmodel.train.gainsearch``; this module holds the networks and their kernels.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from hwmodel.spec.config import Config

DRTP, BP = 0, 1


# ---- any depth (spec §15): the layers as one flat weight buffer --------------------------------
# Layer k (0-based, L = K + 1 layers, the last is the output) has nin[k] inputs plus the bias and
# nout[k] units; its weights are W[woff[k]:woff[k+1]] as a (nin[k]+1, nout[k]) row-major matrix.
# Hidden layer k's B values are B[boff[k]:boff[k+1]] as (N_out, nout[k]). Layer 0 reads the spikes
# (x = 1 on the active inputs and the bias); layer k >= 1 reads y_{k-1} and the bias YMAX_{k-1}.

@njit(cache=True, nogil=True, inline="always")
def _rows(W, w0, n, m):
    """Layer view: the (n + 1, m) weight matrix at W[w0:], one row per input (the bias row last).
    The kernels index rows of such views with loop counters that start at 0, which lets the
    compiler vectorize the loops over units (a flat W[w0 + i * m + j] does not vectorize)."""
    return W[w0:w0 + (n + 1) * m].reshape((n + 1, m))


@njit(cache=True, nogil=True, inline="always")
def _matvec(Wk, x, z):
    """z[j] = sum_i Wk[i, j] * x[i], summed over i in ascending order from 0.0."""
    for j in range(z.shape[0]):
        z[j] = 0.0
    for i in range(Wk.shape[0]):
        row = Wk[i]
        xi = x[i]
        for j in range(z.shape[0]):
            z[j] += row[j] * xi


@njit(cache=True, nogil=True, inline="always")
def _output(W, w0, n, m, yb, y0, inv_sig, one, lab, e):
    """Output layer k >= 1 of one sample: e = sigmoid error (lab < 0: the potentials z)."""
    _matvec(_rows(W, w0, n, m), yb[y0:y0 + n + 1], e)
    if lab >= 0:
        for o in range(m):
            e[o] = one / (1.0 + math.exp(-e[o] * inv_sig)) - (one if o == lab else 0.0)


@njit(cache=True, nogil=True)
def _forward_stack(idx, a0, a1, W, woff, nin, nout, inv_as, ymax, yb, yoff, d, inv_sig, one, lab, e, nl):
    """Forward pass of one sample through layers 0 .. nl-1 (nl = L: all of them); fills y
    (activations, bias slot included), d (derivative windows) and e (output errors; lab < 0: no
    label, e holds the output potentials)."""
    L = nin.shape[0]
    for k in range(nl):
        n, m, w0 = nin[k], nout[k], woff[k]
        if k == L - 1 and k > 0:
            _output(W, w0, n, m, yb, yoff[k - 1], inv_sig, one, lab, e)
            continue
        Wk = _rows(W, w0, n, m)
        z = np.empty(m)
        if k == 0:
            bias = Wk[n]
            for j in range(m):
                z[j] = bias[j]                           # bias row first, as the chip does
            for t in range(a0, a1):
                row = Wk[idx[t]]
                for j in range(m):
                    z[j] += row[j]
        else:
            _matvec(Wk, yb[yoff[k - 1]:yoff[k - 1] + n + 1], z)
        if k < L - 1:
            y = yb[yoff[k]:yoff[k] + m + 1]
            dk = d[yoff[k]:yoff[k] + m]
            a, inv = ymax[k], inv_as[k]
            for j in range(m):
                u = z[j] * inv
                y[j] = max(-a, min(a, u))
                dk[j] = 1.0 if (u > -a and u < a) else 0.0
            y[m] = a
        else:
            for o in range(m):
                if lab >= 0:
                    e[o] = one / (1.0 + math.exp(-z[o] * inv_sig)) - (one if o == lab else 0.0)
                else:
                    e[o] = z[o]


@njit(cache=True, nogil=True, inline="always")
def _hidden_signals(W, woff, nin, nout, B, boff, yoff, d, g, e, lab, algo, norm, L):
    """The hidden layers' error signals g_k: DRTP from row ``lab`` of B_k, BP backwards from e."""
    for k in range(L - 2, -1, -1):
        m, y0 = nout[k], yoff[k]
        gk = g[y0:y0 + m]
        dk = d[y0:y0 + m]
        if algo == DRTP:
            bk = B[boff[k] + lab * m:boff[k] + (lab + 1) * m]
            for j in range(m):
                gk[j] = dk[j] * bk[j]
        else:
            mn = nout[k + 1]
            Wn = _rows(W, woff[k + 1], nin[k + 1], mn)
            up = e if k + 1 == L - 1 else g[yoff[k + 1]:yoff[k + 1] + mn]
            for j in range(m):
                row = Wn[j]
                acc = 0.0
                for o in range(mn):
                    acc += row[o] * up[o]
                gk[j] = dk[j] * acc * norm[k + 1]


@njit(cache=True, nogil=True, inline="always")
def _step(w, u, wclip):
    """One weight's update: w - u, clipped to [-wclip, wclip] (the one rule of every float
    update; u = (eta * g_j) * x_i)."""
    return max(-wclip, min(wclip, w - u))


@njit(cache=True, nogil=True, inline="always")
def _update_layer(k, idx, a0, a1, W, w0, n, m, yb, yoff, gv, eta, wclip, nz, ug):
    """W_k -= (eta * gv[j]) * x_i for every input i (the spikes, x = 1, or y_{k-1} with its
    bias), clipped. An update by 0 leaves the weight as it is (every weight already lies inside
    the clip range; at most a -0.0 becomes +0.0, the same value), so only the columns where the
    signal is not 0 need touching: when they are few (listed in ``nz``), only they are; else
    whole rows, which vectorize. ``ug``: scratch for eta * gv[j], computed once per column."""
    cnt = 0
    for j in range(m):
        ug[j] = eta * gv[j]
        if gv[j] != 0.0:
            nz[cnt] = j
            cnt += 1
    if cnt == 0:
        return
    Wk = _rows(W, w0, n, m)
    dense = cnt * 8 >= m
    if k == 0:
        for t in range(a0, a1 + 1):
            row = Wk[idx[t] if t < a1 else n]
            if dense:
                for j in range(m):
                    row[j] = _step(row[j], ug[j], wclip)
            else:
                for c in range(cnt):
                    j = nz[c]
                    row[j] = _step(row[j], ug[j], wclip)
    else:
        x = yb[yoff[k - 1]:yoff[k - 1] + n + 1]
        for i in range(n + 1):
            row = Wk[i]
            xi = x[i]
            if dense:
                for j in range(m):
                    row[j] = _step(row[j], ug[j] * xi, wclip)
            else:
                for c in range(cnt):
                    j = nz[c]
                    row[j] = _step(row[j], ug[j] * xi, wclip)


@njit(cache=True, nogil=True)
def _epoch_stack(idx, off, labels, order, W, woff, nin, nout, B, boff, inv_as, ymax, yoff, inv_sig,
                 one, eta, algo, wclip, norm, frozen):
    L = nin.shape[0]
    yb = np.zeros(yoff[L - 1] + 1)
    d = np.zeros(yoff[L - 1] + 1)
    g = np.zeros(yoff[L - 1] + 1)
    e = np.empty(nout[L - 1])
    nz = np.empty(nout.max(), np.int64)
    ug = np.empty(nout.max())
    for s in order:
        a0, a1 = off[s], off[s + 1]
        lab = labels[s]
        _forward_stack(idx, a0, a1, W, woff, nin, nout, inv_as, ymax, yb, yoff, d, inv_sig, one, lab, e, L)
        _hidden_signals(W, woff, nin, nout, B, boff, yoff, d, g, e, lab, algo, norm, L)
        # updates, layer by layer: u = -g_j * x_i (hidden), -e_o * x_i (output)
        for k in range(L):
            if frozen and k < L - 1:
                continue
            if k == L - 1:
                _update_layer(k, idx, a0, a1, W, woff[k], nin[k], nout[k], yb, yoff, e, eta[k], wclip[k], nz, ug)
            else:
                _update_layer(k, idx, a0, a1, W, woff[k], nin[k], nout[k], yb, yoff, g[yoff[k]:yoff[k] + nout[k]],
                              eta[k], wclip[k], nz, ug)


@njit(cache=True, nogil=True)
def _epoch_shared(idx, off, labels, order, W, woff, nin, nout, B, boff, inv_as, ymax, yoff, inv_sig,
                  one, eta_h, wclip, norm, frozen, WO, eta_o):
    """Float DRTP of a stack with K >= 1 hidden layers and G output layers ``WO[g]`` (learning
    rates ``eta_o[g]``) that share the hidden layers: DRTP's hidden updates read only B, the
    label and the hidden layers' own state, so every output gain sees the same hidden layers.
    Per output layer the arithmetic, and its order, is ``_epoch_stack``'s."""
    L = nin.shape[0]
    G = WO.shape[0]
    n, m, y0 = nin[L - 1], nout[L - 1], yoff[L - 2]
    yb = np.zeros(yoff[L - 1] + 1)
    d = np.zeros(yoff[L - 1] + 1)
    g = np.zeros(yoff[L - 1] + 1)
    e = np.empty(m)
    nz = np.empty(nout.max(), np.int64)
    ug = np.empty(nout.max())
    for s in order:
        a0, a1 = off[s], off[s + 1]
        lab = labels[s]
        _forward_stack(idx, a0, a1, W, woff, nin, nout, inv_as, ymax, yb, yoff, d, inv_sig, one, lab, e, L - 1)
        _hidden_signals(W, woff, nin, nout, B, boff, yoff, d, g, e, lab, DRTP, norm, L)
        if not frozen:
            for k in range(L - 1):
                _update_layer(k, idx, a0, a1, W, woff[k], nin[k], nout[k], yb, yoff, g[yoff[k]:yoff[k] + nout[k]],
                              eta_h[k], wclip[k], nz, ug)
        for q in range(G):
            Wq = WO[q]
            _output(Wq, 0, n, m, yb, y0, inv_sig, one, lab, e)
            _update_layer(L - 1, idx, a0, a1, Wq, 0, n, m, yb, yoff, e, eta_o[q], wclip[L - 1], nz, ug)


@njit(cache=True, nogil=True)
def _predict_stack(idx, off, W, woff, nin, nout, inv_as, ymax, yoff):
    L = nin.shape[0]
    n_s = off.shape[0] - 1
    out = np.empty(n_s, np.int64)
    yb = np.zeros(yoff[L - 1] + 1)
    d = np.zeros(yoff[L - 1] + 1)
    e = np.empty(nout[L - 1])
    for s in range(n_s):
        _forward_stack(idx, off[s], off[s + 1], W, woff, nin, nout, inv_as, ymax, yb, yoff, d, 0.0, 0.0, -1, e, L)
        out[s] = _argmax(e)
    return out


@njit(cache=True, nogil=True, inline="always")
def _argmax(e):
    best = 0
    bestv = -np.inf
    for o in range(e.shape[0]):
        if e[o] > bestv:
            bestv = e[o]
            best = o
    return best


@njit(cache=True, nogil=True)
def _predict_shared(idx, off, W, woff, nin, nout, inv_as, ymax, yoff, WO):
    """Predictions (G, samples) of the G networks that share the hidden layers of ``W``."""
    L = nin.shape[0]
    G = WO.shape[0]
    n, m, y0 = nin[L - 1], nout[L - 1], yoff[L - 2]
    n_s = off.shape[0] - 1
    out = np.empty((G, n_s), np.int64)
    yb = np.zeros(yoff[L - 1] + 1)
    d = np.zeros(yoff[L - 1] + 1)
    e = np.empty(m)
    for s in range(n_s):
        _forward_stack(idx, off[s], off[s + 1], W, woff, nin, nout, inv_as, ymax, yb, yoff, d, 0.0, 0.0, -1, e, L - 1)
        for q in range(G):
            _output(WO[q], 0, n, m, yb, y0, 0.0, 0.0, -1, e)
            out[q, s] = _argmax(e)
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
        for k in range(L):   # the kernels skip updates by 0, which is exact only inside the clip range
            if np.abs(self.W[self.woff[k]:self.woff[k + 1]]).max(initial=0.0) > self.wclip[k]:
                raise ValueError(f"layer {k + 1}: initial weights beyond the weight range +-{self.wclip[k]:g}")
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


def quantize(w: np.ndarray, bits: int) -> np.ndarray:
    """Round to nearest (ties away from zero) and saturate to s<bits>: how float weights are loaded."""
    hi = (1 << (bits - 1)) - 1
    return np.clip(np.sign(w) * np.floor(np.abs(w) + 0.5), -hi - 1, hi).astype(np.int64)
