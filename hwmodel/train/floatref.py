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
training data (``hwmodel.data.select.validation_split``); the grid grows when the best gains lie on its edge.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numba import njit

from hwmodel.util.parallel import check, map_threads
from hwmodel.spec.config import Config

DRTP, BP = 0, 1
GAINS = (0.25, 0.5, 1.0, 2.0, 4.0)


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
def _update_row(row, gv, eta, wclip, x):
    """row[j] -= eta * gv[j] * x (x = 1: the spike inputs), clipped, where gv[j] != 0 (elsewhere
    the weight stays as it is)."""
    for j in range(row.shape[0]):
        w = row[j]
        u = max(-wclip, min(wclip, w - eta * gv[j] * x))
        row[j] = u if gv[j] != 0.0 else w


@njit(cache=True, nogil=True, inline="always")
def _update_layer(k, idx, a0, a1, W, w0, n, m, yb, yoff, gv, eta, wclip, nz):
    """W_k -= eta * gv[j] * x_i for every input i (the spikes, or y_{k-1} with its bias). An
    update by 0 leaves the weight as it is (clipped or not, since every weight already lies
    inside the clip range), so only the columns where the signal is not 0 change: when they are
    few (listed in ``nz``), only they are touched; else whole rows, keeping the others. Either
    way the result is the same as updating every column."""
    cnt = 0
    for j in range(m):
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
                _update_row(row, gv, eta, wclip, 1.0)
            else:
                for c in range(cnt):
                    j = nz[c]
                    row[j] = max(-wclip, min(wclip, row[j] - eta * gv[j]))
    else:
        x = yb[yoff[k - 1]:yoff[k - 1] + n + 1]
        for i in range(n + 1):
            row = Wk[i]
            xi = x[i]
            if dense:
                _update_row(row, gv, eta, wclip, xi)
            else:
                for c in range(cnt):
                    j = nz[c]
                    row[j] = max(-wclip, min(wclip, row[j] - eta * gv[j] * xi))


@njit(cache=True, nogil=True)
def _epoch_stack(idx, off, labels, order, W, woff, nin, nout, B, boff, inv_as, ymax, yoff, inv_sig,
                 one, eta, algo, wclip, norm, frozen):
    L = nin.shape[0]
    yb = np.zeros(yoff[L - 1] + 1)
    d = np.zeros(yoff[L - 1] + 1)
    g = np.zeros(yoff[L - 1] + 1)
    e = np.empty(nout[L - 1])
    nz = np.empty(nout.max(), np.int64)
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
                _update_layer(k, idx, a0, a1, W, woff[k], nin[k], nout[k], yb, yoff, e, eta[k], wclip[k], nz)
            else:
                _update_layer(k, idx, a0, a1, W, woff[k], nin[k], nout[k], yb, yoff, g[yoff[k]:yoff[k] + nout[k]],
                              eta[k], wclip[k], nz)


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
    for s in order:
        a0, a1 = off[s], off[s + 1]
        lab = labels[s]
        _forward_stack(idx, a0, a1, W, woff, nin, nout, inv_as, ymax, yb, yoff, d, inv_sig, one, lab, e, L - 1)
        _hidden_signals(W, woff, nin, nout, B, boff, yoff, d, g, e, lab, DRTP, norm, L)
        if not frozen:
            for k in range(L - 1):
                _update_layer(k, idx, a0, a1, W, woff[k], nin[k], nout[k], yb, yoff, g[yoff[k]:yoff[k] + nout[k]],
                              eta_h[k], wclip[k], nz)
        for q in range(G):
            Wq = WO[q]
            _output(Wq, 0, n, m, yb, y0, inv_sig, one, lab, e)
            _update_layer(L - 1, idx, a0, a1, Wq, 0, n, m, yb, yoff, e, eta_o[q], wclip[L - 1], nz)


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


