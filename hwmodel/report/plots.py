"""The report's figures: accuracy against each swept axis, the Pareto fronts, the learning
overhead, depth."""
from __future__ import annotations

import math

import numpy as np

from hwmodel.util.plots import png_bytes as _png, pyplot as _plt
from hwmodel.report.analysis import SPOON_OVERHEAD, axis_x, pareto_front
from hwmodel.report.load import Experiment, Point


MAX_LINES = 6  # per axis plot: one line per combination of the other axes up to this many


def _ref_line(ax, exp: Experiment, val: bool = False) -> None:
    m, _, ci = exp.float_val_stats if val else exp.float_test_stats
    if m is not None:
        ax.axhline(100 * m, color="k", ls="--", lw=1, label=f"float DRTP reference {100 * m:.1f} %"
                   + (f" (95 % interval {100 * ci[0]:.1f}-{100 * ci[1]:.1f})" if ci else ""))
        if ci:
            ax.axhspan(100 * ci[0], 100 * ci[1], color="k", alpha=0.07, lw=0)


# the linear read-out's cost on each Pareto axis: its reference column (mean over seeds), in the axis' unit
BASELINE_X = {"memory": ("linear_memory_bits", 1e-3), "energy": ("linear_energy_per_classification_nj", 1.0),
              "learning": ("linear_energy_per_learning_sample_nj", 1.0)}


def _baselines(ax, exp: Experiment, axis: str, val: bool) -> None:
    """What learning in the hidden layers buys, on an accuracy-cost plot: the linear read-out chip
    (no hidden layer) as a point at its own cost, the frozen-hidden network (the same chip, only
    the output layer learning) as a line; 95 % t intervals over the reference seeds."""
    part = "val" if val else "test"
    m, _, ci = exp.baseline(f"linear_{part}_accuracy")
    xm = exp.baseline(BASELINE_X[axis][0])[0]
    if m is not None and xm is not None:
        x = xm * BASELINE_X[axis][1]
        ax.errorbar([x], [100 * m], yerr=_err([ci], [m]), fmt="s", ms=6, color="tab:purple", capsize=3, lw=1,
                    label=f"baseline: linear read-out (no hidden layer) {100 * m:.1f} %")
    m, _, ci = exp.baseline(f"frozen_{part}_accuracy")
    if m is not None:
        ax.axhline(100 * m, color="tab:purple", ls=":", lw=1.2,
                   label=f"baseline: frozen hidden layers (only the output learns) {100 * m:.1f} %")


def _err(cis: list[list[float] | None], means: list[float]) -> list[list[float]]:
    """Asymmetric error bars (pp) from 95 % intervals; 0 where there is none (one seed)."""
    lo = [100 * (m - c[0]) if c else 0.0 for m, c in zip(means, cis)]
    hi = [100 * (c[1] - m) if c else 0.0 for m, c in zip(means, cis)]
    return [lo, hi]


