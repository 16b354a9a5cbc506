"""Deployment and adaptation (issue 24): the shifts of hwmodel.data.shifts and ``python -m hwmodel
adapt`` (hwmodel.train.adapt): what a deployed chip recovers by learning on chip."""
import json

import numpy as np
import pytest

from hwmodel import cli
from hwmodel.data.encode import encode_images
from hwmodel.data.eventio import EVENT_DTYPE
from hwmodel.data.mnist import embedded_split
from hwmodel.data.shifts import ShiftError, parse_shift, shift_images, shift_streams
from hwmodel.engine.processor import Processor
from hwmodel.spec.config import Config
from hwmodel.train.adapt import ADAPT_TAG, adapt_data, adapt_run, fresh_chip, summarize

IMGS = np.random.default_rng(0).integers(0, 256, (4, 28, 28)).astype(np.uint8)


@pytest.mark.parametrize("text, msg", [("spin:3", "unknown"), ("rot", "takes 1 argument"),
                                       ("rot:200", "outside -180..180"), ("shift:1.5,0", "whole pixels"),
                                       ("shift:28,0", "whole pixels"), ("scale:0.1", "outside"),
                                       ("saltpepper:x", "numbers"), ("rot:nan", "finite"),
                                       ("hotpixels:2.5", "whole number"), ("invert:1", "takes 0")])
def test_bad_shifts_are_one_line_errors(text, msg):
    with pytest.raises(ShiftError, match=msg):
        parse_shift(text)


def test_image_shifts_do_what_they_say():
    assert parse_shift("none") == () and len(parse_shift("rot:30+shift:1,2+invert")) == 3
    assert np.array_equal(shift_images(IMGS, parse_shift("rot:90"), 0, 0), np.rot90(IMGS, 1, axes=(1, 2)))
    assert np.array_equal(shift_images(IMGS, parse_shift("rot:0+scale:1"), 0, 0), IMGS)
    assert np.array_equal(shift_images(IMGS, parse_shift("rot:180"), 0, 0), IMGS[:, ::-1, ::-1])
    one = np.zeros((1, 28, 28), np.uint8)
    one[0, 5, 9] = 77
    assert np.argwhere(shift_images(one, parse_shift("shift:3,-2"), 0, 0)[0]).tolist() == [[3, 12]]
    assert not shift_images(one, parse_shift("shift:-10,0"), 0, 0).any()       # moved out of the image
    one[0, 5, 9], one[0, 10, 16] = 0, 77
    big = shift_images(one, parse_shift("scale:2"), 0, 0)[0]                     # twice as far from the centre
    ys, xs = np.nonzero(big)
    assert abs(ys.mean() - (13.5 + 2 * (10 - 13.5))) < 0.5 and abs(xs.mean() - (13.5 + 2 * (16 - 13.5))) < 0.5
    assert 4 <= len(ys) <= 16          # bilinear: the pixel becomes a tent of twice its width
    assert np.array_equal(shift_images(IMGS, parse_shift("invert"), 0, 0), 255 - IMGS)
    sp = shift_images(IMGS, parse_shift("saltpepper:0.2"), 5, 0)
    changed = sp != IMGS
    assert 0.15 < changed.mean() < 0.25 and set(np.unique(sp[changed])) <= {0, 255}
    assert np.array_equal(sp, shift_images(IMGS, parse_shift("saltpepper:0.2"), 5, 0))        # seeded
    assert not np.array_equal(sp, shift_images(IMGS, parse_shift("saltpepper:0.2"), 5, 1))    # part 1 differs


def _stream(ts):
    s = np.zeros(len(ts), EVENT_DTYPE)
    s["t"], s["x"], s["y"], s["p"] = ts, np.arange(len(ts)) % 28, 3, 1
    return s


