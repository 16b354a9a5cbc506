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

from .estimate.core import SPOON  # SPOON's published figures (docs/sources.md §5)
from hwmodel.util.plots import img_tag, png_bytes as _png, pyplot as _plt
from hwmodel.spec.precision import Precision, PrecisionError
from hwmodel.util.stats import t_interval as t_stats  # one t interval for the whole project

EXIT_INPUT = 2
TOLERANCES_PP = (0.5, 1.0, 2.0)
MAX_LINES = 6  # per axis plot: one line per combination of the other axes up to this many
# the cost columns of a sweep row (docs/sweep.md), averaged over a point's seeds
COST_KEYS = ("energy_per_classification_nj", "energy_per_learning_sample_nj", "learning_extra_energy_nj",
             "energy_per_classification_inference_only_nj", "latency_per_classification_us",
             "latency_per_learning_sample_us", "area_mm2", "area_mm2_inference_only", "memory_area_mm2",
             "learning_overhead_power_pct", "learning_overhead_area_pct", "offchip_val_accuracy",
             "offchip_test_accuracy")
SPOON_OVERHEAD = {"power_pct": SPOON["learning_overhead_power_pct"], "area_pct": SPOON["learning_overhead_area_pct"]}


class ReportError(ValueError):
    """A missing or empty database."""


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
    accs: list[float] = field(default_factory=list)
    train_accs: list[float] = field(default_factory=list)
    seeds: list[int] = field(default_factory=list)
    val_accs: list[float | None] = field(default_factory=list)
    costs: dict[str, list] = field(default_factory=dict)   # COST_KEYS: one value per seed (None: not measured)
    scopes: set[str] = field(default_factory=set)          # cost_scope of the rows

    def cost(self, key: str) -> float | None:
        """Mean over seeds of a cost column; None unless every row has it."""
        v = self.costs.get(key, [])
        return None if not v or any(x is None for x in v) else sum(v) / len(v)

    @property
    def energy_nj(self) -> float:
        """Energy per classification (mean over seeds; NaN without the column)."""
        e = self.cost("energy_per_classification_nj")
        return float("nan") if e is None else e

    @property
    def scope(self) -> str:
        return "/".join(sorted(self.scopes)) or "-"

    @property
    def offchip_val(self) -> tuple[float | None, float | None, list[float] | None]:
        """(mean, std, 95 % interval) of the off-chip (inference-only chip) validation accuracy."""
        v = self.costs.get("offchip_val_accuracy", [])
        return (None, None, None) if not v or any(x is None for x in v) else t_stats(v)

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
    from hwmodel.sweep import StoreError, check_db as check_sweep_db
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
        src = sqlite3.connect(f"file:{p.resolve()}?mode=ro", uri=True)
        conn = sqlite3.connect(":memory:")
        try:
            src.backup(conn)  # an older schema reads as the sweep would migrate it; the file is not changed
            from hwmodel.sweep import SCHEMA_VERSION, migrate
            found = int(conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0])
            if found < SCHEMA_VERSION:
                migrate(conn, found)
        finally:
            src.close()
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
            for k in COST_KEYS:
                pt.costs.setdefault(k, []).append(r.get(k))
            if r.get("cost_scope"):
                pt.scopes.add(r["cost_scope"])
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


E_INF_ONLY = "energy_per_classification_inference_only_nj"


def _inference_chip(p: Point) -> dict[str, Any]:
    m, sd, ci = p.offchip_val
    return {"point": p.label(), "offchip_val_accuracy": m, "offchip_val_std": sd, "offchip_val_ci95": ci,
            "offchip_test_accuracy": p.cost("offchip_test_accuracy"),
            "energy_per_classification_nj": p.cost(E_INF_ONLY), "area_mm2": p.cost("area_mm2_inference_only"),
            "cost_scope": p.scope}


