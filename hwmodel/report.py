"""Reports of sweep databases: ``python -m hwmodel.report --db runs/sweep.sqlite --out DIR``.

Writes ``report.md`` (with the plots as PNG files beside it), a self-contained ``report.html``
(plots embedded as base64 PNG), ``results.csv`` (one row per run) and ``results.json``. Rows are
grouped into experiments (same base config, epochs and data); for each: test accuracy against the
bits of every swept axis (mean ± std over seeds, the 95 % t interval of the mean as error bars,
the float DRTP reference as a horizontal line), validation accuracy against memory bits with the
Pareto front, and the cheapest configuration within 0.5 / 1 / 2 percentage points of the float
reference. Every recommendation (cheapest within, fewest bits per axis, Pareto front) is decided
on validation accuracy, with its uncertainty, and says which points cannot be told apart
(overlapping 95 % intervals); test accuracy is reported, never used to choose. See docs/sweep.md.
"""
from __future__ import annotations

import csv
import html
import json
import math
import sqlite3
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .plots import img_tag, png_bytes as _png, pyplot as _plt
from .precision import Precision, PrecisionError

EXIT_INPUT = 2
TOLERANCES_PP = (0.5, 1.0, 2.0)
MAX_LINES = 6  # per axis plot: one line per combination of the other axes up to this many


class ReportError(ValueError):
    """A missing or empty database."""


def t_stats(values: list[float], level: float = 0.95) -> tuple[float | None, float | None, list[float] | None]:
    """(mean, sample std, [low, high] the ``level`` t interval of the mean); std and interval are
    None for fewer than two values, everything None for none."""
    n = len(values)
    if n == 0:
        return None, None, None
    m = sum(values) / n
    if n < 2:
        return m, None, None
    sd = math.sqrt(sum((v - m) ** 2 for v in values) / (n - 1))
    from scipy.stats import t as student_t
    h = float(student_t.ppf(0.5 + level / 2, n - 1)) * sd / math.sqrt(n)
    return m, sd, [m - h, m + h]


def overlap(a: list[float] | None, b: list[float] | None) -> bool | None:
    """Whether two intervals overlap (None when one is unknown)."""
    if a is None or b is None:
        return None
    return a[0] <= b[1] and b[0] <= a[1]


# ---- loading --------------------------------------------------------------------------------------
@dataclass
class Point:
    key: str
    overrides: dict[str, Any]
    config: dict[str, Any]
    memory_bits: int
    weight_bits: int
    energy_nj: float = float("nan")  # dynamic energy per classification (mean over seeds)
    accs: list[float] = field(default_factory=list)
    train_accs: list[float] = field(default_factory=list)
    seeds: list[int] = field(default_factory=list)
    val_accs: list[float | None] = field(default_factory=list)

    @property
    def mean(self) -> float:
        """Mean test accuracy over seeds (reported, never used to choose)."""
        return sum(self.accs) / len(self.accs)

    @property
    def std(self) -> float | None:
        """Sample std of the test accuracy over seeds; None with one seed."""
        return t_stats(self.accs)[1]

    @property
    def ci(self) -> list[float] | None:
        """95 % t interval of the mean test accuracy; None with one seed."""
        return t_stats(self.accs)[2]

    @property
    def has_val(self) -> bool:
        return bool(self.val_accs) and all(v is not None for v in self.val_accs)

    @property
    def val_mean(self) -> float | None:
        return t_stats(self.val_accs)[0] if self.has_val else None

    @property
    def val_std(self) -> float | None:
        return t_stats(self.val_accs)[1] if self.has_val else None

    @property
    def val_ci(self) -> list[float] | None:
        return t_stats(self.val_accs)[2] if self.has_val else None

    @property
    def train_mean(self) -> float:
        return sum(self.train_accs) / len(self.train_accs)

    def label(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.overrides.items()) or "(base)"

    @property
    def depth(self) -> int:
        """Hidden layers of the point (0: the linear read-out)."""
        sizes = self.config.get("hidden.sizes")
        if sizes is None:
            return 1  # the one-hidden-layer keys (fc1.*, fc2.*)
        return len([v for v in str(sizes).split(",") if v.strip()])

    @property
    def sizes(self) -> str:
        """Hidden layer sizes, e.g. "128-64" ("-" for none)."""
        sizes = self.config.get("hidden.sizes")
        if sizes is None:
            return str(self.config.get("fc1.neurons", "?"))
        return "-".join(v.strip() for v in str(sizes).split(",") if v.strip()) or "-"


