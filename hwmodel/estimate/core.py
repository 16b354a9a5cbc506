"""The estimator: traffic, energy, power, area and the learning overhead of one configuration.

``estimate(cfg, ...)`` returns one JSON-ready dict (keys documented in docs/estimate.md §5).
Two designs are compared: the learning chip (``LEARNING = 1``) and the inference-only chip
(``LEARNING = 0``: no B LUT, no update units, no LFSRs). Their dynamic energy per classification
is the same (the same inference phases run); the learning chip additionally spends the learning
phases' energy on every training sample and leaks more (more area).
"""
from __future__ import annotations

import dataclasses
import re
import tempfile
from pathlib import Path

import numpy as np

from hwmodel.spec.config import Config
from hwmodel.spec.counters import counter_names
from hwmodel.spec.layers import b_name
from .area import read_liberty
from .libs import LibraryMissing
from .cacti import INSTALL as CACTI_INSTALL
from .energy import BLOCKS, action_table, energy_breakdown, measure_counters, memory_specs, traffic
from .memories import SRAM_MODELS
from .memories import cost as mem_cost
from .design import check_memories, chip_timing, rtl_files, synthesize_design
from .rate import DEFAULT_CLOCK_MHZ, SPOON_LATENCY_MS, resolve_rate
from .tech import Tech, load_tech
from .clocking import GATING, clock_costs
from .figures import (LEAKAGE_SILICON_FACTOR, LOGIC_ENERGY_FIELDS, RANGE_KEYS, SRAM_SILICON_FACTOR,  # noqa: F401
                      _pct, area_range_corners, energy_variants, figures, leakage_corners)

# docs/sources.md §5: SPOON (ISCAS 2020, pre-silicon figures)
SPOON = {"energy_per_classification_nj": 313.0, "area_mm2": 0.32, "vdd": 0.6,
         "learning_overhead_power_pct": 16.8, "learning_overhead_area_pct": 11.8,
         "energy_per_learning_sample_nj": 366.0, "learning_increment_nj": 52.6,   # 313 x 16.8 % (docs/sources.md §5)
         "latency_ms": SPOON_LATENCY_MS,
         "note": "SPOON does not state the overhead conventions (docs/sources.md §5): 16.8 % power reads as "
                 "% of inference-only (366 vs 313 nJ), 11.8 % area is 13.4 % of inference-only if it "
                 "is % of total"}
CLOCK_GATING = GATING     # none: as the RTL is; enable: a gate per enable / register-file word; memory: per bank


def memory_area(cfg: Config, tech: Tech, learning: bool) -> dict[str, dict]:
    """Per memory of the chip (the inference-only chip has no learning-only memory): kind,
    organisation, area (µm²), GE (register files), leakage (µW) and the model that costed it."""
    out = {}
    for name, m in memory_specs(cfg, tech).items():
        if m.learning_only and not learning:
            continue
        c = mem_cost(m, tech)
        out[name] = {"kind": m.kind, "depth": m.depth, "word_bits": m.width, "bits": m.bits,
                     "banks": m.banks, "ports": m.ports, "learning_only": m.learning_only,
                     "area_um2": c["area_um2"], "ge": c.get("ge", 0.0), "leakage_uw": c["leak_uw"],
                     "read_pj": c["read_pj"], "write_pj": c["write_pj"], "model": c["model"],
                     "access_ns": c.get("access_ns"), "cycle_ns": c.get("cycle_ns")}
    return out


def layer_of(name: str, cfg: Config) -> str:
    """The FC layer ("fc1" … "fc{K+1}") a memory or action component belongs to, else "shared"
    (the conv front end, the event port, control, the LFSR steps, the clock)."""
    if name == "sig_lut":
        return f"fc{cfg.depth + 1}"
    for k in range(1, cfg.depth + 2):
        if name.startswith(f"fc{k}_") or (k <= cfg.depth and name == b_name(k)):
            return f"fc{k}"
    return "shared"


