"""Technology-node and supply scaling of energies and areas (docs/estimate.md §2; docs/sources.md §1c).

``energy_factor(from_nm, from_v, to_nm, to_v)`` uses the Stillmaker–Baas polynomial
EF(node, V) = a·V² + b·V + c with the per-node coefficients of Accelergy's ``hwcomponents``
(``scaling/techscaling.py``, docs/sources.md §1c), **linearly interpolated in the node between the two
bracketing table nodes** (28 nm: one third of the way from 32 nm to 20 nm). hwcomponents' own
interpolation lands 28 nm near 20 nm and gives ×0.200 for 45 nm / 0.9 V → 28 nm / 0.6 V; the
interpolation here gives ×0.305. ``area_factor`` interpolates hwcomponents' cumulative area
factors the same way (45 → 28 nm: ×0.377, not ×0.293). ``classical_energy_factor`` is the C·V²
rule (C ∝ node): ×0.277 for the same step, the other end of the bracket. ``delay_factor`` scales
gate delays (the synthesized critical path, CACTI's access and cycle times) with the same
paper's low-power delay fits.
"""
from __future__ import annotations

# node (nm) -> (a, b, c) of EF(V) = a·V² + b·V + c   (hwcomponents, docs/sources.md §1c)
# 180 nm: the same paper's one fit for that node (linear in V; no HP/LP split above 45 nm)
ENERGY_COEFFS: dict[float, tuple[float, float, float]] = {
    180: (0.0, 24.64, -17.98),
    130: (7.171, -6.709, 2.904), 90: (4.762, -4.781, 2.092), 65: (3.755, -4.398, 1.975),
    45: (1.103, -0.362, 0.2767), 32: (0.9559, -0.7823, 0.471), 20: (0.373, -0.1582, 0.04104)}
# node -> area relative to 45 nm (hwcomponents: 45 -> 32 nm x0.46, 32 -> 20 nm x0.46)
AREA_REL_45: dict[float, float] = {45: 1.0, 32: 0.46, 20: 0.46 * 0.46}


# node (nm) -> (a, b, c, d) of the delay factor DF(V) = a·V³ + b·V² + c·V + d, Stillmaker–Baas
# (Integration 58, 2017, with its corrigendum; docs/sources.md §1c), low-power (LP) PTM fits: the
# flavour of the itrs-lstp SRAM and of the logic leakage (leakage.py); 180-65 nm have one fit each
DELAY_COEFFS: dict[float, tuple[float, float, float, float]] = {
    180: (0.0, 97.09, -356.7, 406.5), 130: (-76.65, 334.9, -493.4, 275.8),
    90: (-60.34, 262.5, -384.2, 210.9), 65: (-53.3, 230.4, -333.9, 178.6),
    45: (-285.7, 1239.0, -1795.0, 898.8), 32: (-325.9, 1374.0, -1922.0, 913.2),
    20: (-160.5, 514.1, -558.6, 217.5)}


def _bracket(table: dict[float, object], nm: float) -> tuple[float, float, float]:
    """(lo node, hi node, t): the value at ``nm`` is (1 - t)·table[hi] + t·table[lo], hi >= nm >= lo."""
    nodes = sorted(table)
    if not nodes[0] <= nm <= nodes[-1]:
        raise ValueError(f"node {nm:g} nm outside the scaling table ({nodes[0]:g}-{nodes[-1]:g} nm)")
    if nm in table:
        return nm, nm, 0.0
    hi = min(n for n in nodes if n > nm)
    lo = max(n for n in nodes if n < nm)
    return lo, hi, (hi - nm) / (hi - lo)


def _ef(nm: float, v: float) -> float:
    lo, hi, t = _bracket(ENERGY_COEFFS, nm)
    a, b, c = ((1 - t) * x + t * y for x, y in zip(ENERGY_COEFFS[hi], ENERGY_COEFFS[lo]))
    return a * v * v + b * v + c


def energy_factor(from_nm: float, from_v: float, to_nm: float, to_v: float) -> float:
    """Energy at (to_nm, to_v) / energy at (from_nm, from_v), Stillmaker–Baas (see module doc)."""
    return _ef(to_nm, to_v) / _ef(from_nm, from_v)


def _df(nm: float, v: float) -> float:
    lo, hi, t = _bracket(DELAY_COEFFS, nm)
    a, b, c, d = ((1 - t) * x + t * y for x, y in zip(DELAY_COEFFS[hi], DELAY_COEFFS[lo]))
    return ((a * v + b) * v + c) * v + d


def delay_factor(from_nm: float, from_v: float, to_nm: float, to_v: float) -> float:
    """Gate delay at (to_nm, to_v) / delay at (from_nm, from_v): Stillmaker–Baas LP delay fits,
    interpolated in the node like ``energy_factor`` (45 nm / 1.1 V -> 28 nm / 0.6 V: x3.09; the
    28 nm from 0.92 V to 0.6 V: x3.29). The fits cover the PTM LP models' voltage ranges
    (about 0.6 V and up); below them the polynomial is not a model."""
    if min(from_v, to_v) < 0.5:
        raise ValueError(f"delay scaling below 0.5 V ({min(from_v, to_v):g} V) is outside the fits")
    return _df(to_nm, to_v) / _df(from_nm, from_v)


def area_factor(from_nm: float, to_nm: float) -> float:
    def rel(nm: float) -> float:
        lo, hi, t = _bracket(AREA_REL_45, nm)
        return (1 - t) * AREA_REL_45[hi] + t * AREA_REL_45[lo]
    return rel(to_nm) / rel(from_nm)


def classical_energy_factor(from_nm: float, from_v: float, to_nm: float, to_v: float) -> float:
    """C·V² with C proportional to the node."""
    return (to_nm / from_nm) * (to_v / from_v) ** 2


if __name__ == "__main__":
    print(f"45 nm/0.9 V -> 28 nm/0.6 V: energy x{energy_factor(45, 0.9, 28, 0.6):.3f} "
          f"(C·V² x{classical_energy_factor(45, 0.9, 28, 0.6):.3f}), area x{area_factor(45, 28):.3f}")
    print(f"delay: 45 nm/1.1 V -> 28 nm/0.6 V x{delay_factor(45, 1.1, 28, 0.6):.3f}; "
          f"28 nm 0.92 V -> 0.6 V x{delay_factor(28, 0.92, 28, 0.6):.3f}")