@dataclass
class Experiment:
    base: str
    epochs: int
    data: str
    runs: list[dict[str, Any]]
    points: list[Point]
    reference: list[dict[str, Any]]
    base_config: dict[str, Any]
    axes: list[str]

    @property
    def float_acc(self) -> float | None:
        """Mean float DRTP test accuracy over the reference seeds (reported)."""
        if not self.reference:
            return None
        return sum(r["float_test_accuracy"] for r in self.reference) / len(self.reference)

    @property
    def float_test_stats(self):
        return t_stats([r["float_test_accuracy"] for r in self.reference])

    @property
    def float_val_stats(self):
        """(mean, std, ci) of the float reference's validation accuracy; all None when a
        reference row has none (made before validation splits)."""
        vals = [r.get("float_val_accuracy") for r in self.reference]
        if not vals or any(v is None for v in vals):
            return None, None, None
        return t_stats(vals)

    @property
    def has_val(self) -> bool:
        return self.float_val_stats[0] is not None and all(p.has_val for p in self.points)

    @property
    def code_versions(self) -> dict[str, int]:
        """{code version: runs} of the rows (and references) of this experiment."""
        out: dict[str, int] = {}
        for r in self.runs + self.reference:
            v = r.get("code_version") or "unknown"
            out[v] = out.get(v, 0) + 1
        return out

    @property
    def title(self) -> str:
        return f"{self.base}, {self.epochs} epochs, {self.data}"


def _rows(conn: sqlite3.Connection, sql: str, args=()) -> list[dict[str, Any]]:
    cur = conn.execute(sql, args)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur]


def check_db(db: str | Path) -> Path:
    """A readable sweep database (``ReportError`` otherwise), checked before any work."""
    from .sweep import StoreError, check_db as check_sweep_db
    p = Path(db)
    if not p.exists():
        raise ReportError(f"database '{p}' not found")
    if p.is_dir():
        raise ReportError(f"--db '{p}' is a folder, not a database file")
    try:
        if not check_sweep_db(p):
            raise ReportError(f"database '{p}' holds no sweep results")
    except StoreError as e:
        raise ReportError(str(e)) from None
    return p


def load(db: str | Path) -> list[Experiment]:
    p = check_db(db)
    try:
        conn = sqlite3.connect(f"file:{p.resolve()}?mode=ro", uri=True)
        try:
            runs = _rows(conn, "SELECT * FROM results ORDER BY id")
            refs = _rows(conn, "SELECT * FROM reference ORDER BY id")
        finally:
            conn.close()
    except sqlite3.DatabaseError as e:
        raise ReportError(f"database '{p}': not a readable sweep database ({e})") from None
    if not runs:
        raise ReportError(f"database '{p}' holds no sweep results")
    groups: dict[tuple, list[dict]] = {}
    for r in runs:
        r.setdefault("code_version", "unknown")
        r["overrides"] = json.loads(r["overrides"])
        r["config"] = json.loads(r["config_json"])
        groups.setdefault((r["base"], r["epochs"], r["data"]), []).append(r)
    exps = []
    for (base, epochs, data), rs in groups.items():
        ref = sorted((r for r in refs if (r["base"], r["epochs"], r["data"]) == (base, epochs, data)),
                     key=lambda r: r["seed"])
        pts: dict[str, Point] = {}
        for r in rs:
            pt = pts.get(r["point_key"])
            if pt is None:
                pt = pts[r["point_key"]] = Point(r["point_key"], r["overrides"], r["config"],
                                                 r["memory_bits"], r["weight_bits"])
            pt.energy_nj = r.get("energy_per_classification_nj", float("nan"))
            pt.accs.append(r["test_accuracy"])
            pt.train_accs.append(r["train_accuracy"])
            pt.val_accs.append(r.get("val_accuracy"))
            pt.seeds.append(r["seed"])
        points = list(pts.values())
        if any("hidden.sizes" in p.config for p in points):  # a depth axis: one key set for all
            for p in points:
                p.config = stack_keys(p.config)
            for r in ref:
                r["config_json"] = json.dumps(stack_keys(json.loads(r["config_json"])))
        base_cfg = _base_config(points, ref)
        exps.append(Experiment(base, epochs, data, rs, points, ref, base_cfg, swept_axes(points)))
    exps.sort(key=lambda e: -max(r["id"] for r in e.runs))  # most recent first
    return exps


