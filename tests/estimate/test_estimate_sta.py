"""Static timing with OpenSTA (hwmodel/estimate/sta.py): the memory macros as generated liberty
cells with their access time, the worst path of the mapped chip, and --timing's use of it."""
from __future__ import annotations

import pytest

from conftest import require_tool
from hwmodel.estimate import libs
from hwmodel.estimate.area import find_yosys
from hwmodel.estimate.design import rtl_files
from hwmodel.estimate.sta import find_sta, macro_cells, macro_liberty, parse_report, sta_timing
from hwmodel.hw.rtlgen import top_parameters
from hwmodel.spec.config import Config

NET = """module t(clk);
  sram #(
    .AW(32'sd4),
    .CLOCK_GATE(32'sd0),
    .DEPTH(32'sd10),
    .INIT_FILE(""),
    .PORTS(32'sd1),
    .WIDTH(32'sd32)
  ) \\g_fc[0].u_b  (
    .clk(clk));
  sram #(
    .AW(32'sd4),
    .DEPTH(32'sd16),
    .WIDTH(32'sd1)
  ) u_d (
    .clk(clk));
endmodule
"""


def test_macros_are_renamed_by_shape_and_described_with_their_access_time():
    net, cells = macro_cells(NET)
    assert cells == {"sram_10x32_a4": {"DEPTH": 10, "WIDTH": 32, "AW": 4},
                     "sram_16x1_a4": {"DEPTH": 16, "WIDTH": 1, "AW": 4}}
    assert "sram_10x32_a4 \\g_fc[0].u_b (" in net and "sram_16x1_a4 u_d (" in net and "sram #(" not in net
    lib = macro_liberty(cells, access=2.5, setup=0.25)
    for c in cells:
        assert f"cell ({c})" in lib
    assert lib.count('timing_type : rising_edge; cell_rise (scalar) { values ("2.5"); }') == 2
    assert lib.count('timing_type : setup_rising; rise_constraint (scalar) { values ("0.25"); }') == 10
    assert "bus (rdata) { bus_type : bus32;" in lib and "pin (rdata) {" in lib     # width 1: a pin


def test_parse_report_takes_the_first_path():
    text = ("Startpoint: a/b (rising edge-triggered flip-flop clocked by clk)\nEndpoint: u_x\n"
            "   7.2476   data arrival time\n  9.8000   data required time\n  2.5524   slack (MET)\n")
    assert parse_report(text) == {"arrival": 7.2476, "required": 9.8, "slack": 2.5524, "start": "a/b", "end": "u_x"}
    with pytest.raises(ValueError, match="no path"):
        parse_report("No paths found.\n")


@pytest.fixture(scope="module")
def tools():
    require_tool(None if find_yosys() is not None else "yosys is not installed", "yosys")
    require_tool(None if find_sta() is not None else "OpenSTA ('sta') is not installed", "opensta")
    try:
        return libs.default_liberty()
    except libs.LibraryMissing as e:
        require_tool(str(e), "OSU 0.18 um liberty")


def test_the_macros_access_time_moves_the_worst_path(tools):
    """tiny's learning chip mapped to OSU 0.18 µm: with a 50-ns access time every macro output is
    late, so the worst path starts at a memory and needs the access time more than without it."""
    files, params = rtl_files(None), top_parameters(Config.load("tiny"), True)
    fast = sta_timing(files, "spoon_top", params, tools, access_ns=0.0, setup_ns=0.2, period_ns=100.0)
    slow = sta_timing(files, "spoon_top", params, tools, access_ns=50.0, setup_ns=0.2, period_ns=100.0)
    assert fast["macros"] == slow["macros"] and any(m.startswith("sram_") for m in slow["macros"])
    assert slow["arrival_ns"] >= 50.0 and slow["min_period_ns"] > fast["min_period_ns"] + 45.0
    assert slow["start"].startswith(("g_fc[", "u_conv_")) and "u_" in slow["start"]
    assert slow["slack_ns"] == pytest.approx(100.0 - slow["min_period_ns"], abs=1e-3)
    short = sta_timing(files, "spoon_top", params, tools, access_ns=50.0, setup_ns=0.2, period_ns=20.0)
    assert short["slack_ns"] < 0 and short["min_period_ns"] == pytest.approx(slow["min_period_ns"], abs=1e-3)
    # by shape: only conv_pot's macro (64 x 40) is slow, so the worst path starts there
    shapes = {tuple(int(v) for v in m[5:].split("_a")[0].split("x")): 0.0 for m in slow["macros"]}
    assert (64, 40) in shapes
    one = sta_timing(files, "spoon_top", params, tools, access_ns={**shapes, (64, 40): 50.0}, setup_ns=0.2,
                     period_ns=100.0)
    assert one["start"] == "u_conv_pot" and one["arrival_ns"] >= 50.0