@dataclass
class FloatResult:
    algo: str
    gains: tuple[float, float]
    val_accuracy: float
    train_accuracy: float
    test_accuracy: float
    weights: list[np.ndarray]          # layer k's (inputs + 1, units) float weights
    grid: list[dict]
    val_curve: list[float] = field(default_factory=list)  # validation accuracy after each epoch
    at_edge: bool = False              # the best gains still on an edge of the (extended) grid
    gain_range: tuple = ()             # ((g1 lowest, g1 highest), (g2 lowest, g2 highest)) searched

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


MAX_EXTEND = 4  # grid extensions per axis and direction: gains from GAINS[0] / 2^4 to GAINS[-1] * 2^4


def _closeness(g: tuple[float, float]) -> float:
    """Tie-break between equal validation accuracies: the gains nearest to 1 (log scale)."""
    return -(abs(math.log2(g[0])) + abs(math.log2(g[1])))


def _train_points(cfg: Config, weights, bfs, algo: str, frozen: bool, points: list[tuple[float, float]],
                  train, val, epochs: int, orders, stop) -> list[tuple[tuple[float, float], list[float], np.ndarray]]:
    """Train the networks of ``points`` (gains (hidden, output)); returns, per point in order, its
    validation curve and its final flat weights. Float DRTP with hidden layers trains the points
    that share one hidden gain together (``_epoch_shared``): exactly what separate runs compute."""
    idx, off, y = train
    vidx, voff, vy = val
    net = FloatStack(cfg, weights, bfs, algo, frozen)
    L = cfg.depth + 1
    if len(points) > 1:
        g1 = points[0][0]
        assert net.algo == DRTP and L > 1 and all(p[0] == g1 for p in points)
        h = net.woff[L - 1]
        WO = np.stack([net.W[h:].copy() for _ in points])
        eta_h = net.lr[:-1] * g1
        eta_o = np.array([net.lr[-1] * p[1] for p in points])
        curves: list[list[float]] = [[] for _ in points]
        for e in range(epochs):
            check(stop)
            _epoch_shared(idx, off, y, orders[e], net.W, net.woff, net.nin, net.nout, net.B, net.boff, net.inv_as,
                          net.ymax, net.yoff, net.inv_sig, float(cfg.one), eta_h, net.wclip, net.norm, net.frozen,
                          WO, eta_o)
            preds = _predict_shared(vidx, voff, net.W, net.woff, net.nin, net.nout, net.inv_as, net.ymax, net.yoff, WO)
            for q in range(len(points)):
                curves[q].append(float(np.mean(preds[q] == vy)))
        return [(p, curves[q], np.concatenate([net.W[:h], WO[q]])) for q, p in enumerate(points)]
    curve = []
    for e in range(epochs):
        check(stop)
        net.train(idx, off, y, orders[e], points[0])
        curve.append(float(np.mean(net.predict(vidx, voff) == vy)))
    return [(points[0], curve, net.W.copy())]


def _jobs_of(todo: list[tuple[float, float]], shared: bool) -> list[list[tuple[float, float]]]:
    """The training jobs of a grid step: the points of one hidden gain together when they can
    share the hidden layers, else one point each; in grid order."""
    if not shared:
        return [[g] for g in todo]
    groups: dict[float, list[tuple[float, float]]] = {}
    for g in todo:
        groups.setdefault(g[0], []).append(g)
    return list(groups.values())