LEGACY_TO_STACK = {"drtp.b": "hidden.0.b", "drtp.lr_shift_fc1": "hidden.0.lr_shift",
                   "drtp.lr_shift_fc2": "output.lr_shift"}


def stack_keys(flat: dict[str, Any]) -> dict[str, Any]:
    """A flat config of the one-hidden-layer keys (fc1.*, fc2.*, drtp.*) in the layer-stack keys
    that sweep rows of other depths use (hidden.sizes, hidden.0.*, output.*); others unchanged."""
    if "hidden.sizes" in flat or "fc1.neurons" not in flat:
        return flat
    out: dict[str, Any] = {}
    for k, v in flat.items():
        if k == "fc1.neurons":
            out["hidden.sizes"] = str(v)
        elif k in LEGACY_TO_STACK:
            out[LEGACY_TO_STACK[k]] = v
        elif k.startswith("fc1."):
            out["hidden.0." + k[4:]] = v
        elif k.startswith("fc2."):
            out["output." + k[4:]] = v
        else:
            out[k] = v
    return out


def _base_config(points: list[Point], ref: list[dict]) -> dict[str, Any]:
    if ref:
        return json.loads(ref[0]["config_json"])
    base: dict[str, Any] = {}
    for pt in points:  # a key that a point does not override holds the base value
        for k, v in pt.config.items():
            if k not in pt.overrides:
                base.setdefault(k, v)
    return base


def swept_axes(points: list[Point]) -> list[str]:
    """Keys whose value varies, minus those fully determined by another varying key (the init
    bounds clamped to a narrower weight by the sweep)."""
    keys: list[str] = []
    for pt in points:
        for k in pt.overrides:
            if k not in keys:
                keys.append(k)
    keys = [k for k in keys if len({repr(pt.config.get(k)) for pt in points}) > 1]

    def determines(a: str, b: str) -> bool:
        m: dict[str, str] = {}
        for pt in points:
            va, vb = repr(pt.config.get(a)), repr(pt.config.get(b))
            if m.setdefault(va, vb) != vb:
                return False
        return True

    def derived(k: str) -> bool:  # determined by another axis; an init bound also in a 1:1 pairing
        return any(j != k and determines(j, k) and (not determines(k, j) or
                                                    (k.endswith(".init_bound") and not j.endswith(".init_bound")))
                   for j in keys)

    return [k for k in keys if not derived(k)]


# ---- analysis -------------------------------------------------------------------------------------
def axis_x(value: Any) -> tuple[float | None, str]:
    """(numeric x, kind): precision text -> its bits, integer -> itself, other -> None."""
    if isinstance(value, bool):
        return None, "category"
    if isinstance(value, (int, float)):
        return float(value), "number"
    try:
        return float(Precision.parse(str(value)).bits), "bits"
    except (PrecisionError, ValueError):
        return None, "category"


def _sel(p: Point) -> float:
    """The accuracy recommendations are decided on: mean validation accuracy (mean test accuracy
    only for rows made before validation splits, which the report then flags)."""
    return p.val_mean if p.has_val else p.mean


def pareto_front(points: list[Point], cost=lambda p: p.memory_bits, acc=_sel) -> list[Point]:
    """Points that no other point beats on both cost (lower; memory bits by default) and
    accuracy (higher; mean validation accuracy by default)."""
    front, best = [], -1.0
    for pt in sorted(points, key=lambda p: (cost(p), -acc(p))):
        if acc(pt) > best:
            front.append(pt)
            best = acc(pt)
    return front


NO_VAL = ("no validation accuracy in these rows (made before validation splits): recommendations need it; "
          "rerun the sweep")


def _unclear(p: Point, others: list[Point]) -> list[str]:
    """Labels of the points in ``others`` whose validation interval overlaps ``p``'s."""
    return [q.label() for q in others if q is not p and overlap(p.val_ci, q.val_ci)]


