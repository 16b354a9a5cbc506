"""The report's sections, the same for Markdown and HTML: one per experiment, with its tables
and figures."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from hwmodel.util.stats import t_interval as t_stats  # one t interval for the whole project
from hwmodel.report.analysis import (E_INF_ONLY, NO_VAL, SPOON_OVERHEAD, axis_minima, cheapest_within, fair_overhead,
                                     pareto_front, selection_accuracy)
from hwmodel.report.load import Experiment
from hwmodel.report.plots import plot_axis, plot_depth, plot_overhead, plot_pareto, scope_text


Table = tuple[str, list[str], list[list[Any]]]  # (caption, header, rows)


def _pct(v) -> str:
    return "-" if v is None else f"{100 * v:.2f}"


def fmt_ms(m, sd, one_seed: str = "n/a (1 seed)") -> str:
    """'mean ± std' in %; the std is 'n/a' with one seed."""
    if m is None:
        return "-"
    return f"{100 * m:.2f} ± {100 * sd:.2f}" if sd is not None else f"{100 * m:.2f} ± {one_seed}"


def _f(v: float | None, digits: int = 2) -> str:
    return "-" if v is None else f"{v:,.{digits}f}"


def fmt_ci(ci) -> str:
    return "-" if ci is None else f"[{100 * ci[0]:.2f}, {100 * ci[1]:.2f}]"


def _fname(axis: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in axis)


@dataclass
class Section:
    title: str
    paragraphs: list[str]
    tables: list[Table]
    images: list[tuple[str, str, bytes]]  # (caption, file name, png)
    answer: tuple[str, ...] = ()          # the experiment's answer in words, shown first
    lead: str | None = None               # the file name of the figure shown with the answer

    def lead_image(self) -> tuple[str, str, bytes] | None:
        return next((im for im in self.images if im[1] == self.lead), None)

    def other_images(self) -> list[tuple[str, str, bytes]]:
        return [im for im in self.images if im[1] != self.lead]


def build_sections(exps: list[Experiment]) -> list[Section]:
    """One section per experiment: its paragraphs, tables (in the order below) and figures."""
    secs = []
    for i, exp in enumerate(exps, 1):
        paras = _paragraphs(exp)
        tables = [_cheapest_table(exp), _axis_minima_table(exp), _points_table(exp)]
        if any(p.cost("energy_per_learning_sample_nj") is not None for p in exp.points):
            paras.append("Costs: " + scope_text(exp) + ". Default technology table, 100 MHz, the "
                         "estimator's sample rate (docs/estimate.md); means over seeds of each run's own counters.")
            tables += [_costs_table(exp), _fair_overhead_table(exp)]
        tables.append(_depth_table(exp))
        secs.append(Section(f"Experiment {i}: {exp.title}", paras, [t for t in tables if t is not None],
                            _images(exp, f"exp{i}_"), tuple(_answer(exp)), f"exp{i}_pareto.png"))
    return secs


def _answer(exp: Experiment) -> list[str]:
    """The experiment's answer before any table: the cheapest point within each tolerance of the
    float reference on validation (or that none reaches it), and whether the sweep is complete."""
    out = []
    if exp.unfinished:
        out.append(f"Incomplete sweep ({len(exp.runs)} runs here): the answer covers only these runs.")
    rows = cheapest_within(exp)
    if exp.float_acc is None or not exp.has_val:
        best = max(exp.points, key=lambda p: (p.val_mean if p.val_mean is not None else p.mean, -p.memory_bits))
        out.append(f"Answer: no float reference with validation accuracy to compare with; the most accurate "
                   f"point is {best.label()} ({best.memory_bits:,} memory bits, test {fmt_ms(best.mean, best.std)} %).")
        return out
    fv = exp.float_val_stats[0]
    groups: dict[str | None, list[dict[str, Any]]] = {}   # tolerances with the same answer, said once
    for r in rows:
        groups.setdefault(r.get("point"), []).append(r)
    for point, rs in groups.items():
        tols = " or ".join(f"{r['tolerance_pp']}" for r in rs)
        head = f"Answer within {tols} pp of the float reference ({_pct(fv)} % on validation): "
        if point is None:
            best = max(exp.points, key=lambda p: p.val_mean)
            out.append(head + f"no point reaches it; the best is {best.label()} at "
                       f"{fmt_ms(best.val_mean, best.val_std)} % ({100 * (fv - best.val_mean):.2f} pp below).")
            continue
        r = rs[0]
        out.append(head + f"{point}, {r['memory_bits']:,} memory bits, validation "
                   f"{fmt_ms(r['val_accuracy'], r['val_std'])} % (test {fmt_ms(r['test_accuracy'], r['std'])} %, reported)"
                   + (f"; {len(r['cannot_tell_apart_from'])} cheaper point(s) cannot be told apart from it"
                      if r["cannot_tell_apart_from"] else "") + ".")
    return out


def _paragraphs(exp: Experiment) -> list[str]:
    """What the experiment holds, its code versions, how to read it, its float reference."""
    fa = exp.float_acc
    n_seeds = sorted({len(p.accs) for p in exp.points})
    paras = [f"{len(exp.points)} points, {len(exp.runs)} runs ("
             f"{'/'.join(map(str, n_seeds))} seed{'s' * (n_seeds != [1])} per point), "
             f"swept axes: {', '.join(exp.axes) or 'none'}."]
    for u in exp.unfinished:
        paras.append(f"INCOMPLETE: {u}. Every figure below, the recommendations too, covers only the runs "
                     f"that are here.")
    if exp.skipped:
        paras.append(f"LEFT OUT: {len(exp.skipped)} corrupt row{'s' * (len(exp.skipped) != 1)} of the database "
                     f"(not a measurement; rerun the sweep after deleting them): " + "; ".join(exp.skipped) + ".")
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
                     f"validation {fmt_ms(vm, vsd)} % {fmt_ci(vci)}, test {fmt_ms(fm, fsd)} % {fmt_ci(fci)}, "
                     f"train {_pct(t_stats([r['float_train_accuracy'] for r in exp.reference])[0])} %; "
                     f"the integer base trained in the same runs: test {fmt_ms(base_test[0], base_test[1])} %.")
    else:
        paras.append("No float reference in the database for this experiment.")
    part = "val" if exp.baseline("linear_val_accuracy")[0] is not None else "test"
    lin, frz = exp.baseline(f"linear_{part}_accuracy"), exp.baseline(f"frozen_{part}_accuracy")
    if lin[0] is not None:
        bits = exp.baseline("linear_memory_bits")[0]
        e = exp.baseline("linear_energy_per_classification_nj")[0]
        where = "on validation (test {} %)".format(fmt_ms(*exp.baseline("linear_test_accuracy")[:2])) \
            if part == "val" else "on test (no validation split)"
        frozen = "" if frz[0] is None else (
            f"; the base chip with its hidden layers frozen (only the output layer learning) {fmt_ms(*frz[:2])} %"
            + (f" (test {fmt_ms(*exp.baseline('frozen_test_accuracy')[:2])} %)" if part == "val" else ""))
        paras.append("What learning in the hidden layers buys (baselines trained beside the base chip, same seeds, "
                     "data and conv front end): the linear read-out chip (no hidden layer"
                     + (f"; {bits / 1000:,.1f} kbit, {e:.2f} nJ per classification" if bits and e else "")
                     + f") reaches {fmt_ms(*lin[:2])} % {where}{frozen}. Both are drawn on the Pareto plots.")
    if fa is not None and not exp.has_val:
        paras.append("No recommendation: " + NO_VAL + ".")
    return paras


def _cheapest_row(r: dict[str, Any]) -> list[Any]:
    if "point" not in r:
        return [r["tolerance_pp"], "none reaches it" if "note" not in r else "no validation data"] + ["-"] * 7
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
    return [r["tolerance_pp"], r["point"], r["memory_bits"], r["weight_bits"],
            fmt_ms(r["val_accuracy"], r["val_std"]), fmt_ci(r["val_ci95"]), f"{r['val_gap_pp']:+.2f}",
            fmt_ms(r["test_accuracy"], r["std"]), "; ".join(notes) or "-"]


def _cheapest_table(exp: Experiment) -> Table:
    fv = exp.float_val_stats[0]
    return ("Cheapest configuration (fewest memory bits) whose mean validation accuracy is within a "
            "tolerance of the float reference's" + (f" ({_pct(fv)} %)" if fv is not None else ""),
            ["within (pp)", "point", "memory bits", "FC weight bits", "val acc (%) mean ± std",
             "val 95 % interval", "val gap to float (pp)", "test acc (%) (reported)",
             "can it be told apart?"], [_cheapest_row(r) for r in cheapest_within(exp)])


def _axis_minima_table(exp: Experiment) -> Table | None:
    am = axis_minima(exp)
    if not am:
        return None
    return ("Fewest bits per axis within a tolerance of the float reference (validation accuracy)",
            ["axis", "within (pp)", "fewest bits (any point)", "that point", "fewest bits (other axes at base)"],
            [[r["axis"], r["tolerance_pp"], r["fewest_bits_any"] if r["fewest_bits_any"] else "-",
              r["point_any"] or "-",
              r["fewest_bits_others_at_base"] if r["fewest_bits_others_at_base"] else "-"] for r in am])


def _points_table(exp: Experiment) -> Table:
    fa = exp.float_acc
    front = {p.key for p in pareto_front(exp.points, acc=selection_accuracy if exp.has_val else (lambda p: p.mean))}
    rows = sorted(exp.points, key=lambda p: (p.memory_bits, -p.mean))
    return ("All points (sorted by memory bits; * = on the Pareto front of validation accuracy vs memory bits)",
            ["point", "memory bits", "FC weight bits", "seeds", "val acc (%) mean ± std",
             "val 95 % interval", "test acc (%) mean ± std", "test 95 % interval",
             "train acc (%)", "test gap to float (pp)", "Pareto"],
            [[p.label(), p.memory_bits, p.weight_bits, len(p.accs), fmt_ms(p.val_mean, p.val_std),
              fmt_ci(p.val_ci), fmt_ms(p.mean, p.std), fmt_ci(p.ci),
              _pct(p.train_mean), f"{100 * (fa - p.mean):+.2f}" if fa is not None else "-",
              "*" if p.key in front else ""] for p in rows])


def _costs_table(exp: Experiment) -> Table:
    has_off = any(p.offchip_val[0] is not None for p in exp.points)
    return ("What each point costs (sorted by energy per classification; overheads in % of the same "
            "chip without learning, power when every sample learns at the row's rate)",
            ["point", "val acc (%)", "E/classification (nJ)", "E/learning sample (nJ)",
             "latency class./learn (µs)", "area (mm²)", "power overhead (%)", "area overhead (%)"]
            + (["off-chip val acc (%)", "inference-only chip E/class. (nJ)",
                "inference-only area (mm²)"] if has_off else []) + ["scope"],
            [[p.label(), fmt_ms(p.val_mean, p.val_std), _f(p.cost("energy_per_classification_nj")),
              _f(p.cost("energy_per_learning_sample_nj")),
              f"{_f(p.cost('latency_per_classification_us'), 1)} / "
              f"{_f(p.cost('latency_per_learning_sample_us'), 1)}",
              _f(p.cost("area_mm2"), 4), _f(p.cost("learning_overhead_power_pct"), 1),
              _f(p.cost("learning_overhead_area_pct"), 1)]
             + ([fmt_ms(*p.offchip_val[:2]), _f(p.cost(E_INF_ONLY)),
                 _f(p.cost("area_mm2_inference_only"), 4)] if has_off else []) + [p.scope]
             for p in sorted(exp.points, key=lambda p: p.energy_nj)])


def _fair_overhead_table(exp: Experiment) -> Table | None:
    fo = fair_overhead(exp)
    if fo is None:
        return None
    L = fo["learning_chip"]
    rows = []
    for name, c in (("(a) the same chip without learning", fo["a_same_chip_without_learning"]),
                    ("(b) cheapest inference-only chip as accurate (off-chip trained)",
                     fo["b_cheapest_inference_only_chip"])):
        if c is None:
            rows.append([name, "no point's off-chip validation accuracy reaches "
                         f"{_pct(L['val_accuracy'])} %"] + ["-"] * 6)
            continue
        rows.append([name, c["point"], fmt_ms(c["offchip_val_accuracy"], c["offchip_val_std"]),
                     _f(c["energy_per_classification_nj"]), _f(c["area_mm2"], 4),
                     _f(c["energy_per_classification_pct"], 1), _f(c["energy_per_learning_sample_pct"], 1),
                     _f(c["area_pct"], 1)])
    rows.append(["SPOON (published, convention not stated)", "-", "-", "-", "-", "-",
                 f"{SPOON_OVERHEAD['power_pct']} (power)", SPOON_OVERHEAD["area_pct"]])
    unclear = fo.get("b_cannot_tell_apart_from") or []
    return (f"Fair learning overhead: the learning chip {L['point']} (on-chip DRTP, validation "
            f"{fmt_ms(L['val_accuracy'], L['val_std'])} %, {_f(L['energy_per_classification_nj'])} nJ "
            f"per classification, {_f(L['energy_per_learning_sample_nj'])} nJ per learning sample, "
            f"{_f(L['area_mm2'], 4)} mm²) against inference-only chips"
            + (f"; (b) cannot be told apart from {len(unclear)} cheaper chip(s) whose interval "
               f"reaches the accuracy: {'; '.join(unclear[:3])}" if unclear else ""),
            ["against", "point", "off-chip val acc (%)", "E/classification (nJ)", "area (mm²)",
             "overhead per classification (%)", "overhead per learning sample (%)", "area overhead (%)"], rows)


def _depth_table(exp: Experiment) -> Table | None:
    if len({p.depth for p in exp.points}) <= 1:
        return None
    by_depth = sorted(exp.points, key=lambda p: (p.depth, p.memory_bits))
    return ("Accuracy by depth (0 hidden layers = the linear read-out; sizes of the hidden layers)",
            ["hidden layers", "sizes", "point", "memory bits", "FC weight bits", "seeds",
             "val acc (%) mean ± std", "test acc (%) mean ± std", "test 95 % interval"],
            [[p.depth, p.sizes, p.label(), p.memory_bits, p.weight_bits, len(p.accs),
              fmt_ms(p.val_mean, p.val_std), fmt_ms(p.mean, p.std), fmt_ci(p.ci)] for p in by_depth])


def _images(exp: Experiment, prefix: str) -> list[tuple[str, str, bytes]]:
    """(caption, file name, PNG) of every figure of the experiment."""
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
    return images