def train_reference(cfg: Config, algo: str, init, train: tuple[np.ndarray, np.ndarray, np.ndarray],
                    val: tuple[np.ndarray, np.ndarray, np.ndarray],
                    test: tuple[np.ndarray, np.ndarray, np.ndarray], epochs: int, orders: list[np.ndarray],
                    gains: tuple[float, ...] = GAINS, progress=None, frozen: bool = False,
                    extend: int = MAX_EXTEND, jobs: int = 1) -> FloatResult:
    """Train on ``train`` for every pair of gains (hidden, output) and keep the pair with the best
    accuracy on ``val`` (equal accuracies: the pair nearest to 1); test accuracy is only reported.
    When the best pair lies on an edge of the grid, the grid grows in that direction (half the
    lowest or twice the highest value of that axis, every pair with the other axis evaluated) and
    the search repeats, at most ``extend`` times per axis and direction; ``at_edge`` says the best
    pair is still on an edge when the bound stops it. The hidden gain does not matter when no
    hidden layer learns (``frozen`` or no hidden layer): it is then fixed to 1.

    Speed, with results identical to one run per pair: float DRTP trains the pairs of one hidden
    gain together on shared hidden layers (their updates do not depend on the output layer), with
    the output gains one step beyond the grid's edges along (``_beyond``: a growth of the output
    axis then trains no hidden layer again), and ``jobs`` > 1 trains independent runs on that many
    threads.

    ``init`` = (weights per layer, B fields per hidden layer), or the one-hidden-layer triple
    (w1, w2, b_fields). ``train``/``val``/``test`` are (idx, off, labels) CSR triples of disjoint
    samples and ``orders[e]`` the order of the training samples in epoch e (the orders the integer
    model uses). ``progress`` (tqdm-like) is updated once per pair trained; its ``total`` is set
    to the pairs known so far and grows with the grid (``_show_size``: "25+" while it may grow)."""
    if len(init) == 3 and cfg.depth == 1 and not isinstance(init[0], (list, tuple)):
        weights, bfs = [init[0], init[1]], [init[2]]
    else:
        weights, bfs = list(init[0]), list(init[1])
    if len(val[2]) == 0:
        raise ValueError("the gains are chosen on a validation set: it is empty")
    axes = [sorted(set(gains)), sorted(set(gains))]
    if frozen or cfg.depth == 0:
        axes[0] = [1.0]
    shared = algo == "drtp" and cfg.depth >= 1
    grown = {(a, d): 0 for a in (0, 1) for d in (-1, 1)}
    done: dict[tuple[float, float], float] = {}
    grid: list[dict] = []
    best = None  # (key, (g1, g2), flat weights, curve)
    spare: dict = {}  # float DRTP: output gains trained one step beyond the grid, for its growth

    def run(points, stop):
        return _train_points(cfg, weights, bfs, algo, frozen, points, train, val, epochs, orders, stop)
    while True:
        todo = [(g1, g2) for g1 in axes[0] for g2 in axes[1] if (g1, g2) not in done]
        _show_size(progress, len(done) + len(todo), _can_grow(grown, extend, frozen or cfg.depth == 0))
        need = [p for p in todo if p not in spare]
        # the jobs, and the points in each, come in grid order (todo is hidden-gain major), so the
        # tie-break sees the serial sequence; only the best network's weights are kept
        jobs_list = _jobs_of(need, shared)
        assert [p for job in jobs_list for p in job] == need
        if shared:   # the output gains beyond the grid's edges ride along a hidden trajectory
            jobs_list = [job + _beyond(job[0][0], axes[1], grown, extend, done, spare) for job in jobs_list]
        wanted = set(need)
        bump = None if progress is None else (lambda pts, _r: progress.update(sum(p in wanted for p in pts)))
        for g, curve, w in _in_order(todo, map_threads(run, jobs_list, jobs, bump), spare, progress):
            done[g] = curve[-1]
            grid.append({"g1": g[0], "g2": g[1], "val_accuracy": curve[-1]})
            key = (curve[-1], _closeness(g))
            if best is None or key > best[0]:
                best = (key, g, w, curve)
        if not _grow(axes, best[1], grown, extend, fixed_hidden=frozen or cfg.depth == 0):
            break
    _show_size(progress, len(done), False)
    g, curve = best[1], best[3]
    net = FloatStack(cfg, weights, bfs, algo, frozen)
    net.W[:] = best[2]
    free = [a for a in (0, 1) if not (a == 0 and (frozen or cfg.depth == 0))]
    at_edge = any(g[a] in (axes[a][0], axes[a][-1]) for a in free)
    tr_acc = float(np.mean(net.predict(train[0], train[1]) == train[2]))
    te_acc = float(np.mean(net.predict(test[0], test[1]) == test[2]))
    return FloatResult(algo, g, curve[-1], tr_acc, te_acc, net.weights(), grid, curve, at_edge,
                       ((axes[0][0], axes[0][-1]), (axes[1][0], axes[1][-1])))


