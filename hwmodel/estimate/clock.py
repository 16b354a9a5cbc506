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

from .libs import OSU018_NODE_NM, block, cells, default_liberty, flipflop, liberty_text, nominal_voltage, \
    pin_group, table, units
from .scaling import energy_factor


def _groups(pb: str, related: str | None = None) -> list[tuple[str | None, str]]:
    """(when, group) of every ``internal_power`` group of a pin's group (``related``: only those
    whose related_pin is that pin)."""
    out = []
    for g in re.finditer(r"internal_power\s*\(\s*\)", pb):
        grp = block(pb, g.end())
        rel = re.search(r'related_pin\s*:\s*"?(\w+)"?', grp)
        if related is not None and rel is not None and rel.group(1) != related:
            continue
        when = re.search(r'when\s*:\s*"([^"]*)"', grp)
        out.append((when.group(1).replace(" ", "") if when else None, grp))
    return out


def _edge_energy(grp: str) -> float:
    """rise + fall internal energy of one group at its tables' first entry (library units; a
    ``scalar`` table counts 0)."""
    e = 0.0
    for kind in ("rise_power", "fall_power"):
        if not re.search(kind + r"\s*\(\s*scalar", grp):
            e += table(grp, kind)[2][0][0]
    return e


def _pin_cap(pb: str) -> float:
    m = re.search(r"\bcapacitance\s*:\s*([0-9.eE+-]+)", pb)
    return float(m.group(1)) if m else 0.0


def ff_clock_fj(path: str | Path | None = None) -> dict[str, float | str]:
    """Clock energy per cycle (fJ) of the library's smallest plain D flip-flop at the library's
    nominal voltage, with its parts (``internal_fj``, ``pin_cap_ff``), ``nom_voltage`` and ``cell``."""
    path = default_liberty() if path is None else path
    text, vnom, (cell, body, ck, d) = flipflop(path)
    u = units(text)
    pb = pin_group(body, ck)
    cap = _pin_cap(pb) * u["cap_ff"]
    groups = _groups(pb)
    if any(w is not None for w, _ in groups):     # split by state: keep those with D = Q
        q = "(Q|IQ)"
        groups = [(w, g) for w, g in groups if w is not None and (
            re.search(rf"(^|&)!{d}&!{q}($|&)", w) or re.search(rf"(^|&){d}&{q}($|&)", w))]
    # energy unit: capacitance unit x V²
    internal = [_edge_energy(grp) * u["cap_ff"] for _, grp in groups]
    if not internal:
        raise ValueError(f"liberty '{path}': no clock-pin internal power of {cell} with D = Q")
    e_int = sum(internal) / len(internal)
    return {"fj_per_cycle": e_int + cap * vnom * vnom, "internal_fj": e_int, "pin_cap_ff": cap,
            "nom_voltage": vnom, "cell": cell}


def _smallest(text: str, test) -> tuple[str, str] | None:
    best = None
    for name, body in cells(text):
        if test(body):
            a = re.search(r"\barea\s*:\s*([-+0-9.eE]+)", body)
            cand = (float(a.group(1)) if a else float("inf"), name, body)
            if best is None or cand[:2] < best[:2]:
                best = cand
    return None if best is None else best[1:]