def by_layer(cfg: Config, designs: dict, actions: list[dict], ge_um2: float) -> dict:
    """Area (both chips), logic GE and energy per classification / learning phases of every FC
    layer and of the shared rest."""
    keys = [f"fc{k}" for k in range(1, cfg.depth + 2)] + ["shared"]
    out = {k: {"area_mm2": 0.0, "area_mm2_inference_only": 0.0, "logic_ge": 0.0,
               "energy_per_classification_nj": 0.0, "learning_energy_nj": 0.0} for k in keys}
    for chip, akey in (("learning", "area_mm2"), ("inference_only", "area_mm2_inference_only")):
        D = designs[chip]
        for name, m in D["memories"].items():
            out[layer_of(name, cfg)][akey] += m["area_um2"] * 1e-6
        for lay, blocks in (D.get("logic_ge_by_layer") or {}).items():
            ge = sum(blocks.values())
            out[lay if lay in out else "shared"][akey] += ge * ge_um2 * 1e-6
            if chip == "learning":
                out[lay if lay in out else "shared"]["logic_ge"] += ge
    for a in actions:
        lay = layer_of(a["component"], cfg)      # fc{k}_datapath, fc{k}_update, ... start with fc{k}_
        out[lay]["energy_per_classification_nj"] += a["energy_pj"] * a["per_classification"] * 1e-3
        out[lay]["learning_energy_nj"] += a["energy_pj"] * a["per_learning_sample"] * 1e-3
    return out


