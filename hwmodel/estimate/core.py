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
from .design import check_memories, critical_path_design, rtl_files, synthesize_design
from .rate import DEFAULT_CLOCK_MHZ, SPOON_LATENCY_MS, resolve_rate
from .tech import Tech, load_tech

# docs/sources.md §5: SPOON (ISCAS 2020, pre-silicon figures)
SPOON = {"energy_per_classification_nj": 313.0, "area_mm2": 0.32, "vdd": 0.6,
         "learning_overhead_power_pct": 16.8, "learning_overhead_area_pct": 11.8,
         "energy_per_learning_sample_nj": 366.0, "learning_increment_nj": 52.6,   # 313 x 16.8 % (docs/sources.md §5)
         "latency_ms": SPOON_LATENCY_MS,
         "note": "SPOON does not state the overhead conventions (docs/sources.md §5): 16.8 % power reads as "
                 "% of inference-only (366 vs 313 nJ), 11.8 % area is 13.4 % of inference-only if it "
                 "is % of total"}
CLOCK_GATING = ("none", "enable")


def _pct(a: float, b: float) -> float | None:
    return 100.0 * a / b if b else None


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


# the brackets of the estimate's ranges (docs/estimate.md §2)
SRAM_SILICON_FACTOR = 3.19   # docs/sources.md §2c: measured 28-nm FDSOI SRAM over CACTI (16 KB x 64 b)
LOGIC_ENERGY_FIELDS = {"add": ("pj_fixed", "pj_per_bit"), "compare": ("pj_per_bit",),
                       "multiply": ("pj_per_bit2",), "register_update": ("pj_per_bit",),
                       "lfsr_step": ("energy_pj",), "regfile": ("read_pj_per_bit", "write_pj_per_bit")}
RANGE_KEYS = ("energy_per_classification_nj", "energy_per_learning_sample_nj", "learning_extra_energy_nj",
              "area_mm2", "learning_overhead_power_pct", "learning_overhead_power_pct_of_total",
              "learning_overhead_power_same_chip_pct", "learning_overhead_energy_same_chip_pct",
              "learning_overhead_area_pct", "learning_overhead_area_pct_of_total")


def energy_variants(tech: Tech) -> list[tuple[str, Tech]]:
    """The technology ends of the energy bracket: the logic energies with the classical C·V² rule
    instead of Stillmaker–Baas (x0.277 / x0.305 at 28 nm, 0.6 V), and the SRAM energies from CACTI
    as is to x3.19 (silicon calibration); the table's own values are one of the four corners."""
    from .scaling import classical_energy_factor, energy_factor
    try:
        r = classical_energy_factor(45, 0.9, tech.node_nm, tech.vdd) / energy_factor(45, 0.9, tech.node_nm, tech.vdd)
    except ValueError:
        r = 1.0
    low_c = {k: dict(v) for k, v in tech.c.items()}
    for comp, fields in LOGIC_ENERGY_FIELDS.items():
        for f in fields:
            low_c[comp][f] = tech.c[comp][f] * r
    logic = [("table", tech.c), ("classical C·V²", low_c)]
    # the bracket runs from CACTI as is to the silicon calibration, whatever the table's own factor
    base = tech.sram_energy_factor
    sram = [(1.0 / base, "CACTI"), (SRAM_SILICON_FACTOR / base, "silicon-calibrated SRAM")]
    out = []
    for ln, c in logic:
        for f, sn in sram:
            out.append((f"{ln}, {sn}", dataclasses.replace(tech, c=c, sram_bracket_factor=f)))
    return out


