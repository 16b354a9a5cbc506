"""sim/coverage.py: Verilator's coverage counts merged over runs and instances into the report of
`make coverage` (counts files written here in Verilator's format; no simulation)."""
from __future__ import annotations

import re

import pytest

from sim import coverage
from sim.runner import RTL_DIR


def _point(f: str, line: int, page: str, o: str, count: int, h: str = "spoon_top.u", col: int = 5) -> str:
    kv = {"f": str(RTL_DIR / f), "l": str(line), "n": str(col), "t": page.split("_")[1],
          "page": f"{page}/{f[:-2]}", "o": o, "h": h}
    if page != "v_toggle":
        kv["S"] = str(line)
    return "C '" + "".join(f"\x01{k}\x02{v}" for k, v in kv.items()) + f"' {count}\n"


def _write(path, points) -> None:
    path.write_text("# SystemC::Coverage-3\n" + "".join(points))


def _line_of(f: str, text: str) -> int:
    return next(i for i, ln in enumerate((RTL_DIR / f).read_text().splitlines(), 1) if text in ln)


def test_points_merge_over_runs_and_instances_and_the_last_line_is_the_total(tmp_path, capsys):
    """A point counts as covered when any run hit it in any instance; files outside rtl/ (the unit
    harness) are left out; the last line reads 'total: lines X %, toggles Y %'."""
    la = _line_of("sram.v", "module sram")      # lines no mutant edits
    _write(tmp_path / "a.dat", [
        _point("sram.v", la, "v_line", "if", 3, h="spoon_top.u_a"),      # hit in one instance ...
        _point("sram.v", la, "v_line", "if", 0, h="spoon_top.u_b"),      # ... not in another
        _point("sram.v", la + 1, "v_line", "if", 0),                     # never hit
        _point("sram.v", 30, "v_toggle", "rdata[0]:0->1", 4),
        _point("sram.v", 30, "v_toggle", "rdata[0]:1->0", 0),
        "C '\x01f\x02/elsewhere/sim/units/unit_harness.v\x01l\x021\x01page\x02v_line/x\x01o\x02if' 0\n"])
    _write(tmp_path / "b.dat", [                                         # and not in a later run
        _point("sram.v", la, "v_line", "if", 0, h="spoon_top.u_a"),
        _point("sram.v", 30, "v_toggle", "rdata[0]:1->0", 0, h="spoon_top.u_b")])
    mods = coverage.merge(sorted(tmp_path.glob("*.dat")))
    assert set(mods) == {"sram.v"}
    m = mods["sram.v"]
    assert sorted(m.lines.values()) == [False, True] and sorted(m.toggles.values()) == [False, True]
    assert coverage.main(["--dir", str(tmp_path), "--out", str(tmp_path / "r.md")]) == 0
    out = capsys.readouterr().out
    assert out.rstrip().splitlines()[-1] == "total: lines 50.0 %, toggles 50.0 %"
    assert f"`sram.v:{la + 1}` (if)" in out and "NOT EXPLAINED" in out and f"`sram.v:{la}`" not in out
    assert (tmp_path / "r.md").read_text().rstrip().endswith("toggles 50.0 %")
    # below the line target, or an unexplained line: exit 1
    assert coverage.main(["--dir", str(tmp_path), "--min-lines", "40"]) == 1


def test_a_waiver_explains_a_line_by_its_text_and_stale_ones_are_named(tmp_path, capsys, monkeypatch):
    la = _line_of("sram.v", "module sram")      # lines no mutant edits
    _write(tmp_path / "a.dat", [_point("sram.v", la, "v_line", "if", 0), _point("sram.v", la + 1, "v_line", "if", 9)])
    w = tmp_path / "w.toml"
    w.write_text('["sram.v"]\n"module   sram #(" = "the reason"\n'
                 '"endmodule" = "no longer uncovered"\n')
    monkeypatch.setattr(coverage, "WAIVERS", w)
    assert coverage.main(["--dir", str(tmp_path), "--min-lines", "50"]) == 0
    out = capsys.readouterr().out
    assert "explained, the reason" in out and "uncovered line points not explained: 0" in out
    assert "Waivers for lines that are now covered or gone (remove them): sram.v: endmodule" in out


def test_no_counts_is_a_one_line_error(tmp_path, capsys):
    assert coverage.main(["--dir", str(tmp_path / "none")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no coverage counts") and len(err.strip().splitlines()) == 1


def test_the_rtl_keeps_constant_functions_out_of_the_count():
    """Elaboration-time functions and the constant tables built from them are not logic:
    spoon_top's and conv_core's sit between 'verilator coverage_off' and 'coverage_on' (no
    register, no always block, every assign a constant), and nothing else does."""
    for f in ("spoon_top.v", "conv_core.v"):
        src = (RTL_DIR / f).read_text()
        off, on = src.index("/* verilator coverage_off */"), src.index("/* verilator coverage_on */")
        body = src[off:on]
        assert body.count("function integer") == body.count("endfunction") >= 3
        assert "always" not in body and " reg " not in body
        rhs = re.findall(r"assign\s+[^=]+=\s*([A-Za-z_0-9]+)", body)
        assert all(r.isupper() for r in rhs), rhs            # localparams only
    for f in RTL_DIR.glob("*.v"):
        if f.name not in ("spoon_top.v", "conv_core.v"):
            assert "coverage_off" not in f.read_text(), f.name