def gate_clock_fj(path: str | Path | None = None) -> dict[str, float | str]:
    """Clock energy per cycle (fJ, at the library's nominal voltage) of a clock gate, disabled
    (its enable low: the gated clock stays low) and enabled (the gate passes the clock; the gated
    net's load, the flip-flops' clock pins, is counted with the flip-flops).

    With an integrated clock-gating cell (``clock_gating_integrated_cell``; the smallest): its
    clock pin's internal energy in the states with the enable low / high (rise + fall at the
    smallest transition, averaged over the groups) plus the pin's C·V². Without one (the OSU
    library): the gate a designer writes from a latch and an AND (rtl/clock_gate.v): the latch's
    clock pin (internal energy + C·V²) and the AND's clock input (C·V²) on every cycle, and when
    enabled also the AND's output switching (its internal energy related to that input)."""
    path = default_liberty() if path is None else path
    text = liberty_text(path)
    vnom = nominal_voltage(text)
    if vnom is None:
        raise ValueError(f"liberty '{path}': no nom_voltage")
    u = units(text)
    v2 = vnom * vnom
    icg = _smallest(text, lambda b: re.search(r"clock_gating_integrated_cell\s*:", b) is not None)
    if icg is not None:
        name, body = icg
        ck = re.search(r"pin\s*\(\s*\"?(\w+)\"?\s*\)\s*\{[^{}]*clock_gate_clock_pin\s*:\s*true", body)
        en = re.search(r"pin\s*\(\s*\"?(\w+)\"?\s*\)\s*\{[^{}]*clock_gate_enable_pin\s*:\s*true", body)
        if ck is None or en is None:
            raise ValueError(f"liberty '{path}': clock-gating cell {name} without clock or enable pin")
        pb = pin_group(body, ck.group(1))
        cap = _pin_cap(pb) * u["cap_ff"]
        e = en.group(1)
        groups = _groups(pb)
        off = [_edge_energy(g) for w, g in groups if w and re.search(rf"(^|&)!{e}($|&)", w)]
        on = [_edge_energy(g) for w, g in groups if w and re.search(rf"(^|&){e}($|&)", w)]
        if not off or not on:
            raise ValueError(f"liberty '{path}': no clock-pin internal power of {name} by enable state")
        dis = sum(off) / len(off) * u["cap_ff"] + cap * v2
        ena = sum(on) / len(on) * u["cap_ff"] + cap * v2
        return {"disabled_fj": dis, "enabled_fj": ena, "nom_voltage": vnom, "cell": name}
    latch = _smallest(text, lambda b: re.search(r"\blatch\s*\(", b) is not None
                      and not re.search(r"\b(clear|preset)\s*:", b))
    and2 = _smallest(text, lambda b: re.search(r'function\s*:\s*"\(?\s*(\w+)\s*[&* ]\s*(\w+)\s*\)?"', b) is not None
                     and len(re.findall(r"direction\s*:\s*input", b)) == 2)
    if latch is None or and2 is None:
        raise ValueError(f"liberty '{path}': no clock-gating cell, and no plain latch and 2-input AND to build one")
    lname, lbody = latch
    lck = re.search(r'enable\s*:\s*"\s*(\w+)\s*"', lbody).group(1)
    lpb = pin_group(lbody, lck)
    lg = _groups(lpb)
    l_fj = (sum(_edge_energy(g) for _, g in lg) / max(1, len(lg))) * u["cap_ff"] + _pin_cap(lpb) * u["cap_ff"] * v2
    aname, abody = and2
    a_in = re.search(r"pin\s*\(\s*\"?(\w+)\"?\s*\)\s*\{[^{}]*direction\s*:\s*input", abody).group(1)
    a_cap = _pin_cap(pin_group(abody, a_in)) * u["cap_ff"]
    out = re.search(r"pin\s*\(\s*\"?(\w+)\"?\s*\)\s*\{[^{}]*direction\s*:\s*output", abody).group(1)
    og = _groups(pin_group(abody, out), related=a_in)
    a_sw = (sum(_edge_energy(g) for _, g in og) / max(1, len(og))) * u["cap_ff"]
    dis = l_fj + a_cap * v2
    return {"disabled_fj": dis, "enabled_fj": dis + a_sw, "nom_voltage": vnom, "cell": f"{lname}+{aname}"}


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
    f = energy_factor(node, r["nom_voltage"], 28, 0.6)
    print(f"[flipflop_clock] pj_per_cycle = {pj:.5g}   # {r['cell']} of {path.name}: {r['internal_fj']:.3f} fJ "
          f"internal + {r['pin_cap_ff']:.4g} fF x {r['nom_voltage']:g} V^2 at {r['nom_voltage']:g} V, "
          f"x{f:.4g} from {node:g} nm to 28 nm / 0.6 V")
    try:
        g = gate_clock_fj(path)
    except ValueError as e:
        print(f"# no clock gate: {e}")
        return 0
    fg = energy_factor(node, g["nom_voltage"], 28, 0.6)
    print(f"[clock_gate] disabled_pj_per_cycle = {g['disabled_fj'] * 1e-3 * fg:.5g}   enabled_pj_per_cycle = "
          f"{g['enabled_fj'] * 1e-3 * fg:.5g}   # {g['cell']} of {path.name}: {g['disabled_fj']:.3f} / "
          f"{g['enabled_fj']:.3f} fJ at {g['nom_voltage']:g} V, x{fg:.4g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