def _figures(en: dict, en_i: dict, leak_l: float, leak_i: float, t_class_us: float, t_learn_us: float,
             rate: float, learn_every: int = 1) -> dict:
    """The headline energy figures, the powers (µW at ``rate``: the chip leaks all the time, busy
    or idle) and the power overheads from the energy breakdowns of the learning chip (``en``) and
    of the inference-only chip (``en_i``: fewer flip-flops to clock); leakage per sample over the
    sample's own duration (µW x µs = pJ). The nominal figures and every corner of the ranges.

    ``learn_every`` = N: one sample in N learns (the learning duty cycle), so the training power
    pays the learning phases on 1/N of the samples. Two conventions of the overhead: against the
    inference-only chip (``learning_overhead_power_pct``: learning chip training vs a chip built
    without learning, classifying) and SPOON's, the same chip learning vs classifying
    (``learning_overhead_power_same_chip_pct``; ``learning_overhead_energy_same_chip_pct`` =
    energy per learning sample over energy per classification, SPOON's 366 vs 313 nJ)."""
    e_inf, e_lrn = en["inference"]["total_nj"], en["learning"]["total_nj"]
    e_inf_i = en_i["inference"]["total_nj"]
    e_class = e_inf + leak_l * t_class_us * 1e-3
    e_learn = e_inf + e_lrn + leak_l * t_learn_us * 1e-3
    p_train = rate * (e_inf + e_lrn / learn_every) * 1e-3 + leak_l
    p_class = rate * e_inf * 1e-3 + leak_l
    p_inf = rate * e_inf_i * 1e-3 + leak_i
    return {"energy_per_classification_nj": e_class, "energy_per_learning_sample_nj": e_learn,
            "learning_extra_energy_nj": e_learn - e_class,
            "power_training_uw": p_train, "power_inference_only_uw": p_inf,
            "learning_overhead_power_pct": _pct(p_train - p_inf, p_inf),
            "learning_overhead_power_pct_of_total": _pct(p_train - p_inf, p_train),
            "learning_overhead_power_same_chip_pct": _pct(p_train - p_class, p_class),
            "learning_overhead_energy_same_chip_pct": _pct(e_learn - e_class, e_class)}


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
    latencies, and leakage is charged per sample over its own duration. ``sram_model``: "cacti", "fit" or "auto" (default: the table's). ``clock_gating``:
    "none" (every flip-flop clocked on every busy cycle, as the RTL is) or "enable" (the
    flip-flops with an enable gated); the ranges span both either way. ``timing``: synthesize
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
    # clock energy: every flip-flop of the chip on every busy cycle (the RTL has no clock gating);
    # the bracket's other end gates the flip-flops that have an enable
    nff_all = {k: float(synth_info[k]["flipflops"]) if synth else 0.0 for k in ("learning", "inference_only")}
    nff_gated = {k: float(synth_info[k]["flipflops_without_enable"]) if synth else 0.0
                 for k in ("learning", "inference_only")}
    nff = nff_all if clock_gating == "none" else nff_gated
    en = energy_breakdown(cfg, per, tech, nff["learning"])
    en_i = energy_breakdown(cfg, per, tech, nff["inference_only"])
    if liberty is not None:
        notes.append(f"logic area from liberty '{liberty}' in that library's µm² (not scaled to "
                     f"{tech.node_nm:g} nm); memories from the technology table")
    e_inf = en["inference"]["total_nj"]
    e_lrn = en["learning"]["total_nj"]
    L, I = designs["learning"], designs["inference_only"]
    nom = _figures(en, en_i, L["leakage_uw"], I["leakage_uw"], t_class_us, t_learn_us, rate, learn_every)
    # SRAM macros that cannot run at the clock (CACTI's random cycle time)
    period_ns = 1e3 / clock_mhz
    for name, m in L["memories"].items():
        c = m.get("cycle_ns")
        if c is not None and c > period_ns:
            notes.append(f"clock {clock_mhz:g} MHz: SRAM {name} needs {c:.2f} ns per access (CACTI), "
                         f"{c - period_ns:.2f} ns more than the {period_ns:.2f} ns period")
    timing_res = None
    if timing:
        timing_res = _timing(cfg, tech, L, timing_lib, ff, liberty_node_nm, clock_mhz, rtl_dir, cache, notes)
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
    # ranges: every corner of (logic scaling rule) x (SRAM calibration) x (trained / fresh chip)
    # for the energies and power overheads; (CACTI / fit SRAM area) x (NAND2 area by the
    # interpolated or the classical rule) for the areas; leakage power at its nominal value
    states = [(per, cyc_class, cyc_learn)]
    if fresh is not None:
        states.append((fresh[0], float(fresh[1][ci]), float(fresh[2][ci])))
    variants = energy_variants(tech)
    corners = [_figures(energy_breakdown(cfg, p_, tv, nf["learning"]),
                        energy_breakdown(cfg, p_, tv, nf["inference_only"]),
                        L["leakage_uw"], I["leakage_uw"], cc / clock_mhz, cl / clock_mhz, rate, learn_every)
               for _, tv in variants for p_, cc, cl in states for nf in (nff_all, nff_gated)]
    area_corners, alt_mem, ge_ratio = _area_corners(cfg, tech, L, I, liberty)
    ranges = {}
    for k in RANGE_KEYS:
        vals = [c[k] for c in (area_corners if k.startswith("area") or "area" in k else corners)
                if c.get(k) is not None]
        ranges[f"{k}_range"] = [min(vals), max(vals)] if vals else None
    actions = action_table(cfg, per, tech, nff["learning"])
    return {
        "config": cfg.name,
        "tech": {"name": tech.name, "file": tech.path, "node_nm": tech.node_nm, "vdd": tech.vdd},
        "measurement": info,
        "rate_hz": rate,
        "rate_source": rate_source,
        "clock_mhz": clock_mhz,
        "clock_gating": clock_gating,
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
            + (["clock gating of the flip-flops with an enable"] if synth else []),
            "area": ["CACTI or fit SRAM area" if alt_mem else "SRAM area as costed",
                     f"NAND2 area x1 or x{ge_ratio:.3f} (classical (node/45)^2 rule)"]},
        "traffic": traffic(cfg, per, tech),
        "actions": actions,
        "by_layer": by_layer(cfg, designs, actions,
                             synth_info.get("learning", {}).get("nand2_area_um2") or tech.ge_um2),
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
                um2 = syn.area_um2_by_block[b] if syn.area_um2_by_block is not None else ge * tech.ge_um2
                area_um2[b2] += um2
                leak_uw[b2] += ge * tech.c["gate_leakage"]["nw_per_ge"] * 1e-3
            ffs = {t: n for t, n in syn.cells.items() if re.search(r"(?i)dff|__df", t)}
            plain = sum(n for t, n in ffs.items() if not t.split("_")[1].endswith("E"))
            synth_info[key] = {"mode": syn.mode, "total_ge": syn.total_ge, "ge_by_block": logic_ge,
                               "cells": sum(syn.cells.values()),
                               "nand2_area_um2": syn.nand2_area_um2 or tech.ge_um2,
                               "flipflops": sum(ffs.values()), "flipflops_without_enable": plain}
            notes += [f"{key}: {n}" for n in check_memories(syn, cfg, learning)]
        designs[key] = {"area_mm2": sum(area_um2.values()) * 1e-6,
                        "area_mm2_by_block": {b: v * 1e-6 for b, v in area_um2.items()},
                        "leakage_uw": sum(leak_uw.values()), "leakage_uw_by_block": leak_uw,
                        "memories": mems, "logic_ge_by_block": logic_ge,
                        "logic_ge_by_layer": syn.ge_by_layer if synth else None}
    if not synth:
        notes.append("--no-synth: logic area, logic leakage and clock energy are not included (memories only)")
    return designs, synth_info


def _timing(cfg: Config, tech: Tech, L: dict, timing_lib, ff, liberty_node_nm, clock_mhz: float, rtl_dir,
            cache: bool, notes: list[str]) -> dict:
    """Both chips' critical paths against the clock (``timing.py``), with a note when it is missed."""
    from .timing import check
    access = [m["access_ns"] for m in L["memories"].values() if m.get("access_ns") is not None]
    timing_res = {}
    for learning in (True, False):
        k = "learning" if learning else "inference_only"
        path = critical_path_design(cfg, learning, timing_lib, rtl_dir=rtl_dir, cache=cache)
        timing_res[k] = check(path, ff, liberty_node_nm, tech.node_nm, tech.vdd, clock_mhz,
                              max(access) if access else None)
        timing_res[k].update(liberty=str(timing_lib), liberty_node_nm=liberty_node_nm)
    T = timing_res["learning"]
    if T["slack_ns"] < 0:
        notes.append(f"clock {clock_mhz:g} MHz cannot be met: the learning chip's register paths need "
                     f"{T['register_path_ns']:.2f} ns, {-T['slack_ns']:.2f} ns more than the "
                     f"{T['period_ns']:.2f} ns period (at most {T['max_clock_mhz']:.0f} MHz)")
    elif T["slack_memory_bound_ns"] is not None and T["slack_memory_bound_ns"] < 0:
        notes.append(f"clock {clock_mhz:g} MHz may not be met: a path from an SRAM output could need up to "
                     f"{T['memory_path_bound_ns']:.2f} ns, {-T['slack_memory_bound_ns']:.2f} ns more than the "
                     f"{T['period_ns']:.2f} ns period (register paths: {T['register_path_ns']:.2f} ns)")
    return timing_res


def _area_corners(cfg: Config, tech: Tech, L: dict, I: dict, liberty) -> tuple[list[dict], dict, float]:
    """The area brackets: (CACTI / fit SRAM area) x (NAND2 area by the interpolated or the
    classical (node/45)^2 rule); returns (corners, the other SRAM model's areas, the GE ratio)."""
    from .scaling import area_factor
    try:
        ge_ratio = (tech.node_nm / 45.0) ** 2 / area_factor(45, tech.node_nm)
    except ValueError:
        ge_ratio = 1.0
    alt_mem = {}
    if tech.sram_model != "fit":
        ft = dataclasses.replace(tech, sram_model="fit")
        alt_mem = {k: sum(m["area_um2"] for m in memory_area(cfg, ft, k == "learning").values()) * 1e-6
                   for k in ("learning", "inference_only")}
    area_corners = []
    for d_mem in (False, True):
        if d_mem and not alt_mem:
            continue
        for g in (1.0, ge_ratio):
            a = {}
            for k, D in (("learning", L), ("inference_only", I)):
                mem = D["area_mm2_by_block"]["memories"]
                logic = D["area_mm2"] - mem
                if liberty is not None:
                    g = 1.0
                a[k] = (alt_mem[k] if d_mem else mem) + logic * g
            dA = a["learning"] - a["inference_only"]
            area_corners.append({"area_mm2": a["learning"],
                                 "learning_overhead_area_pct": _pct(dA, a["inference_only"]),
                                 "learning_overhead_area_pct_of_total": _pct(dA, a["learning"])})
    return area_corners, alt_mem, ge_ratio