def estimate(cfg: Config, tech: Tech | str | Path | None = None, *, samples: int = 100,
             train_samples: int = 500, rate: float | None = None, synth: bool = True,
             liberty: str | Path | None = None, rtl_dir: str | Path | None = None,
             cache: bool = True, counters=None, clock_mhz: float = DEFAULT_CLOCK_MHZ,
             sram_model: str | None = None, clock_gating: str = "none", timing: bool = False,
             liberty_node_nm: float | None = None, learn_every: int = 1) -> dict:
    """Full estimate (see module doc). ``counters`` = (inference per sample, learning per sample,
    info), or a function returning them (called after the inputs are checked), skips the model
    run (the sweep, a user's trained chip, tests). ``rate``: classifications per second for
    power and leakage; None: SPOON's rate (one per 0.12 ms) or the processor's own throughput at
    ``clock_mhz`` if that is lower (key ``rate_source`` says which; ``default_rate``).
    ``clock_mhz``: the processor clock; the cycle-exact model's cycles per sample give the
    latencies, and leakage is charged per sample over its own duration. ``sram_model``: "cacti",
    "fit" or "auto" (default: the table's). ``clock_gating`` (``clocking.py``): "none" (every
    flip-flop and register-file bit clocked on every busy cycle, as the RTL is), "enable" (a clock
    gate per enable net and per register-file word) or "memory" (per register-file bank); the
    ranges span all three either way. ``timing``: synthesize
    both chips flattened and mapped to ``liberty`` (default: the OSU 0.18 µm library the set-up
    installs, ``libs.default_liberty``), whose node is ``liberty_node_nm`` (default: 180 nm for
    the default library, 45 nm for a given one), and check the clock
    against the critical path (``timing.py``; key ``timing``). ``learn_every`` = N >= 1: one
    sample in N learns (the power figures and overheads; ``_figures``)."""
    if isinstance(learn_every, bool) or not isinstance(learn_every, int) or learn_every < 1:
        raise ValueError(f"--learn-every must be an integer >= 1 (one sample in N learns), got {learn_every!r}")
    tech, timing_lib, liberty_node_nm, ff = _check_inputs(tech, rate, clock_mhz, clock_gating, sram_model, liberty,
                                                          synth, rtl_dir, timing, liberty_node_nm)
    if counters is None:
        inf_ps, lrn_ps, info = measure_counters(cfg, samples, train_samples)
    else:
        inf_ps, lrn_ps, info = counters() if callable(counters) else counters
    per = np.vstack([inf_ps[0], lrn_ps[1]])
    # the training-state end of the brackets: the same digits on a fresh (untrained) chip
    fresh = None
    if counters is None and train_samples > 0:
        f_inf, f_lrn, _ = measure_counters(cfg, samples, 0)
        fresh = (np.vstack([f_inf[0], f_lrn[1]]), f_inf[0], f_lrn[0] + f_lrn[1])
    ci = counter_names(cfg).index("cycles")
    cyc_class = float(inf_ps[0][ci])
    cyc_learn = float(lrn_ps[0][ci] + lrn_ps[1][ci])      # the inference phases, then the update
    t_class_us, t_learn_us = cyc_class / clock_mhz, cyc_learn / clock_mhz
    notes: list[str] = []
    rate, rate_source = resolve_rate(rate, cyc_class, clock_mhz, notes)
    if train_samples <= 0:
        notes.append("learning-sample figures measured on a fresh (untrained) chip")
    notes += _sram_notes(cfg, tech)
    designs, synth_info = _designs(cfg, tech, synth, rtl_dir, liberty, cache, notes)
    # clock energy: every storage bit (logic flip-flops and register files) by its gating
    # (clocking.py); the ranges span every gating. Without synthesis: no clock energy.
    clk = {k: clock_costs(cfg, tech, synth_info[k], clock_gating, k == "learning") if synth else ({}, None)
           for k in ("learning", "inference_only")}
    en = energy_breakdown(cfg, per, tech, clock=clk["learning"][0])
    en_i = energy_breakdown(cfg, per, tech, clock=clk["inference_only"][0])
    if liberty is not None:
        notes.append(f"logic area from liberty '{liberty}' in that library's µm² (not scaled to "
                     f"{tech.node_nm:g} nm); memories from the technology table")
    e_inf = en["inference"]["total_nj"]
    e_lrn = en["learning"]["total_nj"]
    L, I = designs["learning"], designs["inference_only"]
    nom = figures(en, en_i, L["leakage_uw"], I["leakage_uw"], t_class_us, t_learn_us, rate, learn_every)
    # SRAM macros that cannot run at the clock (CACTI's random cycle time)
    period_ns = 1e3 / clock_mhz
    for name, m in L["memories"].items():
        c = m.get("cycle_ns")
        if c is not None and c > period_ns:
            notes.append(f"clock {clock_mhz:g} MHz: SRAM {name} needs {c:.2f} ns per access (CACTI), "
                         f"{c - period_ns:.2f} ns more than the {period_ns:.2f} ns period")
    timing_res = None
    if timing:
        timing_res = chip_timing(cfg, tech, L, timing_lib, ff, liberty_node_nm, clock_mhz, rtl_dir, cache, notes)
    p_train, p_infer_only = nom["power_training_uw"], nom["power_inference_only_uw"]
    p_class_learning_chip = rate * e_inf * 1e-3 + L["leakage_uw"]
    p_peak = max(e_inf / t_class_us, (e_inf + e_lrn) / t_learn_us) * 1e3 + L["leakage_uw"]
    block_power_overhead = {}
    for b in BLOCKS:
        block_power_overhead[b] = (rate * (en["inference"]["blocks"][b] + en["learning"]["blocks"][b]
                                           - en_i["inference"]["blocks"][b]) * 1e-3
                                   + L["leakage_uw_by_block"][b] - I["leakage_uw_by_block"][b])
    block_area_overhead = {b: L["area_mm2_by_block"][b] - I["area_mm2_by_block"][b] for b in BLOCKS}
    d_area = L["area_mm2"] - I["area_mm2"]
    # ranges: every corner of (logic scaling rule) x (SRAM calibration) x (clock gating) x (clock
    # tree) x (trained / fresh chip) x (leakage: nominal, logic at the high device, all leakage
    # at the silicon calibration) for the energies and power overheads; (CACTI / fit SRAM area)
    # x (NAND2 area rule) x (placement utilisation) for the areas (figures.area_range_corners)
    states = [(per, cyc_class, cyc_learn)]
    if fresh is not None:
        states.append((fresh[0], float(fresh[1][ci]), float(fresh[2][ci])))
    variants = energy_variants(tech)
    trees = sorted({tech.c["clock_tree"]["fraction"], tech.c["clock_tree"]["fraction_high"]})
    leaks = leakage_corners(tech, L, I)
    corners = []
    for _, tv in variants:
        for g in (CLOCK_GATING if synth else ("none",)):
            for tr in (trees if synth else trees[:1]):
                ck = {k: clock_costs(cfg, tv, synth_info[k], g, k == "learning", tr)[0] if synth else {}
                      for k in ("learning", "inference_only")}
                for p_, cc, cl in states:
                    e_l = energy_breakdown(cfg, p_, tv, clock=ck["learning"])
                    e_i = energy_breakdown(cfg, p_, tv, clock=ck["inference_only"])
                    for ll, li in leaks:
                        corners.append(figures(e_l, e_i, ll, li, cc / clock_mhz, cl / clock_mhz, rate, learn_every))
    area_corners, alt_mem, ge_ratio = area_range_corners(cfg, tech, L, I, liberty)
    ranges = {}
    for k in RANGE_KEYS:
        vals = [c[k] for c in (area_corners if k.startswith("area") or "area" in k else corners)
                if c.get(k) is not None]
        ranges[f"{k}_range"] = [min(vals), max(vals)] if vals else None
    actions = action_table(cfg, per, tech, clock=clk["learning"][0])
    return {
        "config": cfg.name,
        "tech": {"name": tech.name, "file": tech.path, "node_nm": tech.node_nm, "vdd": tech.vdd},
        "measurement": info,
        "rate_hz": rate,
        "rate_source": rate_source,
        "clock_mhz": clock_mhz,
        "clock_gating": clock_gating,
        "clocking": {k: v[1] for k, v in clk.items()} if synth else None,
        "cycles_per_classification": cyc_class,
        "cycles_per_learning_sample": cyc_learn,
        "latency_per_classification_us": t_class_us,
        "latency_per_learning_sample_us": t_learn_us,
        "energy_per_classification_nj": nom["energy_per_classification_nj"],
        "energy_per_classification_dynamic_nj": e_inf,
        "energy_per_classification_inference_only_chip_nj":
            en_i["inference"]["total_nj"] + I["leakage_uw"] * t_class_us * 1e-3,
        "energy_per_learning_sample_nj": nom["energy_per_learning_sample_nj"],
        "learning_extra_energy_nj": nom["learning_extra_energy_nj"],
        "energy_per_training_sample_nj": nom["energy_per_learning_sample_nj"],
        "leakage_energy_nj": {"classification": L["leakage_uw"] * t_class_us * 1e-3,
                              "learning_sample": L["leakage_uw"] * t_learn_us * 1e-3},
        "power_mw": p_class_learning_chip * 1e-3,
        "power_mw_peak": p_peak * 1e-3,
        "energy_nj_by_block": {"inference": en["inference"]["blocks"], "learning": en["learning"]["blocks"]},
        "energy_nj_by_memory": {"inference": en["inference"]["memories"], "learning": en["learning"]["memories"]},
        "energy_nj_by_counter": {"inference": en["inference"]["counters"], "learning": en["learning"]["counters"]},
        "power_uw": {"training": p_train, "classification_learning_chip": p_class_learning_chip,
                     "inference_only_chip": p_infer_only,
                     "leakage_learning_chip": L["leakage_uw"], "leakage_inference_only_chip": I["leakage_uw"]},
        "area_mm2": L["area_mm2"],
        "area_mm2_inference_only": I["area_mm2"],
        "area_includes_logic": bool(synth),
        "designs": designs,
        "synthesis": synth_info or None,
        "timing": timing_res,
        "learn_every": learn_every,
        "learning_overhead_power_pct": nom["learning_overhead_power_pct"],
        "learning_overhead_power_pct_of_total": nom["learning_overhead_power_pct_of_total"],
        "learning_overhead_power_same_chip_pct": nom["learning_overhead_power_same_chip_pct"],
        "learning_overhead_energy_same_chip_pct": nom["learning_overhead_energy_same_chip_pct"],
        # absolute increments: what learning adds, beside the percentages of different bases
        "learning_increment_nj": nom["learning_extra_energy_nj"],
        "learning_increment_over_inference_only_chip_nj":
            nom["energy_per_learning_sample_nj"] - (en_i["inference"]["total_nj"] + I["leakage_uw"] * t_class_us * 1e-3),
        "learning_increment_area_mm2": d_area,
        "learning_overhead_area_pct": _pct(d_area, I["area_mm2"]),
        "learning_overhead_area_pct_of_total": _pct(d_area, L["area_mm2"]),
        "learning_overhead_by_block": {
            b: {"power_uw": block_power_overhead[b], "area_mm2": block_area_overhead[b],
                "power_pct_of_inference_only": _pct(block_power_overhead[b], p_infer_only),
                "area_pct_of_inference_only": _pct(block_area_overhead[b], I["area_mm2"])}
            for b in BLOCKS},
        **ranges,
        "range_brackets": {
            "energy": [n for n, _ in variants] + (["fresh chip"] if fresh is not None else [])
            + ([f"clock gating {', '.join(CLOCK_GATING)} (every storage bit clocked: logic flip-flops and "
                "register files)", "clock tree fanout 8 or 4"] if synth else [])
            + ["leakage: nominal, logic and register files at the high device (gate_leakage.nw_per_ge_high), "
               f"all leakage x{LEAKAGE_SILICON_FACTOR:g} (silicon calibration)"],
            "area": ["CACTI or fit SRAM area" if alt_mem else "SRAM area as costed",
                     "placement utilisation " + ", ".join(f"{u:g}" for u in sorted(
                         {tech.utilisation, tech.c["placement"]["utilisation_low"], 1.0})),
                     f"NAND2 area x1 or x{ge_ratio:.3f} (classical (node/45)^2 rule)"]},
        "traffic": traffic(cfg, per, tech),
        "actions": actions,
        "by_layer": by_layer(cfg, designs, actions,
                             (synth_info.get("learning", {}).get("nand2_area_um2") or tech.ge_um2) / tech.utilisation),
        "spoon_reference": SPOON,
        "tech_sources": tech.sources(),
        "notes": notes,
    }


