"""hwmodel.estimate.cacti: real CACTI 7 runs against rows of an independent CACTI-7 sweep, ports,
banks, CACTI's organisation limits and the scaling rule, the result cache, and the errors.
Every test runs with a cold cache in tmp_path; CACTI runs take 0.03-0.7 s each."""
from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from hwmodel.estimate import cacti
from hwmodel.estimate.cacti import CactiError, CactiUnavailable, sram, sram_macro

from conftest import require_tool


@pytest.fixture(scope="session")
def cacti_exe() -> Path:
    """The executable (compiled once from hwcomponents-cacti's source if the shipped one does not
    run here). Fails, not skips, when CACTI is missing, unless HWMODEL_ALLOW_MISSING_TOOLS=1."""
    try:
        return cacti.find_cacti()
    except CactiUnavailable as e:
        require_tool(str(e), "CACTI 7")


@pytest.fixture
def env(cacti_exe, tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("HWMODEL_CACTI", str(cacti_exe))
    monkeypatch.setenv("HWMODEL_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / "cacti"


# Rows of two CACTI-7 sweeps made outside this project (docs/sources.md §2b: 28 nm, and 22, 32,
# 45 nm with 64-bit words), as printed there:
# node, cell, bytes, word bits, read pJ, write pJ, leak µW, area mm², access ns (as printed there).
SWEEP = [
    (28, "itrs-lstp", 4096, 64, "1.9555", "2.1818", "0.6381", "0.0057", "0.60348"),
    (28, "itrs-lstp", 65536, 128, "14.7049", "13.1314", "6.9273", "0.0879", "1.17416"),
    (28, "itrs-lstp", 512, 8, "0.2533", "0.2816", "0.1284", "0.0007", "0.522313"),
    (28, "itrs-hp", 16384, 32, "3.8683", "2.243", "2479.14", "0.0194", "0.209207"),
    (28, "itrs-lop", 1024, 32, "0.2572", "0.3366", "30.3542", "0.0013", "0.283214"),
    (22, "itrs-lstp", 4096, 64, "1.171", "1.246", "0.892", "0.00351", "0.467525"),
    (32, "itrs-hp", 4096, 64, "1.591", "2.845", "1020.66", "0.00686", "0.197101"),
]


def agrees(value: float, printed: str) -> bool:
    """Tolerance: equal to the sweep's printed value within one unit of its last digit."""
    dec = len(printed.split(".")[1]) if "." in printed else 0
    return abs(round(value, dec) - float(printed)) <= 1.001 * 10.0 ** -dec


@pytest.mark.parametrize("row", SWEEP, ids=[f"{r[0]}nm-{r[1]}-{r[2]}B-{r[3]}b" for r in SWEEP])
def test_reproduces_an_independent_sweep(env, row):
    node, cell, size, word, *ref = row
    m = sram_macro(size * 8 // word, word, "1rw", node, cell)
    got = (m.read_pj, m.write_pj, m.leak_uw, m.area_um2 / 1e6, m.access_ns)
    for name, g, r in zip(("read", "write", "leak", "area", "access"), got, ref):
        assert agrees(g, r), f"{name}: {g} vs sweep {r}"
    assert m.scaled is None
    assert m.cfg["rows"] == size * 8 // word and m.cfg["width"] == word


def test_vdd_is_cactis_interpolated_supply(env):
    # 28 nm = 0.6 x 32-nm table + 0.4 x 22-nm table; lstp Vdd 1.0 and 0.8 V -> 0.92 V
    assert sram_macro(1024, 32).vdd == pytest.approx(0.92)
    assert sram_macro(1024, 32, cell="itrs-hp").vdd == pytest.approx(0.86)   # 0.9 and 0.8 V


def test_two_ports_cost_more(env):
    one = sram_macro(4612, 128, "1rw")
    two = sram_macro(4612, 128, "1r1w")
    assert two.cfg["ports"] == "1r1w"
    assert 1.9 < two.area_um2 / one.area_um2 < 2.1          # measured 2.01
    assert 1.2 < two.read_pj / one.read_pj < 1.6            # measured 1.35
    assert two.write_pj > one.write_pj and two.leak_uw > one.leak_uw


def test_banks(env):
    half = sram_macro(2048, 64)
    full = sram_macro(4096, 64)
    two = sram(4096, 64, banks=2)
    assert two["rows_per_bank"] == 2048 and two["banks"] == 2 and two["macro"]["rows"] == 2048
    assert two["area_um2"] == pytest.approx(2 * half.area_um2)
    assert two["leak_uw"] == pytest.approx(2 * half.leak_uw)
    assert two["read_pj"] == half.read_pj and two["write_pj"] == half.write_pj
    assert two["read_pj"] < full.read_pj and two["write_pj"] < full.write_pj
    assert two["scaled"] is None
    assert sram(4095, 64, banks=2)["rows_per_bank"] == 2048        # ceil(words / banks)


def test_cacti_limits(env, cacti_exe):
    """What CACTI itself accepts: rows >= 31 and >= 64 bytes (the rule's thresholds)."""
    def runs(rows: int, width: int) -> bool:
        try:
            cacti._run_cacti(cacti_exe, cacti.cfg_text(rows, width, "1rw", 28, "itrs-lstp"), "t")
            return True
        except CactiError as e:
            assert "no valid" in str(e) or "must" in str(e)
            return False
    assert runs(31, 64) and not runs(30, 64)
    assert runs(64, 8) and not runs(63, 8)


def test_scaled_tiny_memory(env):
    tiny = sram(8, 16)
    assert tiny["scaled"]["requested"] == {"rows": 8, "width": 16}
    assert tiny["scaled"]["costed"] == {"rows": 32, "width": 16}     # 32 x 16 b = 64 bytes
    base = sram_macro(32, 16)
    assert base.scaled is None
    assert tiny["area_um2"] == pytest.approx(base.area_um2 * 8 / 32)
    assert tiny["leak_uw"] == pytest.approx(base.leak_uw * 8 / 32)
    assert tiny["read_pj"] == pytest.approx(base.read_pj)            # energy: width ratio 1
    assert tiny["access_ns"] == base.access_ns
    odd = sram_macro(100, 12)                                         # width -> 16 bits
    ref = sram_macro(100, 16)
    assert odd.scaled["costed"] == {"rows": 100, "width": 16}
    assert odd.area_um2 == pytest.approx(ref.area_um2 * 0.75)
    assert odd.write_pj == pytest.approx(ref.write_pj * 0.75)


def test_cache_hit_does_not_run_cacti(env, monkeypatch):
    first = sram_macro(256, 32, "1r1w")
    assert len(list(env.glob("*.json"))) == 1

    def fail(*a, **k):
        raise AssertionError("CACTI ran although the result is cached")
    monkeypatch.setattr(cacti, "_run_cacti", fail)
    assert sram_macro(256, 32, "1r1w") == first


def test_corrupt_cache_entry_is_rewritten(env, monkeypatch):
    first = sram_macro(256, 32)
    (entry,) = env.glob("*.json")
    entry.write_text('{"read_nj": 0.1, "wr')                          # half-written
    calls = []
    real = cacti._run_cacti
    monkeypatch.setattr(cacti, "_run_cacti", lambda *a: calls.append(1) or real(*a))
    assert sram_macro(256, 32) == first
    assert calls == [1]
    assert json.loads(entry.read_text())["read_nj"] * 1e3 == pytest.approx(first.read_pj)
    assert not [p for p in env.iterdir() if p.name.startswith(".tmp")]


def test_missing_executable(monkeypatch, tmp_path):
    monkeypatch.setenv("HWMODEL_CACTI", "/nonexistent")
    monkeypatch.setenv("HWMODEL_CACHE_DIR", str(tmp_path))
    with pytest.raises(CactiUnavailable) as e:
        sram_macro(1024, 32)
    msg = str(e.value)
    assert "\n" not in msg and "/nonexistent" in msg and "pip install" in msg


def _script(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "fake-cacti"
    p.write_text("#!/bin/sh\n" + body + "\n")
    p.chmod(p.stat().st_mode | stat.S_IXUSR)
    return p


def test_cacti_failure_names_organisation(monkeypatch, tmp_path):
    monkeypatch.setenv("HWMODEL_CACTI", str(_script(tmp_path, "echo boom; exit 1")))
    monkeypatch.setenv("HWMODEL_CACHE_DIR", str(tmp_path))
    with pytest.raises(CactiError) as e:
        sram_macro(64, 16, "1r1w", 28, "itrs-hp")
    msg = str(e.value)
    assert "\n" not in msg
    for part in ("64 x 16 b", "1r1w", "itrs-hp", "28 nm"):
        assert part in msg
    assert not list(Path(tmp_path).glob("cacti/*.json"))              # nothing cached


def test_cacti_exit_0_without_result(monkeypatch, tmp_path):
    # CACTI exits 0 without writing a result on some bad inputs ("Invalid technology nodes")
    monkeypatch.setenv("HWMODEL_CACTI", str(_script(tmp_path, "echo Invalid technology nodes")))
    monkeypatch.setenv("HWMODEL_CACHE_DIR", str(tmp_path))
    with pytest.raises(CactiError, match="8 x 16 b.*costed as 32 x 16 b.*Invalid technology"):
        sram_macro(8, 16)


def test_cacti_timeout(monkeypatch, tmp_path):
    monkeypatch.setenv("HWMODEL_CACTI", str(_script(tmp_path, "exec sleep 5")))
    monkeypatch.setenv("HWMODEL_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(cacti, "TIMEOUT_S", 0.5)
    with pytest.raises(CactiError, match="timed out"):
        sram_macro(1024, 32)


def test_binary_that_cannot_load_is_unavailable(monkeypatch, tmp_path):
    body = "echo \"./cacti: /lib/libc.so.6: version \\`GLIBC_2.38' not found\" >&2; exit 1"
    monkeypatch.setenv("HWMODEL_CACTI", str(_script(tmp_path, body)))
    monkeypatch.setenv("HWMODEL_CACHE_DIR", str(tmp_path))
    with pytest.raises(CactiUnavailable, match="does not run here"):
        sram_macro(1024, 32)


def test_bad_arguments():
    with pytest.raises(ValueError, match="ports"):
        sram_macro(64, 16, ports="2r2w")
    with pytest.raises(ValueError, match="cell"):
        sram_macro(64, 16, cell="lp-dram")
    with pytest.raises(ValueError, match="22-90 nm"):
        sram_macro(64, 16, node_nm=16)
    with pytest.raises(ValueError, match="banks"):
        sram(64, 16, banks=0)


def test_a_users_tech_table_says_its_sram_entries_are_unused_with_cacti(cacti_exe, tmp_path, monkeypatch):
    """The fit's SRAM entries of a user's technology table do nothing while CACTI costs the SRAMs:
    a note says so (and names --sram fit); none with the fit, none for the shipped table."""
    import shutil

    from hwmodel.estimate import DEFAULT_TECH, estimate, load_tech, measure_counters
    from hwmodel.spec.config import Config
    monkeypatch.setenv("HWMODEL_CACTI", str(cacti_exe))
    mine = tmp_path / "my_28nm.toml"
    shutil.copy(DEFAULT_TECH, mine)
    cfg = Config.load("tiny")
    c = measure_counters(cfg, samples=2, train_samples=0)

    def notes(path, model):
        return [n for n in estimate(cfg, load_tech(path), synth=False, counters=c, sram_model=model)["notes"]
                if "its SRAM entries" in n]
    got = notes(mine, "cacti")
    assert len(got) == 1 and "fc1_w" in got[0] and "--sram fit uses them" in got[0], got
    assert notes(mine, "fit") == [] and notes(DEFAULT_TECH, "cacti") == []