def plot_axis(exp: Experiment, axis: str) -> bytes:
    plt = _plt()
    vals = sorted({repr(p.config.get(axis)): p.config.get(axis) for p in exp.points}.values(),
                  key=lambda v: (axis_x(v)[0] is None, axis_x(v)[0] or 0, str(v)))
    kinds = {axis_x(v)[1] for v in vals}
    numeric = "category" not in kinds
    xpos = {repr(v): (axis_x(v)[0] if numeric else i) for i, v in enumerate(vals)}
    others = [a for a in exp.axes if a != axis]
    groups: dict[tuple, list[Point]] = {}
    for p in exp.points:
        groups.setdefault(tuple(repr(p.config.get(o)) for o in others), []).append(p)
    lines: list[tuple[str, list[Point]]] = []
    if len(groups) <= MAX_LINES:
        for g, pts in sorted(groups.items()):
            label = ", ".join(f"{o}={p}" for o, p in zip(others, (pts[0].config.get(o) for o in others)))
            lines.append((label or axis, pts))
    else:
        base_key = tuple(repr(exp.base_config.get(o)) for o in others)
        if base_key in groups:
            lines.append(("other axes at base", groups[base_key]))
        best: dict[str, Point] = {}
        for p in exp.points:
            k = repr(p.config.get(axis))
            if k not in best or p.mean > best[k].mean:
                best[k] = p
        lines.append(("best over the other axes", list(best.values())))
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for i, (label, pts) in enumerate(lines):
        pts = sorted(pts, key=lambda p: xpos[repr(p.config.get(axis))])
        xs = [xpos[repr(p.config.get(axis))] + (0.03 * (i - (len(lines) - 1) / 2) if numeric else 0) for p in pts]
        ax.errorbar(xs, [100 * p.mean for p in pts], yerr=_err([p.ci for p in pts], [p.mean for p in pts]),
                    marker="o", ms=4, capsize=3, lw=1.2, label=label)
    _ref_line(ax, exp)
    if not numeric:
        ax.set_xticks(range(len(vals)), [str(v) for v in vals])
    elif kinds == {"bits"}:
        ax.set_xticks(sorted({xpos[repr(v)] for v in vals}))
    ax.set_xlabel(f"{axis}" + (" (bits)" if kinds == {"bits"} else ""))
    ax.set_ylabel("test accuracy (%)")
    n_seeds = max(len(p.accs) for p in exp.points)
    bars = "error bars: 95 % t interval of the mean" if n_seeds > 1 else "one seed: no error bars"
    ax.set_title(f"test accuracy vs {axis}, mean over {n_seeds} seed{'s' * (n_seeds > 1)} ({bars})", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    return _png(fig)


def _nan(v: float | None) -> float:
    return float("nan") if v is None else v


PARETO_AXES = {
    "memory": (lambda p: p.memory_bits / 1000, "on-chip memory (kbit)", "validation accuracy vs memory bits"),
    "energy": (lambda p: p.energy_nj, "energy per classification (nJ)",
               "validation accuracy vs energy per classification"),
    "learning": (lambda p: _nan(p.cost("energy_per_learning_sample_nj")), "energy per learning sample (nJ)",
                 "validation accuracy vs energy per learning sample"),
}


def short_label(p: Point, axes: list[str]) -> str:
    """The point's values of the swept axes, in axis order ("s4/s6/s1"); "base" for the base."""
    return "/".join(str(p.config.get(a, "?")) for a in axes) if axes else "base"


SCOPE_LABELS = {"memories": "memories and datapath; no logic, no clock",
                "synthesized": "memories, datapath, logic, clock and leakage",
                "dynamic": "dynamic memories and datapath only"}


def scope_label(points) -> str:
    """What the energies of ``points`` include, for an axis label (the sweep's ``cost_scope``)."""
    scopes = sorted({sc for p in points for sc in p.scopes})
    return " + ".join(SCOPE_LABELS.get(sc, sc) for sc in scopes) or "cost scope unknown"


def scope_text(exp: Experiment) -> str:
    scopes = sorted({sc for p in exp.points for sc in p.scopes})
    from hwmodel.sweep.costs import COST_SCOPES
    return "; ".join(f"{sc}: {COST_SCOPES.get(sc, sc)}" for sc in scopes) or "cost scope unknown"


def label_offsets(ax, xy: list[tuple[float, float]], step: float = 8.0, label_pt: float = 34.0) -> list[float]:
    """Vertical offsets (points) of the labels of the points ``xy`` of ``ax`` (call it once
    everything else is drawn: it reads the axes' limits) so that no two labels overlap: a label
    sits just below its point unless a label already placed would cover it (closer than a
    label's width along x and a line along y), then one line lower, and so on."""
    if not xy:
        return []
    ax.get_xlim(), ax.get_ylim()                         # the limits of everything drawn so far
    pts = ax.transData.transform(np.asarray(xy, float)) * (72.0 / ax.figure.dpi)
    out: list[float] = []
    placed: list[tuple[float, float]] = []              # (x, y) of each label so far, in points
    for px, py in pts:
        dy = -9.0
        while any(abs(qx - px) < label_pt and abs(qy - (py + dy)) < step for qx, qy in placed):
            dy -= step
        out.append(dy)
        placed.append((px, py + dy))
    return out


def _leader(dy: float) -> dict | None:
    """A thin line from a label moved down (``label_offsets``) to its point."""
    return None if dy > -10 else {"arrowstyle": "-", "lw": 0.4, "color": "tab:red", "alpha": 0.6,
                                  "shrinkA": 0, "shrinkB": 2}


def plot_pareto(exp: Experiment, axis: str = "memory") -> bytes:
    """Accuracy against a cost, with the Pareto front; the front's points are labelled with their
    values of the swept axes."""
    x, xlabel, title = PARETO_AXES[axis]
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7.2, 4.6))
    pts = [p for p in exp.points if not math.isnan(x(p))]
    val = exp.has_val
    acc = (lambda p: p.val_mean) if val else (lambda p: p.mean)
    ci = (lambda p: p.val_ci) if val else (lambda p: p.ci)
    ax.errorbar([x(p) for p in pts], [100 * acc(p) for p in pts],
                yerr=_err([ci(p) for p in pts], [acc(p) for p in pts]), fmt="o", ms=3.5, color="tab:gray",
                alpha=0.7, capsize=2, lw=0.8, label="points (95 % t interval)")
    front = pareto_front(pts, x, acc)
    ax.step([x(p) for p in front], [100 * acc(p) for p in front], where="post",
            color="tab:red", lw=1.5, marker="o", ms=5,
            label="Pareto front, labelled " + ("/".join(exp.axes) if exp.axes else "(base)"))
    _ref_line(ax, exp, val)
    _baselines(ax, exp, axis, val)
    lo, hi = ax.get_ylim()      # an interval of few seeds may reach past 0 or 100 %: accuracy cannot
    ax.set_ylim(max(lo, -1.0), min(hi, 101.0))
    xy = [(x(p), 100 * acc(p)) for p in front]
    for p, (px, py), dy in zip(front, xy, label_offsets(ax, xy)):
        ax.annotate(short_label(p, exp.axes), (px, py), fontsize=6, xytext=(4, dy),
                    textcoords="offset points", color="tab:red", arrowprops=_leader(dy))
    if axis != "memory":
        xlabel += f"\n({scope_label(pts)})"
    ax.set_xlabel(xlabel)
    ax.set_ylabel(("validation" if val else "test") + " accuracy (%)")
    ax.set_title(title if val else title.replace("validation", "test") + " (rows without validation)", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    return _png(fig)


def plot_overhead(exp: Experiment) -> bytes:
    """The learning overhead of every point (power when every sample learns, and area, both in %
    of the same chip without learning) against its energy per classification; SPOON's published
    16.8 % / 11.8 % as dotted lines; the points on the accuracy-energy Pareto front labelled."""
    plt = _plt()
    keys = [("learning_overhead_power_pct", "power overhead (%)", SPOON_OVERHEAD["power_pct"]),
            ("learning_overhead_area_pct", "area overhead (%)", SPOON_OVERHEAD["area_pct"])]
    pts = [p for p in exp.points if not math.isnan(p.energy_nj)]
    acc = (lambda p: p.val_mean) if exp.has_val else (lambda p: p.mean)
    front = {p.key for p in pareto_front(pts, lambda p: p.energy_nj, acc)}
    fig, axs = plt.subplots(1, 2, figsize=(10, 4.2))
    for ax, (k, name, spoon) in zip(axs, keys):
        sel = [p for p in pts if p.cost(k) is not None]
        ax.scatter([p.energy_nj for p in sel], [p.cost(k) for p in sel], s=14, color="tab:gray",
                   label="points (mean over seeds)")
        on = [p for p in sel if p.key in front]
        ax.scatter([p.energy_nj for p in on], [p.cost(k) for p in on], s=22, color="tab:red",
                   label="on the accuracy-energy Pareto front")
        ax.axhline(spoon, color="k", ls=":", lw=1, label=f"SPOON (published) {spoon} %")
        on = sorted(on, key=lambda p: p.energy_nj)
        xy = [(p.energy_nj, p.cost(k)) for p in on]
        for p, (px, py), dy in zip(on, xy, label_offsets(ax, xy)):
            ax.annotate(short_label(p, exp.axes), (px, py), fontsize=6, xytext=(5, dy),
                        textcoords="offset points", color="tab:red", arrowprops=_leader(dy))
        ax.set_xlabel(f"energy per classification (nJ)\n({scope_label(sel)})")
        ax.set_ylabel(f"learning {name}, of the chip without learning")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="best")
    scopes = ", ".join(sorted({sc for p in pts for sc in p.scopes}))
    fig.suptitle(f"learning overhead per point ({scopes} costs; labels {'/'.join(exp.axes) or 'base'})",
                 fontsize=10)
    return _png(fig)