def fair_overhead(exp: Experiment) -> dict[str, Any] | None:
    """What learning costs, two ways (docs/estimate.md §6): the base point's learning chip against
    (a) the same chip without learning and (b) the cheapest inference-only chip of the sweep whose
    weights, trained off chip (float BP, quantized: ``--offchip``), reach the learning chip's
    validation accuracy (means over seeds; cheapest by energy per classification, then area).
    Overheads in % of the inference-only chip: its energy per classification against the learning
    chip's per classification and per learning sample (every sample learns), and area. None without
    a base point, validation accuracy or off-chip accuracies."""
    base = next((p for p in exp.points if not p.overrides), None)
    if base is None or not base.has_val or base.cost("energy_per_learning_sample_nj") is None:
        return None
    cands = [p for p in exp.points if p.offchip_val[0] is not None and p.cost(E_INF_ONLY) is not None]
    if base not in cands:
        return None
    target = base.val_mean
    ok = [p for p in cands if p.offchip_val[0] >= target]
    inf = float("inf")
    best = min(ok, key=lambda p: (p.cost(E_INF_ONLY), p.cost("area_mm2_inference_only") or inf)) if ok else None

    def over(c: Point) -> dict[str, float | None]:
        e, a = c.cost(E_INF_ONLY), c.cost("area_mm2_inference_only")
        pct = lambda x, y: None if x is None or not y else 100.0 * (x / y - 1)  # noqa: E731
        return {"energy_per_classification_pct": pct(base.cost("energy_per_classification_nj"), e),
                "energy_per_learning_sample_pct": pct(base.cost("energy_per_learning_sample_nj"), e),
                "area_pct": pct(base.cost("area_mm2"), a)}
    out = {"learning_chip": {"point": base.label(), "val_accuracy": target, "val_std": base.val_std,
                             "val_ci95": base.val_ci, "test_accuracy": base.mean,
                             "energy_per_classification_nj": base.cost("energy_per_classification_nj"),
                             "energy_per_learning_sample_nj": base.cost("energy_per_learning_sample_nj"),
                             "area_mm2": base.cost("area_mm2"),
                             "learning_overhead_power_pct": base.cost("learning_overhead_power_pct"),
                             "learning_overhead_area_pct": base.cost("learning_overhead_area_pct"),
                             "cost_scope": base.scope},
           "a_same_chip_without_learning": {**_inference_chip(base), **over(base)},
           "b_cheapest_inference_only_chip": None if best is None else {**_inference_chip(best), **over(best)},
           "spoon": SPOON_OVERHEAD}
    if best is not None:  # cheaper chips that missed the accuracy but cannot be told apart from it
        out["b_cannot_tell_apart_from"] = [
            p.label() for p in cands if p.cost(E_INF_ONLY) < best.cost(E_INF_ONLY) and p.offchip_val[2] is not None
            and p.offchip_val[2][1] >= target]
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


def _scope_text(exp: Experiment) -> str:
    scopes = sorted({sc for p in exp.points for sc in p.scopes})
    from hwmodel.sweep import COST_SCOPES
    return "; ".join(f"{sc}: {COST_SCOPES.get(sc, sc)}" for sc in scopes) or "cost scope unknown"


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
    for i, p in enumerate(front):  # staggered: neighbours on the front overlap
        ax.annotate(short_label(p, exp.axes), (x(p), 100 * acc(p)), fontsize=6, xytext=(4, -9 - 8 * (i % 2)),
                    textcoords="offset points", color="tab:red")
    _ref_line(ax, exp, val)
    if axis != "memory":
        xlabel += " - " + ", ".join(sorted({sc for p in pts for sc in p.scopes})) + " costs"
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
        for i, p in enumerate(sorted(on, key=lambda p: p.energy_nj)):  # staggered: neighbours overlap
            ax.annotate(short_label(p, exp.axes), (p.energy_nj, p.cost(k)), fontsize=6, xytext=(5, 3 - 8 * (i % 3)),
                        textcoords="offset points", color="tab:red")
        ax.axhline(spoon, color="k", ls=":", lw=1, label=f"SPOON (published) {spoon} %")
        ax.set_xlabel("energy per classification (nJ)")
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


# ---- writing ---------------------------------------------------------------------------------------
def _pct(v) -> str:
    return "-" if v is None else f"{100 * v:.2f}"


def _ms(m, sd, one_seed: str = "n/a (1 seed)") -> str:
    """'mean ± std' in %; the std is 'n/a' with one seed."""
    if m is None:
        return "-"
    return f"{100 * m:.2f} ± {100 * sd:.2f}" if sd is not None else f"{100 * m:.2f} ± {one_seed}"


