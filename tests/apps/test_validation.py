"""Validation discipline (issue 13): a stratified validation split carved from the training data,
the float references' gains chosen on it (never on test) with a grid that grows when the best
gains lie on its edge, learning curves and saturation statistics. Small: the tiny preset."""
import json

import numpy as np
import pytest

from hwmodel import cli
from naive import spec10
from hwmodel.spec.config import Config
from hwmodel.train.gainsearch import train_reference
from hwmodel.engine.processor import Processor
from hwmodel.engine.conv import spike_inputs
from hwmodel.data.select import DataSpec, default_val_size, load_data, validation_split
from hwmodel.train.runs import epoch_orders, run_training, saturation_stats

PNG = b"\x89PNG\r\n\x1a\n"


def test_validation_split_is_stratified_disjoint_and_fixed():
    y = np.repeat(np.arange(10), [50, 40, 60, 30, 70, 45, 55, 35, 65, 50])
    np.random.default_rng(3).shuffle(y)
    tr, va = validation_split(y, 100, seed=0)
    assert len(va) == 100 and len(tr) == len(y) - 100
    assert not set(tr) & set(va) and sorted(np.concatenate([tr, va])) == list(range(len(y)))
    for c in range(10):  # each class gives its share, within one sample
        share = 100 * np.sum(y == c) / len(y)
        assert abs(np.sum(y[va] == c) - share) < 1, c
    tr2, va2 = validation_split(y, 100, seed=0)
    assert np.array_equal(va, va2) and np.array_equal(tr, tr2)
    assert not np.array_equal(va, validation_split(y, 100, seed=1)[1])
    assert default_val_size(4000) == 1000 and default_val_size(60000) == 1000 and default_val_size(300) == 75


def test_load_data_carves_the_validation_digits_from_training():
    cfg = Config.preset("tiny")
    full, _ = load_data(cfg, DataSpec(n_train=400, n_test=100, val_size=0))
    prep, _ = load_data(cfg, DataSpec(n_train=400, n_test=100, val_size=120))
    assert (len(prep.y_train), prep.n_val, len(prep.y_test)) == (280, 120, 100)
    tr, va = validation_split(full.y_train, 120, 0)
    assert np.array_equal(prep.y_val, full.y_train[va]) and np.array_equal(prep.y_train, full.y_train[tr])
    assert np.array_equal(prep.val.offsets, full.train.subset(va).offsets)
    assert np.array_equal(prep.test.x, full.test.x)  # the test set is untouched
    assert DataSpec(n_train=400, n_test=100).key().endswith(",val=100")
    assert DataSpec().key() == "embedded:n_train=4000,n_test=1000,split_seed=0,val=1000"


@pytest.fixture(scope="module")
def problem():
    """Spike inputs of a small tiny-preset problem: train / validation / test CSR triples."""
    cfg = Config.preset("tiny")
    prep, _ = load_data(cfg, DataSpec(n_train=300, n_test=100, val_size=80))
    proc = Processor.from_config(cfg)

    def csr(b, y):
        c = spike_inputs(proc.g, b.x, b.y, b.c, b.offsets, proc.st["kern"])
        return c[0], c[1], y
    init = (spec10.fc1_init(cfg), spec10.fc2_init(cfg), spec10.b_fields(cfg))
    return (cfg, init, csr(prep.train, prep.y_train), csr(prep.val, prep.y_val), csr(prep.test, prep.y_test),
            epoch_orders(len(prep.y_train), 2, cfg.seed))


def test_gains_are_chosen_on_validation_never_on_test(problem):
    cfg, init, tr, va, te, orders = problem
    fr = train_reference(cfg, "drtp", init, tr, va, te, 2, orders, extend=0)
    assert len(fr.grid) == 25
    best = max(g["val_accuracy"] for g in fr.grid)
    assert fr.val_accuracy == best and fr.val_curve[-1] == best and len(fr.val_curve) == 2
    assert {"g1": fr.gains[0], "g2": fr.gains[1], "val_accuracy": best} in fr.grid
    # other test labels: the same choice and the same validation result
    scrambled = (te[0], te[1], (te[2] + 1) % 10)
    fr2 = train_reference(cfg, "drtp", init, tr, va, scrambled, 2, orders, extend=0)
    assert fr2.gains == fr.gains and fr2.val_accuracy == fr.val_accuracy and fr2.test_accuracy != fr.test_accuracy
    with pytest.raises(ValueError, match="validation set"):
        train_reference(cfg, "drtp", init, tr, (va[0], va[1], va[2][:0]), te, 2, orders)


def test_gain_grid_grows_at_its_edge_with_a_bound(problem):
    cfg, init, tr, va, te, orders = problem
    one = train_reference(cfg, "bp", init, tr, va, te, 1, orders, gains=(1.0,), extend=0)
    assert len(one.grid) == 1 and one.at_edge and one.gain_range == ((1.0, 1.0), (1.0, 1.0))
    grown = train_reference(cfg, "bp", init, tr, va, te, 1, orders, gains=(1.0,), extend=1)
    (lo1, hi1), (lo2, hi2) = grown.gain_range
    assert len(grown.grid) > 1 and lo1 >= 0.5 and hi1 <= 2 and lo2 >= 0.5 and hi2 <= 2
    assert grown.val_accuracy == max(g["val_accuracy"] for g in grown.grid) >= one.val_accuracy
    pairs = {(g["g1"], g["g2"]) for g in grown.grid}
    assert len(pairs) == len(grown.grid)  # no pair trained twice
    inside = not grown.at_edge
    assert inside == all(lo < g < hi for g, (lo, hi) in zip(grown.gains, grown.gain_range))
    # frozen hidden layers: the hidden gain plays no part and is not searched
    frozen = train_reference(cfg, "drtp", init, tr, va, te, 1, orders, frozen=True, extend=0)
    assert len(frozen.grid) == 5 and {g["g1"] for g in frozen.grid} == {1.0}