def _check_inputs(tech, rate, clock_mhz, clock_gating, sram_model, liberty, synth, rtl_dir, timing, liberty_node_nm):
    """Every option checked before the model run and synthesis; returns (the technology table,
    the timing library, its node, the flip-flop timing of the library) (the last three None
    without --timing)."""
    if rate is not None and not rate > 0:
        raise ValueError(f"--rate must be > 0, got {rate}")
    if not clock_mhz > 0:
        raise ValueError(f"--clock must be > 0 MHz, got {clock_mhz}")
    if clock_gating not in CLOCK_GATING:
        raise ValueError(f"--clock-gating must be one of {', '.join(CLOCK_GATING)}, got {clock_gating!r}")
    tech = tech if isinstance(tech, Tech) else load_tech(tech)
    if sram_model is not None:
        if sram_model not in SRAM_MODELS:
            raise ValueError(f"--sram must be one of {', '.join(SRAM_MODELS)}, got {sram_model!r}")
        tech = dataclasses.replace(tech, sram_model=sram_model)
    if tech.sram_model == "cacti":
        from .cacti import find_cacti
        find_cacti()                       # fail before the model run and synthesis
    if liberty is not None:  # fail early, before the model run and synthesis
        with tempfile.TemporaryDirectory(prefix="hwmodel-lib-") as td:
            read_liberty(liberty, Path(td))
    if synth:
        rtl_files(rtl_dir)
    if not timing:
        return tech, None, liberty_node_nm, None
    from .libs import OSU018_NODE_NM, default_liberty
    from .timing import flipflop_timing
    if not synth:
        raise ValueError("--timing needs synthesis: leave out --no-synth")
    try:
        timing_lib = liberty if liberty is not None else default_liberty()
    except LibraryMissing as e:
        raise ValueError(f"--timing: {e}") from None
    if liberty_node_nm is None:
        liberty_node_nm = 45.0 if liberty is not None else OSU018_NODE_NM
    with tempfile.TemporaryDirectory(prefix="hwmodel-lib-") as td:
        read_liberty(timing_lib, Path(td))
    ff = flipflop_timing(timing_lib)   # a library without the flip-flop tables fails here
    from .scaling import delay_factor
    try:                               # a node or supply outside the delay fits, before any work
        delay_factor(liberty_node_nm, ff["nom_voltage"], tech.node_nm, tech.vdd)
    except ValueError as e:
        raise ValueError(f"--timing: {e}") from None
    return tech, timing_lib, liberty_node_nm, ff


