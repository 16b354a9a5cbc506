"""The estimate against silicon (issue: cost estimates checked against silicon): the calibrated
technology table (ODIN), its figures inside the default table's ranges, the clock tree, the
placement utilisation and the leakage bracket."""
from __future__ import annotations

import dataclasses

import pytest

from hwmodel.spec.config import Config
from hwmodel.estimate import estimate, load_tech
from hwmodel.estimate.area import find_yosys
from hwmodel.estimate.cli import main
from hwmodel.estimate.figures import LEAKAGE_SILICON_FACTOR, leakage_corners
from hwmodel.estimate.tech import TECH_DIR, TECH_NAMES

# docs/sources.md §5b: measured / predicted on ODIN, per component
ODIN = {("sram_read", "energy_pj"): 2.87, ("sram_write", "energy_pj"): 2.87, ("add", "pj_per_bit"): 2.87,
        ("regfile", "read_pj_per_bit"): 2.87, ("lfsr_step", "energy_pj"): 2.87,
        ("flipflop_clock", "pj_per_cycle"): 0.26, ("clock_gate", "disabled_pj_per_cycle"): 0.26,
        ("sram_leakage", "pw_per_bit"): 6.85, ("gate_leakage", "nw_per_ge"): 6.85, ("nand2_area", "um2"): 2.2,
        ("sram_area", "um2_per_bit"): 0.94}


def test_calibrated_table_is_the_default_times_the_odin_factors():
    d, c = load_tech("default"), load_tech("calibrated")
    assert c.name == "calibrated_28nm_0v6" and TECH_NAMES["default"] in d.path
    for (comp, f), k in ODIN.items():
        assert c.c[comp][f] == pytest.approx(d.c[comp][f] * k, rel=1e-4), (comp, f)
    assert (c.sram_energy_factor, c.sram_leakage_factor, c.sram_area_factor) == (2.87, 6.85, 0.94)
    assert (d.sram_energy_factor, d.sram_leakage_factor, d.sram_area_factor) == (1.0, 1.0, 1.0)
    assert c.c["clock_tree"]["fraction"] == 0.0
    assert c.c["placement"]["utilisation"] == 1.0 and d.c["placement"]["utilisation"] == 0.7
    assert load_tech("silicon_sram").c["sram_read"]["energy_pj"] == pytest.approx(3.19 * d.c["sram_read"]["energy_pj"],
                                                                                   rel=2e-3)
    assert {p.name for p in TECH_DIR.glob("*.toml")} == set(TECH_NAMES.values())


def test_bad_tech_name_is_one_line(capsys):
    assert main(["--tech", "calibratd", "--no-synth", "--samples", "1", "--train-samples", "0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "calibratd" in err[0], err


@pytest.fixture(scope="module")
def tiny_counters():
    from hwmodel.estimate import measure_counters
    return measure_counters(Config.load("tiny"), samples=8, train_samples=16)


def _tech(t, comp, **fields):
    c = {k: dict(v) for k, v in t.c.items()}
    c[comp].update(fields)
    return dataclasses.replace(t, c=c)


@pytest.mark.skipif(find_yosys() is None, reason="needs yosys (make test installs it)")
def test_calibrated_figures_lie_inside_the_default_ranges_and_the_new_brackets_act(tiny_counters):
    """The calibrated table's nominal energies and area are inside the default table's ranges;
    the clock tree multiplies the clock energy by 1 + fraction; the utilisation divides the
    placed area (logic and register files), not the SRAM's."""
    cfg = Config.load("tiny")
    d = estimate(cfg, "default", counters=tiny_counters, rate=100.0)
    c = estimate(cfg, "calibrated", counters=tiny_counters, rate=100.0)
    for k in ("learning", "inference_only"):      # every memory's leakage and area by the calibration
        for name, m in c["designs"][k]["memories"].items():
            md = d["designs"][k]["memories"][name]
            f_leak, f_area = (6.85, 0.94) if m["kind"] == "sram" else (6.85, 2.2 * 0.7)   # NAND2 x2.2, utilisation 0.7 -> 1
            assert m["leakage_uw"] == pytest.approx(md["leakage_uw"] * f_leak, rel=1e-3), name
            assert m["area_um2"] == pytest.approx(md["area_um2"] * f_area, rel=1e-3), name
    for k in ("energy_per_classification_nj", "energy_per_learning_sample_nj", "area_mm2"):
        lo, hi = d[f"{k}_range"]
        assert lo <= c[k] <= hi, (k, c[k], lo, hi)
        assert lo <= d[k] <= hi
    t = load_tech()
    no_tree = estimate(cfg, _tech(t, "clock_tree", fraction=0.0), counters=tiny_counters, rate=100.0)
    for ph in ("inference", "learning"):
        assert d["energy_nj_by_block"][ph]["clock"] == pytest.approx(
            no_tree["energy_nj_by_block"][ph]["clock"] * (1 + t.c["clock_tree"]["fraction"]))
    full = estimate(cfg, _tech(t, "placement", utilisation=1.0), counters=tiny_counters, rate=100.0)
    half = estimate(cfg, _tech(t, "placement", utilisation=0.5), counters=tiny_counters, rate=100.0)
    for k in ("learning", "inference_only"):
        sram_f = full["designs"][k]["area_mm2"] - full["designs"][k]["placed_area_mm2"]
        sram_h = half["designs"][k]["area_mm2"] - half["designs"][k]["placed_area_mm2"]
        assert sram_h == pytest.approx(sram_f)
        assert half["designs"][k]["placed_area_mm2"] == pytest.approx(2 * full["designs"][k]["placed_area_mm2"])
        assert full["designs"][k]["placed_area_mm2"] > full["designs"][k]["area_mm2_by_block"]["fc_core"]
    assert any("placement utilisation" in b for b in d["range_brackets"]["area"])


def test_leakage_corners_raise_the_placed_cells_or_everything():
    t = load_tech()
    f = t.c["gate_leakage"]["nw_per_ge_high"] / t.c["gate_leakage"]["nw_per_ge"]

    def design(sram, rf, logic):
        return {"leakage_uw": sram + rf + logic, "leakage_uw_by_block": {"memories": sram + rf, "fc_core": logic},
                "memories": {"w": {"kind": "sram", "leakage_uw": sram}, "r": {"kind": "regfile", "leakage_uw": rf}}}
    L, I = design(10.0, 1.0, 2.0), design(9.0, 0.5, 1.0)
    (l0, i0), (l1, i1), (l2, i2) = leakage_corners(t, L, I)
    assert (l0, i0) == (13.0, 10.5)
    assert l1 == pytest.approx(10.0 + 3.0 * f) and i1 == pytest.approx(9.0 + 1.5 * f)
    assert l2 == pytest.approx(13.0 * LEAKAGE_SILICON_FACTOR) and i2 == pytest.approx(10.5 * LEAKAGE_SILICON_FACTOR)
    assert 6.85 < LEAKAGE_SILICON_FACTOR and f > 100
