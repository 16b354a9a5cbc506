"""Clock energy of one flip-flop per clock cycle, from a liberty file's clock-pin data.

``python -m hwmodel.estimate.clock [LIBERTY]`` re-derives the ``flipflop_clock.pj_per_cycle``
entry of the technology tables from Nangate45's DFF_X1 (default: the open liberty in
``../shared/liberty``; the project does not ship it). Per clock cycle a flip-flop whose data
does not change spends the internal energy of its clock pin on both edges (the ``internal_power``
groups of pin CK with D equal to Q, rise + fall, at the table's smallest input transition,
averaged over those states) plus the energy to charge the pin's capacitance, C·V². The result at
the library's nominal voltage is scaled to the table's node and supply with
``scaling.energy_factor`` (45 nm / 1.1 V -> 28 nm / 0.6 V: x0.212).
"""
from __future__ import annotations

import gzip
import re
import sys
from pathlib import Path

from .scaling import energy_factor

DEFAULT_LIB = Path(__file__).resolve().parents[2].parent / "shared" / "liberty" / "nangate45_typ.lib.gz"


def _block(text: str, start: int) -> str:
    """The brace-delimited group that opens at the first '{' after ``start``."""
    i = text.index("{", start)
    depth = 0
    for j in range(i, len(text)):
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                return text[i:j + 1]
    raise ValueError("unbalanced braces")


def _first(group: str, kind: str) -> float:
    m = re.search(kind + r"\s*\([^)]*\)\s*\{(.*?)\}", group, re.S)
    if m is None:
        raise ValueError(f"no {kind} table")
    v = re.search(r'values\s*\(\s*"([^"]*)"', m.group(1))
    return float(v.group(1).split(",")[0])


def ff_clock_fj(path: str | Path = DEFAULT_LIB, cell: str = "DFF_X1", pin: str = "CK") -> dict[str, float]:
    """Clock energy per cycle (fJ) of ``cell`` at the library's nominal voltage, with its parts."""
    raw = Path(path).read_bytes()
    text = (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode("latin-1")
    vnom = float(re.search(r"nom_voltage\s*:\s*([0-9.]+)", text).group(1))
    m = re.search(r"\bcell\s*\(\s*\"?" + re.escape(cell) + r"\"?\s*\)", text)
    if m is None:
        raise ValueError(f"liberty '{path}': no cell {cell}")
    body = _block(text, m.end())
    p = re.search(r"\bpin\s*\(\s*\"?" + re.escape(pin) + r"\"?\s*\)", body)
    if p is None:
        raise ValueError(f"liberty '{path}': cell {cell} has no pin {pin}")
    pb = _block(body, p.end())
    cap = float(re.search(r"\bcapacitance\s*:\s*([0-9.]+)", pb).group(1))
    internal = []
    for g in re.finditer(r"internal_power\s*\(\s*\)", pb):
        grp = _block(pb, g.end())
        when = re.search(r'when\s*:\s*"([^"]*)"', grp)
        w = when.group(1).replace(" ", "") if when else ""
        d_is_q = ("!D&!Q" in w) or (w.startswith("D&Q") or "&D&Q" in w)
        if not d_is_q:
            continue
        rise = 0.0 if re.search(r"rise_power\s*\(\s*scalar", grp) else _first(grp, "rise_power")
        fall = 0.0 if re.search(r"fall_power\s*\(\s*scalar", grp) else _first(grp, "fall_power")
        internal.append(rise + fall)
    if not internal:
        raise ValueError(f"liberty '{path}': no clock-pin internal power of {cell} with D = Q")
    e_int = sum(internal) / len(internal)
    return {"fj_per_cycle": e_int + cap * vnom * vnom, "internal_fj": e_int, "pin_cap_ff": cap,
            "nom_voltage": vnom}


def pj_per_cycle(path: str | Path = DEFAULT_LIB, node_nm: float = 28, vdd: float = 0.6,
                 lib_node_nm: float = 45) -> float:
    """The table entry: ``ff_clock_fj`` scaled from the library's node and voltage (pJ)."""
    r = ff_clock_fj(path)
    return r["fj_per_cycle"] * 1e-3 * energy_factor(lib_node_nm, r["nom_voltage"], node_nm, vdd)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    path = Path(argv[0]) if argv else DEFAULT_LIB
    try:
        r = ff_clock_fj(path)
        pj = pj_per_cycle(path)
    except (OSError, ValueError, AttributeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"[flipflop_clock] pj_per_cycle = {pj:.5g}   # DFF_X1 of {path.name}: {r['internal_fj']:.3f} fJ "
          f"internal + {r['pin_cap_ff']:.3f} fF x {r['nom_voltage']:g} V^2 at {r['nom_voltage']:g} V, "
          f"x{energy_factor(45, r['nom_voltage'], 28, 0.6):.3f} to 28 nm / 0.6 V")
    return 0


if __name__ == "__main__":
    sys.exit(main())