def _sram_notes(cfg: Config, tech: Tech) -> list[str]:
    """What the SRAM model could not cost from its own data (fallbacks, extrapolation, scaling)."""
    notes = []
    by_cacti = []
    for name, m in memory_specs(cfg, tech).items():
        if m.kind != "sram":
            continue
        c = mem_cost(m, tech)
        if c["model"] != "fit":
            by_cacti.append(name)
        if c["model"] == "fit":
            if c.get("fallback"):
                notes.append(f"SRAM {name}: {c['fallback']}, costed by the fit of the technology table "
                             f"({CACTI_INSTALL})")
            kb = m.rows * m.width / 8192
            if not (0.5 <= kb <= 64 and 8 <= m.width <= 128):
                notes.append(f"SRAM {name} (banks of {m.rows}x{m.width}, {kb:.1f} KB) is outside the fit's "
                             f"CACTI data (0.5-64 KB, 8-128-bit words): its energy and area are extrapolated")
        elif c.get("scaled"):
            notes.append(f"SRAM {name} ({m.rows}x{m.width} per bank) is below CACTI's smallest array: "
                         f"costed as {c['scaled']['costed']['rows']}x{c['scaled']['costed']['width']} and scaled")
    if by_cacti and tech.path != load_tech().path:     # a user's table (``path`` names its file)
        notes.append(f"{tech.path}: its SRAM entries (sram_read, sram_write, sram_leakage, "
                     f"sram_area: the fit) are not used for {', '.join(by_cacti)}, which CACTI 7 costs; "
                     f"--sram fit uses them")
    return notes


