"""Several seeds and rounding-noise repeats (issue 13): ``train --seeds`` summarizes every accuracy
as mean, std and a 95 % t interval over seeds, each seed's result equals the single-seed run, and
``--rounding-repeats`` changes only the rounding-LFSR start states. Small: the tiny preset."""
import contextlib
import io
import json
import math

import numpy as np
import pytest

from hwmodel import cli
from hwmodel.spec.config import Config
from hwmodel.data.select import DataSpec, load_data
from hwmodel.train.runs import run_training
from hwmodel.train.seeds import SEED_METRICS, rounding_lfsr_starts, summarize
from hwmodel.util.stats import t_interval

TINY = ["--config", "tiny", "--n-train", "300", "--n-test", "100", "--epochs", "2", "--no-progress"]
T975_DF2 = 4.302652729911275  # t quantile 0.975 with 2 degrees of freedom


@pytest.fixture(scope="module")
def three_seeds(tmp_path_factory):
    out = tmp_path_factory.mktemp("seeds") / "run"
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = cli.main(["train", *TINY, "--seeds", "0,1,2", "--json", "--out", str(out)])
    assert rc == 0
    return json.loads(buf.getvalue()), out


def test_summary_over_seeds(three_seeds):
    res, out = three_seeds
    assert res["seeds"] == [0, 1, 2] and res["n_seeds"] == 3 and len(res["per_seed"]) == 3
    assert [r["seed"] for r in res["per_seed"]] == [0, 1, 2]
    assert res["n_train"] + res["n_val"] == 300 and res["n_val"] == 75  # a quarter of a small training set
    for m in ("test_accuracy", "train_accuracy", "val_accuracy", "float_test_accuracy", "float_val_accuracy",
              "quantization_gap_pp"):
        vals = np.array([r[m] for r in res["per_seed"]])
        assert res[f"{m}_mean"] == pytest.approx(vals.mean()), m
        assert res[f"{m}_std"] == pytest.approx(vals.std(ddof=1)), m
        half = T975_DF2 * vals.std(ddof=1) / math.sqrt(3)
        assert res[f"{m}_ci95"] == pytest.approx([vals.mean() - half, vals.mean() + half]), m
    gaps = [100 * (r["float_test_accuracy"] - r["test_accuracy"]) for r in res["per_seed"]]
    assert res["quantization_gap_pp_mean"] == pytest.approx(np.mean(gaps))
    assert "offchip_test_accuracy_mean" not in res  # not run: not summarized
    lc = res["learning_curves"]
    assert lc["epoch"] == [1, 2] and len(lc["integer_val_accuracy_mean"]) == 2
    assert lc["float_val_accuracy_mean"][-1] == pytest.approx(res["float_val_accuracy_mean"])
    assert set(res["saturation"]["fc1"]) == {"linear_fraction_mean", "linear_fraction_std",
                                             "weights_at_rails_mean", "weights_at_rails_std"}
    saved = json.loads((out / "results.json").read_text())
    assert saved == res
    assert sorted(p.name for p in out.iterdir()) == ["config.toml", "learning_curves.png", "results.json",
                                                     "weights_seed0.npz", "weights_seed1.npz", "weights_seed2.npz"]
    assert (out / "learning_curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_each_seed_equals_the_single_seed_run(three_seeds, capsys):
    res, _ = three_seeds
    assert cli.main(["train", *TINY, "--seed", "1", "--json"]) == 0
    one = json.loads(capsys.readouterr().out)
    r1 = res["per_seed"][1]
    for k in ("test_accuracy", "train_accuracy", "val_accuracy", "float_test_accuracy", "float_val_accuracy",
              "float_gains", "test_accuracy_per_epoch", "saturation", "learning_curves"):
        assert one[k] == r1[k], k
    # the single-seed interface keeps its keys (and gains new ones)
    for k in ("test_accuracy", "train_accuracy", "float_test_accuracy", "quantization_gap_pp", "seed",
              "learn_samples_per_second", "infer_samples_per_second", "test_accuracy_per_epoch", "float_gains",
              "n_train", "n_test", "code_version", "event_savings"):
        assert k in one, k
    assert "per_seed" not in one and "test_accuracy_mean" not in one


def test_summarize_and_interval_helpers():
    per = [{"test_accuracy": a, "float_test_accuracy": a + 0.01} for a in (0.9, 0.92)] + \
          [{"test_accuracy": 0.91}]  # the third stopped before its float result
    s = summarize(per)
    assert s["test_accuracy_mean"] == pytest.approx(0.91) and "test_accuracy_n_seeds" not in s
    assert s["float_test_accuracy_mean"] == pytest.approx(0.92) and s["float_test_accuracy_n_seeds"] == 2
    assert "offchip_test_accuracy_mean" not in s
    m, sd, ci = t_interval([0.5])
    assert (m, sd, ci) == (0.5, None, None)  # one value: no spread, no interval
    assert SEED_METRICS.count("test_accuracy") == 1 and "quantization_gap_pp" in SEED_METRICS


@pytest.mark.parametrize("argv, needle", [
    (["--seeds", ""], "--seeds"),
    (["--seeds", "0,,1"], "--seeds"),
    (["--seeds", "-1"], "seed -1 must be in 0..2^32-1"),
    (["--seeds", "0,-1"], "seed -1 must be in 0..2^32-1"),
    (["--seeds", "0,1,1"], "seed 1 is given twice"),
    (["--seeds", "0-2,2"], "seed 2 is given twice"),
    (["--seeds", "3-1"], "range 3-1 is empty"),
    (["--seeds", "0-99999"], "at most 10,000"),
    (["--seeds", "0,x"], "seeds are integers"),
    (["--seeds", "0,1", "--seed", "3"], "--seed and --seeds"),
    (["--val-size", "300"], "--val-size 300 is not smaller than the training set (300 samples)"),
    (["--val-size", "5000"], "not smaller than the training set"),
    (["--val-size", "-2"], "--val-size"),
    (["--val-size", "0"], "--val-size 0: the float DRTP reference's gains are chosen on the validation split"),
    (["--val-size", "0", "--no-float", "--mode", "off-chip"], "the off-chip BP gains are chosen"),
    (["--rounding-repeats", "0"], "--rounding-repeats"),
    (["--rounding-repeats", "3", "--set", "drtp.rounding=nearest"], "does not use the rounding LFSRs"),
    (["--rounding-repeats", "3", "--mode", "off-chip"], "--rounding-repeats repeats the on-chip training"),
])
def test_bad_seed_and_validation_options(argv, needle, capsys, tmp_path):
    out = tmp_path / "o"
    assert cli.main(["train", *TINY, *argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and needle in err, err
    assert not out.exists()  # refused before any work


def test_seeds_read_the_same_in_every_command_and_val_size_zero(capsys):
    """--seeds is a list of seeds and ranges everywhere: one integer is one seed (train, the
    sweep and the depth script share hwmodel.util.checks.parse_seed_list)."""
    from hwmodel import sweep
    for text, want in (("5", [5]), ("0", [0]), ("7,3", [7, 3]), ("0-4", [0, 1, 2, 3, 4]), ("1-2, 9", [1, 2, 9])):
        assert cli.seed_list(text) == want and sweep.parse_seeds(text) == want
    assert cli.main(["train", *TINY, "--seeds", "0-1", "--val-size", "0", "--no-float", "--epochs", "1", "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["seeds"] == [0, 1] and res["n_val"] == 0 and res["n_train"] == 300
    assert "val_accuracy_mean" not in res and "test_accuracy_ci95" in res


def test_rounding_repeats_change_only_the_lfsr_starts():
    cfg = Config.preset("tiny")
    prep, _ = load_data(cfg, DataSpec(n_train=200, n_test=60))
    starts = rounding_lfsr_starts(0, 3)
    assert len(set(starts)) == 3 and all(0 < v < 2**32 for s in starts for v in s)
    assert rounding_lfsr_starts(0, 3) == starts and rounding_lfsr_starts(1, 3)[1:] != starts[1:]
    base = run_training(cfg, prep, epochs=1, float_reference=False, saturation=False)
    same = run_training(cfg, prep, epochs=1, float_reference=False, saturation=False, lfsr_start=starts[0])
    other = run_training(cfg, prep, epochs=1, float_reference=False, saturation=False, lfsr_start=starts[1])
    assert np.array_equal(base.processor.weights(1), same.processor.weights(1))  # repeat 0 = the ordinary run
    assert not np.array_equal(base.processor.weights(1), other.processor.weights(1))  # rounding noise only
    for k in ("kern", "bf", "lut"):
        assert np.array_equal(base.processor.st[k], other.processor.st[k]), k
    assert other.results["lfsr_start"] == list(starts[1])


def test_rounding_repeats_in_the_cli(capsys):
    assert cli.main(["train", *TINY, "--epochs", "1", "--rounding-repeats", "3", "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    rr = res["rounding_repeats"]
    (e,) = rr["per_seed"]
    assert rr["repeats"] == 3 and e["seed"] == 0 and len(e["test_accuracy"]) == 3
    assert e["test_accuracy"][0] == res["test_accuracy"]  # repeat 0 is the reported run
    gaps = [100 * (res["float_test_accuracy"] - a) for a in e["test_accuracy"]]
    assert e["quantization_gap_pp"] == pytest.approx(gaps)
    assert rr["test_accuracy_std_within_seed"] == pytest.approx(np.std(e["test_accuracy"], ddof=1))
    assert cli.main(["train", *TINY, "--epochs", "1", "--rounding-repeats", "2"]) == 0
    assert "rounding alone (2 LFSR start states per seed)" in capsys.readouterr().out


def test_ctrl_c_keeps_the_finished_seeds(tmp_path, capsys, monkeypatch):
    from hwmodel.train import seeds as train   # run_seeds calls run_training from there
    real = train.run_training

    def stop_at_seed_1(cfg, *a, **k):
        if cfg.seed == 1:
            raise KeyboardInterrupt
        return real(cfg, *a, **k)
    monkeypatch.setattr(train, "run_training", stop_at_seed_1)
    out = tmp_path / "run"
    assert cli.main(["train", *TINY, "--epochs", "1", "--seeds", "0,1,2", "--no-float", "--out", str(out)]) == 130
    err = capsys.readouterr().err
    assert "interrupted: seed 1 (2 of 3) stopped; kept 1 seed(s), saved to" in err
    res = json.loads((out / "results.json").read_text())
    assert res["seeds"] == [0] and res["seeds_requested"] == [0, 1, 2] and res["interrupted"] == "seed 1 (2 of 3)"
    assert res["test_accuracy_std"] is None and (out / "weights_seed0.npz").is_file()
