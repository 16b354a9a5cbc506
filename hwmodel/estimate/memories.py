"""Every memory costed as the RTL builds it (docs/estimate.md §2-§3).

The organisation comes from ``hwmodel.spec.layers.organisation`` (words, width, banks, ports,
learning-only), the same description ``hwmodel.hw.rtlgen`` generates the RTL from. A memory of at
most ``regfile.max_bits`` bits is a flip-flop register file; a larger one is SRAM: ``banks``
macros of ceil(words / banks) rows with single-port ("1rw") or read+write ("1r1w") ports.

SRAM macros are costed by CACTI 7 (``hwmodel.estimate.cacti``) at the table's node for the
table's cell flavour (``meta.sram_cell``, default itrs-lstp), then brought to the table's supply:
dynamic energy × (VDD / V_CACTI)², leakage × VDD / V_CACTI (current held constant: the same
rules as the fit). Without CACTI (``sram_model = "fit"``, or "auto" when it is not installed)
the fit of ``sram_read`` / ``sram_write`` / ``sram_area`` / ``sram_leakage`` costs one bank of
ceil(words / banks) rows, and a 1r1w macro pays ``TWO_PORT`` (CACTI's own ratios, below).
``tests/estimate/test_estimate_memories.py`` checks that the two agree within ``FIT_TOLERANCE`` on a
grid of organisations inside the fit's data.
"""
from __future__ import annotations

from dataclasses import dataclass

from hwmodel.spec.config import Config
from hwmodel.spec.layers import organisation
from .scaling import delay_factor

# 1r1w / 1rw ratios measured with hwmodel.estimate.cacti (CACTI 7, 28 nm itrs-lstp) on
# 4,612 x 128, 9,224 x 128 and 147,584 x 8 macros: area 1.96-2.01, read 1.35-1.46, write
# 1.36-1.40, leakage 1.31. Used only by the fit (CACTI costs the ports itself).
TWO_PORT = {"area": 2.0, "read": 1.4, "write": 1.4, "leak": 1.31}
# agreement of the fit with CACTI inside the fit's data (0.5-64 KB per bank, 8-128-bit words),
# relative: measured on tests/estimate/test_estimate_memories.py's grid (36 organisations, 1rw/1r1w, 1/2
# banks) at most 31 % read, 27 % write, 13 % area, 44 % leakage (the fit takes one median
# leakage per bit); the fit's own errors against its data are rms 17 % / max 42 % (read)
FIT_TOLERANCE = {"read_pj": 0.35, "write_pj": 0.35, "area_um2": 0.15, "leak_uw": 0.5}
SRAM_MODELS = ("auto", "cacti", "fit")