def _designs(cfg: Config, tech: Tech, synth: bool, rtl_dir, liberty, cache: bool,
             notes: list[str]) -> tuple[dict, dict]:
    """Area and leakage by block of the learning and the inference-only chip (memories from the
    table, logic from synthesis), and what synthesis found (cells, flip-flops)."""
    designs = {}
    synth_info = {}
    for learning in (True, False):
        key = "learning" if learning else "inference_only"
        mems = memory_area(cfg, tech, learning)
        area_um2 = {b: 0.0 for b in BLOCKS}
        leak_uw = {b: 0.0 for b in BLOCKS}
        area_um2["memories"] = sum(m["area_um2"] for m in mems.values())
        leak_uw["memories"] = sum(m["leakage_uw"] for m in mems.values())
        logic_ge = None
        if synth:
            syn = synthesize_design(cfg, learning, rtl_dir=rtl_dir, liberty=liberty, cache=cache)
            logic_ge = {b: float(v) for b, v in syn.ge_by_block.items()}
            for b, ge in logic_ge.items():
                b2 = b if b in area_um2 else "control"
                um2 = (syn.area_um2_by_block[b] / tech.utilisation if syn.area_um2_by_block is not None
                       else tech.placed_um2(ge))
                area_um2[b2] += um2
                leak_uw[b2] += ge * tech.c["gate_leakage"]["nw_per_ge"] * 1e-3
            ffs = {t: n for t, n in syn.cells.items() if re.search(r"(?i)dff|__df", t)}
            plain = sum(n for t, n in ffs.items() if not t.split("_")[1].endswith("E"))
            synth_info[key] = {"mode": syn.mode, "total_ge": syn.total_ge, "ge_by_block": logic_ge,
                               "cells": sum(syn.cells.values()),
                               "nand2_area_um2": syn.nand2_area_um2 or tech.ge_um2,
                               "flipflops": sum(ffs.values()), "flipflops_without_enable": plain,
                               "enable_groups": syn.enable_groups}
            notes += [f"{key}: {n}" for n in check_memories(syn, cfg, learning)]
        placed = sum(area_um2.values()) - area_um2["memories"] + sum(
            m["area_um2"] for m in mems.values() if m["kind"] == "regfile")
        designs[key] = {"area_mm2": sum(area_um2.values()) * 1e-6, "placed_area_mm2": placed * 1e-6,
                        "area_mm2_by_block": {b: v * 1e-6 for b, v in area_um2.items()},
                        "leakage_uw": sum(leak_uw.values()), "leakage_uw_by_block": leak_uw,
                        "memories": mems, "logic_ge_by_block": logic_ge,
                        "logic_ge_by_layer": syn.ge_by_layer if synth else None}
    if not synth:
        notes.append("--no-synth: logic area, logic leakage and clock energy are not included (memories only)")
    return designs, synth_info
