"""``train --tune`` (issue 28): the chip's learning knobs chosen on validation by coordinate
descent (hwmodel/train/tune.py), and the chip trained and reported with the chosen knobs."""
import json
import math

import pytest

from hwmodel import cli
from hwmodel.spec.config import Config
from hwmodel.train.tune import MAX_STEPS, _step, knob_value, margin, tune_chip, tune_knobs

SPOON = Config.preset("spoon")
KEYS = [k for k, _ in tune_knobs(SPOON)]


def scorer(f, calls=None):
    """A score function of the knob values (no training): ``f(values dict) -> accuracy``."""
    def score(cfg, stop):
        v = {k: knob_value(cfg, k) for k in KEYS}
        if calls is not None:
            calls.append(tuple(v.values()))
        return f(v)
    return score


def test_knobs_of_every_layer_at_any_depth():
    assert KEYS == ["hidden.0.lr_shift", "output.lr_shift", "output.sig_shift", "hidden.0.init_bound",
                    "output.init_bound"]
    deep = Config.preset("spoon_deep")
    assert [k for k, _ in tune_knobs(deep)] == ["hidden.0.lr_shift", "hidden.1.lr_shift", "output.lr_shift",
                                              "output.sig_shift", "hidden.0.init_bound", "hidden.1.init_bound",
                                              "output.init_bound"]
    assert [knob_value(deep, k) for k, _ in tune_knobs(deep)] == [3, 10, 15, 11, 9, 9, 14]
    lin = SPOON.replace(**{"hidden.sizes": ""})
    assert [k for k, _ in tune_knobs(lin)] == ["output.lr_shift", "output.sig_shift", "output.init_bound"]


def test_steps_stay_in_the_valid_range():
    assert _step(SPOON, "output.lr_shift", "shift", 15, 1) == 16
    assert _step(SPOON, "output.sig_shift", "shift", 0, -1) is None          # shifts >= 0
    assert _step(SPOON, "hidden.0.lr_shift", "shift", 30, 1) is None         # hidden lr_shift <= 30
    assert _step(SPOON, "hidden.0.init_bound", "bound", 9, -1) == 5           # halving rounds up
    assert _step(SPOON, "hidden.0.init_bound", "bound", 9, 1) == 18
    assert _step(SPOON, "hidden.0.init_bound", "bound", 100, 1) == 127       # s8: at most 127
    assert _step(SPOON, "hidden.0.init_bound", "bound", 127, 1) is None
    assert _step(SPOON, "output.init_bound", "bound", 1, -1) is None          # a bound stays >= 1
    assert _step(SPOON, "output.init_bound", "bound", 2, -1) == 1


def test_a_flat_validation_keeps_the_preset():
    cfg, s = tune_chip(SPOON, scorer(lambda v: 0.9), 1000)
    assert cfg == SPOON and s["changed"] == [] and s["knobs"] == s["preset"]
    assert s["runs"] == 1 + 2 * len(KEYS) and s["passes"] == 1 and s["at_edge"] == []
    assert s["range"]["output.lr_shift"] == [14, 16] and s["range"]["hidden.0.init_bound"] == [5, 18]
    assert math.isclose(s["margin_pp"], 100 * math.sqrt(0.09 / 1000))


def test_moves_only_by_more_than_one_standard_error():
    m = margin(0.9, 1000)              # 0.95 pp
    bump = {3: 0.0, 4: 0.9 * m, 2: 1.1 * m}

    def f(v):
        return 0.9 + bump.get(v["hidden.0.lr_shift"], 0.0) * (v["output.lr_shift"] == 15)
    cfg, s = tune_chip(SPOON, scorer(f), 1000)
    assert s["knobs"]["hidden.0.lr_shift"] == 2 and s["changed"] == ["hidden.0.lr_shift"]
    assert cfg.hidden[0].lr_shift == 2 and cfg.output.lr_shift == 15
    bump[2] = 0.9 * m                   # both below the margin: the preset stays
    assert tune_chip(SPOON, scorer(f), 1000)[1]["changed"] == []


