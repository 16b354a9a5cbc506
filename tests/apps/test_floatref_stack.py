"""The float references at any depth (docs/spec.md §13 with §15) against a plain numpy version
written from the spec in matrix form (dense inputs, outer-product updates), depths 0-3, float
DRTP and BP, trained and frozen hidden layers."""
import math

import numpy as np
import pytest

from hwmodel.spec.config import Config
from hwmodel.train.floatref import FloatStack


def numpy_epoch(cfg, Ws, Bs, X, labels, order, gains, algo, frozen):
    """One epoch, spec rules in matrix form. X: dense binary spike inputs (samples, N_IN)."""
    L = cfg.depth + 1
    hid = cfg.hidden
    lr = [2.0 ** -h.lr_shift * gains[0] for h in hid] + [2.0 ** -cfg.output.lr_shift * gains[1]]
    wbs = [h.wb for h in hid] + [cfg.output.wb]
    clip = [np.inf if algo == "drtp" else (1 << (b - 1)) - 1 for b in wbs]
    one = float(cfg.one)
    for s in order:
        xs = [np.append(X[s], 1.0)]                 # layer 1 input with the bias x = 1
        ds = []
        for k in range(L - 1):
            u = (xs[-1] @ Ws[k]) * 2.0 ** -hid[k].act_shift
            ym = hid[k].ymax
            ds.append(((u > -ym) & (u < ym)).astype(float))
            xs.append(np.append(np.clip(u, -ym, ym), ym))
        z = xs[-1] @ Ws[-1]
        t = np.zeros(len(z))
        t[labels[s]] = one
        e = one / (1.0 + np.exp(-z * 2.0 ** -(cfg.output.sig_shift + cfg.output.lut_frac))) - t
        gs = [None] * (L - 1)
        if algo == "drtp":
            for k in range(L - 1):
                gs[k] = ds[k] * (2.0 * Bs[k][labels[s]] + 1.0)
        else:
            up = e / one
            for k in range(L - 2, -1, -1):
                gs[k] = ds[k] * (Ws[k + 1][:-1] @ up) / 2.0 ** (wbs[k + 1] - 1)
                up = gs[k]
        new = []
        for k in range(L):
            if frozen and k < L - 1:
                new.append(Ws[k])
                continue
            g = e if k == L - 1 else gs[k]
            new.append(np.clip(Ws[k] - lr[k] * np.outer(xs[k], g), -clip[k], clip[k]))
        Ws = new
    return Ws


def case(depth, seed):
    rng = np.random.default_rng(seed)
    sizes = {0: "", 1: "9", 2: "9,7", 3: "9,7,5"}[depth]
    cfg = Config.preset("tiny").replace(**{"hidden.sizes": sizes, "conv.channels": 1, "conv.kernel": 7,
                                            "conv.stride": 7, "hidden.act_shift": 1, "hidden.activation": "s5",
                                            "output.neurons": 4, "output.sig_shift": 3,
                                            "output.accumulator": "s24", "hidden.accumulator": "s16",
                                            "hidden.lr_shift": 2, "output.lr_shift": 6})
    nins = [cfg.layer_inputs(k + 1)[0] for k in range(depth + 1)]
    nouts = [h.neurons for h in cfg.hidden] + [cfg.output.neurons]
    Ws = [rng.integers(-20, 21, (n + 1, m)).astype(float) for n, m in zip(nins, nouts)]
    Bs = [rng.integers(-2, 2, (cfg.output.neurons, m)) for m in nouts[:-1]]
    X = (rng.random((12, cfg.n_in)) < 0.4).astype(float)
    labels = rng.integers(0, cfg.output.neurons, 12)
    return cfg, Ws, Bs, X, labels


@pytest.mark.parametrize("depth", [0, 1, 2, 3])
@pytest.mark.parametrize("algo", ["drtp", "bp"])
@pytest.mark.parametrize("frozen", [False, True])
def test_float_stack_equals_numpy_spec(depth, algo, frozen):
    cfg, Ws, Bs, X, labels = case(depth, 7 * depth + (algo == "bp"))
    idx = np.concatenate([np.flatnonzero(r) for r in X]).astype(np.int64)
    off = np.concatenate([[0], np.cumsum(X.sum(1))]).astype(np.int64)
    net = FloatStack(cfg, Ws, Bs, algo, frozen)
    order = np.arange(len(labels))[::-1].copy()
    gains = (2.0, 0.5)
    for _ in range(2):
        net.train(idx, off, labels, order, gains)
    ref = Ws
    for _ in range(2):
        ref = numpy_epoch(cfg, ref, Bs, X, labels, order, gains, algo, frozen)
    got = net.weights()
    for k in range(depth + 1):
        np.testing.assert_allclose(got[k], ref[k], rtol=1e-9, atol=1e-9, err_msg=f"layer {k + 1}")
        moved = not np.array_equal(ref[k], Ws[k])
        assert moved != (frozen and k < depth), f"layer {k + 1} moved={moved}"
    # predictions: argmax of the output potentials of the numpy forward pass
    pred = net.predict(idx, off)
    for s in range(len(labels)):
        x = np.append(X[s], 1.0)
        for k in range(depth):
            u = (x @ got[k]) * 2.0 ** -cfg.hidden[k].act_shift
            x = np.append(np.clip(u, -cfg.hidden[k].ymax, cfg.hidden[k].ymax), cfg.hidden[k].ymax)
        z = x @ got[-1]
        assert pred[s] == int(np.argmax(z)) or math.isclose(z[pred[s]], z.max())