DEPTH_COLORS = ("tab:gray", "tab:blue", "tab:orange", "tab:green", "tab:purple", "tab:brown")


def plot_depth(exp: Experiment) -> bytes:
    """Accuracy against on-chip memory, one series per depth (0 hidden layers: the linear
    read-out), so what the hidden layers buy at a memory budget is one plot."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    val = exp.has_val
    acc = (lambda p: p.val_mean) if val else (lambda p: p.mean)
    ci = (lambda p: p.val_ci) if val else (lambda p: p.ci)
    for d in sorted({p.depth for p in exp.points}):
        pts = sorted((p for p in exp.points if p.depth == d), key=lambda p: p.memory_bits)
        name = "linear read-out (0 hidden)" if d == 0 else f"{d} hidden layer{'s' if d > 1 else ''}"
        ax.errorbar([p.memory_bits / 1000 for p in pts], [100 * acc(p) for p in pts],
                    yerr=_err([ci(p) for p in pts], [acc(p) for p in pts]), fmt="o-", ms=4, capsize=2, lw=1,
                    color=DEPTH_COLORS[min(d, len(DEPTH_COLORS) - 1)], label=name)
        for p in pts:
            ax.annotate(p.sizes, (p.memory_bits / 1000, 100 * acc(p)), fontsize=6, xytext=(3, 3),
                        textcoords="offset points")
    _ref_line(ax, exp, val)
    ax.set_xscale("log")
    ax.set_xlabel("on-chip memory (kbit, log scale)")
    ax.set_ylabel(("validation" if val else "test") + " accuracy (%)")
    ax.set_title(("validation" if val else "test") + " accuracy vs memory by depth (95 % t interval)", fontsize=10)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, loc="lower right")
    return _png(fig)