def test_event_shifts_do_what_they_say():
    s = _stream([0, 0, 5, 9])
    (p,) = shift_streams([s], parse_shift("polarity"), 0, 0, 28, 28)
    assert (p["p"] == 0).all() and np.array_equal(p["t"], s["t"])
    (t,) = shift_streams([s], parse_shift("timescale:2.5"), 0, 0, 28, 28)
    assert t["t"].tolist() == [0, 0, 12, 22]
    (h,) = shift_streams([s], parse_shift("hotpixels:2"), 0, 0, 28, 28)
    assert len(h) == 4 + 2 * 3 and (np.diff(h["t"]) >= 0).all()                 # 2 pixels x 3 timestamps
    (n,) = shift_streams([s], parse_shift("evnoise:50"), 1, 0, 28, 28)
    assert len(n) == 54 and (np.diff(n["t"]) >= 0).all() and n["t"].min() >= 0 and n["t"].max() <= 9
    assert (n["x"] < 28).all() and (n["y"] < 28).all() and set(n["p"]) <= {0, 1}
    with pytest.raises(ShiftError, match="more hot pixels"):
        shift_streams([s], parse_shift("hotpixels:900"), 0, 0, 28, 28)


def test_hot_pixels_are_the_same_pixels_at_every_timestamp():
    s = _stream([1, 4, 4, 8])
    (h,) = shift_streams([s], parse_shift("hotpixels:3"), 2, 0, 28, 28)
    own = {(int(x), 3, int(t)) for x, t in zip(s["x"], s["t"])}
    added = [(int(e["x"]), int(e["y"]), int(e["t"])) for e in h if (int(e["x"]), int(e["y"]), int(e["t"])) not in own]
    per_t = {t: {(x, y) for x, y, tt in added if tt == t} for t in (1, 4, 8)}
    assert len(per_t[1]) == 3 and per_t[1] == per_t[4] == per_t[8]


@pytest.fixture(scope="module")
def deployed():
    cfg = Config.preset("tiny")
    split = embedded_split(400, 100, 0)
    chip = Processor.from_config(cfg)
    b = adapt_data(cfg, split, (), 0)
    chip.train_epoch(b.pool, b.y_pool, np.arange(len(b.y_pool)))
    return cfg, split, chip


def test_one_online_pass_is_measured_at_every_budget(deployed):
    """The curve at N is the deployed chip after learning the first N samples of the seed's order,
    exactly; N = 0 is the deployed chip; output scope leaves the hidden layers as deployed."""
    cfg, split, chip = deployed
    shift = parse_shift("rot:20")
    d = adapt_data(cfg, split, shift, 3)
    run = adapt_run(chip, d, [0, 30, 120], ["all", "output"], 3, ceiling_epochs=2)
    order = np.random.default_rng([3, ADAPT_TAG]).permutation(len(d.y_pool))
    for scope in ("all", "output"):
        for row in run[scope]["curve"]:
            c = chip.copy()
            c.freeze_hidden(scope == "output")
            if row["labels"]:
                c.run(d.pool.subset(order[:row["labels"]]), d.y_pool[order[:row["labels"]]], learn=True)
                if scope == "output":
                    assert np.array_equal(c.weights(1), chip.weights(1))
                else:
                    assert not np.array_equal(c.weights(1), chip.weights(1))
            assert row["shifted_test_accuracy"] == c.copy().evaluate(d.test, d.y_test).accuracy(d.y_test)
            assert row["original_test_accuracy"] == c.copy().evaluate(d.orig, d.y_orig).accuracy(d.y_orig)
    assert run["all"]["curve"][0]["shifted_test_accuracy"] == run["deployed"]["shifted_test_accuracy"]
    f = fresh_chip(chip)
    assert np.array_equal(f.st["kern"], chip.st["kern"]) and not np.array_equal(f.weights(1), chip.weights(1))
    assert run["all"]["learning_samples"] == 120 and run["ceiling"]["samples"] == len(d.y_pool)
    # several passes: each budget its own chip, trained that many times over its samples
    two = adapt_run(chip, d, [30], ["all"], 3, passes=2, fresh=False, ceiling_epochs=0)
    c = chip.copy()
    for _ in range(2):
        c.run(d.pool.subset(order[:30]), d.y_pool[order[:30]], learn=True)
    assert two["all"]["curve"][0]["shifted_test_accuracy"] == c.copy().evaluate(d.test, d.y_test).accuracy(d.y_test)
    assert "fresh" not in two and "ceiling" not in two