GROWING = "{desc}: {n_fmt}/{total_fmt}+ runs [{elapsed}] (the grid grows while its best pair is on an edge)"


def _beyond(g1: float, out_axis: list[float], grown: dict, extend: int, done: dict, spare: dict) -> list:
    """The output gains one step beyond each edge of the output axis (where the grid may still
    grow) for hidden gain ``g1``, not trained yet: float DRTP trains them along the same hidden
    trajectory for little more than their output layers, so a later growth of the output axis
    needs no hidden trajectory again."""
    out = []
    for d, g2 in ((-1, out_axis[0] / 2), (1, out_axis[-1] * 2)):
        if grown[(1, d)] < extend and (g1, g2) not in done and (g1, g2) not in spare:
            out.append((g1, g2))
    return out


def _in_order(todo: list, outs, spare: dict, progress):
    """The results (point, curve, weights) of the points ``todo`` in its order: from ``spare``
    (trained in an earlier step; counted on the bar now) or from the jobs' outputs ``outs`` (in
    job order, each job's points contiguous in ``todo``); results of points beyond the grid go
    to ``spare``."""
    want = set(todo)
    pending: dict = {}
    for p in todo:
        if p in spare:
            if progress is not None:
                progress.update(1)
            yield (p, *spare.pop(p))
            continue
        while p not in pending:
            for g, curve, w in next(outs):
                (pending if g in want else spare)[g] = (curve, w)
        yield (p, *pending.pop(p))
    for _ in outs:      # nothing is left (every job holds a point of todo); ends the threads' generator
        raise AssertionError("a job without a point of the grid")


def _show_size(progress, total: int, may_grow: bool) -> None:
    """The search's bar: ``total`` runs known so far. While the grid may still grow its total reads
    "25+" and no percentage or time left is shown (both would be of an unknown size); once the
    size is final (no growth left, or the search done), the bar is tqdm's usual one."""
    if progress is None or getattr(progress, "total", None) is None:
        return
    fmt = GROWING if may_grow else None
    if progress.total != total or getattr(progress, "bar_format", None) != fmt:
        progress.total = total
        if hasattr(progress, "bar_format"):
            progress.bar_format = fmt
        if hasattr(progress, "refresh"):
            progress.refresh()


def _can_grow(grown: dict, extend: int, fixed_hidden: bool) -> bool:
    """Whether the grid has an extension left in any direction (the hidden axis is fixed when no
    hidden layer learns)."""
    return any(n < extend for (a, _), n in grown.items() if not (a == 0 and fixed_hidden))


def _grow(axes: list[list[float]], best: tuple[float, float], grown: dict, extend: int, fixed_hidden: bool) -> bool:
    """Grow the grid where the best pair lies on an edge (half the lowest or twice the highest value
    of that axis), at most ``extend`` times per axis and direction; returns whether it grew."""
    grew = False
    for a in (0, 1):
        vals = axes[a]
        if len(vals) == 1 and a == 0 and fixed_hidden:
            continue
        if best[a] == vals[0] and grown[(a, -1)] < extend:
            vals.insert(0, vals[0] / 2)
            grown[(a, -1)] += 1
            grew = True
        if best[a] == vals[-1] and grown[(a, 1)] < extend:
            vals.append(vals[-1] * 2)
            grown[(a, 1)] += 1
            grew = True
    return grew


def quantize(w: np.ndarray, bits: int) -> np.ndarray:
    """Round to nearest (ties away from zero) and saturate to s<bits>: how float weights are loaded."""
    hi = (1 << (bits - 1)) - 1
    return np.clip(np.sign(w) * np.floor(np.abs(w) + 0.5), -hi - 1, hi).astype(np.int64)