def cheapest_within(exp: Experiment) -> list[dict[str, Any]]:
    """Per tolerance: the point with the fewest memory bits whose mean validation accuracy is at
    least the float reference's mean validation accuracy minus the tolerance. Each row carries
    the uncertainty of both (std, 95 % interval), whether the point's interval overlaps the
    float reference's (``overlaps_float``), and the cheaper points that missed the tolerance but
    cannot be told apart from it (``cannot_tell_apart_from``: overlapping intervals). Test
    accuracies are reported beside, never used."""
    fa = exp.float_acc
    fv, fv_sd, fv_ci = exp.float_val_stats
    out = []
    for tol in TOLERANCES_PP:
        row: dict[str, Any] = {"tolerance_pp": tol, "float_test_accuracy": fa, "decided_on": "validation",
                               "float_val_accuracy": fv, "float_val_std": fv_sd, "float_val_ci95": fv_ci}
        if fa is not None and not exp.has_val:
            row["note"] = NO_VAL
        elif fa is not None:
            ok = [p for p in exp.points if p.val_mean >= fv - tol / 100 - 1e-12]
            if ok:
                p = min(ok, key=lambda p: (p.memory_bits, -p.val_mean))
                cheaper = [q for q in exp.points if q.memory_bits < p.memory_bits and q not in ok]
                row.update(point=p.label(), overrides=p.overrides, memory_bits=p.memory_bits,
                           weight_bits=p.weight_bits, test_accuracy=p.mean, std=p.std, test_ci95=p.ci,
                           seeds=len(p.accs), gap_pp=100 * (fa - p.mean), val_accuracy=p.val_mean,
                           val_std=p.val_std, val_ci95=p.val_ci, val_gap_pp=100 * (fv - p.val_mean),
                           overlaps_float=overlap(p.val_ci, fv_ci),
                           cannot_tell_apart_from=_unclear(p, cheaper))
        out.append(row)
    return out


def axis_minima(exp: Experiment) -> list[dict[str, Any]]:
    """For every swept precision axis and tolerance: the fewest bits reaching the float reference
    within the tolerance on validation accuracy, over all points and with the other axes at their
    base values."""
    fa = exp.float_acc
    fv = exp.float_val_stats[0]
    out = []
    if fa is None or not exp.has_val:
        return out
    for ax in exp.axes:
        if not all(axis_x(p.config.get(ax))[1] == "bits" for p in exp.points):
            continue
        others = [a for a in exp.axes if a != ax]
        for tol in TOLERANCES_PP:
            ok = [p for p in exp.points if p.val_mean >= fv - tol / 100 - 1e-12]
            at_base = [p for p in ok if all(p.config.get(o) == exp.base_config.get(o) for o in others)]
            row = {"axis": ax, "tolerance_pp": tol, "fewest_bits_any": None, "point_any": None,
                   "fewest_bits_others_at_base": None, "decided_on": "validation"}
            if ok:
                p = min(ok, key=lambda p: (axis_x(p.config.get(ax))[0], p.memory_bits))
                row.update(fewest_bits_any=int(axis_x(p.config.get(ax))[0]), point_any=p.label())
            if at_base:
                row["fewest_bits_others_at_base"] = int(min(axis_x(p.config.get(ax))[0] for p in at_base))
            out.append(row)
    return out


# ---- plots ------------------------------------------------------------------------------------------


def _ref_line(ax, exp: Experiment, val: bool = False) -> None:
    m, _, ci = exp.float_val_stats if val else exp.float_test_stats
    if m is not None:
        ax.axhline(100 * m, color="k", ls="--", lw=1, label=f"float DRTP reference {100 * m:.1f} %"
                   + (f" (95 % interval {100 * ci[0]:.1f}-{100 * ci[1]:.1f})" if ci else ""))
        if ci:
            ax.axhspan(100 * ci[0], 100 * ci[1], color="k", alpha=0.07, lw=0)


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


PARETO_AXES = {
    "memory": (lambda p: p.memory_bits / 1000, "on-chip memory (kbit)", "validation accuracy vs memory bits"),
    "energy": (lambda p: p.energy_nj, "dynamic energy per classification (nJ, default tech table)",
               "validation accuracy vs energy per classification"),
}


