"""The headline figures of the estimate and the corners of its ranges (docs/estimate.md §2, §4):
energies, powers and overheads from the energy breakdowns (``figures``), the technology ends of
the energy bracket (``energy_variants``), the leakage bracket (``leakage_corners``) and the area
corners (``area_range_corners``)."""
from __future__ import annotations

import dataclasses

from hwmodel.spec.config import Config
from .tech import Tech


def _pct(a: float, b: float) -> float | None:
    return 100.0 * a / b if b else None


# the brackets of the estimate's ranges (docs/estimate.md §2)
SRAM_SILICON_FACTOR = 3.19   # docs/sources.md §2c: measured 28-nm FDSOI SRAM over CACTI (16 KB x 64 b)
# docs/sources.md §5b: ODIN's measured leakage over this method's prediction (x6.85), at the +50 %
# end of its stated uncertainty: the high end of the leakage bracket
LEAKAGE_SILICON_FACTOR = round(6.85 * 1.5, 2)
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


def figures(en: dict, en_i: dict, leak_l: float, leak_i: float, t_class_us: float, t_learn_us: float,
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


def leakage_corners(tech: Tech, L: dict, I: dict) -> list[tuple[float, float]]:
    """(learning chip, inference-only chip) leakage in µW at the corners of the leakage bracket:
    nominal; the placed cells (logic and register files) at the high device
    (``gate_leakage.nw_per_ge_high``, the SRAM macros as costed); every part at the silicon
    calibration (``LEAKAGE_SILICON_FACTOR``)."""
    f = tech.c["gate_leakage"]["nw_per_ge_high"] / tech.c["gate_leakage"]["nw_per_ge"] \
        if tech.c["gate_leakage"]["nw_per_ge"] else 1.0

    def placed(D: dict) -> float:
        rf = sum(m["leakage_uw"] for m in D["memories"].values() if m["kind"] == "regfile")
        return D["leakage_uw"] - D["leakage_uw_by_block"]["memories"] + rf
    return [(L["leakage_uw"], I["leakage_uw"]),
            (L["leakage_uw"] + placed(L) * (f - 1.0), I["leakage_uw"] + placed(I) * (f - 1.0)),
            (L["leakage_uw"] * LEAKAGE_SILICON_FACTOR, I["leakage_uw"] * LEAKAGE_SILICON_FACTOR)]


def area_range_corners(cfg: Config, tech: Tech, L: dict, I: dict, liberty) -> tuple[list[dict], dict, float]:
    """The area brackets: (CACTI / fit SRAM area) x (NAND2 area by the interpolated or the
    classical (node/45)^2 rule, on the logic) x (placement utilisation: the table's, its low end,
    1.0, on the placed cells: logic and register files); returns (corners, the other SRAM model's
    areas, the GE ratio)."""
    from .core import memory_area
    from .scaling import area_factor
    try:
        ge_ratio = (tech.node_nm / 45.0) ** 2 / area_factor(45, tech.node_nm)
    except ValueError:
        ge_ratio = 1.0
    alt_mem = {}
    if tech.sram_model != "fit":
        ft = dataclasses.replace(tech, sram_model="fit")
        alt_mem = {k: sum(m["area_um2"] for m in memory_area(cfg, ft, k == "learning").values()
                          if m["kind"] == "sram") * 1e-6
                   for k in ("learning", "inference_only")}
    u0 = tech.utilisation
    utils = sorted({u0, tech.c["placement"]["utilisation_low"], 1.0})
    area_corners = []
    for d_mem in (False, True):
        if d_mem and not alt_mem:
            continue
        for g in (1.0, ge_ratio):
            for u in utils:
                a = {}
                for k, D in (("learning", L), ("inference_only", I)):
                    placed = D["placed_area_mm2"]
                    logic = D["area_mm2"] - D["area_mm2_by_block"]["memories"]
                    sram = D["area_mm2"] - placed
                    gg = 1.0 if liberty is not None else g
                    a[k] = (alt_mem[k] if d_mem else sram) + (placed + logic * (gg - 1.0)) * u0 / u
                dA = a["learning"] - a["inference_only"]
                area_corners.append({"area_mm2": a["learning"],
                                     "learning_overhead_area_pct": _pct(dA, a["inference_only"]),
                                     "learning_overhead_area_pct_of_total": _pct(dA, a["learning"])})
    return area_corners, alt_mem, ge_ratio
