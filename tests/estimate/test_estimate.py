"""Estimators: technology table, traffic, energy, memory area, CLI (no Yosys needed here)."""
from __future__ import annotations

import json
import dataclasses
import math
import re
import tomllib
from pathlib import Path

import numpy as np
import pytest

from hwmodel.spec.config import Config
from hwmodel.spec.counters import counter_index, counter_names
from naive import spec10
from hwmodel.estimate import (BLOCKS, DEFAULT_RATE_HZ, DEFAULT_TECH, SCHEMA, TechError, counter_costs, energy_breakdown,
                              estimate, load_tech, memory_area, memory_specs)
from hwmodel.estimate import fit as fitmod
from hwmodel.estimate.cli import main

JSON_KEYS = ("energy_per_classification_nj", "energy_per_learning_sample_nj", "learning_extra_energy_nj",
             "latency_per_classification_us", "latency_per_learning_sample_us", "clock_mhz", "power_mw",
             "area_mm2", "learning_overhead_power_pct", "learning_overhead_power_pct_of_total",
             "learning_overhead_area_pct", "learning_overhead_area_pct_of_total", "traffic")


@pytest.fixture(scope="module")
def tech():
    return load_tech()


@pytest.fixture(scope="module")
def tiny_counters():
    from hwmodel.estimate import measure_counters
    return measure_counters(Config.load("tiny"), samples=8, train_samples=16)


# ---- technology table ---------------------------------------------------------------------------
def test_default_tech_complete(tech):
    assert set(tech.c) == set(SCHEMA)
    for name, e in tech.c.items():
        assert e["source"].strip() and e["scaling"].strip(), name
    assert tech.vdd == 0.6 and tech.node_nm == 28


