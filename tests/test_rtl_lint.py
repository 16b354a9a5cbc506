"""RTL quality gates: Verilator -Wall lint, Yosys synthesis without latches, the RTL's own
parameter checks (an illegal set stops elaboration naming the rule), RTL defaults = spoon."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sim"))
import quality  # noqa: E402
import spoon_sim  # noqa: E402

from conftest import require_tool  # noqa: E402
from hwmodel import rtlgen  # noqa: E402
from hwmodel.config import Config  # noqa: E402

RTL = spoon_sim.RTL_DIR


@pytest.fixture
def verilator():
    require_tool(spoon_sim.setup_verilator(), "verilator")


@pytest.fixture
def yosys():
    require_tool(None if shutil.which("yosys") else "yosys is not installed", "yosys")


@pytest.mark.parametrize("preset", ["spoon", "tiny"])
@pytest.mark.parametrize("learning", [True, False])
def test_rtl_lint_clean(verilator, preset, learning):
    ok, out = quality.lint(rtlgen.top_parameters(Config.preset(preset), learning))
    assert ok, out


@pytest.mark.parametrize("learning", [True, False])
def test_rtl_synth_no_latches(yosys, learning):
    ok, cells, text = quality.synth(rtlgen.top_parameters(Config.preset("tiny"), learning))
    assert ok, text[-3000:]
    assert cells.get("design", 0) > 0


def rtl_defaults() -> dict[str, int]:
    """The parameter defaults written in rtl/spoon_top.v (primary parameters only)."""
    text = (RTL / "spoon_top.v").read_text()
    head = text[text.index("module spoon_top"):text.index("// derived (do not override)")]
    out = {}
    for m in re.finditer(r"parameter\s+(?:integer|\[31:0\])\s+(\w+)\s*=\s*(?:32'd)?(\d+)", head):
        out[m.group(1)] = int(m.group(2))
    return out


def test_rtl_defaults_are_the_spoon_preset():
    """Instantiating spoon_top without parameters gives the spoon processor."""
    want = rtlgen.top_parameters(Config.preset("spoon"), True)
    got = rtl_defaults()
    assert set(got) == set(want), (set(got) ^ set(want))
    assert got == want


# one illegal set per rule: (overrides of the tiny parameters, rule name in the RTL)
ILLEGAL = [
    ({"PB": 4, "THETA": 5}, "PB_range"),           # PB must be > WC (4)
    ({"A1B": 8}, "A1B_range"),                     # A1B must be > W1B (8)
    ({"A2B": 15}, "A2B_range"),                    # A2B must be >= W2B + YB (16)
    ({"POOL": 5}, "POOL_must_divide_O"),           # tiny: O = 8
    ({"THETA": 512}, "THETA_range"),               # PB = 10: THETA <= 511
    ({"S": 6}, "S_range"),                         # S <= K (5)
    ({"K": 17, "S": 1}, "K_range"),                # K <= min(W, 16)
    ({"N2": 1}, "N2_range"),
    ({"N1": 1025}, "N1_range"),
    ({"AS": 16}, "AS_range"),
    ({"SS": 20}, "SS_range"),
    ({"BB": 9}, "BB_range"),
    ({"LR2": 41}, "LR2_range"),
    ({"RMODE": 3}, "RMODE_range"),
    ({"CIN": 3}, "CIN_range"),
    ({"PAD": 5}, "PAD_range"),
    ({"L": 13}, "L_range"),
    ({"OB": 17}, "OB_range"),
    ({"YB": 1}, "YB_range"),
    ({"WC": 17, "PB": 32}, "WC_range"),
    ({"LEARNING": 2}, "LEARNING_range"),
]


@pytest.mark.parametrize("over,rule", ILLEGAL, ids=[r for _, r in ILLEGAL])
def test_rtl_illegal_parameters_stop_verilator(verilator, over, rule):
    p = {**rtlgen.top_parameters(Config.preset("tiny"), True), **over}
    ok, out = quality.lint(p)
    assert not ok
    assert f"illegal_parameter_{rule}" in out, out[-2000:]
    # only that rule fires
    assert len(set(re.findall(r"illegal_parameter_\w+", out))) == 1, out[-2000:]


def test_rtl_illegal_parameters_stop_icarus_and_yosys(yosys):
    require_tool(None if shutil.which("iverilog") else "iverilog is not installed", "iverilog")
    files = [str(RTL / f) for f in spoon_sim.RTL_FILES]
    r = subprocess.run(["iverilog", "-g2005", "-o", "/dev/null", "-Pspoon_top.PB=3", "-Pspoon_top.WC=4",
                        "-s", "spoon_top", *files], capture_output=True, text=True)
    assert r.returncode != 0 and "illegal_parameter_PB_range" in r.stdout + r.stderr
    ok, _, text = quality.synth({**rtlgen.top_parameters(Config.preset("tiny"), True), "A2B": 10})
    assert not ok and "illegal_parameter_A2B_range" in text, text[-2000:]


def test_rtl_legal_edge_parameters_lint_clean(verilator):
    """The smallest legal widths (the rules are not stricter than the spec)."""
    cfg = Config.preset("tiny").replace(**{
        "conv.weight": "s2", "conv.potential": "s3", "conv.threshold": 3, "fc1.neurons": 1,
        "fc1.weight": "s2", "fc1.accumulator": "s3", "fc1.activation": "s2", "fc1.act_shift": 2,
        "fc1.init_bound": 1, "fc2.neurons": 2, "fc2.weight": "s2", "fc2.accumulator": "s4",
        "fc2.sig_shift": 3, "fc2.lut_bits": 2, "fc2.lut_frac": 0, "fc2.output": "u2",
        "fc2.init_bound": 1, "drtp.b": "s1", "drtp.lr_shift_fc1": 0, "drtp.lr_shift_fc2": 0})
    ok, out = quality.lint(rtlgen.top_parameters(cfg, True))
    assert ok, out


def test_rtlgen_files(tmp_path):
    cfg = Config.preset("tiny")
    g = rtlgen.generate(cfg, tmp_path)
    assert set(g["files"]) == {"conv_kernel", "fc1_w", "b_lut", "fc2_w", "sig_lut"}
    lut = (tmp_path / "sig_lut.hex").read_text().split()
    assert len(lut) == 1 << cfg.fc2.lut_bits
    assert g["parameters"]["N1"] == cfg.fc1.neurons and g["parameters"]["SEED"] == cfg.seed
    for derived in ("O", "Q", "N_IN", "SEED_FC1", "SEED_FC2"):
        assert derived not in g["parameters"]     # derived inside the RTL