def test_saturation_stats_match_the_chip_memories():
    cfg = Config.preset("tiny")
    prep, _ = load_data(cfg, DataSpec(n_train=200, n_test=40))
    rep = run_training(cfg, prep, epochs=1, float_reference=False)
    sat = rep.results["saturation"]
    proc = rep.processor
    traces = proc.copy().run(prep.test, record=True).traces
    dact = np.array([t["fc1_dact"] for t in traces])
    out = np.array([t["fc2_out"] for t in traces])
    assert sat["fc1"]["linear_fraction"] == pytest.approx(dact.mean())
    assert sat["fc2"]["linear_fraction"] == pytest.approx(np.mean((out > 0) & (out < cfg.one)))
    w1 = proc.weights(1)
    assert sat["fc1"]["weights_at_rails"] == pytest.approx(np.mean((w1 == -128) | (w1 == 127)))
    p = proc.copy()
    w2 = p.weights(2)  # a view: writes the state
    w2[...] = 0
    w2[0, :] = 127
    w2[1, :3] = -128
    assert saturation_stats(p, prep.test.subset(np.arange(3)))["fc2"]["weights_at_rails"] == \
        pytest.approx(13 / w2.size)


def test_cli_learning_curves_saturation_and_plot(tmp_path, capsys):
    argv = ["train", "--config", "tiny", "--n-train", "300", "--n-test", "100", "--epochs", "3", "--mode", "both",
            "--no-progress"]
    assert cli.main([*argv, "--json", "--plot", str(tmp_path / "plots")]) == 0
    res = json.loads(capsys.readouterr().out)
    lc = res["learning_curves"]
    assert lc["epoch"] == [1, 2, 3]
    for k in ("integer_val_accuracy", "float_val_accuracy", "offchip_float_val_accuracy", "integer_test_accuracy"):
        assert len(lc[k]) == 3 and all(0 <= v <= 1 for v in lc[k]), k
    assert lc["integer_val_accuracy"][-1] == res["val_accuracy"]
    assert lc["float_val_accuracy"][-1] == res["float_val_accuracy"]
    assert lc["integer_test_accuracy"] == res["test_accuracy_per_epoch"]
    for key in ("saturation", "offchip_saturation"):
        for layer in ("fc1", "fc2"):
            assert 0 <= res[key][layer]["linear_fraction"] <= 1 and 0 <= res[key][layer]["weights_at_rails"] <= 1
    assert res["n_val"] == 75 and res["n_train"] == 225
    assert res["float_gain_search"]["runs"] >= 25 and "at_edge" in res["offchip_gain_search"]
    assert (tmp_path / "plots" / "learning_curves.png").read_bytes()[:8] == PNG
    assert cli.main(argv) == 0
    text = capsys.readouterr().out
    assert "saturation: fc1" in text and "linear region" in text and "at the rails" in text
    assert "float DRTP gains (hidden, output)" in text and " val " in text.splitlines()[1]


@pytest.mark.parametrize("seeds", [None, [0, 1, 2]])
def test_learning_curves_draw_the_baselines(seeds):
    """The learning-curves plot shows what learning in the hidden layer buys: the linear read-out
    and the frozen-hidden network as horizontal lines at their final validation accuracy (with a
    ± std band over seeds), beside the chip's curve."""
    from hwmodel.cli.train import learning_curves_figure
    from hwmodel.util.plots import pyplot
    if seeds is None:
        res = {"config": "tiny", "seed": 0, "n_val": 150, "linear_val_accuracy": 0.771, "frozen_val_accuracy": 0.34,
               "learning_curves": {"epoch": [1, 2, 3], "integer_val_accuracy": [0.3, 0.5, 0.6]}}
    else:
        res = {"config": "tiny", "seeds": seeds, "n_val": 150, "linear_val_accuracy_mean": 0.771,
               "linear_val_accuracy_std": 0.02, "frozen_val_accuracy_mean": 0.34, "frozen_val_accuracy_std": 0.05,
               "learning_curves": {"epoch": [1, 2, 3], "integer_val_accuracy_mean": [0.3, 0.5, 0.6],
                                   "integer_val_accuracy_std": [0.01, 0.02, 0.03]}}
    fig = learning_curves_figure(res)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "baseline: linear read-out (no hidden layer), validation after 3 epochs: 77.1 %" in labels
    assert "baseline: frozen hidden layer (only the output learns), validation after 3 epochs: 34.0 %" in labels
    flat = sorted(round(line.get_ydata()[0], 6) for line in ax.get_lines() if len(set(line.get_ydata())) == 1)
    assert flat == [34.0, 77.1]
    assert len(ax.patches) == (2 if seeds else 0)    # the ± std bands of the baselines over seeds
    pyplot().close(fig)