def test_float_stack_checks_shapes():
    cfg = Config.preset("tiny").replace(**{"hidden.sizes": "9,7"})
    with pytest.raises(ValueError, match="weight matrices"):
        FloatStack(cfg, [np.zeros((cfg.n_in + 1, 9))], [], "drtp")


def _csr(X):
    idx = np.concatenate([np.flatnonzero(r) for r in X]).astype(np.int64)
    off = np.concatenate([[0], np.cumsum(X.sum(1))]).astype(np.int64)
    return idx, off


@pytest.mark.parametrize("depth", [1, 2])
@pytest.mark.parametrize("frozen", [False, True])
def test_shared_hidden_drtp_equals_separate_runs(depth, frozen):
    """Float DRTP of several output gains on one shared hidden trajectory gives, bit for bit, the
    weights and validation curves of one run per gain pair."""
    from hwmodel.train.gainsearch import _train_points
    cfg, Ws, Bs, X, labels = case(depth, 11 + depth)
    idx, off = _csr(X)
    tr = (idx, off, labels)
    va = (idx, off, labels[::-1].copy())
    orders = [np.arange(len(labels)), np.arange(len(labels))[::-1].copy(), np.roll(np.arange(len(labels)), 5)]
    pts = [(2.0, 0.25), (2.0, 1.0), (2.0, 4.0)]
    together = _train_points(cfg, Ws, Bs, "drtp", frozen, pts, tr, va, 3, orders, None)
    for (g, curve, w), p in zip(together, pts):
        (g1, curve1, w1), = _train_points(cfg, Ws, Bs, "drtp", frozen, [p], tr, va, 3, orders, None)
        assert g == g1 == p and curve == curve1
        np.testing.assert_array_equal(w, w1)
    assert not np.array_equal(together[0][2], together[2][2])     # the output gains did matter


@pytest.mark.parametrize("algo", ["drtp", "bp"])
def test_gain_search_on_threads_equals_serial(algo):
    """train_reference with 2 threads: the same grid, gains, curves, accuracies and weights."""
    from hwmodel.train.gainsearch import train_reference
    cfg, Ws, Bs, X, labels = case(2, 5)
    idx, off = _csr(X)
    data = (idx, off, labels)
    orders = [np.arange(len(labels)), np.arange(len(labels))[::-1].copy()]
    a = train_reference(cfg, algo, (Ws, Bs), data, data, data, 2, orders, gains=(0.5, 1.0, 2.0), jobs=1)
    b = train_reference(cfg, algo, (Ws, Bs), data, data, data, 2, orders, gains=(0.5, 1.0, 2.0), jobs=2)
    assert (a.gains, a.grid, a.val_curve, a.test_accuracy, a.gain_range) == (b.gains, b.grid, b.val_curve,
                                                                               b.test_accuracy, b.gain_range)
    for x, y in zip(a.weights, b.weights):
        np.testing.assert_array_equal(x, y)


def test_bp_weights_must_start_inside_their_range():
    cfg, Ws, Bs, X, labels = case(1, 3)
    Ws[1][0, 0] = 200.0                        # beyond s8's 127
    with pytest.raises(ValueError, match="layer 2: initial weights beyond the weight range"):
        FloatStack(cfg, Ws, Bs, "bp")
    FloatStack(cfg, Ws, Bs, "drtp")            # float DRTP has no weight range


@pytest.mark.parametrize("k", [0, 1])
@pytest.mark.parametrize("nonzero", [1, 3, 16, 40])
def test_update_layer_sparse_and_dense_rows_equal_the_full_update(k, nonzero):
    """_update_layer touches only the columns whose signal is not 0 (a list of them when they are
    few, whole rows, where an update by 0 changes nothing, when they are many): both must give,
    bit for bit, the update of every column, W - (eta * g) * x clipped, with negative, positive
    and zero signals."""
    from hwmodel.train.floatref import _update_layer
    rng = np.random.default_rng(100 * k + nonzero)
    n, m, wclip, eta = 30, 40, 20.0, 0.75
    W = rng.integers(-20, 21, ((n + 1) * m,)).astype(float)
    gv = np.zeros(m)
    cols = rng.choice(m, nonzero, replace=False)
    gv[cols] = rng.normal(0.0, 8.0, nonzero)
    gv[cols[0]] = -abs(gv[cols[0]]) - 1.0                  # at least one negative signal
    idx = np.sort(rng.choice(n, 9, replace=False)).astype(np.int64)
    yb = np.concatenate([rng.uniform(-3.0, 3.0, n), [3.0]])    # layer k >= 1 reads y_{k-1} and its bias
    yoff = np.array([0, n + 1], np.int64)
    x = np.zeros(n + 1)
    if k == 0:
        x[idx] = 1.0
        x[n] = 1.0                                          # the bias input
    else:
        x[:] = yb
    full = np.clip(W.reshape(n + 1, m) - eta * gv[None, :] * x[:, None], -wclip, wclip)
    full = np.where(gv[None, :] != 0.0, full, W.reshape(n + 1, m))
    got = W.copy()
    _update_layer(k, idx, 0, len(idx), got, 0, n, m, yb, yoff, gv, eta, wclip, np.empty(m, np.int64), np.empty(m))
    np.testing.assert_array_equal(got.reshape(n + 1, m), full)
    assert (got != W).sum() > 0