def plot_pareto(exp: Experiment, axis: str = "memory") -> bytes:
    x, xlabel, title = PARETO_AXES[axis]
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    pts = [p for p in exp.points if not math.isnan(x(p))]
    val = exp.has_val
    acc = (lambda p: p.val_mean) if val else (lambda p: p.mean)
    ci = (lambda p: p.val_ci) if val else (lambda p: p.ci)
    ax.errorbar([x(p) for p in pts], [100 * acc(p) for p in pts],
                yerr=_err([ci(p) for p in pts], [acc(p) for p in pts]), fmt="o", ms=3.5, color="tab:gray",
                alpha=0.7, capsize=2, lw=0.8, label="points (95 % t interval)")
    front = pareto_front(pts, x, acc)
    ax.step([x(p) for p in front], [100 * acc(p) for p in front], where="post",
            color="tab:red", lw=1.5, marker="o", ms=5, label="Pareto front")
    _ref_line(ax, exp, val)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(("validation" if val else "test") + " accuracy (%)")
    ax.set_title(title if val else title.replace("validation", "test") + " (rows without validation)", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
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


# ---- writing ---------------------------------------------------------------------------------------
def _pct(v) -> str:
    return "-" if v is None else f"{100 * v:.2f}"


def _ms(m, sd, one_seed: str = "n/a (1 seed)") -> str:
    """'mean ± std' in %; the std is 'n/a' with one seed."""
    if m is None:
        return "-"
    return f"{100 * m:.2f} ± {100 * sd:.2f}" if sd is not None else f"{100 * m:.2f} ± {one_seed}"


def _ci(ci) -> str:
    return "-" if ci is None else f"[{100 * ci[0]:.2f}, {100 * ci[1]:.2f}]"


def _fname(axis: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in axis)


@dataclass
class Section:
    title: str
    paragraphs: list[str]
    tables: list[tuple[str, list[str], list[list[Any]]]]
    images: list[tuple[str, str, bytes]]  # (caption, file name, png)


def build_sections(exps: list[Experiment]) -> list[Section]:
    secs = []
    for i, exp in enumerate(exps, 1):
        prefix = f"exp{i}_"
        fa = exp.float_acc
        n_seeds = sorted({len(p.accs) for p in exp.points})
        paras = [f"{len(exp.points)} points, {len(exp.runs)} runs ("
                 f"{'/'.join(map(str, n_seeds))} seed{'s' * (n_seeds != [1])} per point), "
                 f"swept axes: {', '.join(exp.axes) or 'none'}."]
        cv = exp.code_versions
        paras.append(("Code version: " if len(cv) == 1 else "MIXED code versions (rows made by different code): ")
                     + ", ".join(f"{v} ({n} row{'s' * (n != 1)})" for v, n in sorted(cv.items())) + ".")
        paras.append("Accuracies are mean ± sample std over seeds with the 95 % t interval of the mean "
                     "(error bars in the plots). Recommendations (cheapest within a tolerance, fewest bits "
                     "per axis, Pareto front) are decided on validation accuracy (digits carved from the "
                     "training data); test accuracy is reported beside them and never used to choose.")
        if n_seeds == [1]:
            paras.append("One seed per point: no spread can be estimated, so no interval is given; seed-to-seed "
                         "differences of 0.5-1.5 pp are common on this split, so points closer than that cannot "
                         "be told apart. Use 3 or more seeds (--seeds 0,1,2).")
        if fa is not None:
            fm, fsd, fci = exp.float_test_stats
            vm, vsd, vci = exp.float_val_stats
            base_test = t_stats([r["test_accuracy"] for r in exp.reference])
            paras.append(f"Float DRTP reference (base config, {len(exp.reference)} seed"
                         f"{'s' * (len(exp.reference) != 1)}: {', '.join(str(r['seed']) for r in exp.reference)}): "
                         f"validation {_ms(vm, vsd)} % {_ci(vci)}, test {_ms(fm, fsd)} % {_ci(fci)}, "
                         f"train {_pct(t_stats([r['float_train_accuracy'] for r in exp.reference])[0])} %; "
                         f"the integer base trained in the same runs: test {_ms(base_test[0], base_test[1])} %.")
        else:
            paras.append("No float reference in the database for this experiment.")
        if fa is not None and not exp.has_val:
            paras.append("No recommendation: " + NO_VAL + ".")
        tables = []
        cw = cheapest_within(exp)
        rows_cw = []
        for r in cw:
            if "point" not in r:
                rows_cw.append([r["tolerance_pp"], "none reaches it" if "note" not in r else "no validation data"]
                               + ["-"] * 7)
                continue
            notes = []
            if r["overlaps_float"]:
                notes.append("interval overlaps the float reference's")
            elif r["overlaps_float"] is False:
                notes.append("below the float reference (intervals apart)")
            if r["cannot_tell_apart_from"]:
                k = len(r["cannot_tell_apart_from"])
                notes.append(f"cannot be told apart from {k} cheaper point{'s' * (k > 1)} that missed the tolerance: "
                             + "; ".join(r["cannot_tell_apart_from"][:3]) + (" ..." if k > 3 else ""))
            if r["val_std"] is None:
                notes.append("one seed: no interval")
            rows_cw.append([r["tolerance_pp"], r["point"], r["memory_bits"], r["weight_bits"],
                            _ms(r["val_accuracy"], r["val_std"]), _ci(r["val_ci95"]), f"{r['val_gap_pp']:+.2f}",
                            _ms(r["test_accuracy"], r["std"]), "; ".join(notes) or "-"])
        fv = exp.float_val_stats[0]
        tables.append(("Cheapest configuration (fewest memory bits) whose mean validation accuracy is within a "
                       "tolerance of the float reference's"
                       + (f" ({_pct(fv)} %)" if fv is not None else ""),
                       ["within (pp)", "point", "memory bits", "FC weight bits", "val acc (%) mean ± std",
                        "val 95 % interval", "val gap to float (pp)", "test acc (%) (reported)",
                        "can it be told apart?"], rows_cw))
        am = axis_minima(exp)
        if am:
            tables.append(("Fewest bits per axis within a tolerance of the float reference (validation accuracy)",
                           ["axis", "within (pp)", "fewest bits (any point)", "that point",
                            "fewest bits (other axes at base)"],
                           [[r["axis"], r["tolerance_pp"], r["fewest_bits_any"] if r["fewest_bits_any"] else "-",
                             r["point_any"] or "-",
                             r["fewest_bits_others_at_base"] if r["fewest_bits_others_at_base"] else "-"]
                            for r in am]))
        front = {p.key for p in pareto_front(exp.points, acc=_sel if exp.has_val else (lambda p: p.mean))}
        rows = sorted(exp.points, key=lambda p: (p.memory_bits, -p.mean))
        tables.append(("All points (sorted by memory bits; * = on the Pareto front of validation accuracy "
                       "vs memory bits)",
                       ["point", "memory bits", "FC weight bits", "seeds", "val acc (%) mean ± std",
                        "val 95 % interval", "test acc (%) mean ± std", "test 95 % interval",
                        "train acc (%)", "test gap to float (pp)", "Pareto"],
                       [[p.label(), p.memory_bits, p.weight_bits, len(p.accs), _ms(p.val_mean, p.val_std),
                         _ci(p.val_ci), _ms(p.mean, p.std), _ci(p.ci),
                         _pct(p.train_mean), f"{100 * (fa - p.mean):+.2f}" if fa is not None else "-",
                         "*" if p.key in front else ""] for p in rows]))
        if len({p.depth for p in exp.points}) > 1:
            by_depth = sorted(exp.points, key=lambda p: (p.depth, p.memory_bits))
            tables.append(("Accuracy by depth (0 hidden layers = the linear read-out; sizes of the hidden layers)",
                           ["hidden layers", "sizes", "point", "memory bits", "FC weight bits", "seeds",
                            "val acc (%) mean ± std", "test acc (%) mean ± std", "test 95 % interval"],
                           [[p.depth, p.sizes, p.label(), p.memory_bits, p.weight_bits, len(p.accs),
                             _ms(p.val_mean, p.val_std), _ms(p.mean, p.std), _ci(p.ci)] for p in by_depth]))
        images = [(f"Test accuracy vs {ax}", f"{prefix}acc_vs_{_fname(ax)}.png", plot_axis(exp, ax))
                  for ax in exp.axes if ax != "hidden.sizes"]
        if len({p.depth for p in exp.points}) > 1:
            images.append(("Accuracy vs memory by depth (what the hidden layers buy at a memory budget)",
                           f"{prefix}acc_vs_memory_by_depth.png", plot_depth(exp)))
        images.append(("Validation accuracy vs memory bits, with the Pareto front", f"{prefix}pareto.png",
                       plot_pareto(exp)))
        if any(not math.isnan(p.energy_nj) for p in exp.points):
            images.append(("Validation accuracy vs energy per classification, with the Pareto front",
                           f"{prefix}pareto_energy.png", plot_pareto(exp, "energy")))
        secs.append(Section(f"Experiment {i}: {exp.title}", paras, tables, images))
    return secs


def _md_table(head: list[str], rows: list[list[Any]]) -> str:
    esc = lambda v: str(v).replace("|", "\\|")  # noqa: E731
    out = ["| " + " | ".join(map(esc, head)) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(map(esc, r)) + " |" for r in rows]
    return "\n".join(out)


def render_md(db: str, secs: list[Section]) -> str:
    from .provenance import code_version
    out = [f"# Sweep report\n\nDatabase: `{db}`; report written by hwmodel {code_version()}\n"]
    for s in secs:
        out.append(f"## {s.title}\n")
        out += [p + "\n" for p in s.paragraphs]
        for title, head, rows in s.tables[:-1]:
            out.append(f"### {title}\n\n{_md_table(head, rows)}\n")
        for cap, fname, _ in s.images:
            out.append(f"### {cap}\n\n![{cap}]({fname})\n")
        title, head, rows = s.tables[-1]
        out.append(f"### {title}\n\n{_md_table(head, rows)}\n")
    return "\n".join(out)


def _html_table(head: list[str], rows: list[list[Any]]) -> str:
    e = lambda v: html.escape(str(v))  # noqa: E731
    return ("<table><thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in head) + "</tr></thead><tbody>"
            + "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in rows)
            + "</tbody></table>")


def render_html(db: str, secs: list[Section]) -> str:
    e = html.escape
    from .provenance import code_version
    body = [f"<h1>Sweep report</h1><p>Database: <code>{e(db)}</code>; report written by hwmodel "
            f"{e(code_version())}</p>"]
    for s in secs:
        body.append(f"<h2>{e(s.title)}</h2>")
        body += [f"<p>{e(p)}</p>" for p in s.paragraphs]
        for title, head, rows in s.tables[:-1]:
            body.append(f"<h3>{e(title)}</h3>{_html_table(head, rows)}")
        for cap, _, png in s.images:
            body.append(f"<figure>{img_tag(png, e(cap))}"
                        f"<figcaption>{e(cap)}</figcaption></figure>")
        title, head, rows = s.tables[-1]
        body.append(f"<h3>{e(title)}</h3>{_html_table(head, rows)}")
    css = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
           "table{border-collapse:collapse;font-size:13px;margin:0.5em 0 1.5em}"
           "td,th{border:1px solid #ccc;padding:3px 7px;text-align:left}th{background:#f2f2f2}"
           "figure{display:inline-block;margin:0.5em}img{max-width:100%}")
    return (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Sweep report</title>"
            f"<style>{css}</style></head><body>{''.join(body)}</body></html>\n")