@dataclass(frozen=True)
class MemSpec:
    """One memory of the configuration as built: ``depth`` words of ``width`` bits in ``banks``
    macros of ``ports``; ``kind`` "sram" or "regfile" (flip-flops)."""
    name: str
    depth: int
    width: int
    kind: str
    learning_only: bool
    banks: int = 1
    ports: str = "1rw"
    table: bool = False

    @property
    def bits(self) -> int:
        return self.depth * self.width

    @property
    def rows(self) -> int:
        return -(-self.depth // self.banks)


def memory_list(cfg: Config, tech) -> dict[str, MemSpec]:
    """Every memory of spec §15 but the LFSRs (flip-flops inside the synthesized logic)."""
    out = {}
    for name, m in organisation(cfg).items():
        if m["ports"] == "register":
            continue
        kind = "regfile" if tech.is_regfile(m["words"], m["width"]) else "sram"
        out[name] = MemSpec(name, m["words"], m["width"], kind, m["learning_only"], m["banks"],
                            m["ports"], m["table"])
    return out


_CACHE: dict[tuple, dict] = {}


def _fit_cost(m: MemSpec, tech) -> dict:
    two = TWO_PORT if m.ports == "1r1w" else {k: 1.0 for k in TWO_PORT}
    rows = m.rows
    return {"read_pj": tech.sram_read_pj(rows, m.width) * two["read"],
            "write_pj": tech.sram_write_pj(rows, m.width) * two["write"],
            "area_um2": m.banks * tech.sram_area_um2(rows, m.width) * two["area"],
            "leak_uw": m.banks * rows * m.width * tech.c["sram_leakage"]["pw_per_bit"] * 1e-6 * two["leak"],
            "access_ns": None, "cycle_ns": None, "model": "fit", "scaled": None}


def _cacti_cost(m: MemSpec, tech) -> dict:
    from . import cacti
    r = cacti.sram(m.depth, m.width, m.banks, m.ports, tech.node_nm, tech.sram_cell)
    v = r["vdd"]
    if v is None:
        raise cacti.CactiError(f"CACTI's supply for {tech.sram_cell} at {tech.node_nm:g} nm is unknown")
    dyn, leak = (tech.vdd / v) ** 2, tech.vdd / v
    try:   # CACTI's times are at its own supply: slower at the table's (scaling.delay_factor)
        slow = delay_factor(tech.node_nm, v, tech.node_nm, tech.vdd)
    except ValueError:
        slow = None
    cal = tech.sram_energy_factor
    return {"read_pj": r["read_pj"] * dyn * cal, "write_pj": r["write_pj"] * dyn * cal,
            "area_um2": r["area_um2"] * tech.sram_area_factor, "leak_uw": r["leak_uw"] * leak * tech.sram_leakage_factor,
            "access_ns": None if slow is None else r["access_ns"] * slow,
            "cycle_ns": None if slow is None else r["cycle_ns"] * slow, "model": "cacti",
            "access_ns_at_cacti_vdd": r["access_ns"], "cycle_ns_at_cacti_vdd": r["cycle_ns"],
            "cacti_vdd": v, "scaled": r["scaled"], "macro": r["macro"]}


def sram_cost(m: MemSpec, tech) -> dict:
    """Energy per read / write of one word (pJ), area (µm², all banks), leakage (µW, all banks),
    access and cycle time (ns, CACTI only, scaled to the table's supply by the delay fits) of an
    SRAM memory, at the table's supply; ``model``
    says which model gave them."""
    key = (tech.path, tech.node_nm, tech.vdd, tech.sram_cell, tech.sram_model, tech.sram_energy_factor,
           tech.sram_leakage_factor, tech.sram_area_factor, tech.sram_bracket_factor,
           tuple(sorted((k, tuple(sorted(v.items()))) for k, v in tech.c.items()
                        if k.startswith("sram"))),
           m.depth, m.width, m.banks, m.ports)
    if key not in _CACHE:
        if tech.sram_model == "fit":
            _CACHE[key] = _fit_cost(m, tech)
        else:
            from . import cacti
            try:
                _CACHE[key] = _cacti_cost(m, tech)
            except cacti.CactiUnavailable:
                if tech.sram_model == "cacti":
                    raise
                _CACHE[key] = {**_fit_cost(m, tech), "fallback": "CACTI unavailable"}
        if tech.sram_bracket_factor != 1.0:     # the calibration end of the energy bracket
            c = _CACHE[key]
            _CACHE[key] = {**c, "read_pj": c["read_pj"] * tech.sram_bracket_factor,
                           "write_pj": c["write_pj"] * tech.sram_bracket_factor}
    return _CACHE[key]


def regfile_cost(m: MemSpec, tech) -> dict:
    """A flip-flop register file: energy per bit accessed, GE per bit (read mux included)."""
    ge = m.bits * tech.c["regfile"]["ge_per_bit"]
    return {"read_pj": tech.c["regfile"]["read_pj_per_bit"] * m.width,
            "write_pj": tech.c["regfile"]["write_pj_per_bit"] * m.width,
            "area_um2": tech.placed_um2(ge), "ge": ge,
            "leak_uw": ge * tech.c["gate_leakage"]["nw_per_ge"] * 1e-3, "model": "regfile"}


def cost(m: MemSpec, tech) -> dict:
    return sram_cost(m, tech) if m.kind == "sram" else regfile_cost(m, tech)
