"""Clock energy of one flip-flop per clock cycle, from a liberty file's clock-pin data.

``python -m hwmodel.estimate.clock [LIBERTY] [--node NM]`` computes the clock energy of the
library's smallest plain D flip-flop (``libs.plain_dff``; default library: the OSU 0.18 µm cells
the set-up installs, ``libs.default_liberty``) and scales it to 28 nm / 0.6 V. The technology
tables' ``flipflop_clock.pj_per_cycle`` is this computation on Nangate45's DFF_X1 (8.07 fJ at
45 nm / 1.1 V, x0.212: docs/sources.md §3a); the tests check the table against the OSU cell.

Per clock cycle a flip-flop whose data does not change spends the internal energy of its clock
pin on both edges (the ``internal_power`` groups of the clock pin with D equal to Q where the
library splits them by state, else its one group: rise + fall at the table's smallest input
transition, averaged over the groups) plus the energy to charge the pin's capacitance, C·V². The
library's units are honoured (energy = capacitance unit x V²). The result at the library's nominal
voltage is scaled to the table's node and supply with ``scaling.energy_factor``.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from .libs import OSU018_NODE_NM, block, default_liberty, flipflop, pin_group, table, units
from .scaling import energy_factor


def ff_clock_fj(path: str | Path | None = None) -> dict[str, float | str]:
    """Clock energy per cycle (fJ) of the library's smallest plain D flip-flop at the library's
    nominal voltage, with its parts (``internal_fj``, ``pin_cap_ff``), ``nom_voltage`` and ``cell``."""
    path = default_liberty() if path is None else path
    text, vnom, (cell, body, ck, d) = flipflop(path)
    u = units(text)
    pb = pin_group(body, ck)
    cap = float(re.search(r"\bcapacitance\s*:\s*([0-9.eE+-]+)", pb).group(1)) * u["cap_ff"]
    groups = []
    for g in re.finditer(r"internal_power\s*\(\s*\)", pb):
        grp = block(pb, g.end())
        when = re.search(r'when\s*:\s*"([^"]*)"', grp)
        groups.append((when.group(1).replace(" ", "") if when else None, grp))
    if any(w is not None for w, _ in groups):     # split by state: keep those with D = Q
        q = "(Q|IQ)"
        groups = [(w, g) for w, g in groups if w is not None and (
            re.search(rf"(^|&)!{d}&!{q}($|&)", w) or re.search(rf"(^|&){d}&{q}($|&)", w))]
    internal = []
    for _, grp in groups:
        rise = 0.0 if re.search(r"rise_power\s*\(\s*scalar", grp) else table(grp, "rise_power")[2][0][0]
        fall = 0.0 if re.search(r"fall_power\s*\(\s*scalar", grp) else table(grp, "fall_power")[2][0][0]
        internal.append((rise + fall) * u["cap_ff"])          # energy unit: capacitance unit x V²
    if not internal:
        raise ValueError(f"liberty '{path}': no clock-pin internal power of {cell} with D = Q")
    e_int = sum(internal) / len(internal)
    return {"fj_per_cycle": e_int + cap * vnom * vnom, "internal_fj": e_int, "pin_cap_ff": cap,
            "nom_voltage": vnom, "cell": cell}


def pj_per_cycle(path: str | Path | None = None, node_nm: float = 28, vdd: float = 0.6,
                 lib_node_nm: float = OSU018_NODE_NM, clock: dict | None = None) -> float:
    """``ff_clock_fj`` (or the given ``clock``, its result) scaled from the library's node and
    voltage to ``node_nm`` / ``vdd`` (pJ)."""
    r = ff_clock_fj(path) if clock is None else clock
    return r["fj_per_cycle"] * 1e-3 * energy_factor(lib_node_nm, r["nom_voltage"], node_nm, vdd)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m hwmodel.estimate.clock", description=__doc__.split("\n\n")[0])
    ap.add_argument("liberty", nargs="?", help="liberty file (default: the OSU 0.18 µm library of the set-up)")
    ap.add_argument("--node", type=float, default=None,
                    help=f"the library's node in nm (default {OSU018_NODE_NM:g} for the default library, 45 otherwise)")
    a = ap.parse_args(argv)
    node = a.node if a.node is not None else (45.0 if a.liberty else OSU018_NODE_NM)
    try:
        path = Path(a.liberty) if a.liberty else default_liberty()
        r = ff_clock_fj(path)
        pj = pj_per_cycle(lib_node_nm=node, clock=r)
    except (OSError, ValueError, AttributeError) as e:   # LibraryMissing is a ValueError
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"[flipflop_clock] pj_per_cycle = {pj:.5g}   # {r['cell']} of {path.name}: {r['internal_fj']:.3f} fJ "
          f"internal + {r['pin_cap_ff']:.4g} fF x {r['nom_voltage']:g} V^2 at {r['nom_voltage']:g} V, "
          f"x{energy_factor(node, r['nom_voltage'], 28, 0.6):.4g} from {node:g} nm to 28 nm / 0.6 V")
    return 0


if __name__ == "__main__":
    sys.exit(main())
