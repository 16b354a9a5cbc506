"""Unit tests of the RTL datapath blocks against hwmodel.engine.arith (cocotb, one harness build).

tanh_unit exhaustively over its input range, sigmoid_unit on edges + a large random sample,
lfsr32 against lfsr_step and the spec's worked example, round_shift in all three modes over all
inputs, and fc_update (the update datapath of every FC layer) through its two wrappers:
drtp_update (c = 2r+1, x = 1) exhaustively over (w, r) and out_update (c = e, x = y) on edges +
random operands. The
``slow`` parametrisation repeats them with other widths/modes (YB > A1B, L > A2B - SS, ...).
"""
from __future__ import annotations


import pytest

from sim import runner

from conftest import require_tool


@pytest.fixture(autouse=True)
def _simulator():
    """The RTL tests fail, not skip, when the simulator is missing (tests/conftest.py)."""
    require_tool(runner.unavailable(), "RTL simulation")

BASE = dict(A1B=13, YB=8, AS=2, A2B=20, SS=10, L=6, RS_IW=12, RS_S=3, W1B=8, BB=2, LR1=3,
            W2B=8, OB=8, LR2=15, RMODE=2, SEED=1)
ALT = dict(A1B=10, YB=12, AS=0, A2B=9, SS=0, L=12, RS_IW=10, RS_S=33, W1B=3, BB=6, LR1=0,
           W2B=14, OB=16, LR2=33, RMODE=1, SEED=0x7F4A7C15)
ALT2 = dict(A1B=16, YB=3, AS=5, A2B=40, SS=30, L=2, RS_IW=11, RS_S=1, W1B=16, BB=1, LR1=30,
            W2B=2, OB=2, LR2=0, RMODE=0, SEED=123456789)
TESTS = ["tanh_exhaustive", "sigmoid_index", "lfsr_sequence", "round_shift_modes",
         "drtp_update_unit", "out_update_unit", "sram_ports", "clock_gate_glitch_free"]

_builds: dict = {}


def _build(params):
    key = tuple(sorted(params.items()))
    if key not in _builds:
        _builds[key] = runner.build_units(params)
    return _builds[key]


@pytest.mark.parametrize("test", TESTS)
def test_rtl_unit(test):
    runner.run(_build(BASE), "sim.units.tb_units", test, {"params": BASE}, tag="base")


def test_rtl_lfsr_seed_zero_resets_to_one():
    """lfsr32 with SEED = 0 (a state the LFSR cannot leave) resets to 1 and then runs the sequence."""
    p = {**BASE, "SEED": 0}
    runner.run(_build(p), "sim.units.tb_units", "lfsr_sequence", {"params": p}, tag="seed0")


@pytest.mark.slow
@pytest.mark.parametrize("test", TESTS)
@pytest.mark.parametrize("which", ["alt", "alt2"])
def test_rtl_unit_other_widths(test, which):
    p = ALT if which == "alt" else ALT2
    if test == "tanh_exhaustive" and p["A1B"] > 16:
        pytest.skip("exhaustive range too large")
    runner.run(_build(p), "sim.units.tb_units", test, {"params": p}, tag=which)
