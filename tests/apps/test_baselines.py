"""The integer baselines trained beside the chip (the layer-stack and accuracy issues): the
linear read-out (no hidden layer) and the frozen-hidden network, in --json, the printed table,
the seeds summary, and --no-baselines."""
import json

import numpy as np

from hwmodel.cli import main
from hwmodel.spec.config import Config
from hwmodel.data.mnist import embedded_split
from hwmodel.data.select import carve_validation, prepare
from hwmodel.train.baselines import run_baselines
from hwmodel.train.runs import epoch_orders

ARGS = ["train", "--config", "tiny", "--n-train", "400", "--n-test", "150", "--epochs", "2", "--no-float",
        "--no-progress"]


def test_baselines_in_json_and_table(capsys):
    assert main(ARGS + ["--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    for k in ("linear_test_accuracy", "linear_val_accuracy", "frozen_test_accuracy", "frozen_val_accuracy"):
        assert 0.0 <= r[k] <= 1.0, k
    cfg = Config.preset("tiny")
    assert cfg.output.sig_shift - (cfg.fc1.yb - 1) <= r["linear_sig_shift"] <= cfg.output.sig_shift
    assert r["linear_weight_bits"] == (cfg.n_in + 1) * 10 * 8
    assert main(ARGS) == 0
    out = capsys.readouterr().out
    assert "linear read-out (integer)" in out and "frozen hidden (integer)" in out


def test_no_baselines_and_seeds_summary(capsys):
    assert main(ARGS + ["--json", "--no-baselines"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert "linear_test_accuracy" not in r and "frozen_test_accuracy" not in r
    assert main(ARGS + ["--json", "--seeds", "0,1"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert {"linear_test_accuracy_mean", "linear_test_accuracy_std", "frozen_test_accuracy_mean"} <= set(s)
    assert len(s["per_seed"]) == 2 and all("linear_test_accuracy" in p for p in s["per_seed"])


def test_baselines_are_what_they_claim():
    """The linear read-out reported is the K = 0 stack with the shifts the validation search
    chose (retraining it reproduces both accuracies), and the frozen network's hidden weights
    never move."""
    cfg = Config.preset("tiny")
    prep = carve_validation(prepare(cfg, embedded_split(400, 100)), 100)
    orders = epoch_orders(len(prep.y_train), 2, cfg.seed)
    r = run_baselines(cfg, prep, 2, orders)
    assert r["linear_search_runs"] >= 5
    from hwmodel.engine.kernel import StackProcessor
    # the reported read-out is the K = 0 stack with the chosen shifts, trained on the same digits
    lin = StackProcessor.from_config(cfg.replace(**{"hidden.sizes": "", "output.sig_shift": r["linear_sig_shift"],
                                                    "output.lr_shift": r["linear_lr_shift"]}))
    assert lin.cfg.depth == 0
    for e in range(2):
        lin.run(prep.train.subset(orders[e]), np.asarray(prep.y_train)[orders[e]], learn=True)
    assert lin.copy().run(prep.val).accuracy(prep.y_val) == r["linear_val_accuracy"]
    assert lin.copy().run(prep.test).accuracy(prep.y_test) == r["linear_test_accuracy"]
    fz = StackProcessor.from_config(cfg, frozen_hidden=True)
    w1 = fz.weights(1).copy()
    for e in range(2):
        fz.run(prep.train.subset(orders[e]), np.asarray(prep.y_train)[orders[e]], learn=True)
    assert np.array_equal(fz.weights(1), w1)
    assert fz.copy().run(prep.test).accuracy(prep.y_test) == r["frozen_test_accuracy"]
    assert run_baselines(cfg, prep, 2, orders, jobs=2) == r          # threads: the same search and results