def test_gain_search_bar_says_when_the_grid_may_grow():
    """The search's progress: its total is the runs known so far, shown as "N+" (no percentage)
    while the grid may still grow; when the search ends the total is the runs made and the
    usual bar (with its percentage) is back."""
    from tqdm import tqdm
    from hwmodel.train.gainsearch import train_reference
    import io
    cfg, Ws, Bs, X, labels = case(1, 5)
    idx, off = _csr(X)
    data = (idx, off, labels)
    orders = [np.arange(len(labels))]
    out = io.StringIO()
    shown = []

    class Bar(tqdm):
        def refresh(self, *a, **k):
            shown.append((self.total, self.n, self.bar_format))
            return super().refresh(*a, **k)
    bar = Bar(total=4, file=out, mininterval=0)
    shown.clear()                                          # tqdm's own first display
    r = train_reference(cfg, "drtp", (Ws, Bs), data, data, data, 1, orders, gains=(1.0, 2.0), extend=1,
                        progress=bar)
    bar.close()
    first, last = shown[0], shown[-1]
    assert first[0] == 4 and first[2] is not None and "+ runs" in first[2]
    assert last == (len(r.grid), len(r.grid), None)
    assert len(r.grid) > 4                                 # the grid did grow (both axes, once)
    text = out.getvalue()
    assert "4/4+ runs" in text and f"{len(r.grid)}/{len(r.grid)}" in text and "100%" in text
    assert all(t[1] <= t[0] for t in shown)                # never more runs than the total shown
    # no growth left (extend=0): the size is final from the start, no "+"
    shown.clear()
    bar = Bar(total=1, file=io.StringIO(), mininterval=0)
    shown.clear()
    train_reference(cfg, "drtp", (Ws, Bs), data, data, data, 1, orders, gains=(1.0, 2.0), extend=0, progress=bar)
    assert shown and shown[0][0] == 4 and all(t[2] is None for t in shown)


def test_drtp_search_trains_each_hidden_trajectory_once_when_the_output_axis_grows(monkeypatch):
    """Float DRTP trains the output gains one step beyond the grid along each hidden trajectory:
    a grid that grows on both axes (once per direction) trains one job per hidden gain, and every
    point's validation accuracy and the best network's weights are those of its own run."""
    from hwmodel.train import gainsearch
    cfg, Ws, Bs, X, labels = case(1, 5)
    idx, off = _csr(X)
    tr = (idx, off, labels)
    va = (idx, off, labels[::-1].copy())
    orders = [np.arange(len(labels)), np.arange(len(labels))[::-1].copy()]
    calls = []
    real = gainsearch._train_points

    def spy(*a):
        calls.append(list(a[5]))
        return real(*a)
    monkeypatch.setattr(gainsearch, "_train_points", spy)
    r = gainsearch.train_reference(cfg, "drtp", (Ws, Bs), tr, va, tr, 2, orders, gains=(1.0, 2.0), extend=1)
    monkeypatch.setattr(gainsearch, "_train_points", real)
    g1s = sorted({p["g1"] for p in r.grid})
    g2s = sorted({p["g2"] for p in r.grid})
    assert len(g2s) > 2                                   # the output axis grew
    assert len(calls) == len(g1s)                         # one hidden trajectory per hidden gain
    trained = [p for c in calls for p in c]
    assert len(trained) == len(set(trained))              # no point trained twice
    assert set(trained) >= {(p["g1"], p["g2"]) for p in r.grid}
    # nothing trained beyond an edge the output axis has already grown past (extend = 1)
    if g2s[0] < 1.0:
        assert min(p[1] for p in trained) == g2s[0]
    if g2s[-1] > 2.0:
        assert max(p[1] for p in trained) == g2s[-1]
    assert g2s[0] < 1.0 or g2s[-1] > 2.0
    for p in r.grid:
        (_, curve, w), = real(cfg, Ws, Bs, "drtp", False, [(p["g1"], p["g2"])], tr, va, 2, orders, None)
        assert curve[-1] == p["val_accuracy"]
        if (p["g1"], p["g2"]) == r.gains:
            np.testing.assert_array_equal(np.concatenate([x.ravel() for x in r.weights]), w)
