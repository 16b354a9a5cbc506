"""The estimator: traffic, energy, power, area and the learning overhead of one configuration.

``estimate(cfg, ...)`` returns one JSON-ready dict (keys documented in docs/estimate.md §5).
Two designs are compared: the learning chip (``LEARNING = 1``) and the inference-only chip
(``LEARNING = 0``: no B LUT, no update units, no LFSRs). Their dynamic energy per classification
is the same (the same inference phases run); the learning chip additionally spends the learning
phases' energy on every training sample and leaks more (more area).
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from ..config import Config
from ..rtlgen import top_parameters
from .area import TOP, AreaError, SynthResult, default_cache_dir, read_liberty, synthesize
from .energy import BLOCKS, energy_breakdown, measure_counters, memory_specs, traffic
from .tech import Tech, load_tech

# BRIEF §2 / COST_REFS §5: SPOON (ISCAS 2020, pre-silicon figures)
SPOON = {"energy_per_classification_nj": 313.0, "area_mm2": 0.32, "vdd": 0.6,
         "learning_overhead_power_pct": 16.8, "learning_overhead_area_pct": 11.8,
         "latency_ms": 0.12,
         "note": "SPOON does not state the overhead conventions (COST_REFS §5): 16.8 % power reads as "
                 "% of inference-only (366 vs 313 nJ), 11.8 % area is 13.4 % of inference-only if it "
                 "is % of total"}
DEFAULT_RATE_HZ = 1000.0 / SPOON["latency_ms"]  # one classification per SPOON latency (8,333 /s)
REPO_RTL = Path(__file__).resolve().parents[2] / "rtl"


def _pct(a: float, b: float) -> float | None:
    return 100.0 * a / b if b else None


def memory_area(cfg: Config, tech: Tech, learning: bool) -> dict[str, dict]:
    """Per memory: kind, bits, area (µm²), GE (register files / ROMs) and leakage (µW)."""
    out = {}
    for name, m in memory_specs(cfg, tech).items():
        if m.learning_only and not learning:
            continue
        if m.kind == "sram":
            um2, ge = tech.sram_area_um2(m.depth, m.width), 0.0
            leak_uw = m.bits * tech.c["sram_leakage"]["pw_per_bit"] * 1e-6
        else:
            if m.kind == "rom":
                ge = m.bits * tech.c["rom_area"]["ge_per_bit"] + m.width * tech.c["rom_area"]["ge_per_word_bit"]
            else:
                ge = m.bits * tech.c["regfile"]["ge_per_bit"]
            um2 = ge * tech.ge_um2
            leak_uw = ge * tech.c["gate_leakage"]["nw_per_ge"] * 1e-3
        out[name] = {"kind": m.kind, "depth": m.depth, "word_bits": m.width, "bits": m.bits,
                     "area_um2": um2, "ge": ge, "leakage_uw": leak_uw}
    return out


def rtl_files(rtl_dir: str | Path | None) -> list[Path]:
    d = Path(rtl_dir) if rtl_dir is not None else REPO_RTL
    if not d.is_dir():
        raise AreaError(f"RTL folder '{d}' not found (use --rtl DIR or --no-synth)")
    files = sorted(d.glob("*.v"))
    if not files:
        raise AreaError(f"RTL folder '{d}': no *.v files (use --no-synth)")
    return files


def synthesize_design(cfg: Config, learning: bool, *, rtl_dir=None, liberty=None,
                      cache: bool = True) -> SynthResult:
    """Synthesize spoon_top for ``cfg`` with LEARNING = 0/1 (top parameters from
    hwmodel.rtlgen; the RTL derives the rest)."""
    files = rtl_files(rtl_dir)
    return synthesize(files, TOP, top_parameters(cfg, learning), liberty=liberty,
                      cache_dir=default_cache_dir() if cache else None)


def _check_memories(syn: SynthResult, mems: dict[str, dict]) -> list[str]:
    """Compare the RTL's blackboxed memories with the model's memory list."""
    notes = []
    seen = set()
    for m in syn.memories:
        name = m["instance"].split(".")[-1]
        name = name[2:] if name.startswith("u_") else name
        seen.add(name)
        ref = mems.get(name)
        if ref is None:
            notes.append(f"RTL memory {m['instance']} ({m['DEPTH']}x{m['WIDTH']}) is not a spec memory: not in the area")
        elif (m["DEPTH"], m["WIDTH"]) != (ref["depth"], ref["word_bits"]):
            notes.append(f"RTL memory {name} is {m['DEPTH']}x{m['WIDTH']}, the model's is "
                         f"{ref['depth']}x{ref['word_bits']}: the model's size is used")
    for name in mems:
        if name not in seen:
            notes.append(f"spec memory {name} has no sram instance in the RTL (area from the memory model anyway)")
    return notes


def estimate(cfg: Config, tech: Tech | str | Path | None = None, *, samples: int = 100,
             train_samples: int = 500, rate: float = DEFAULT_RATE_HZ, synth: bool = True,
             liberty: str | Path | None = None, rtl_dir: str | Path | None = None,
             cache: bool = True, counters: tuple | None = None) -> dict:
    """Full estimate (see module doc). ``counters`` = (inference per sample, learning per sample,
    info) skips the model run (tests)."""
    if rate <= 0:
        raise ValueError(f"--rate must be > 0, got {rate}")
    tech = tech if isinstance(tech, Tech) else load_tech(tech)
    if liberty is not None:  # fail early, before the model run and synthesis
        with tempfile.TemporaryDirectory(prefix="hwmodel-lib-") as td:
            read_liberty(liberty, Path(td))
    if synth:
        rtl_files(rtl_dir)
    if counters is None:
        inf_ps, lrn_ps, info = measure_counters(cfg, samples, train_samples)
    else:
        inf_ps, lrn_ps, info = counters
    per = np.vstack([inf_ps[0], lrn_ps[1]])
    en = energy_breakdown(cfg, per, tech)
    notes: list[str] = []
    if train_samples <= 0:
        notes.append("learning-sample figures measured on a fresh (untrained) chip")
    for name, m in memory_specs(cfg, tech).items():
        if m.kind == "sram" and not (512 <= m.bits / 8 <= 65536 and 8 <= m.width <= 128):
            notes.append(f"SRAM {name} ({m.depth}x{m.width}, {m.bits / 8192:.1f} KB) is outside the CACTI "
                         f"sweep (0.5-64 KB, 8-128-bit words): its energy and area are extrapolated")

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
            synth_info[key] = {"mode": syn.mode, "total_ge": syn.total_ge, "ge_by_block": logic_ge,
                               "cells": sum(syn.cells.values()),
                               "nand2_area_um2": syn.nand2_area_um2 or tech.ge_um2}
            notes += [f"{key}: {n}" for n in _check_memories(syn, mems)]
        designs[key] = {"area_mm2": sum(area_um2.values()) * 1e-6,
                        "area_mm2_by_block": {b: v * 1e-6 for b, v in area_um2.items()},
                        "leakage_uw": sum(leak_uw.values()), "leakage_uw_by_block": leak_uw,
                        "memories": mems, "logic_ge_by_block": logic_ge}
    if not synth:
        notes.append("--no-synth: logic area and logic leakage are not included (memories only)")
    if liberty is not None:
        notes.append(f"logic area from liberty '{liberty}' in that library's µm² (not scaled to "
                     f"{tech.node_nm:g} nm); memories from the technology table")

    e_inf = en["inference"]["total_nj"]
    e_lrn = en["learning"]["total_nj"]
    L, I = designs["learning"], designs["inference_only"]
    # power (µW) at `rate` classifications per second
    p_train = rate * (e_inf + e_lrn) * 1e-3 + L["leakage_uw"]
    p_class_learning_chip = rate * e_inf * 1e-3 + L["leakage_uw"]
    p_infer_only = rate * e_inf * 1e-3 + I["leakage_uw"]
    block_power_overhead = {}
    for b in BLOCKS:
        block_power_overhead[b] = (rate * en["learning"]["blocks"][b] * 1e-3
                                   + L["leakage_uw_by_block"][b] - I["leakage_uw_by_block"][b])
    block_area_overhead = {b: L["area_mm2_by_block"][b] - I["area_mm2_by_block"][b] for b in BLOCKS}
    d_area = L["area_mm2"] - I["area_mm2"]
    res = {
        "config": cfg.name,
        "tech": {"name": tech.name, "file": tech.path, "node_nm": tech.node_nm, "vdd": tech.vdd},
        "measurement": info,
        "rate_hz": rate,
        "energy_per_classification_nj": e_inf + L["leakage_uw"] / rate * 1e3,
        "energy_per_classification_dynamic_nj": e_inf,
        "energy_per_classification_inference_only_chip_nj": e_inf + I["leakage_uw"] / rate * 1e3,
        "energy_per_learning_sample_nj": e_lrn,
        "energy_per_training_sample_nj": e_inf + e_lrn + L["leakage_uw"] / rate * 1e3,
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
        "learning_overhead_power_pct": _pct(p_train - p_infer_only, p_infer_only),
        "learning_overhead_power_pct_of_total": _pct(p_train - p_infer_only, p_train),
        "learning_overhead_area_pct": _pct(d_area, I["area_mm2"]),
        "learning_overhead_area_pct_of_total": _pct(d_area, L["area_mm2"]),
        "learning_overhead_by_block": {
            b: {"power_uw": block_power_overhead[b], "area_mm2": block_area_overhead[b],
                "power_pct_of_inference_only": _pct(block_power_overhead[b], p_infer_only),
                "area_pct_of_inference_only": _pct(block_area_overhead[b], I["area_mm2"])}
            for b in BLOCKS},
        "traffic": traffic(cfg, per, tech),
        "spoon_reference": SPOON,
        "tech_sources": tech.sources(),
        "notes": notes,
    }
    return res
