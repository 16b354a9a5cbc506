"""What the report decides, on validation accuracy with its uncertainty: the Pareto front, the
cheapest point within each tolerance of the float reference, the fewest bits per axis, the fair
learning overhead."""
from __future__ import annotations

from typing import Any

from hwmodel.estimate.core import SPOON  # SPOON's published figures (docs/sources.md §5)
from hwmodel.spec.precision import Precision, PrecisionError
from hwmodel.report.load import Experiment, Point


TOLERANCES_PP = (0.5, 1.0, 2.0)
SPOON_OVERHEAD = {"power_pct": SPOON["learning_overhead_power_pct"], "area_pct": SPOON["learning_overhead_area_pct"]}


def overlap(a: list[float] | None, b: list[float] | None) -> bool | None:
    """Whether two intervals overlap (None when one is unknown)."""
    if a is None or b is None:
        return None
    return a[0] <= b[1] and b[0] <= a[1]


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


def selection_accuracy(p: Point) -> float:
    """The accuracy recommendations are decided on: mean validation accuracy (mean test accuracy
    only for rows made before validation splits, which the report then flags)."""
    return p.val_mean if p.has_val else p.mean


def pareto_front(points: list[Point], cost=lambda p: p.memory_bits, acc=selection_accuracy) -> list[Point]:
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
