"""train --mode both on several cores runs the float DRTP and off-chip BP searches at once, sharing
the cores (``runs._concurrent_searches``): the results are those of the searches one after the
other, and a Ctrl-C or an error in one search stops both and keeps what finished."""
import numpy as np
import pytest

from hwmodel.train import runs


def _strip(res: dict) -> dict:
    return {k: v for k, v in res.items() if k not in ("phase_seconds", "learn_samples_per_second",
                                                      "infer_samples_per_second")}


def test_concurrent_searches_equal_searches_one_after_the_other(tiny_300):
    cfg, prep = tiny_300
    one = runs.run_training(cfg, prep, epochs=2, mode="both", jobs=1, baselines=False)
    two = runs.run_training(cfg, prep, epochs=2, mode="both", jobs=2, baselines=False)
    assert _strip(one.results) == _strip(two.results)
    assert "offchip_test_accuracy" in two.results and "float_test_accuracy" in two.results
    for a, b in zip(one.float_bp.weights + one.float_drtp.weights, two.float_bp.weights + two.float_drtp.weights):
        np.testing.assert_array_equal(a, b)
    assert {"float_drtp", "float_bp"} <= set(one.results["phase_seconds"])
    assert "float_references" in two.results["phase_seconds"]


def test_ctrl_c_in_one_search_stops_both_and_keeps_the_finished_one(tiny_300, monkeypatch):
    cfg, prep = tiny_300
    real = runs.train_reference
    stopped = []

    def bp_interrupted(cfg_, algo, *a, **k):
        if algo == "bp":
            raise KeyboardInterrupt
        try:
            return real(cfg_, algo, *a, **k)
        except KeyboardInterrupt:
            stopped.append(algo)
            raise
    monkeypatch.setattr(runs, "train_reference", bp_interrupted)
    rep = runs.run_training(cfg, prep, epochs=2, mode="both", jobs=2, baselines=False)
    # BP's Ctrl-C stops DRTP's runs at their next check (DRTP's 25 runs take far longer than that)
    assert stopped == ["drtp"] and rep.interrupted == "float DRTP reference"
    assert rep.processor is not None and "offchip_test_accuracy" not in rep.results
    assert "float_test_accuracy" not in rep.results

    def drtp_fails(cfg_, algo, *a, **k):
        if algo == "drtp":
            raise ValueError("drtp failed")
        return real(cfg_, algo, *a, **k)
    monkeypatch.setattr(runs, "train_reference", drtp_fails)
    with pytest.raises(ValueError, match="drtp failed"):
        runs.run_training(cfg, prep, epochs=2, mode="both", jobs=2, baselines=False)
