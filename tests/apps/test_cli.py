"""CLI: JSON keys, saved outputs, and one-line errors with exit status 2 for bad input."""
import json
import subprocess
import sys

import pytest

from hwmodel.cli import main


def test_train_json_keys_and_outputs(tmp_path, capsys):
    rc = main(["train", "--config", "tiny", "--epochs", "1", "--n-train", "300", "--n-test", "100",
               "--mode", "both", "--json", "--out", str(tmp_path / "run")])
    assert rc == 0
    res = json.loads(capsys.readouterr().out)
    for key in ("test_accuracy", "train_accuracy", "float_test_accuracy", "offchip_test_accuracy",
                "learn_samples_per_second", "infer_samples_per_second"):
        assert key in res, key
    assert 0.0 <= res["test_accuracy"] <= 1.0
    # where the time went, phase by phase (both float searches at once on several cores)
    assert set(res["phase_seconds"]) in ({"set_up", "on_chip", "baselines", "float_drtp", "float_bp"},
                                         {"set_up", "on_chip", "baselines", "float_references"})
    assert all(v >= 0 for v in res["phase_seconds"].values())
    assert (tmp_path / "run" / "weights.npz").is_file() and (tmp_path / "run" / "config.toml").is_file()
    rc = main(["eval", "--weights", str(tmp_path / "run" / "weights.npz"), "--n-test", "100", "--json"])
    assert rc == 0
    ev = json.loads(capsys.readouterr().out)
    assert ev["test_accuracy"] == pytest.approx(res["test_accuracy"])


@pytest.mark.parametrize("sizes, depth", [("", 0), ("12", 1), ("12,8", 2), ("12,8,6", 3)])
def test_eval_counters_equal_trains_at_every_depth(tmp_path, capsys, sizes, depth):
    """eval --json of the weights train --out wrote gives train --json's counters per test sample,
    named by the layer stack at that depth (spec §15), and info names the same counters."""
    from hwmodel.spec.counters import counter_names
    run = tmp_path / "run"
    sets = ["--set", f"hidden.sizes={sizes}"]
    assert main(["train", "--config", "tiny", *sets, "--epochs", "1", "--n-train", "200", "--n-test", "60",
                 "--no-float", "--no-baselines", "--val-size", "0", "--json", "--out", str(run)]) == 0
    tr = json.loads(capsys.readouterr().out)
    assert main(["eval", "--weights", str(run / "weights.npz"), "--n-test", "60", "--json"]) == 0
    ev = json.loads(capsys.readouterr().out)
    names = list(counter_names(depth))
    assert sorted(tr["counters_per_sample"]) == sorted(names) and ev["counters_per_sample"] == tr["counters_per_sample"]
    assert ev["test_accuracy"] == tr["test_accuracy"]
    c = ev["counters_per_sample"]
    assert c["cycles"] == pytest.approx(tr["cycles_per_inference_sample"]) and c["cycles"] > 0
    assert c[f"fc{depth + 1}_out_wr"] > 0 and c["events"] > 0 and c["lfsr_step"] == 0
    assert main(["info", "--config", "tiny", *sets, "--json"]) == 0
    assert list(json.loads(capsys.readouterr().out)["counter_word_bits"]) == sorted(names)   # sort_keys


def test_info_json(capsys):
    assert main(["info", "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    fc1_w = res["memories"]["fc1_w"]          # spoon: 16 lanes, 8 groups, two 1rw banks
    assert (fc1_w["words"], fc1_w["width"], fc1_w["banks"], fc1_w["ports"]) == (1153 * 8, 16 * 8, 2, "1rw")
    assert res["derived"]["fc1_inputs"] == 1152


@pytest.mark.parametrize("argv, needle", [
    (["info", "--config", "nope"], "unknown preset 'nope'"),
    (["info", "--set", "fc1.weight=s40"], "'fc1.weight'"),
    (["info", "--set", "conv.kernel=29"], "'conv.kernel'"),
    (["train", "--config", "tiny", "--data", "/nonexistent/mnist"], "does not exist"),
    (["eval", "--weights", "/nonexistent/w.npz"], "cannot read"),
])
def test_bad_input_is_one_line_exit_2(argv, needle, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1 and "Traceback" not in err


def test_no_traceback_from_the_real_entry_point():
    r = subprocess.run([sys.executable, "-m", "hwmodel", "info", "--set", "drtp.rounding=banker"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.startswith("error: ") and "Traceback" not in r.stderr


def test_loaded_kernels_are_used_and_checked(tmp_path, capsys):
    import numpy as np
    k = np.zeros((4, 1, 5, 5), np.int64)
    k[:, 0, 2, 2] = 7  # a centre tap only: every bright pixel drives its neurons up
    np.save(tmp_path / "k.npy", k)
    rc = main(["train", "--config", "tiny", "--kernels", str(tmp_path / "k.npy"), "--epochs", "1",
               "--n-train", "100", "--n-test", "50", "--no-float", "--json", "--out", str(tmp_path / "o")])
    assert rc == 0
    capsys.readouterr()
    from hwmodel.engine.processor import Processor
    p = Processor.load(tmp_path / "o" / "weights.npz")
    assert p.memories()["conv_kernel"][12].tolist() == [7, 7, 7, 7] and p.memories()["conv_kernel"].sum() == 28
    np.save(tmp_path / "bad.npy", np.zeros((4, 1, 3, 3), np.int64))
    assert main(["train", "--config", "tiny", "--kernels", str(tmp_path / "bad.npy")]) == 2
    assert "conv kernels have shape (4, 1, 3, 3)" in capsys.readouterr().err
    np.save(tmp_path / "big.npy", np.full((4, 1, 5, 5), 9, np.int64))
    assert main(["train", "--config", "tiny", "--kernels", str(tmp_path / "big.npy")]) == 2
    assert "outside s4 range" in capsys.readouterr().err