CSV_FIXED = ("code_version", "base", "epochs", "data", "point_key", "seed", "test_accuracy", "train_accuracy",
             "val_accuracy",
             "memory_bits", "weight_bits", "energy_per_classification_nj", "energy_per_learning_sample_nj",
             "memory_area_mm2", "cycles_per_inference_sample", "cycles_per_learning_sample",
             "n_train", "n_test", "wall_time", "worker", "finished_at")
OUT_FILES = ("report.md", "report.html", "results.csv", "results.json", "*.png")


def write_report(db: str | Path, out: str | Path) -> dict[str, Any]:
    """Write the report files into ``out`` as one set (temporary folder, then rename)."""
    from .checks import atomic_dir, check_out_dir
    check_out_dir(out, OUT_FILES)
    check_db(db)
    exps = load(db)
    secs = build_sections(exps)
    with atomic_dir(out) as tmp:
        doc = _write_files(db, exps, secs, tmp)
    return doc


def _write_files(db, exps: list[Experiment], secs: list[Section], out: Path) -> dict[str, Any]:
    from .provenance import version_info
    for s in secs:
        for _, fname, png in s.images:
            (out / fname).write_bytes(png)
    (out / "report.md").write_text(render_md(str(db), secs))
    (out / "report.html").write_text(render_html(str(db), secs))
    axes = sorted({a for e in exps for a in e.axes})
    with open(out / "results.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(list(CSV_FIXED) + axes + ["overrides"])
        for e in exps:
            for r in e.runs:
                w.writerow([r.get(c, "") for c in CSV_FIXED] + [r["config"].get(a, "") for a in axes]
                           + [json.dumps(r["overrides"], sort_keys=True)])
    doc = {"db": str(db), "code_version": version_info(), "experiments": []}
    for e in exps:
        doc["experiments"].append({
            "base": e.base, "epochs": e.epochs, "data": e.data, "axes": e.axes,
            "code_versions": e.code_versions,
            "float_test_accuracy": e.float_acc,
            "float_test_std": e.float_test_stats[1], "float_test_ci95": e.float_test_stats[2],
            "float_val_accuracy": e.float_val_stats[0], "float_val_std": e.float_val_stats[1],
            "float_val_ci95": e.float_val_stats[2],
            "reference": [{k: v for k, v in r.items() if k not in ("config_toml",)} for r in e.reference],
            "points": [{"point_key": p.key, "overrides": p.overrides, "seeds": p.seeds,
                        "test_accuracy_mean": p.mean, "test_accuracy_std": p.std, "test_accuracy_ci95": p.ci,
                        "test_accuracies": p.accs, "train_accuracy_mean": p.train_mean,
                        "val_accuracy_mean": p.val_mean, "val_accuracy_std": p.val_std,
                        "val_accuracy_ci95": p.val_ci, "val_accuracies": p.val_accs,
                        "memory_bits": p.memory_bits, "weight_bits": p.weight_bits,
                        "energy_per_classification_nj": p.energy_nj} for p in e.points],
            "pareto_front": [p.key for p in pareto_front(e.points, acc=_sel if e.has_val else (lambda p: p.mean))],
            "pareto_front_decided_on": "validation" if e.has_val else "test (rows without validation accuracy)",
            "cheapest_within": cheapest_within(e),
            "axis_minima": axis_minima(e),
        })
    (out / "results.json").write_text(json.dumps(doc, indent=2, sort_keys=True))
    return doc


def main(argv=None) -> int:
    from .checks import ctrl_c_raises
    ctrl_c_raises()
    from .checks import EXIT_INTERRUPTED, OutputError, Parser, add_version
    p = Parser(prog="python -m hwmodel.report",
               description="Report of a sweep database (docs/sweep.md): report.md (with PNG plots), "
                           "report.html, results.csv, results.json.")
    add_version(p, "hwmodel.report")
    p.add_argument("--db", default="runs/sweep.sqlite",
                   help="SQLite database written by hwmodel.sweep (default: runs/sweep.sqlite)")
    p.add_argument("--out", required=True, metavar="DIR",
                   help="output folder: new, or one holding only a previous report's files (replaced as a set)")
    p.add_argument("--json", action="store_true", help="print results.json's summary on stdout")
    try:
        args = p.parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0)
    try:
        doc = write_report(args.db, args.out)
    except (ReportError, OutputError) as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_INPUT
    except OSError as e:
        print(f"error: --out '{args.out}': cannot write: {e.strerror or e}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("interrupted: no report written", file=sys.stderr)
        return EXIT_INTERRUPTED
    if args.json:
        print(json.dumps({"out": args.out, "code_version": doc["code_version"], "experiments": [
            {k: e[k] for k in ("base", "epochs", "data", "axes", "float_test_accuracy", "cheapest_within",
                               "code_versions")}
            for e in doc["experiments"]]}, sort_keys=True))
    else:
        for e in doc["experiments"]:
            fa = e["float_test_accuracy"]
            cv = e["code_versions"]
            print(f"{e['base']}, {e['epochs']} epochs, {e['data']}: {len(e['points'])} points"
                  + (f", float reference {100 * fa:.2f} %" if fa is not None else "")
                  + (f"; code {next(iter(cv))}" if len(cv) == 1 else f"; MIXED code versions: {', '.join(sorted(cv))}"))
            for r in e["cheapest_within"]:
                if "point" in r:
                    unclear = r["cannot_tell_apart_from"]
                    print(f"  within {r['tolerance_pp']} pp of float on validation: {r['point']}  "
                          f"{r['memory_bits']:,} bits, val {_ms(r['val_accuracy'], r['val_std'])} % "
                          f"{_ci(r['val_ci95'])}, test {_ms(r['test_accuracy'], r['std'])} %"
                          + (f"; cannot be told apart from {len(unclear)} cheaper point(s)" if unclear else ""))
                elif "note" in r:
                    print(f"  within {r['tolerance_pp']} pp: {r['note']}")
        print(f"wrote {Path(args.out) / 'report.md'}, report.html, results.csv, results.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