def _write_tech(tmp_path: Path, mutate) -> Path:
    data = tomllib.loads(DEFAULT_TECH.read_text())
    mutate(data)
    lines = ["[meta]"] + [f"{k} = {json.dumps(v)}" for k, v in data["meta"].items()]
    for comp, fields in data.get("components", {}).items():
        lines.append(f"[components.{comp}]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in fields.items()]
    p = tmp_path / "t.toml"
    p.write_text("\n".join(lines) + "\n")
    return p


def test_tech_roundtrip_writer(tmp_path, tech):
    t2 = load_tech(_write_tech(tmp_path, lambda d: None))
    assert t2.c == tech.c


@pytest.mark.parametrize("mutate, needle", [
    (lambda d: d["components"]["add"].pop("pj_per_bit"), "components.add.pj_per_bit: missing"),
    (lambda d: d["components"]["multiply"].update(pj_per_bit2=-0.1), "components.multiply.pj_per_bit2: negative"),
    (lambda d: d["components"].update(flux_capacitor={"energy_pj": 1.0, "source": "x", "scaling": "y"}),
     "components.flux_capacitor: unknown component"),
    (lambda d: d["components"].pop("sram_read"), "components.sram_read: missing component"),
    (lambda d: d["components"]["compare"].pop("source"), "components.compare.source: missing"),
    (lambda d: d["components"]["lfsr_step"].update(energy_pj="cheap"), "components.lfsr_step.energy_pj: must be a number"),
    (lambda d: d["components"]["regfile"].update(colour=3), "components.regfile.colour: unknown field"),
    (lambda d: d["meta"].pop("vdd"), "meta.vdd: missing"),
])
def test_malformed_tech_names_entry(tmp_path, mutate, needle):
    p = _write_tech(tmp_path, mutate)
    with pytest.raises(TechError) as ei:
        load_tech(p)
    msg = str(ei.value)
    assert needle in msg and str(p) in msg and "\n" not in msg


def test_bad_toml_and_cli_one_line(tmp_path, capsys):
    p = tmp_path / "bad.toml"
    p.write_text("[meta\nname = 1\n")
    with pytest.raises(TechError, match="invalid TOML"):
        load_tech(p)
    q = _write_tech(tmp_path, lambda d: d["components"]["add"].update(pj_fixed=-1.0))
    assert main(["--config", "tiny", "--no-synth", "--tech", str(q)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "components.add.pj_fixed" in err and len(err.splitlines()) == 1


def test_tech_sram_numbers_reproduce_fit(tech):
    """The tables' SRAM entries are the fit of the 40 macros the project's own CACTI build costs
    (python -m hwmodel.estimate.fit; cached, a few seconds cold)."""
    from conftest import require_tool
    from hwmodel.estimate.cacti import CactiUnavailable, find_cacti
    try:
        find_cacti()
    except CactiUnavailable as e:
        require_tool(str(e), "CACTI 7")
    rows = fitmod.cacti_rows()
    assert len(rows) == 40 and {r["word_bits"] for r in rows} == {8, 16, 32, 64, 128}
    f = fitmod.fit(rows)
    for comp in ("sram_read", "sram_write"):
        for k in ("energy_pj", "size_exp", "word_exp"):
            assert math.isclose(tech.c[comp][k], f[comp][k], rel_tol=1e-3), (comp, k)
    for k in ("um2_per_bit", "um2_per_column"):
        assert math.isclose(tech.c["sram_area"][k], f["sram_area"][k], rel_tol=1e-3), k
    assert math.isclose(tech.c["sram_leakage"]["pw_per_bit"], f["sram_leakage"]["pw_per_bit"], rel_tol=1e-3)


def test_sram_model_close_to_cacti_anchor(tech):
    # docs/sources.md §2b: 8 KB x 64 b lstp read 2.58 pJ at ~0.92 V -> ~1.1 pJ at 0.6 V; area 0.0102 mm²
    assert 0.6 < tech.sram_read_pj(1024, 64) < 1.8
    assert 0.007e6 < tech.sram_area_um2(1024, 64) < 0.014e6


# ---- the doubling test --------------------------------------------------------------------------
def test_doubling_weight_bits_doubles_fc1_memory(tech):
    c4 = Config.load("spoon").replace(**{"fc1.weight": "s4", "fc1.init_bound": 7})
    c8 = Config.load("spoon").replace(**{"fc1.weight": "s8", "fc1.init_bound": 7})
    m4, m8 = memory_specs(c4, tech)["fc1_w"], memory_specs(c8, tech)["fc1_w"]
    assert m8.bits == 2 * m4.bits and m4.kind == m8.kind == "sram"
    fit = dataclasses.replace(tech, sram_model="fit")
    # CACTI re-organises the wider array: its periphery grows less than the cells, and a read of a
    # twice-as-wide word costs a little more than twice
    for t, lo, hi in ((fit, 1.8, 2.4), (tech, 1.5, 2.8)):
        a4 = memory_area(c4, t, True)["fc1_w"]["area_um2"]
        a8 = memory_area(c8, t, True)["fc1_w"]["area_um2"]
        assert lo < a8 / a4 < 2.2, (t.sram_model, a8 / a4)
        e4 = dict(counter_costs(c4, t)["fc1_w_rd"])["memories"]
        e8 = dict(counter_costs(c8, t)["fc1_w_rd"])["memories"]
        assert 1.3 < e8 / e4 < hi, (t.sram_model, e8 / e4)
    assert m8.width == 8 * c8.fc1.lanes        # one read returns a word of lanes weights
    # the fit costs one bank of ceil(words / banks) rows
    e8 = dict(counter_costs(c8, fit)["fc1_w_rd"])["memories"]
    assert math.isclose(e8, fit.sram_read_pj(-(-m8.depth // m8.banks), m8.width))


# ---- counters -> energy -------------------------------------------------------------------------
def test_every_counter_has_a_block_and_cost(tech):
    costs = counter_costs(Config.load("spoon"), tech)
    assert set(costs) == set(counter_names(1))
    for n, items in costs.items():
        # cycles cost only the clock of the chip's flip-flops (their count comes from synthesis)
        assert (items == []) if n == "cycles" else items, n
        for blk, pj in items:
            assert blk in BLOCKS and pj >= 0, (n, blk)
    clocked = dict(counter_costs(Config.load("spoon"), tech, n_ff=1000)["cycles"])
    assert clocked == {"clock": pytest.approx(1000 * tech.c["flipflop_clock"]["pj_per_cycle"])}


def test_energy_is_counts_times_costs(tech):
    cfg = Config.load("spoon")
    idx = counter_index(1)
    per = np.zeros((2, len(idx)))
    per[0, idx["conv_add"]] = 1000
    per[1, idx["lfsr_step"]] = 10
    en = energy_breakdown(cfg, per, tech)
    assert math.isclose(en["inference"]["blocks"]["conv_core"], 1000 * tech.add_pj(cfg.bits["PB"]) / 1000)
    assert math.isclose(en["learning"]["blocks"]["drtp_unit"], 10 * tech.c["lfsr_step"]["energy_pj"] / 1000)
    assert en["inference"]["blocks"]["memories"] == 0.0


def test_inference_only_has_zero_learning_energy(tech, tiny_counters):
    cfg = Config.load("tiny")
    inf, _, info = tiny_counters
    assert not inf[1].any()  # inference mode: no learning-phase counts
    r = estimate(cfg, tech, synth=False, counters=(inf, inf, info))
    # no learning phase: the learning sample is a classification, nothing extra
    assert r["learning_extra_energy_nj"] == 0.0
    assert r["energy_per_learning_sample_nj"] == r["energy_per_classification_nj"]
    assert r["latency_per_learning_sample_us"] == r["latency_per_classification_us"]
    assert all(v == 0.0 for v in r["energy_nj_by_block"]["learning"].values())
    assert "b_lut" not in r["designs"]["inference_only"]["memories"]
    assert "fc1_dact" not in r["designs"]["inference_only"]["memories"]   # learning-only (RTL: g_dact)
    assert "fc1_dact" in r["designs"]["learning"]["memories"]
    assert r["energy_per_classification_dynamic_nj"] > 0


def test_learning_energy_and_overheads_positive(tech, tiny_counters):
    r = estimate(Config.load("tiny"), tech, synth=False, counters=tiny_counters)
    assert r["energy_per_learning_sample_nj"] > 0
    assert r["energy_nj_by_block"]["learning"]["drtp_unit"] > 0
    assert r["learning_overhead_power_pct"] > r["learning_overhead_power_pct_of_total"] > 0
    assert r["area_mm2"] > r["area_mm2_inference_only"]
    tr = r["traffic"]
    assert set(tr) == set(spec10.MEMORIES)
    fc1 = tr["fc1_w"]["per_learning_sample"]
    assert fc1["reads"] == fc1["writes"] and fc1["read_bits"] == fc1["reads"] * 8
    assert tr["b_lut"]["per_learning_sample"]["reads"] == 1.0
    assert tr["b_lut"]["per_classification"]["reads"] == 0.0


def test_overheads_in_both_conventions_and_the_learning_duty_cycle(tech, tiny_counters):
    """SPOON's convention (the same chip learning vs classifying) beside the inference-only chip's,
    absolute increments, and --learn-every N: the learning phases' power scales by 1/N."""
    cfg = Config.load("tiny")
    r1 = estimate(cfg, tech, synth=False, counters=tiny_counters)
    r8 = estimate(cfg, tech, synth=False, counters=tiny_counters, learn_every=8)
    for r in (r1, r8):
        p = r["power_uw"]
        assert r["learning_overhead_power_same_chip_pct"] == pytest.approx(
            100 * (p["training"] / p["classification_learning_chip"] - 1))
        assert r["learning_overhead_power_pct"] == pytest.approx(100 * (p["training"] / p["inference_only_chip"] - 1))
    assert r1["learn_every"] == 1 and r8["learn_every"] == 8
    p1, p8 = r1["power_uw"], r8["power_uw"]
    assert p1["training"] - p1["classification_learning_chip"] == pytest.approx(
        8 * (p8["training"] - p8["classification_learning_chip"]))
    assert r1["learning_overhead_power_same_chip_pct"] == pytest.approx(8 * r8["learning_overhead_power_same_chip_pct"])
    assert r1["learning_overhead_energy_same_chip_pct"] == pytest.approx(
        100 * (r1["energy_per_learning_sample_nj"] / r1["energy_per_classification_nj"] - 1))
    assert r8["learning_overhead_energy_same_chip_pct"] == r1["learning_overhead_energy_same_chip_pct"]
    assert r1["learning_increment_nj"] == r1["learning_extra_energy_nj"] > 0
    assert r1["learning_increment_over_inference_only_chip_nj"] == pytest.approx(
        r1["energy_per_learning_sample_nj"] - r1["energy_per_classification_inference_only_chip_nj"])
    assert r1["learning_increment_area_mm2"] == pytest.approx(r1["area_mm2"] - r1["area_mm2_inference_only"])
    lo, hi = r8["learning_overhead_power_same_chip_pct_range"]
    assert lo <= r8["learning_overhead_power_same_chip_pct"] <= hi
    for bad in (0, -1, True, 1.5):
        with pytest.raises(ValueError, match="--learn-every"):
            estimate(cfg, tech, synth=False, counters=tiny_counters, learn_every=bad)


def test_leakage_is_charged_per_sample_duration(tech, tiny_counters):
    """Leakage energy = leakage power x the sample's own cycles / clock: a learning sample (more
    cycles) pays more, the rate changes only the average power, a faster clock less leakage."""
    from hwmodel.spec.counters import counter_names
    cfg = Config.load("tiny")
    ci = counter_names(cfg).index("cycles")
    inf, lrn, _ = tiny_counters
    r1 = estimate(cfg, tech, synth=False, counters=tiny_counters, rate=1000.0, clock_mhz=100.0)
    r2 = estimate(cfg, tech, synth=False, counters=tiny_counters, rate=2000.0, clock_mhz=100.0)
    r3 = estimate(cfg, tech, synth=False, counters=tiny_counters, rate=1000.0, clock_mhz=200.0)
    leak_uw = r1["power_uw"]["leakage_learning_chip"]
    t_c, t_l = inf[0][ci] / 100.0, (lrn[0][ci] + lrn[1][ci]) / 100.0        # µs
    assert r1["latency_per_classification_us"] == t_c and r1["latency_per_learning_sample_us"] == t_l
    assert t_l > t_c
    assert math.isclose(r1["energy_per_classification_nj"],
                        r1["energy_per_classification_dynamic_nj"] + leak_uw * t_c * 1e-3)
    assert math.isclose(r1["leakage_energy_nj"]["learning_sample"], leak_uw * t_l * 1e-3)
    assert math.isclose(r1["energy_per_learning_sample_nj"] - r1["learning_extra_energy_nj"],
                        r1["energy_per_classification_nj"])
    assert r2["energy_per_classification_nj"] == r1["energy_per_classification_nj"]
    assert r2["power_mw"] > r1["power_mw"]
    assert math.isclose(r3["leakage_energy_nj"]["classification"], r1["leakage_energy_nj"]["classification"] / 2)
    assert r1["power_mw_peak"] > r1["power_mw"]


def test_rate_beyond_throughput_and_slow_sram_clock(tech, tiny_counters):
    cfg = Config.load("tiny")
    r = estimate(cfg, tech, synth=False, counters=tiny_counters, clock_mhz=100.0)
    fast = 1.0 / (r["latency_per_classification_us"] * 1e-6)
    with pytest.raises(ValueError, match="throughput"):
        estimate(cfg, tech, synth=False, counters=tiny_counters, rate=2 * fast, clock_mhz=100.0)
    spoon = Config.load("spoon")
    from hwmodel.estimate import measure_counters
    c = measure_counters(spoon, samples=2, train_samples=0)
    r = estimate(spoon, tech, synth=False, counters=c, clock_mhz=5000.0, rate=10.0)
    assert any("fc1_w needs" in n and "more than the 0.20 ns period" in n for n in r["notes"]), r["notes"]


def test_default_rate_is_spoons_or_the_chips_own_throughput(tech, tiny_counters):
    """No rate: SPOON's (one classification per 0.12 ms) when the chip keeps up, else the chip's
    own throughput at the clock, a hair below it, and a note that says so."""
    cfg = Config.load("tiny")
    r = estimate(cfg, tech, synth=False, counters=tiny_counters, clock_mhz=100.0)
    assert r["rate_source"] == "spoon_latency" and r["rate_hz"] == DEFAULT_RATE_HZ
    slow = estimate(cfg, tech, synth=False, counters=tiny_counters, clock_mhz=0.5)   # 0.5 MHz: too slow
    own = 0.5e6 / slow["cycles_per_classification"]
    assert slow["rate_source"] == "throughput" and own * (1 - 1e-6) < slow["rate_hz"] < own
    assert any(n.startswith("rate: the processor's own throughput") for n in slow["notes"]), slow["notes"]
    given = estimate(cfg, tech, synth=False, counters=tiny_counters, clock_mhz=100.0, rate=10.0)
    assert given["rate_source"] == "given" and given["rate_hz"] == 10.0


def test_refused_rate_names_a_rate_and_a_clock_that_work(tech, tiny_counters):
    cfg = Config.load("tiny")
    r = estimate(cfg, tech, synth=False, counters=tiny_counters, clock_mhz=100.0)
    own = 1.0 / (r["latency_per_classification_us"] * 1e-6)     # the chip's throughput at 100 MHz
    too_fast = 2.71828 * own                                     # needs 271.828 MHz
    with pytest.raises(ValueError) as e:
        estimate(cfg, tech, synth=False, counters=tiny_counters, rate=too_fast, clock_mhz=100.0)
    m = re.search(r"give --rate ([0-9.e+]+) or less, --clock ([0-9.e+]+) or more", str(e.value))
    assert m, str(e.value)
    rate_ok, clock_ok = float(m.group(1)), float(m.group(2))
    assert 0.99 * own < rate_ok <= own and clock_ok == 272.0     # 3 significant digits, rounded the safe way
    estimate(cfg, tech, synth=False, counters=tiny_counters, rate=rate_ok, clock_mhz=100.0)
    estimate(cfg, tech, synth=False, counters=tiny_counters, rate=too_fast, clock_mhz=clock_ok)
    with pytest.raises(ValueError, match="throughput"):       # a hair less clock is too slow
        estimate(cfg, tech, synth=False, counters=tiny_counters, rate=too_fast, clock_mhz=271.0)


# ---- CLI ----------------------------------------------------------------------------------------
def test_cli_weights_costs_the_trained_chip_on_its_test_set(tmp_path, capsys):
    """estimate --weights on a chip train --out wrote: the config is the file's, the counters are
    the chip's on its own test samples (the accuracy train reported), the learning counters
    those of its first training samples."""
    from hwmodel import cli
    from hwmodel.data.select import DataSpec, load_data
    from hwmodel.engine.processor import Processor
    from hwmodel.estimate.energy import chip_counters
    data = ["--n-train", "300", "--n-test", "100"]
    assert cli.main(["train", "--config", "tiny", *data, "--epochs", "1", "--no-float", "--no-baselines",
                     "--no-progress", "--out", str(tmp_path / "run")]) == 0
    trained = json.loads((tmp_path / "run" / "results.json").read_text())
    capsys.readouterr()
    w = tmp_path / "run" / "weights.npz"
    assert main(["--weights", str(w), *data, "--no-synth", "--json", "--no-progress"]) == 0
    r = json.loads(capsys.readouterr().out)
    m = r["measurement"]
    assert r["config"] == "tiny" and m["weights"] == str(w) and m["samples"] == 100
    assert m["accuracy"] == trained["test_accuracy"] and m["learning_samples"] == 200
    # the figures are the estimator's on exactly those counters, measured here independently:
    # inference over the 100 test samples, learning over the first 200 training samples
    proc = Processor.load(w)
    prep, _ = load_data(proc.cfg, DataSpec(n_train=300, n_test=100))
    inf = proc.copy().run(prep.test, prep.y_test).counters / 100
    lrn = proc.copy().run(prep.train.subset(np.arange(200)), prep.y_train[:200], learn=True).counters / 200
    ref = estimate(proc.cfg, synth=False, counters=(inf, lrn, {"samples": 100}))
    for k in ("energy_per_classification_nj", "energy_per_learning_sample_nj", "learning_extra_energy_nj",
              "rate_hz", "power_mw"):
        assert r[k] == ref[k], k
    got = chip_counters(proc, prep)
    np.testing.assert_array_equal(got[0], inf)
    np.testing.assert_array_equal(got[1], lrn)
    # the summary says what was measured
    assert main(["--weights", str(w), *data, "--no-synth", "--no-progress"]) == 0
    assert f"measured on the chip in {w} on its 100 test samples" in capsys.readouterr().out


def test_cli_json_keys(capsys):
    assert main(["--config", "tiny", "--no-synth", "--json", "--samples", "4", "--train-samples", "4"]) == 0
    r = json.loads(capsys.readouterr().out)
    for k in JSON_KEYS:
        assert k in r, k
    assert r["area_includes_logic"] is False
    assert r["spoon_reference"]["energy_per_classification_nj"] == 313.0


def test_cli_out_writes_report(tmp_path, capsys):
    out = tmp_path / "rep"
    assert main(["--config", "tiny", "--no-synth", "--samples", "4", "--train-samples", "0",
                 "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "energy per classification" in text
    for f in ("report.md", "report.html", "estimate.json", "energy.png", "area.png"):
        assert (out / f).stat().st_size > 0, f
    html = (out / "report.html").read_text()
    assert "data:image/png;base64," in html and "SPOON" in html
    assert "fresh" in (out / "report.md").read_text()


@pytest.mark.parametrize("args, needle", [
    (["--rate", "0"], "--rate"),
    (["--samples", "0"], "--samples"),
    (["--set", "fc1.weight=s99"], "fc1.weight"),
    (["--rtl", "/nonexistent/rtl"], "RTL folder"),
    (["--learn-every", "0"], "--learn-every"),
])
def test_cli_bad_input_one_line(args, needle, capsys):
    assert main(["--config", "tiny", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and needle in err and len(err.splitlines()) == 1


@pytest.mark.parametrize("path", sorted(DEFAULT_TECH.parent.glob("*.toml")), ids=lambda p: p.name)
def test_every_shipped_tech_table_is_valid(path):
    t = load_tech(path)
    assert t.vdd > 0 and set(t.c) == set(SCHEMA)


def test_ranges_bracket_every_headline_figure(tech, tiny_counters):
    """`<key>_range` = [low, high] over the corners of the brackets (logic scaling rule, SRAM
    calibration, leakage; SRAM area model, NAND2 area rule, utilisation): the nominal value lies
    inside, the SRAM calibration widens the dynamic energy by up to x3.19 and the leakage bracket
    the leakage by up to its silicon factor, and the classical rule lowers the logic energy (its
    low end is below the nominal)."""
    from hwmodel.estimate.core import LEAKAGE_SILICON_FACTOR, RANGE_KEYS, SRAM_SILICON_FACTOR
    r = estimate(Config.load("tiny"), tech, synth=False, counters=tiny_counters)
    for k in RANGE_KEYS:
        lo, hi = r[f"{k}_range"]
        assert lo <= r[k] * (1 + 1e-12) and r[k] <= hi * (1 + 1e-12), (k, lo, r[k], hi)
    lo, hi = r["energy_per_classification_nj_range"]
    dyn, leak = r["energy_per_classification_dynamic_nj"], r["leakage_energy_nj"]["classification"]
    assert lo < r["energy_per_classification_nj"] < hi
    assert dyn + LEAKAGE_SILICON_FACTOR * leak <= hi * (1 + 1e-12)
    f_dev = tech.c["gate_leakage"]["nw_per_ge_high"] / tech.c["gate_leakage"]["nw_per_ge"]
    assert hi <= (SRAM_SILICON_FACTOR * dyn + max(LEAKAGE_SILICON_FACTOR, f_dev) * leak) * (1 + 1e-12)
    assert len(r["range_brackets"]["energy"]) == 5          # counters given: no fresh-chip corner


def test_action_table_reproduces_the_energies(tech, tiny_counters):
    """The Accelergy-style table (energy per action x action counts) is the whole dynamic energy:
    summed, it gives the classification's and the learning phases' energies; every counter is a
    row with its component and action."""
    from hwmodel.spec.counters import counter_names
    cfg = Config.load("tiny")
    r = estimate(cfg, tech, synth=False, counters=tiny_counters)
    acts = r["actions"]
    assert [a["counter"] for a in acts] == list(counter_names(cfg))
    e_c = sum(a["energy_pj"] * a["per_classification"] for a in acts) / 1000
    e_l = sum(a["energy_pj"] * a["per_learning_sample"] for a in acts) / 1000
    assert math.isclose(e_c, r["energy_per_classification_dynamic_nj"], rel_tol=1e-9)
    assert math.isclose(e_l, sum(r["energy_nj_by_block"]["learning"].values()), rel_tol=1e-9)
    by = {(a["component"], a["action"]) for a in acts}
    assert {("fc1_w", "read"), ("fc1_w", "write"), ("b_lut", "read"), ("fc1_update", "update"),
            ("lfsr", "step"), ("clock", "cycle")} <= by


def test_breakdown_by_fc_layer_adds_up(tech, tiny_counters):
    """by_layer splits area (both chips), energy per classification and learning-phase energy
    over the FC layers and the shared rest; the parts add up to the totals."""
    r = estimate(Config.load("tiny"), tech, synth=False, counters=tiny_counters)
    bl = r["by_layer"]
    assert set(bl) == {"fc1", "fc2", "shared"}
    assert math.isclose(sum(v["area_mm2"] for v in bl.values()), r["area_mm2"], rel_tol=1e-9)
    assert math.isclose(sum(v["area_mm2_inference_only"] for v in bl.values()), r["area_mm2_inference_only"],
                        rel_tol=1e-9)
    assert math.isclose(sum(v["energy_per_classification_nj"] for v in bl.values()),
                        r["energy_per_classification_dynamic_nj"], rel_tol=1e-9)
    assert bl["fc1"]["area_mm2"] > bl["fc1"]["area_mm2_inference_only"]       # B LUT, dact
    assert bl["fc1"]["learning_energy_nj"] > 0 and bl["shared"]["energy_per_classification_nj"] > 0


@pytest.mark.parametrize("sizes, depth", [("", 0), ("12", 1), ("12,8", 2), ("12,8,6", 3)])
def test_estimate_actions_are_the_models_named_counters_at_every_depth(sizes, depth):
    """The estimator's action table lists every counter of the stack by name, with the model's
    own counts per classification (inference phases) and per learning sample (learning phases)."""
    from hwmodel.estimate import measure_counters
    cfg = Config.load("tiny").with_sets([f"hidden.sizes={sizes}"])
    inf, lrn, info = measure_counters(cfg, samples=10, train_samples=20)
    r = estimate(cfg, synth=False, counters=(inf, lrn, info), rate=100.0)
    names = counter_names(depth)
    assert [a["counter"] for a in r["actions"]] == list(names)
    idx = counter_index(cfg)
    for a in r["actions"]:
        assert a["per_classification"] == pytest.approx(inf[0][idx[a["counter"]]])
        assert a["per_learning_sample"] == pytest.approx(lrn[1][idx[a["counter"]]])
    assert all(set(v) <= set(names) for v in r["energy_nj_by_counter"].values())


def test_report_plots_draw_the_ranges(tech, tiny_counters, monkeypatch):
    """The energy and area plots of the estimate report show each total's range over the
    brackets (an error bar labelled low–high), not only the nominal bars."""
    from hwmodel.estimate import report as rep
    figs = []
    monkeypatch.setattr(rep, "_png", lambda fig: figs.append(fig) or b"")
    r = estimate(Config.load("tiny"), tech, synth=False, counters=tiny_counters)
    rep.plot_energy(r)
    rep.plot_area(r)
    energy, area = (f.axes[0] for f in figs)
    texts = {t.get_text() for t in energy.texts}
    for k in ("energy_per_classification_nj_range", "energy_per_learning_sample_nj_range"):
        lo, hi = r[k]
        assert lo < hi and f"{lo:.3g}–{hi:.3g}" in texts, (k, texts)
    lo, hi = r["area_mm2_range"]
    assert f"{lo:.3g}–{hi:.3g}" in {t.get_text() for t in area.texts}
    assert energy.get_ylim()[1] >= r["energy_per_learning_sample_nj_range"][1]