def test_finds_a_separable_optimum_and_reports_an_edge():
    target = {"hidden.0.lr_shift": 5, "output.lr_shift": 12, "output.sig_shift": 11, "hidden.0.init_bound": 36,
              "output.init_bound": 14}

    def f(v):   # peaked at target: 2 pp per shift step, 3 pp per doubling
        d = sum(abs(v[k] - target[k]) for k in KEYS[:3]) * 0.02
        d += sum(abs(math.log2(v[k] / target[k])) for k in KEYS[3:]) * 0.03
        return 0.95 - d
    calls: list = []
    cfg, s = tune_chip(SPOON, scorer(f, calls), 10000, jobs=2)
    assert s["knobs"]["hidden.0.lr_shift"] == 5 and s["knobs"]["output.lr_shift"] == 12
    assert s["knobs"]["hidden.0.init_bound"] == 36 and s["knobs"]["output.init_bound"] == 14
    assert sorted(s["changed"]) == ["hidden.0.init_bound", "hidden.0.lr_shift", "output.lr_shift"]
    assert len(calls) == len(set(calls)) == s["runs"] == len(s["points"])   # every point trained once
    assert s["at_edge"] == []
    assert (cfg.hidden[0].lr_shift, cfg.output.lr_shift, cfg.hidden[0].init_bound) == (5, 12, 36)
    # the same search on one thread: the same choice
    assert tune_chip(SPOON, scorer(f), 10000, jobs=1)[1]["knobs"] == s["knobs"]
    # an optimum beyond MAX_STEPS steps in one move: reached in a second pass or reported at an edge
    far = 15 - MAX_STEPS * 2 - 1
    s2 = tune_chip(SPOON, scorer(lambda v: 0.95 - 0.02 * abs(v["output.lr_shift"] - far)), 10000)[1]
    assert s2["knobs"]["output.lr_shift"] == 15 - 2 * MAX_STEPS and s2["at_edge"] == ["output.lr_shift"]
    assert s2["passes"] == 2


@pytest.fixture(scope="module")
def tuned(tmp_path_factory):
    out = tmp_path_factory.mktemp("tuned") / "out"
    argv = ["train", "--config", "tiny", "--tune", "--n-train", "300", "--n-test", "100", "--val-size", "100",
            "--epochs", "2", "--no-float", "--no-baselines", "--no-progress", "--json", "--out", str(out)]
    return argv, out


def test_cli_tune_trains_the_chosen_chip(tuned, capsys):
    argv, out = tuned
    assert cli.main(argv) == 0
    res = json.loads(capsys.readouterr().out)
    s = res["chip_tune_search"]
    assert set(s["knobs"]) == set(k for k, _ in tune_knobs(Config.preset("tiny")))
    assert s["val_accuracy"] == res["val_accuracy"] >= s["preset_val_accuracy"]
    best = max(p["val_accuracy"] for p in s["points"])
    assert s["val_accuracy"] >= best - s["margin_pp"] / 100 - 1e-12
    saved = Config.from_toml(out / "config.toml")
    assert {k: knob_value(saved, k) for k in s["knobs"]} == s["knobs"]
    # the reported chip is the plain chip of the chosen knobs
    sets = [a for k, v in s["knobs"].items() for a in ("--set", f"{k}={v}")]
    plain = [a for a in argv[:argv.index("--out")] if a != "--tune"] + sets
    assert cli.main(plain) == 0
    res2 = json.loads(capsys.readouterr().out)
    assert res2["test_accuracy"] == res["test_accuracy"] and res2["val_accuracy"] == res["val_accuracy"]
    assert "chip_tune_search" not in res2


def test_cli_tune_text_and_seeds(capsys):
    argv = ["train", "--config", "tiny", "--tune", "--n-train", "300", "--n-test", "100", "--val-size", "100",
            "--epochs", "1", "--no-float", "--no-baselines", "--no-progress", "--seeds", "0,1"]
    assert cli.main(argv) == 0
    text = capsys.readouterr().out
    assert "seed 0 chip knobs (--tune):" in text and "seed 1 chip knobs (--tune):" in text


@pytest.mark.parametrize("extra, msg", [(["--mode", "off-chip"], "--tune chooses the on-chip"),
                                        (["--val-size", "0", "--no-float"], "validation")])
def test_cli_tune_bad_input(extra, msg, capsys):
    argv = ["train", "--config", "tiny", "--tune", "--n-train", "300", "--n-test", "100", "--epochs", "1",
            "--no-progress"] + extra
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and msg in err[0], err


