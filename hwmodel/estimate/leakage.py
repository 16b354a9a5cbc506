"""Logic leakage per gate equivalent from the same device flavour as the SRAM macros.

``python -m hwmodel.estimate.leakage [--node NM] [--cell itrs-lstp] [--vdd V]`` re-derives the
``gate_leakage.nw_per_ge`` entry of ``hwmodel/tech/default_28nm_0v6.toml`` from CACTI 7's own
device tables (``tech_params/<node>nm.dat`` of the installed CACTI, the ITRS devices CACTI costs
the SRAM with), so that logic, register files and SRAM leak from one flavour (default itrs-lstp).

Model (CACTI's conventions, ``parameter.cc``/``basic_circuit.cc``): the device parameters at the
node are CACTI's interpolation between its two bracketing tables (28 nm: 0.6 x 32 nm + 0.4 x
22 nm), at 300 K; I_off and I_g are the same for nMOS and pMOS (CACTI sets I_off_p = I_off_n).
One gate equivalent is a NAND2 of minimum CACTI transistors: W_min = 1.5 F, series nMOS 2·W_min
each, parallel pMOS n2p·W_min each (n2p: the table's p/n drive ratio). Subthreshold leakage,
averaged over the four input states as CACTI's ``cmos_Isub_leakage`` does for a NAND: the nMOS
stack leaks W_n·I_off·(2 + 0.43)/4 (one or both transistors off; 0.43 = CACTI's stack factor),
the pMOS pair W_p·I_off·2/4 (both off when both inputs are 1). Gate leakage: every transistor is
on half of the time, sum(W)·I_g/2. Power = V_CACTI · (I_sub + I_g), then brought to the table's
supply linearly in V (current held constant, the rule the SRAM leakage uses too).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

STACK_FACTOR = 0.43          # CACTI basic_circuit.h UNI_LEAK_STACK_FACTOR
COLUMNS = {"itrs-hp": 0, "itrs-lstp": 1, "itrs-lop": 2}


def _row(path: Path, key: str, col: int) -> float:
    for ln in path.read_text().splitlines():
        parts = ln.split()
        if parts and parts[0] == key:
            # rows with a temperature column: "-I_off_n (A/um) 0 v_hp v_lstp ..." (0 = 300 K)
            vals = parts[2:]
            if key in ("-I_off_n", "-I_g_on_n"):
                if vals[0] != "0":
                    continue
                vals = vals[1:]
            return float(vals[col])
    raise ValueError(f"{path.name}: no row {key}")


def device(node_nm: float, cell: str, tech_params: Path) -> dict[str, float]:
    """CACTI's device parameters of ``cell`` at ``node_nm`` (interpolated as CACTI does)."""
    from .cacti import _tables
    lo, hi, a = _tables(node_nm)
    col = COLUMNS[cell]
    out = {}
    for key, name in (("-Vdd", "vdd"), ("-I_off_n", "i_off"), ("-I_g_on_n", "i_g"), ("-n2p_drv_rt", "n2p")):
        v_lo = _row(tech_params / f"{lo}nm.dat", key, col)
        v_hi = _row(tech_params / f"{hi}nm.dat", key, col)
        out[name] = a * v_lo + (1 - a) * v_hi
    return out


def nw_per_ge(node_nm: float = 28, cell: str = "itrs-lstp", vdd: float = 0.6,
              tech_params: Path | None = None) -> dict[str, float]:
    """Leakage of one NAND2 equivalent (nW) at ``vdd``, with the intermediate quantities."""
    if tech_params is None:
        from .cacti import find_cacti
        tech_params = find_cacti().parent / "tech_params"
    d = device(node_nm, cell, tech_params)
    w_min = 1.5 * node_nm * 1e-3          # µm
    w_n, w_p = 2 * w_min, d["n2p"] * w_min
    i_sub = w_n * d["i_off"] * (2 + STACK_FACTOR) / 4 + w_p * d["i_off"] * 2 / 4
    i_gate = (2 * w_n + 2 * w_p) * d["i_g"] / 2
    p_cacti_nw = d["vdd"] * (i_sub + i_gate) * 1e9
    return {"nw_per_ge": p_cacti_nw * vdd / d["vdd"], "nw_per_ge_at_cacti_vdd": p_cacti_nw,
            "cacti_vdd": d["vdd"], "i_off_a_per_um": d["i_off"], "i_g_a_per_um": d["i_g"],
            "n2p": d["n2p"], "w_n_um": w_n, "w_p_um": w_p, "i_sub_a": i_sub, "i_gate_a": i_gate}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m hwmodel.estimate.leakage", description=__doc__.splitlines()[0])
    ap.add_argument("--node", type=float, default=28.0)
    ap.add_argument("--cell", default="itrs-lstp", choices=list(COLUMNS))
    ap.add_argument("--vdd", type=float, default=0.6)
    a = ap.parse_args(argv)
    from .cacti import CactiUnavailable
    try:
        r = nw_per_ge(a.node, a.cell, a.vdd)
    except (CactiUnavailable, ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"[gate_leakage] nw_per_ge = {r['nw_per_ge']:.5g}   # {a.cell} {a.node:g} nm at {a.vdd:g} V "
          f"({r['nw_per_ge_at_cacti_vdd']:.4g} nW at CACTI's {r['cacti_vdd']:.3g} V; subthreshold "
          f"{r['i_sub_a'] * 1e12:.3g} pA, gate {r['i_gate_a'] * 1e12:.3g} pA)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
