"""``train --tune``: the chip's integer learning knobs chosen on the validation split (docs/spec.md
§12, "Tuning a chip to its data"), so that the chip and its baselines (whose gains and shifts are
chosen on validation too) are tuned alike.

The knobs (``tune_knobs``): the learning-rate shift of every layer, the output layer's sigmoid
shift and the initial-weight bound of every layer, in that order. Shifts step by 1, bounds by a
factor of 2 (halving rounds up, doubling stops at the weight's largest value; a bound stays >= 1).

The search is coordinate descent from the config's own values: for each knob in turn, both
neighbours of the current point are trained (``epochs`` epochs, this seed's sample order and conv
front end, on threads) and scored on validation; the better one replaces the current point only
if it beats it by more than one standard error of the current point's validation accuracy,
``sqrt(p (1 - p) / n_val)`` (a move must be what validation says, not its noise), and the search
then keeps stepping that way while each step beats the last by that margin, at most
``MAX_STEPS`` steps. Passes over all knobs repeat until one changes nothing, at most
``MAX_PASSES``. Every point is trained once (cached). A knob whose chosen value lies at
``MAX_STEPS`` from where its last move began, with a further step possible, is reported
``at_edge``.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np

from hwmodel.spec.config import Config, ConfigError
from hwmodel.spec.sections import LEGACY
from hwmodel.util.parallel import check, map_threads

MAX_STEPS = 4    # consecutive steps of one knob in one direction in one move
MAX_PASSES = 2   # passes over every knob


def tune_knobs(cfg: Config) -> list[tuple[str, str]]:
    """The searched knobs as (dotted key, kind): kind "shift" steps by 1, "bound" by a factor 2.
    The keys are ``--set`` keys valid at any depth."""
    k = [(f"hidden.{h}.lr_shift", "shift") for h in range(cfg.depth)] + [("output.lr_shift", "shift"),
                                                                         ("output.sig_shift", "shift")]
    return k + [(f"hidden.{h}.init_bound", "bound") for h in range(cfg.depth)] + [("output.init_bound", "bound")]


def knobs_named(cfg: Config, keys) -> set[str]:
    """The knobs of ``tune_knobs(cfg)`` that the dotted config keys ``keys`` set (a sweep's axes,
    which a tuned sweep keeps as the grid gives them): one-hidden-layer names (``drtp.lr_shift_fc1``,
    ``fc2.init_bound``), ``hidden.FIELD`` (every hidden layer), ``hidden.K.FIELD``, ``output.FIELD``."""
    knobs = {k for k, _ in tune_knobs(cfg)}
    out: set[str] = set()
    for key in keys:
        parts = key.split(".")
        if len(parts) == 2 and parts[0] in LEGACY and parts[1] in LEGACY[parts[0]]:
            layer, f = LEGACY[parts[0]][parts[1]]
            parts = ["hidden", "0", f] if layer == "hidden" else [layer, f]
        if len(parts) == 2 and parts[0] == "hidden":
            out |= {f"hidden.{h}.{parts[1]}" for h in range(cfg.depth)}
        else:
            out.add(".".join(parts))
    return out & knobs


def knob_value(cfg: Config, key: str) -> int:
    parts = key.split(".")
    layer = cfg.output if parts[0] == "output" else cfg.hidden[int(parts[1])]
    return int(getattr(layer, parts[-1]))


def _step(cfg: Config, key: str, kind: str, v: int, d: int) -> int | None:
    """The value one step from ``v`` in direction ``d`` (-1, +1), None beyond the valid range."""
    if kind == "shift":
        n = v + d
    elif d < 0:
        n = max(1, (v + 1) // 2)
    else:
        layer = cfg.output if key.startswith("output") else cfg.hidden[int(key.split(".")[1])]
        n = min(v * 2, (1 << (layer.wb - 1)) - 1)
    if n == v or n < 0:
        return None
    try:
        cfg.replace(**{key: n})
    except ConfigError:
        return None
    return n


def margin(acc: float, n_val: int) -> float:
    """One standard error of a validation accuracy ``acc`` over ``n_val`` samples (0..1)."""
    return math.sqrt(max(acc * (1 - acc), 0.0) / max(n_val, 1))


def tune_chip(cfg: Config, score: Callable[[Config, object], float], n_val: int, *, jobs: int = 1,
              progress=None, fixed=()) -> tuple[Config, dict]:
    """The search of the module docstring. ``score(cfg, stop)`` trains a chip of ``cfg`` and returns
    its validation accuracy (0..1), checking ``stop`` between epochs (``util.parallel.check``).
    Returns the chosen config and ``chip_tune_search``: ``knobs`` (chosen), ``preset`` (the
    config's own), ``changed``, ``range`` (lowest and highest value trained per knob),
    ``at_edge``, ``runs``, ``passes``, ``val_accuracy`` and ``preset_val_accuracy``, and
    ``margin_pp`` (the standard error at the preset point, in pp), and ``points``: every point
    trained, in order (``values`` in the order of ``knobs``' keys, ``tune_knobs``), with its
    validation accuracy. ``fixed``: knob keys kept at the config's values (not searched; listed
    as ``fixed``)."""
    from hwmodel.train.gainsearch import _show_size
    fixed = sorted(set(fixed))
    knobs = [kk for kk in tune_knobs(cfg) if kk[0] not in fixed]
    keys = [k for k, _ in knobs]
    start = tuple(knob_value(cfg, k) for k in keys)
    seen: dict[tuple, float] = {}

    def at(p: tuple) -> Config:
        return cfg.replace(**dict(zip(keys, p)))

    def run(points: list[tuple]) -> None:
        todo = [p for p in dict.fromkeys(points) if p not in seen]
        _show_size(progress, len(seen) + len(todo) + 2 * len(knobs), True)
        bump = None if progress is None else (lambda _p, _r: progress.update(1))
        for p, v in zip(todo, map_threads(lambda p, stop: score(at(p), stop), todo, jobs, bump)):
            seen[p] = float(v)

    def moved(p: tuple, i: int, d: int) -> tuple | None:
        n = _step(cfg, keys[i], knobs[i][1], p[i], d)
        return None if n is None else p[:i] + (n,) + p[i + 1:]

    run([start])
    cur, edge, passes = start, set(), 0
    for passes in range(1, MAX_PASSES + 1):
        changed = False
        for i in range(len(knobs)):
            check(None)
            nbrs = [(d, q) for d in (-1, 1) if (q := moved(cur, i, d)) is not None]
            run([q for _, q in nbrs])
            if not nbrs:
                continue
            d, best = max(nbrs, key=lambda dq: (seen[dq[1]], -dq[0]))
            if seen[best] - seen[cur] <= margin(seen[cur], n_val):
                continue
            cur, steps, changed = best, 1, True
            edge.discard(keys[i])
            while steps < MAX_STEPS and (q := moved(cur, i, d)) is not None:
                run([q])
                if seen[q] - seen[cur] <= margin(seen[cur], n_val):
                    break
                cur, steps = q, steps + 1
            else:
                if steps == MAX_STEPS and moved(cur, i, d) is not None:
                    edge.add(keys[i])
        if not changed:
            break
    _show_size(progress, len(seen), False)
    tried = np.array(list(seen), dtype=np.int64).reshape(len(seen), len(keys))
    search = {"knobs": dict(zip(keys, cur)), "preset": dict(zip(keys, start)),
              "changed": [k for k, a, b in zip(keys, start, cur) if a != b],
              "range": {k: [int(tried[:, i].min()), int(tried[:, i].max())] for i, k in enumerate(keys)},
              "at_edge": [k for k in keys if k in edge], "runs": len(seen), "passes": passes, "fixed": fixed,
              "val_accuracy": seen[cur], "preset_val_accuracy": seen[start],
              "margin_pp": 100 * margin(seen[start], n_val), "max_steps": MAX_STEPS,
              "points": [{"values": list(p), "val_accuracy": v} for p, v in seen.items()]}
    return at(cur), search