def test_knobs_named_by_a_grids_axes():
    from hwmodel.train.tune import knobs_named
    assert knobs_named(SPOON, ["drtp.lr_shift_fc1", "fc2.init_bound", "fc1.weight"]) == {
        "hidden.0.lr_shift", "output.init_bound"}
    deep = Config.preset("spoon_deep")
    assert knobs_named(deep, ["hidden.lr_shift", "output.sig_shift"]) == {
        "hidden.0.lr_shift", "hidden.1.lr_shift", "output.sig_shift"}
    assert knobs_named(deep, ["hidden.1.init_bound", "hidden.sizes"]) == {"hidden.1.init_bound"}
    # fixed knobs are not searched, and are listed
    _, s = tune_chip(SPOON, scorer(lambda v: 0.9 + 0.05 * (v["hidden.0.lr_shift"] == 4)), 1000,
                     fixed=["hidden.0.lr_shift"])
    assert s["fixed"] == ["hidden.0.lr_shift"] and "hidden.0.lr_shift" not in s["knobs"]
    assert s["changed"] == [] and s["runs"] == 1 + 2 * (len(KEYS) - 1)


def test_sweep_tune_keeps_the_axes_and_records_the_knobs(tmp_path, capsys):
    """sweep --tune: every run (and the reference) tunes the knobs that are not axes; the row keeps
    the point's own config and the chosen knobs in tune_knobs; the row's accuracy is the tuned
    chip's; a resume without --tune is refused; the task weight counts the search."""
    import sqlite3
    from hwmodel import sweep
    grid = tmp_path / "g.toml"
    grid.write_text('epochs = 1\nseeds = [0]\n[axes]\n"drtp.lr_shift_fc1" = [2, 3]\n')
    db = tmp_path / "t.sqlite"
    argv = ["bitwidths", "--grid", str(grid), "--db", str(db), "--jobs", "1", "--no-progress", "--config", "tiny",
            "--n-train", "300", "--n-test", "100", "--val-size", "100"]
    assert sweep.main(argv + ["--tune"]) == 0
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    rows = [dict(x) for x in conn.execute("SELECT * FROM results ORDER BY point_key")]
    (ref,) = [dict(x) for x in conn.execute("SELECT * FROM reference")]
    conn.close()
    assert len(rows) == 2
    assert "hidden.0.lr_shift" not in json.loads(ref["tune_knobs"])      # the base point, tuned alike
    for r in rows:
        knobs = json.loads(r["tune_knobs"])
        own = Config.from_dict(__import__("tomllib").loads(r["config_toml"]))
        assert "hidden.0.lr_shift" not in knobs and own.hidden[0].lr_shift in (2, 3)
        sets = [a for k, v in knobs.items() for a in ("--set", f"{k}={v}")]
        plain = ["train", "--config", "tiny", "--n-train", "300", "--n-test", "100", "--val-size", "100",
                 "--epochs", "1", "--no-float", "--no-baselines", "--no-progress", "--json",
                 "--set", f"hidden.0.lr_shift={own.hidden[0].lr_shift}"] + sets
        capsys.readouterr()
        assert cli.main(plain) == 0
        res = json.loads(capsys.readouterr().out)
        assert res["test_accuracy"] == r["test_accuracy"] and res["val_accuracy"] == r["val_accuracy"]
    capsys.readouterr()
    assert sweep.main(argv) == 2
    err = capsys.readouterr().err
    assert "no off-chip accuracy, tuned" in err and "a reference tuned" in err and "--allow-mixed" in err
    assert sweep.TASK_WEIGHT[sweep.task_kind({"kind": "point", "tune": True})] > sweep.TASK_WEIGHT["point"]


def test_rounding_repeats_of_a_tuned_seed_train_its_chosen_chip(capsys):
    argv = ["train", "--config", "tiny", "--n-train", "300", "--n-test", "100", "--val-size", "100", "--epochs", "2",
            "--no-float", "--no-baselines", "--no-progress", "--json", "--rounding-repeats", "3"]
    assert cli.main(argv + ["--tune"]) == 0
    res = json.loads(capsys.readouterr().out)
    knobs = res["chip_tune_search"]["knobs"]
    assert res["chip_tune_search"]["changed"]            # tiny's knobs move: the repeats can tell
    assert cli.main(argv + [a for k, v in knobs.items() for a in ("--set", f"{k}={v}")]) == 0
    plain = json.loads(capsys.readouterr().out)
    assert res["rounding_repeats"]["per_seed"][0]["test_accuracy"] == plain["rounding_repeats"]["per_seed"][0][
        "test_accuracy"]
