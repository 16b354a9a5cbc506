"""RTL quality gates: Verilator -Wall lint (default) and Yosys synthesis without latches (slow)."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sim"))
import quality  # noqa: E402
import spoon_sim  # noqa: E402

from hwmodel import rtlgen  # noqa: E402
from hwmodel.config import Config  # noqa: E402


@pytest.mark.skipif(spoon_sim.setup_verilator() is not None, reason="verilator unavailable")
@pytest.mark.parametrize("preset", ["spoon", "tiny"])
@pytest.mark.parametrize("learning", [True, False])
def test_rtl_lint_clean(preset, learning):
    ok, out = quality.lint(rtlgen.top_parameters(Config.preset(preset), learning))
    assert ok, out


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("yosys") is None, reason="yosys unavailable")
@pytest.mark.parametrize("learning", [True, False])
def test_rtl_synth_no_latches(learning):
    ok, cells, text = quality.synth(rtlgen.top_parameters(Config.preset("tiny"), learning))
    assert ok, text[-3000:]
    assert cells.get("design", 0) > 0


def test_rtlgen_header_and_files(tmp_path):
    cfg = Config.preset("tiny")
    g = rtlgen.generate(cfg, tmp_path)
    head = (tmp_path / "spoon_params.vh").read_text()
    assert rtlgen.HEADER_MARK in head
    for sym in ("C", "K", "S", "PAD", "O", "POOL", "Q", "PB", "THETA", "N_IN", "N1", "W1B", "A1B",
                "YB", "YMAX", "AS", "N2", "W2B", "A2B", "SS", "L", "OB", "ONE", "BB", "LR1", "LR2",
                "RMODE", "SEED_FC1", "SEED_FC2"):
        assert f" {sym} = " in head, sym
    lut = (tmp_path / "sig_lut.hex").read_text().split()
    assert len(lut) == 1 << cfg.fc2.lut_bits
    assert g["parameters"]["N1"] == cfg.fc1.neurons
