"""With more than one thread, ``run_training`` starts the integer baselines beside the on-chip run
(``baselines.Beside``): they use the cores the chip leaves, their results are those of a run after
the chip, a Ctrl-C during the on-chip run stops them, and their error is raised."""
import threading
import time

import pytest
from test_concurrent_references import _strip

from hwmodel.engine.kernel import StackProcessor
from hwmodel.engine.processor import Processor
from hwmodel.train import baselines, runs


def _no_baseline_thread_left():
    return not any(t.name.startswith("hwmodel-baselines") for t in threading.enumerate())


def test_baselines_beside_the_chip_equal_baselines_after_it(tiny_300, monkeypatch):
    """Same results with 1 thread (after the chip) and 2 (beside it); with 2, baseline runs are
    under way before the on-chip run's last epoch ends, one at a time while the chip holds a core,
    two at a time once it is done."""
    cfg, prep = tiny_300
    one = runs.run_training(cfg, prep, epochs=3, mode="on-chip", float_reference=False, jobs=1)
    lock, busy, peak = threading.Lock(), [0], {"during": 0, "after": 0}
    chip = {"epochs": 0, "first_baseline_epoch_during": None}
    real_epoch, real_run = Processor.train_epoch, StackProcessor.run

    def epoch(self, *a, **k):
        r = real_epoch(self, *a, **k)
        time.sleep(0.3)                 # chip epochs long enough for baseline runs to start beside them
        chip["epochs"] += 1
        return r

    def run(self, *a, **k):
        if k.get("learn") and type(self) is StackProcessor:      # a baseline's epoch, not the chip's
            with lock:
                busy[0] += 1
                when = "during" if chip["epochs"] < 3 else "after"
                peak[when] = max(peak[when], busy[0])
            try:
                time.sleep(0.05)
                return real_run(self, *a, **k)
            finally:
                with lock:
                    busy[0] -= 1
        return real_run(self, *a, **k)
    monkeypatch.setattr(Processor, "train_epoch", epoch)
    monkeypatch.setattr(StackProcessor, "run", run)
    two = runs.run_training(cfg, prep, epochs=3, mode="on-chip", float_reference=False, jobs=2)
    assert _strip(one.results) == _strip(two.results) and "linear_test_accuracy" in two.results
    assert peak == {"during": 1, "after": 2}
    assert set(two.baseline_chips) == {"linear", "frozen"} and _no_baseline_thread_left()
    assert "baselines" in two.results["phase_seconds"]


def test_ctrl_c_in_the_on_chip_run_stops_the_baselines_beside_it(tiny_300, monkeypatch):
    """The chip's Ctrl-C in its second epoch: the chip of epoch 1 is kept, the baselines beside it
    stop at their next epoch (far fewer than their 13 runs x 20 epochs) and are not reported."""
    cfg, prep = tiny_300
    real_epoch, real_run = Processor.train_epoch, StackProcessor.run
    calls, baseline_epochs = [], []

    def epoch(self, *a, **k):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        time.sleep(0.3)
        return real_epoch(self, *a, **k)

    def run(self, *a, **k):
        if k.get("learn") and type(self) is StackProcessor:
            baseline_epochs.append(1)
            time.sleep(0.05)
        return real_run(self, *a, **k)
    monkeypatch.setattr(Processor, "train_epoch", epoch)
    monkeypatch.setattr(StackProcessor, "run", run)
    rep = runs.run_training(cfg, prep, epochs=20, mode="on-chip", float_reference=False, jobs=2)
    assert rep.interrupted == "on-chip training in epoch 2 of 20"
    assert "linear_test_accuracy" not in rep.results and "frozen_test_accuracy" not in rep.results
    assert rep.baseline_chips == {} and _no_baseline_thread_left()
    assert 0 < len(baseline_epochs) < 40


def test_an_error_in_the_baselines_beside_the_chip_is_raised(tiny_300, monkeypatch):
    cfg, prep = tiny_300

    def fails(*a, **k):
        raise ValueError("baselines failed")
    monkeypatch.setattr(baselines, "run_baselines", fails)
    with pytest.raises(ValueError, match="baselines failed"):
        runs.run_training(cfg, prep, epochs=2, mode="on-chip", float_reference=False, jobs=2)
    assert _no_baseline_thread_left()
