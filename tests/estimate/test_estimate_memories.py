"""The estimator costs memories as the RTL builds them (issue: cost estimates a designer can
trust): CACTI per bank macro with its ports, the fit as the fallback within a stated tolerance,
register files for the small host-writable tables, learning-only memories only on the learning
chip (checked against the synthesized RTL), and the corrected node scaling."""
from __future__ import annotations

import dataclasses

import pytest

from hwmodel.spec.config import Config
from hwmodel.estimate import scaling
from hwmodel.estimate.core import check_memories, memory_area, synthesize_design
from hwmodel.estimate.memories import FIT_TOLERANCE, MemSpec, memory_list, sram_cost
from hwmodel.estimate.tech import load_tech
from hwmodel.spec.layers import organisation
from conftest import require_tool


def _need(tool: str) -> None:
    if tool == "yosys":
        from hwmodel.estimate.area import find_yosys
        require_tool(None if find_yosys() is not None else "yosys is not installed", "yosys")
        return
    from hwmodel.estimate.cacti import CactiUnavailable, find_cacti
    try:
        find_cacti()
    except CactiUnavailable as e:
        require_tool(str(e), "CACTI 7")


@pytest.fixture(scope="module")
def tech():
    return load_tech()


# ---- technology scaling --------------------------------------------------------------------------
def test_node_scaling_factors():
    """45 nm / 0.9 V -> 28 nm / 0.6 V: x0.305 energy (Stillmaker-Baas coefficients interpolated in
    the node; hwcomponents' own interpolation gave x0.200), x0.377 area (not x0.293), and the
    classical C·V² rule x0.277 as the other end of the bracket."""
    assert scaling.energy_factor(45, 0.9, 28, 0.6) == pytest.approx(0.305, abs=0.001)
    assert scaling.area_factor(45, 28) == pytest.approx(0.377, abs=0.001)
    assert scaling.classical_energy_factor(45, 0.9, 28, 0.6) == pytest.approx(0.2765, abs=0.001)
    assert scaling.energy_factor(32, 0.8, 32, 0.8) == 1.0
    # at a table node the coefficients are the table's own (no interpolation)
    a, b, c = scaling.ENERGY_COEFFS[32]
    a0, b0, c0 = scaling.ENERGY_COEFFS[45]
    assert scaling.energy_factor(45, 0.9, 32, 0.9) == pytest.approx((a * .81 + b * .9 + c) / (a0 * .81 + b0 * .9 + c0))
    with pytest.raises(ValueError, match="outside"):
        scaling.energy_factor(45, 0.9, 5, 0.6)


@pytest.mark.parametrize("table", ["default_28nm_0v6.toml", "silicon_sram_28nm_0v6.toml"])
def test_logic_entries_are_their_sources_times_the_factor(table):
    """Every logic energy of the bundled tables = its 45-nm / 0.9-V source x energy_factor, and
    the NAND2 area = Nangate45's x area_factor (rounding of the table: 0.5 %)."""
    from hwmodel.estimate.tech import TECH_DIR
    t = load_tech(TECH_DIR / table)
    f, fa = scaling.energy_factor(45, 0.9, 28, 0.6), scaling.area_factor(45, 28)
    rel = 5e-3
    assert t.add_pj(8) == pytest.approx(0.03 * f, rel=rel) and t.add_pj(32) == pytest.approx(0.1 * f, rel=rel)
    assert t.multiply_pj(8, 8) == pytest.approx(0.2 * f, rel=rel)             # Horowitz 8-bit multiply
    assert t.compare_pj(32) == pytest.approx(0.0295 * f, rel=rel)             # Aladdin 32-bit comparator
    assert t.register_pj(1) == pytest.approx(0.009 * f, rel=rel)              # Aladdin register bit
    assert t.c["regfile"]["read_pj_per_bit"] == pytest.approx(0.009 * f, rel=rel)
    assert t.c["lfsr_step"]["energy_pj"] == pytest.approx(32 * 0.009 * f + 3 * (t.add_pj(1) - t.add_pj(0)), rel=rel)
    assert t.ge_um2 == pytest.approx(0.798 * fa, rel=rel)
    for name, e in t.c.items():
        assert "0.200" not in e["scaling"] and "x0.293" not in e["source"], name


