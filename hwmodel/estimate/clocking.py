"""Clock energy of every storage bit of a chip, by its clock gating (docs/estimate.md §2, "Clock").

Two kinds of storage are clocked: the synthesized flip-flops of the logic (Yosys counts them,
and the distinct enable nets of those with an enable: ``SynthResult.enable_groups``), and the
flip-flop register files (the memories of at most ``regfile.max_bits`` bits: rtl/sram.v
synthesizes to enable flip-flops; the estimator costs their area and leakage as flip-flops, so it
clocks them too). A register file holds ``banks`` x ``rows`` x ``width`` array bits and one
``width``-bit read register per bank (``rdata``, loaded on a read).

Gating (``--clock-gating``):
  ``none``    as the RTL is written (``CLOCK_GATE = 0``): every flip-flop and every register-file
              bit on every busy cycle.
  ``enable``  one clock gate per enable: the logic's enable flip-flops behind one gate per enable
              net (never enabled: the lower bound, their enabled cycles are not counted), every
              register-file word behind its own gate (rtl/sram.v ``CLOCK_GATE = 1``), clocked on the
              cycles it is written, and each read register on the cycles it is read.
  ``memory``  as ``enable`` but one gate per register-file bank: a write clocks the whole bank
              (``CLOCK_GATE = 2``).
A gate costs ``clock_gate.disabled_pj_per_cycle`` on every busy cycle it is off and
``enabled_pj_per_cycle`` on a cycle it passes the clock; the gated flip-flops' own clock pins are
``flipflop_clock.pj_per_cycle`` each on those cycles. The clock tree and its wires add
``clock_tree.fraction`` of every clocked sink's energy (``fraction_high`` at the range's end: a
tree of fanout 8 or 4, docs/estimate.md §2). The accesses come from the model's counters
(spec §11 / §15): a register file's write counter for its array, its read counter for its read
register. The derivative flags ``fc{k}_dact`` have no counter: word g is written once per forward
after its last lane (spec §15), i.e. once per ``P_k`` writes of ``fc{k}_act``; their read register
is taken as clocked on every busy cycle (an upper bound; 16 bits in spoon).
"""
from __future__ import annotations

from collections import defaultdict

from hwmodel.spec.config import Config
from hwmodel.spec.counters import memory_counters
from .memories import memory_list

GATING = ("none", "enable", "memory")


def register_files(cfg: Config, tech, learning: bool = True) -> dict[str, dict]:
    """Every flip-flop register file of the chip (the inference-only chip has no learning-only
    one): banks, rows, width, array and read-register bits, and the counters of its writes and
    reads (``write_per``: writes per count of ``write``, 1/P_k for the derivative flags)."""
    counted = memory_counters(cfg)
    out = {}
    for name, m in memory_list(cfg, tech).items():
        if m.kind != "regfile" or (m.learning_only and not learning):
            continue
        rd, wr = counted.get(name, (None, None))
        per = 1.0
        if name.endswith("_dact") and name not in counted:
            k = int(name[2:name.index("_")])
            wr, per = f"fc{k}_act_wr", 1.0 / cfg.hidden[k - 1].lanes
        out[name] = {"banks": m.banks, "rows": m.rows, "width": m.width, "array_bits": m.banks * m.rows * m.width,
                     "read_register_bits": m.banks * m.width, "read": rd, "write": wr, "write_per": per}
    return out


def clock_costs(cfg: Config, tech, synth: dict | None, gating: str, learning: bool = True,
                tree: float | None = None) -> tuple[dict[str, float], dict]:
    """(counter -> pJ per count of clock energy, a summary). The busy-cycle cost sits on the
    ``cycles`` counter; accesses that clock a gated word or register sit on their counters.
    ``synth``: the design's synthesis summary (``flipflops``, ``flipflops_without_enable``,
    ``enable_groups``); None: no logic flip-flops, the register files alone (the estimate itself
    costs no clock at all with ``--no-synth``).
    ``tree``: the clock tree's fraction (default the table's ``clock_tree.fraction``)."""
    if gating not in GATING:
        raise ValueError(f"--clock-gating must be one of {', '.join(GATING)}, got {gating!r}")
    e_ff = tech.c["flipflop_clock"]["pj_per_cycle"]
    g_off = tech.c["clock_gate"]["disabled_pj_per_cycle"]
    g_on = tech.c["clock_gate"]["enabled_pj_per_cycle"]
    dg = g_on - g_off                     # a gate that passes the clock instead of holding it
    costs: dict[str, float] = defaultdict(float)
    n_ff = float(synth["flipflops"]) if synth else 0.0
    n_plain = float(synth["flipflops_without_enable"]) if synth else 0.0
    groups = float(synth.get("enable_groups", 0)) if synth else 0.0
    gates = 0.0
    rfs = register_files(cfg, tech, learning)
    rf_bits = sum(r["array_bits"] + r["read_register_bits"] for r in rfs.values())
    if gating == "none":
        costs["cycles"] += (n_ff + rf_bits) * e_ff
    else:
        costs["cycles"] += n_plain * e_ff + groups * g_off
        gates += groups
        for r in rfs.values():
            word_gates = r["banks"] * r["rows"] if gating == "enable" else r["banks"]
            gates += word_gates + r["banks"]          # the array's gates and one per read register
            costs["cycles"] += (word_gates + r["banks"]) * g_off
            clocked = r["width"] if gating == "enable" else r["rows"] * r["width"]
            if r["write"]:
                costs[r["write"]] += r["write_per"] * (clocked * e_ff + dg)
            if r["read"]:
                costs[r["read"]] += r["width"] * e_ff + dg
            else:                                     # no read counter: clocked on every cycle
                costs["cycles"] += r["width"] * e_ff + r["banks"] * dg
    t = tech.c["clock_tree"]["fraction"] if tree is None else tree
    costs = {k: v * (1.0 + t) for k, v in costs.items()}
    summary = {"gating": gating, "flipflops": n_ff, "flipflops_without_enable": n_plain,
               "enable_groups": groups, "register_file_bits": float(rf_bits), "clock_gates": gates,
               "clock_tree_fraction": t, "pj_per_busy_cycle": costs.get("cycles", 0.0)}
    return costs, summary