def test_summary_recovered_forgotten_and_energy():
    def run(s0, o0, accs, origs, e):
        return {"deployed": {"shifted_test_accuracy": s0, "original_test_accuracy": o0},
                "all": {"curve": [{"labels": n, "shifted_test_accuracy": a, "original_test_accuracy": o}
                                  for n, a, o in zip([0, 100], accs, origs)], "learning_energy_nj": e}}
    runs = [run(0.5, 0.9, [0.5, 0.7], [0.9, 0.85], 40.0), run(0.4, 0.9, [0.4, 0.6], [0.9, 0.8], 60.0)]
    res = summarize(runs, [0, 100], ["all"], fresh=False)
    r0, r1 = res["curves"]
    assert set(r1) >= {"scope", "labels", "shifted_test_accuracy_mean", "shifted_test_accuracy_std",
                       "original_test_accuracy_mean", "learning_energy_uj"}
    assert r1["scope"] == "all" and r1["labels"] == 100
    assert r1["recovered_pp_mean"] == pytest.approx(20.0) and r1["forgotten_pp_mean"] == pytest.approx(7.5)
    assert res["energy_per_learning_sample_nj"]["all"] == pytest.approx(50.0)
    assert r1["learning_energy_uj"] == pytest.approx(5.0) and r1["uj_per_recovered_pp"] == pytest.approx(0.25)
    assert r0["learning_energy_uj"] == 0 and r0["uj_per_recovered_pp"] is None
    assert res["references"]["deployed"]["shifted_test_accuracy_mean"] == pytest.approx(0.45)


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    out = tmp_path_factory.mktemp("adapt") / "dep"
    assert cli.main(["train", "--config", "tiny", "--n-train", "400", "--n-test", "100", "--epochs", "2",
                     "--no-float", "--no-baselines", "--no-progress", "--seeds", "0,1", "--out", str(out)]) == 0
    return out


def test_cli_adapt_json_and_plot(weights, tmp_path, capsys):
    capsys.readouterr()
    argv = ["adapt", "--weights", str(weights / "weights_seed0.npz"), str(weights / "weights_seed1.npz"),
            "--shift", "rot:30", "--labels", "0,20,100", "--seeds", "0,1", "--n-train", "400", "--n-test", "100",
            "--ceiling-epochs", "1", "--json", "--plot", str(tmp_path)]
    assert cli.main(argv) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["n_runs"] == 4 and [(r["scope"], r["labels"]) for r in res["curves"]] == [
        ("all", 0), ("all", 20), ("all", 100), ("output", 0), ("output", 20), ("output", 100)]
    assert res["energy_per_learning_sample_nj"]["output"] < res["energy_per_learning_sample_nj"]["all"]
    assert {"deployed", "fresh", "ceiling"} <= set(res["references"]) and len(res["per_run"]) == 4
    assert (tmp_path / "adaptation.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("extra, msg", [
    (["--shift", "rot:999"], "outside -180..180"),
    (["--labels", "0,5000"], "beyond the shifted pool's 400"),
    (["--shift-n-train", "10"], "give --shift-data"),
    (["--shift", "polarity"], "invisible to it"),
    (["--shift", "timescale:2"], "changes nothing"),
    (["--scope", "fc1"], "scopes are all, output"),
    (["--weights", "MISSING.npz"], "MISSING.npz"),
])
def test_cli_adapt_bad_input(weights, extra, msg, capsys):
    argv = ["adapt", "--weights", str(weights / "weights_seed0.npz"), "--n-train", "400", "--n-test", "100",
            "--no-progress"] + extra
    if extra[0] == "--weights":
        argv = ["adapt"] + extra + ["--n-train", "400", "--n-test", "100"]
    capsys.readouterr()
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and msg in err[0], err