def _f(v: float | None, digits: int = 2) -> str:
    return "-" if v is None else f"{v:,.{digits}f}"


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
        if any(p.cost("energy_per_learning_sample_nj") is not None for p in exp.points):
            paras.append("Costs: " + _scope_text(exp) + ". Default technology table, 100 MHz, the "
                         "estimator's sample rate (docs/estimate.md); means over seeds of each run's own counters.")
            has_off = any(p.offchip_val[0] is not None for p in exp.points)
            tables.append(("What each point costs (sorted by energy per classification; overheads in % of the same "
                           "chip without learning, power when every sample learns at the row's rate)",
                           ["point", "val acc (%)", "E/classification (nJ)", "E/learning sample (nJ)",
                            "latency class./learn (µs)", "area (mm²)", "power overhead (%)", "area overhead (%)"]
                           + (["off-chip val acc (%)", "inference-only chip E/class. (nJ)",
                               "inference-only area (mm²)"] if has_off else []) + ["scope"],
                           [[p.label(), _ms(p.val_mean, p.val_std), _f(p.cost("energy_per_classification_nj")),
                             _f(p.cost("energy_per_learning_sample_nj")),
                             f"{_f(p.cost('latency_per_classification_us'), 1)} / "
                             f"{_f(p.cost('latency_per_learning_sample_us'), 1)}",
                             _f(p.cost("area_mm2"), 4), _f(p.cost("learning_overhead_power_pct"), 1),
                             _f(p.cost("learning_overhead_area_pct"), 1)]
                            + ([_ms(*p.offchip_val[:2]), _f(p.cost(E_INF_ONLY)),
                                _f(p.cost("area_mm2_inference_only"), 4)] if has_off else []) + [p.scope]
                            for p in sorted(exp.points, key=lambda p: p.energy_nj)]))
            fo = fair_overhead(exp)
            if fo is not None:
                L = fo["learning_chip"]
                rows = []
                for name, c in (("(a) the same chip without learning", fo["a_same_chip_without_learning"]),
                                ("(b) cheapest inference-only chip as accurate (off-chip trained)",
                                 fo["b_cheapest_inference_only_chip"])):
                    if c is None:
                        rows.append([name, "no point's off-chip validation accuracy reaches "
                                     f"{_pct(L['val_accuracy'])} %"] + ["-"] * 6)
                        continue
                    rows.append([name, c["point"], _ms(c["offchip_val_accuracy"], c["offchip_val_std"]),
                                 _f(c["energy_per_classification_nj"]), _f(c["area_mm2"], 4),
                                 _f(c["energy_per_classification_pct"], 1), _f(c["energy_per_learning_sample_pct"], 1),
                                 _f(c["area_pct"], 1)])
                rows.append(["SPOON (published, convention not stated)", "-", "-", "-", "-", "-",
                             f"{SPOON_OVERHEAD['power_pct']} (power)", SPOON_OVERHEAD["area_pct"]])
                unclear = fo.get("b_cannot_tell_apart_from") or []
                tables.append((f"Fair learning overhead: the learning chip {L['point']} (on-chip DRTP, validation "
                               f"{_ms(L['val_accuracy'], L['val_std'])} %, {_f(L['energy_per_classification_nj'])} nJ "
                               f"per classification, {_f(L['energy_per_learning_sample_nj'])} nJ per learning sample, "
                               f"{_f(L['area_mm2'], 4)} mm²) against inference-only chips"
                               + (f"; (b) cannot be told apart from {len(unclear)} cheaper chip(s) whose interval "
                                  f"reaches the accuracy: {'; '.join(unclear[:3])}" if unclear else ""),
                               ["against", "point", "off-chip val acc (%)", "E/classification (nJ)", "area (mm²)",
                                "overhead per classification (%)", "overhead per learning sample (%)",
                                "area overhead (%)"], rows))
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
        if any(p.cost("energy_per_learning_sample_nj") is not None for p in exp.points):
            images.append(("Validation accuracy vs energy per learning sample, with the Pareto front",
                           f"{prefix}pareto_learning_energy.png", plot_pareto(exp, "learning")))
        if any(p.cost("learning_overhead_power_pct") is not None for p in exp.points):
            images.append(("Learning overhead per point (power and area), with SPOON's published figures",
                           f"{prefix}learning_overhead.png", plot_overhead(exp)))
        secs.append(Section(f"Experiment {i}: {exp.title}", paras, tables, images))
    return secs


def _md_table(head: list[str], rows: list[list[Any]]) -> str:
    esc = lambda v: str(v).replace("|", "\\|")  # noqa: E731
    out = ["| " + " | ".join(map(esc, head)) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(map(esc, r)) + " |" for r in rows]
    return "\n".join(out)


def render_md(db: str, secs: list[Section]) -> str:
    from hwmodel.util.provenance import code_version
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
    from hwmodel.util.provenance import code_version
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
             "memory_bits", "weight_bits", *COST_KEYS, "cost_scope", "clock_mhz", "rate_hz", "power_mw",
             "cycles_per_inference_sample", "cycles_per_learning_sample",
             "n_train", "n_test", "wall_time", "worker", "finished_at")
OUT_FILES = ("report.md", "report.html", "results.csv", "results.json", "*.png")


def write_report(db: str | Path, out: str | Path) -> dict[str, Any]:
    """Write the report files into ``out`` as one set (temporary folder, then rename)."""
    from hwmodel.util.checks import atomic_dir, check_out_dir
    check_out_dir(out, OUT_FILES)
    check_db(db)
    exps = load(db)
    secs = build_sections(exps)
    with atomic_dir(out) as tmp:
        doc = _write_files(db, exps, secs, tmp)
    return doc


def _write_files(db, exps: list[Experiment], secs: list[Section], out: Path) -> dict[str, Any]:
    from hwmodel.util.provenance import version_info
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
                        **{k: p.cost(k) for k in COST_KEYS}, "offchip_val_std": p.offchip_val[1],
                        "offchip_val_ci95": p.offchip_val[2], "cost_scope": p.scope} for p in e.points],
            "pareto_front": [p.key for p in pareto_front(e.points, acc=_sel if e.has_val else (lambda p: p.mean))],
            "pareto_front_decided_on": "validation" if e.has_val else "test (rows without validation accuracy)",
            "cheapest_within": cheapest_within(e),
            "axis_minima": axis_minima(e),
            "fair_overhead": fair_overhead(e),
        })
    (out / "results.json").write_text(json.dumps(doc, indent=2, sort_keys=True))
    return doc


def main(argv=None) -> int:
    from hwmodel.util.checks import ctrl_c_raises
    ctrl_c_raises()
    from hwmodel.util.checks import EXIT_INTERRUPTED, OutputError, Parser, add_version
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