# ---- memories as organised -----------------------------------------------------------------------
def test_tables_are_register_files_and_dact_is_learning_only(tech):
    """The B LUT is host-writable (access port): a flip-flop register file, not a ROM (2,560 bits
    x 10.3 GE); fc1_dact is read only by the update: on the learning chip only."""
    spoon = Config.preset("spoon")
    mems = memory_list(spoon, tech)
    b = mems["b_lut"]
    assert b.kind == "regfile" and b.learning_only and b.table
    a = memory_area(spoon, tech, True)
    assert a["b_lut"]["area_um2"] == pytest.approx(2560 * tech.c["regfile"]["ge_per_bit"] * tech.ge_um2
                                                   / tech.c["placement"]["utilisation"])
    assert a["b_lut"]["area_um2"] > 7000                          # a ROM model gave 728 µm²
    assert mems["fc1_dact"].learning_only and not mems["fc1_w"].learning_only
    inf = memory_area(spoon, tech, False)
    assert "fc1_dact" not in inf and "b_lut" not in inf and "fc1_w" in inf
    assert mems["sig_lut"].kind == "regfile" and not mems["sig_lut"].learning_only
    # the organisation of the weight memory reaches the cost: 2 banks of 4,612 x 128, 1rw
    w = mems["fc1_w"]
    assert (w.banks, w.rows, w.width, w.ports) == (2, 4612, 128, "1rw")


def _grid():
    for words, width in [(1290, 8), (8192, 8), (4096, 16), (4096, 32), (1024, 64), (8192, 64),
                         (256, 128), (2048, 128), (4096, 128)]:
        for ports in ("1rw", "1r1w"):
            for banks in (1, 2):
                yield MemSpec("m", words, width, "sram", False, banks, ports)


def test_cacti_and_fit_agree_within_the_stated_tolerance(tech):
    """On a grid of organisations inside the fit's CACTI data (0.5-64 KB banks, 8-128-bit words,
    1rw/1r1w, 1/2 banks) the fit (with CACTI's two-port ratios) stays within FIT_TOLERANCE of
    CACTI run directly."""
    _need("cacti")
    c, f = dataclasses.replace(tech, sram_model="cacti"), dataclasses.replace(tech, sram_model="fit")
    worst = {k: 0.0 for k in FIT_TOLERANCE}
    for m in _grid():
        a, b = sram_cost(m, c), sram_cost(m, f)
        assert a["model"] == "cacti" and b["model"] == "fit"
        for k, tol in FIT_TOLERANCE.items():
            err = abs(b[k] / a[k] - 1)
            worst[k] = max(worst[k], err)
            assert err <= tol, (m, k, a[k], b[k])
    assert worst["area_um2"] > 0.01                      # the two are different models


def test_cacti_costs_ports_banks_and_supply(tech):
    """What a designer expects: two ports cost area and energy, two banks of half the rows cost
    less energy per access than one big macro, and CACTI's numbers are brought from its own
    supply (lstp 0.92 V at 28 nm) to the table's 0.6 V by V² (energy), V (leakage) and the delay
    fits (access and cycle times)."""
    _need("cacti")
    from hwmodel.estimate import cacti
    t = dataclasses.replace(tech, sram_model="cacti")
    one = sram_cost(MemSpec("w", 9224, 128, "sram", False, 1, "1rw"), t)
    two = sram_cost(MemSpec("w", 9224, 128, "sram", False, 2, "1rw"), t)
    dual = sram_cost(MemSpec("w", 9224, 128, "sram", False, 1, "1r1w"), t)
    assert two["read_pj"] < one["read_pj"] and dual["read_pj"] > one["read_pj"]
    assert 1.8 < dual["area_um2"] / one["area_um2"] < 2.2
    raw = cacti.sram(9224, 128, 1, "1rw", 28, "itrs-lstp")
    assert raw["vdd"] == pytest.approx(0.92, abs=0.005)
    assert one["read_pj"] == pytest.approx(raw["read_pj"] * (0.6 / raw["vdd"]) ** 2)
    assert one["leak_uw"] == pytest.approx(raw["leak_uw"] * 0.6 / raw["vdd"])
    assert one["area_um2"] == raw["area_um2"]
    # times by the low-power delay fits: 0.92 V -> 0.6 V is x3.29 slower (Stillmaker-Baas, LP)
    from hwmodel.estimate.scaling import delay_factor
    assert delay_factor(28, raw["vdd"], 28, 0.6) == pytest.approx(3.29, abs=0.01)
    assert one["access_ns"] == pytest.approx(raw["access_ns"] * delay_factor(28, raw["vdd"], 28, 0.6))
    assert one["cycle_ns"] == pytest.approx(raw["cycle_ns"] * delay_factor(28, raw["vdd"], 28, 0.6))
    from hwmodel.estimate.tech import TECH_DIR
    sil = dataclasses.replace(load_tech(TECH_DIR / "silicon_sram_28nm_0v6.toml"), sram_model="cacti")
    assert sram_cost(MemSpec("w", 9224, 128, "sram", False, 1, "1rw"), sil)["read_pj"] == pytest.approx(3.19 * one["read_pj"])