def test_cli_adapt_refuses_a_scope_where_nothing_learns(tmp_path, capsys):
    out = tmp_path / "frozen"
    assert cli.main(["train", "--config", "tiny", "--set", "fc2.learn=false", "--n-train", "400", "--n-test",
                     "100", "--epochs", "1", "--no-float", "--no-baselines", "--no-progress", "--out", str(out)]) == 0
    capsys.readouterr()
    argv = ["adapt", "--weights", str(out / "weights.npz"), "--n-train", "400", "--n-test", "100", "--labels", "0,10",
            "--no-progress", "--ceiling-epochs", "0", "--no-fresh"]
    assert cli.main(argv + ["--scope", "output"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no layer" in err[0] and "learns in this scope" in err[0], err
    assert cli.main(argv + ["--scope", "all", "--json"]) == 0     # the hidden layer still learns


def test_cli_adapt_refuses_chips_of_two_configs(weights, tmp_path, capsys):
    other = tmp_path / "o"
    assert cli.main(["train", "--config", "tiny", "--set", "fc1.weight=s6", "--n-train", "400", "--n-test", "100",
                     "--epochs", "1", "--no-float", "--no-baselines", "--no-progress", "--out", str(other)]) == 0
    capsys.readouterr()
    assert cli.main(["adapt", "--weights", str(weights / "weights_seed0.npz"), str(other / "weights.npz"),
                     "--n-train", "400", "--n-test", "100"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "one config" in err[0]


def test_train_init_weights_continues_from_the_file(weights, tmp_path, capsys):
    """--init-weights: the chip starts from the file's whole state (its config when no --config is
    given): one epoch equals the file's chip trained one more epoch in the run's seed order; a
    mode with references or another config is refused."""
    from hwmodel.train.runs import epoch_orders
    from hwmodel.data.select import DataSpec, load_data
    base = ["train", "--n-train", "400", "--n-test", "100", "--epochs", "1", "--no-float", "--no-baselines",
            "--no-progress", "--json", "--seed", "5"]
    f = weights / "weights_seed0.npz"
    assert cli.main(base + ["--init-weights", str(f), "--out", str(tmp_path / "c")]) == 0
    res = json.loads(capsys.readouterr().out)
    chip = Processor.load(f)
    prep, _ = load_data(chip.cfg, DataSpec(n_train=400, n_test=100))
    chip.train_epoch(prep.train, prep.y_train, epoch_orders(len(prep.y_train), 1, 5)[0])
    assert res["config"] == "tiny" and res["test_accuracy"] == chip.evaluate(prep.test, prep.y_test).accuracy(prep.y_test)
    assert np.array_equal(Processor.load(tmp_path / "c" / "weights.npz").st["w"], chip.st["w"])
    for extra, msg in ((["--mode", "both"], "--init-weights continues"), (["--config", "spoon"], "differs")):
        argv = [a for a in base if a != "--no-float"] if extra[0] == "--mode" else base
        assert cli.main(argv + extra + ["--init-weights", str(f)]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and msg in err[0], err


def test_withhold_classes_leaves_them_out_of_every_split():
    from hwmodel.data.mnist import DataError
    from hwmodel.data.select import DataSpec, load_data
    cfg = Config.load("tiny")
    full, _ = load_data(cfg, DataSpec(n_train=400, n_test=100))
    part, _ = load_data(cfg, DataSpec(n_train=400, n_test=100, withhold=(9, 8)))
    for y in (part.y_train, part.y_val, part.y_test):
        assert len(y) and not np.isin(y, [8, 9]).any()
    keep = ~np.isin(full.y_test, [8, 9])
    assert np.array_equal(part.y_test, full.y_test[keep])
    assert len(part.y_train) + part.n_val == int((~np.isin(np.concatenate([full.y_train, full.y_val]), [8, 9])).sum())
    assert DataSpec(withhold=(9, 8)).key().endswith(",withhold=8-9") and "withhold" not in DataSpec().key()
    with pytest.raises(DataError, match="has 10 outputs"):
        load_data(cfg, DataSpec(n_train=400, n_test=100, withhold=(10,)))
    with pytest.raises(DataError, match="no training sample of another class"):
        load_data(cfg, DataSpec(n_train=400, n_test=100, withhold=tuple(range(10))))


def test_class_incremental_rows_split_new_and_old_classes(deployed):
    """With new classes, the original test set holds only the old classes, and the new- and
    old-class accuracies are the shifted test predictions restricted to each part."""
    cfg, split, chip = deployed
    d = adapt_data(cfg, split, (), 1, new_classes=(7, 9))
    assert not np.isin(d.y_orig, [7, 9]).any() and np.isin(d.y_test, [7, 9]).any()
    assert len(d.y_orig) == int((~np.isin(split.y_test, [7, 9])).sum())
    run = adapt_run(chip, d, [0, 50], ["all"], 1, fresh=False, ceiling_epochs=0)
    order = np.random.default_rng([1, ADAPT_TAG]).permutation(len(d.y_pool))
    c = chip.copy()
    c.run(d.pool.subset(order[:50]), d.y_pool[order[:50]], learn=True)
    p = c.copy().evaluate(d.test, d.y_test).preds
    new = np.isin(d.y_test, [7, 9])
    row = run["all"]["curve"][1]
    assert row["new_classes_accuracy"] == np.mean(p[new] == d.y_test[new])
    assert row["old_classes_accuracy"] == np.mean(p[~new] == d.y_test[~new])
    assert row["shifted_test_accuracy"] == np.mean(p == d.y_test)
    res = summarize([run], [0, 50], ["all"], fresh=False)
    assert res["curves"][1]["new_classes_accuracy_mean"] == row["new_classes_accuracy"]
    assert "new_classes_accuracy_mean" in res["references"]["deployed"]
    plain = adapt_run(chip, adapt_data(cfg, split, (), 1), [0], ["all"], 1, fresh=False, ceiling_epochs=0)
    assert "new_classes_accuracy" not in plain["all"]["curve"][0]


def test_cli_class_incremental_end_to_end(tmp_path, capsys):
    """train --withhold-classes records the classes in the results and the weights files; adapt
    takes them from there: a deployed chip never answers a class it never saw; learning on chip
    teaches it; a different --new-classes is refused."""
    out = tmp_path / "dep"
    assert cli.main(["train", "--config", "tiny", "--n-train", "400", "--n-test", "100", "--epochs", "2",
                     "--no-float", "--no-baselines", "--no-progress", "--json", "--withhold-classes", "8,9",
                     "--out", str(out)]) == 0
    assert json.loads(capsys.readouterr().out)["withheld_classes"] == [8, 9]
    assert Processor.load(out / "weights.npz").provenance["withheld_classes"] == [8, 9]
    argv = ["adapt", "--weights", str(out / "weights.npz"), "--n-train", "400", "--n-test", "100",
            "--labels", "0,400", "--seeds", "0", "--ceiling-epochs", "0", "--no-fresh", "--scope", "all"]
    assert cli.main(argv + ["--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["new_classes"] == [8, 9]
    r0, r1 = res["curves"]
    assert r0["new_classes_accuracy_mean"] == 0.0 and r1["new_classes_accuracy_mean"] > 0.2
    assert cli.main(argv + ["--new-classes", "7"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "deployed without classes 8,9" in err[0], err
    assert cli.main(["train", "--withhold-classes", "8,x"]) == 2
    assert "class labels" in capsys.readouterr().err
