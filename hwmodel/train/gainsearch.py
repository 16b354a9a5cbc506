"""The gain search of the float references (docs/spec.md §13): every pair of learning-rate gains
(hidden, output) of a grid trained and scored on the validation split, the grid grown where the
best pair lies on its edge, the best network kept. The networks and their kernels are
``hwmodel.train.floatref``'s; this module decides which to train, shares what the runs can share
(float DRTP's hidden trajectories), runs the rest on threads and keeps the tie-break of a serial
search.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from hwmodel.spec.config import Config
from hwmodel.train.floatref import DRTP, FloatStack, _epoch_shared, _predict_shared
from hwmodel.util.parallel import check, map_threads

GAINS = (0.25, 0.5, 1.0, 2.0, 4.0)


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
                    extend: int = MAX_EXTEND, jobs: int = 1, share=None) -> FloatResult:
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
    threads (``share``: a ``parallel.Share`` whose cores it shares with searches running at the
    same time).

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
        for g, curve, w in _in_order(todo, map_threads(run, jobs_list, jobs, bump, share), spare, progress):
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
