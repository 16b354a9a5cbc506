"""On-chip learning on event streams: DVS-emulated digits and N-MNIST folders (written here in
the real byte format), and the event-driven vs frame-based comparison."""
import json

import numpy as np

from hwmodel.cli import main
from hwmodel.spec.config import Config
from hwmodel.spec.counters import frame_baseline
from hwmodel.data.mnist import load_nmnist
from hwmodel.data.eventio import EVENT_DTYPE, write_nmnist


def make_nmnist(root, per_class=2, seed=0):
    rng = np.random.default_rng(seed)
    for split in ("Train", "Test"):
        for digit in range(10):
            d = root / split / str(digit)
            d.mkdir(parents=True)
            for k in range(per_class):
                n = int(rng.integers(20, 60))
                ev = np.zeros(n, EVENT_DTYPE)
                ev["t"] = np.sort(rng.integers(0, 300_000, n))
                # a class-dependent blob so the data is learnable at all
                ev["x"] = np.clip(rng.normal(3 + 3 * digit, 2, n), 0, 33).astype(int)
                ev["y"] = np.clip(rng.normal(17, 6, n), 0, 33).astype(int)
                ev["p"] = rng.integers(0, 2, n)
                write_nmnist(d / f"{k:05d}.bin", ev)


def test_load_nmnist_stratified_subset(tmp_path):
    make_nmnist(tmp_path)
    ss = load_nmnist(tmp_path, n_train=10, n_test=None)
    assert len(ss.train) == 10 and sorted(ss.y_train.tolist()) == list(range(10))
    assert len(ss.test) == 20 and all(s.dtype == EVENT_DTYPE for s in ss.test)


def test_train_on_nmnist_folder(tmp_path, capsys):
    make_nmnist(tmp_path / "nm", per_class=3)
    rc = main(["train", "--events", "nmnist", "--data", str(tmp_path / "nm"), "--epochs", "2",
               "--no-float", "--json", "--set", "fc1.neurons=16"])
    assert rc == 0
    res = json.loads(capsys.readouterr().out)
    assert res["config"] == "nmnist" and res["n_train"] + res["n_val"] == 30 and res["n_test"] == 30
    ev = res["event_savings"]
    assert 20 <= ev["events_per_sample"] <= 60
    assert ev["conv_ops_per_sample"] < ev["frame_conv_ops_per_sample"]


def test_nmnist_errors(tmp_path, capsys):
    assert main(["train", "--events", "nmnist"]) == 2
    assert "needs --data" in capsys.readouterr().err
    make_nmnist(tmp_path)
    assert main(["train", "--events", "nmnist", "--data", str(tmp_path), "--config", "spoon"]) == 2
    assert "N-MNIST needs 34x34x2" in capsys.readouterr().err


def test_train_on_dvs_emulated_digits(capsys):
    rc = main(["train", "--events", "dvs", "--config", "tiny", "--n-train", "200", "--n-test", "100",
               "--epochs", "1", "--no-float", "--json"])
    assert rc == 0
    res = json.loads(capsys.readouterr().out)
    ev = res["event_savings"]
    assert ev["events_per_sample"] > 50 and 0 <= res["test_accuracy"] <= 1
    assert ev["conv_accesses_saved_pct"] < 100


def test_frame_baseline_counts():
    cfg = Config.preset("spoon")
    fb = frame_baseline(cfg)
    assert fb["conv_ops"] == 12 * 12 * 25 * 8 and fb["mem_accesses"] == 12 * 12 * (2 * 25 + 2)


def test_stopping_rules():
    from hwmodel.data.encode import stop_stream
    ev = np.zeros(5, EVENT_DTYPE)
    ev["t"] = [100, 150, 199, 200, 400]
    assert stop_stream(ev, window_us=100)["t"].tolist() == [100, 150, 199]
    assert stop_stream(ev, max_events=2)["t"].tolist() == [100, 150]
    assert len(stop_stream(ev[:0], window_us=10)) == 0


def test_sweep_accepts_event_streams(tmp_path, capsys):
    import sqlite3

    from hwmodel import sweep
    grid = tmp_path / "g.toml"
    grid.write_text('epochs = 1\nseeds = [0]\n[axes]\n"fc1.weight" = ["s6", "s8"]\n')
    db = tmp_path / "dvs.sqlite"
    rc = sweep.main(["bitwidths", "--grid", str(grid), "--config", "tiny", "--db", str(db), "--jobs", "1",
                     "--events", "dvs", "--n-train", "100", "--n-test", "50", "--no-progress", "--json"])
    assert rc == 0
    with sqlite3.connect(db) as con:
        rows = con.execute("SELECT data FROM results").fetchall()
    assert len(rows) == 2 and all(",dvs," in r[0] + "," for r in rows)