def test_auto_falls_back_to_the_fit_without_cacti(tech, monkeypatch, tmp_path):
    monkeypatch.setenv("HWMODEL_CACTI", str(tmp_path / "missing"))
    from hwmodel.estimate import memories
    monkeypatch.setattr(memories, "_CACHE", {})
    m = MemSpec("w", 4096, 64, "sram", False, 1, "1rw")
    c = sram_cost(m, dataclasses.replace(tech, sram_model="auto"))
    assert c["model"] == "fit" and "unavailable" in c["fallback"]
    from hwmodel.estimate.cacti import CactiUnavailable
    with pytest.raises(CactiUnavailable):
        sram_cost(m, dataclasses.replace(tech, sram_model="cacti"))


# ---- the estimate describes the RTL ---------------------------------------------------------------
def _tiny_lanes() -> Config:
    return Config.preset("tiny").replace(**{"fc1.lanes": 5, "fc1.weight_banks": 2, "fc1.weight_ports": "1rw",
                                            "fc2.lanes": 3, "fc2.weight_ports": "1rw"})


@pytest.mark.parametrize("name", ["tiny", "tiny_lanes", "tiny_depth2"])
@pytest.mark.parametrize("learning", [True, False])
def test_estimate_memories_are_the_rtl_memories(name, learning):
    """Synthesize the RTL (memories as black boxes) and compare every sram instance with the
    organisation the estimate costs: same memories (learning-only ones absent at LEARNING = 0),
    banks, rows per bank, width and ports. A wrong organisation is reported."""
    _need("yosys")
    cfg = {"tiny_lanes": _tiny_lanes,
           "tiny_depth2": lambda: Config.preset("tiny").replace(**{"hidden.sizes": "16,12", "hidden.1.lanes": 4,
                                                                  "hidden.1.weight_banks": 2})}.get(
        name, lambda: Config.preset("tiny"))()
    syn = synthesize_design(cfg, learning)
    assert check_memories(syn, cfg, learning) == []
    org = organisation(cfg)
    n_inst = sum(m["banks"] for m in org.values()
                 if m["ports"] != "register" and (learning or not m["learning_only"]))
    assert len(syn.memories) == n_inst
    other = cfg.replace(**{"hidden.0.weight_banks": 4 if name == "tiny_lanes" else 2})
    assert any("fc1_w" in n for n in check_memories(syn, other, learning))
    if learning:          # the learning chip's memories called learning-only would be missing
        assert not any("learning-only" in n for n in check_memories(syn, cfg, True))
    else:
        assert any("treats it as learning-only" in n or "no sram instance" in n
                   for n in check_memories(synthesize_design(cfg, True), cfg, False))


# ---- one device flavour -----------------------------------------------------------------------------
def test_logic_leakage_is_the_sram_flavour(tech):
    """gate_leakage of the bundled tables is derived from CACTI's itrs-lstp device tables (the
    flavour of the SRAM macros), not a general-purpose process: re-deriving it gives the table's
    value; the high-performance flavour leaks over 100x more."""
    _need("cacti")
    from hwmodel.estimate import leakage
    lstp = leakage.nw_per_ge(28, "itrs-lstp", 0.6)
    assert tech.c["gate_leakage"]["nw_per_ge"] == pytest.approx(lstp["nw_per_ge"], rel=1e-3)
    assert lstp["cacti_vdd"] == pytest.approx(0.92, abs=0.005)
    hp = leakage.nw_per_ge(28, "itrs-hp", 0.6)
    assert hp["nw_per_ge"] > 100 * lstp["nw_per_ge"]
    # one GE leaks the order of one SRAM bit of the same flavour (12.4 pW/bit), not 3,000 of them
    assert 0.3 < tech.c["gate_leakage"]["nw_per_ge"] * 1e3 / tech.c["sram_leakage"]["pw_per_bit"] < 10
