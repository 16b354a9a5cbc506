"""Directed tests of spoon_top's interfaces (sim/benches/tb_directed.py; the rules are in docs/rtl.md):
out-of-array events, gaps and back-pressure on the event port, start while busy, the access port
used while busy, reset in the middle of a sample, events presented between samples, ignored fields
driven with every value (polarity on a one-channel chip, the end-of-sample marker's coordinates)
and the ev_err corners. Each test
ends by comparing every memory word, register, counter and the result with the model."""
from __future__ import annotations


import pytest

from sim import runner

from conftest import require_tool
from hwmodel.spec.config import Config

TESTS = ["out_of_array", "gaps_backpressure", "start_while_busy", "access_while_busy",
         "reset_mid_sample", "events_between_samples", "ignored_fields"]


@pytest.fixture(scope="module")
def tiny_build():
    require_tool(runner.unavailable(), "RTL simulation")
    return runner.build_top(Config.preset("tiny"), quick=True)


@pytest.mark.parametrize("test", TESTS)
def test_rtl_interface(tiny_build, test):
    b = tiny_build
    rep = runner.run(b, "sim.benches.tb_directed", test, {"config": str(b.gen["dir"] / "config.toml")}, tag=test)
    assert rep.get("words", 0) > 0            # memories were really compared
    if test == "out_of_array":
        assert rep["dropped"] > 0
    if test == "gaps_backpressure":
        assert rep["stalled_cycles"] > 0
    if test == "start_while_busy":
        assert rep["busy_start_requests"] > 0
    if test == "access_while_busy":
        assert rep["busy_requests"] > 0
    if test == "ignored_fields":
        assert rep["events_with_p"] > 0 and rep["err_corners"] == 3
