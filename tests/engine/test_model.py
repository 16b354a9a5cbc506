"""Model behaviour: learning improves accuracy, inference changes no weight, counters follow the
spec's formulas, bad labels are rejected, weights save and load exactly."""
import numpy as np
import pytest

from hwmodel.spec.config import Config
from hwmodel.spec.counters import counter_index, counter_names, counter_word_bits
from naive.spec10 import word_bits
from hwmodel.data.mnist import embedded_split
from hwmodel.data.encode import EventBatch, encode_images
from hwmodel.engine.processor import ModelError, Processor

IDX = counter_index(1)  # the chips of these tests have one hidden layer: counters by their stack names


@pytest.fixture(scope="module")
def tiny_data():
    cfg = Config.preset("tiny")
    sp = embedded_split(1000, 200)
    return (cfg, EventBatch.from_streams(encode_images(sp.x_train, cfg), cfg), sp.y_train,
            EventBatch.from_streams(encode_images(sp.x_test, cfg), cfg), sp.y_test)


def test_on_chip_learning_learns(tiny_data):
    cfg, btr, ytr, bte, yte = tiny_data
    p = Processor.from_config(cfg)
    before = p.evaluate(bte, yte).accuracy(yte)
    for e in range(3):
        p.train_epoch(btr, ytr, np.random.default_rng(e).permutation(len(ytr)))
    after = p.evaluate(bte, yte).accuracy(yte)
    assert before < 0.3 and after > 0.5


def test_inference_changes_no_weight_and_counts_no_learning(tiny_data):
    cfg, btr, ytr, bte, yte = tiny_data
    p = Processor.from_config(cfg)
    w, lf = p.st["w"].copy(), p.st["lfsr"].copy()
    r = p.evaluate(bte.subset(np.arange(20)), yte[:20])
    np.testing.assert_array_equal(p.st["w"], w)
    np.testing.assert_array_equal(p.st["lfsr"], lf)
    assert r.counters[1].sum() == 0 and r.counters[0].sum() > 0


def test_counters_follow_spec_formulas(tiny_data):
    cfg, btr, ytr, _, _ = tiny_data
    p = Processor.from_config(cfg)
    r = p.run(btr.subset(np.arange(5)), ytr[:5], learn=True, record=True)
    O, Q, C, N1, N2 = cfg.conv_out, cfg.spk_side, cfg.conv.channels, cfg.fc1.neurons, cfg.fc2.neurons
    for n in range(5):
        c = r.per_sample[n]
        tr = r.traces[n]
        na = int(tr["conv_spk"].sum()) + 1
        nd = int(tr["fc1_dact"].sum())
        assert c[0, IDX["events"]] == btr.offsets[n + 1] - btr.offsets[n]
        assert c[0, IDX["fc1_w_rd"]] == na * N1
        assert c[1, IDX["fc1_w_wr"]] == na * nd
        assert c[1, IDX["fc2_w_wr"]] == (N1 + 1) * N2
        assert c[1, IDX["lfsr_step"]] == na * nd + (N1 + 1) * N2
        assert c[0, IDX["conv_pot_wr"]] == O * O + c[0, IDX["conv_pot_rd"]]
        assert c[1, IDX["b_lut_rd"]] == 1 and c[1, IDX["conv_spk_rd"]] == Q * Q
        assert c[0, IDX["conv_add"]] == C * c[0, IDX["conv_kernel_rd"]]
    wb = word_bits(cfg)
    assert wb["b_lut_rd"] == N1 * 2 and wb["conv_pot_rd"] == C * 10
    assert counter_word_bits(cfg) == wb                   # the stack's widths are spec §11's at K = 1


def test_counter_word_bits_at_every_depth():
    """Two hidden layers: layer 2 multiplies its weights by layer 1's activations and reads a
    row of its own B LUT; no hidden layer: the output layer adds (binary spike inputs)."""
    deep = Config.preset("spoon_deep")
    h1, h2, out = deep.hidden[0], deep.hidden[1], deep.output
    wb = counter_word_bits(deep)
    assert list(wb) == list(counter_names(deep))
    assert wb["fc2_mac"] == h2.wb * h1.yb and wb["fc3_mac"] == out.wb * h2.yb
    assert wb["b2_lut_rd"] == h2.neurons * h2.bb and wb["fc2_tanh"] == h2.ab and wb["fc3_out_rd"] == out.ob
    flat = Config.preset("spoon").replace(**{"hidden.sizes": ""})
    wb0 = counter_word_bits(flat)
    assert list(wb0) == list(counter_names(0)) and wb0["fc1_add"] == flat.output.ab
    assert wb0["fc1_w_rd"] == flat.output.wb and "b_lut_rd" not in wb0


def test_truncate_and_nearest_do_not_step_the_lfsr(tiny_data):
    cfg, btr, ytr, _, _ = tiny_data
    for mode in ("truncate", "nearest"):
        p = Processor.from_config(cfg.replace(**{"drtp.rounding": mode}))
        lf = p.st["lfsr"].copy()
        r = p.run(btr.subset(np.arange(3)), ytr[:3], learn=True)
        np.testing.assert_array_equal(p.st["lfsr"], lf)
        assert r.counters[1, IDX["lfsr_step"]] == 0 and r.counters[1, IDX["fc2_upd"]] > 0


def test_labels_out_of_range_rejected(tiny_data):
    cfg, btr, ytr, _, _ = tiny_data
    p = Processor.from_config(cfg)
    with pytest.raises(ModelError, match="sample 1: label 10 outside 0..9"):
        p.run(btr.subset(np.arange(2)), np.array([3, 10]), learn=True)
    with pytest.raises(ModelError, match="learning needs labels"):
        p.run(btr.subset(np.arange(2)), None, learn=True)


def test_save_load_round_trip(tmp_path, tiny_data):
    cfg, btr, ytr, bte, yte = tiny_data
    p = Processor.from_config(cfg.replace(seed=5))
    p.run(btr.subset(np.arange(30)), ytr[:30], learn=True)
    p.save(tmp_path / "w.npz")
    q = Processor.load(tmp_path / "w.npz")
    assert q.cfg == p.cfg
    for k in p.st:
        np.testing.assert_array_equal(p.st[k], q.st[k])
    assert not list(tmp_path.glob("*.tmp"))
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(ModelError, match="cannot read"):
        Processor.load(tmp_path / "bad.npz")


def test_packed_words_layout(tiny_data):
    cfg = tiny_data[0]
    p = Processor.from_config(cfg)
    words = p.packed_words("conv_kernel")
    k = p.memories()["conv_kernel"]
    wc = cfg.bits["WC"]
    assert words[0] == sum((int(v) & (2**wc - 1)) << (i * wc) for i, v in enumerate(k[0]))
    assert all(0 <= w < 2 ** (cfg.conv.channels * wc) for w in words)


def test_files_of_the_one_hidden_layer_layout_still_load(tmp_path, tiny_data):
    """Weights files written before the layer stack hold one array per memory (w1, acc1, ...,
    out2): they load into the same state, and wrong shapes or depths are one-line errors."""
    import json
    cfg, btr, ytr, _, _ = tiny_data
    p = Processor.from_config(cfg.replace(seed=3))
    p.run(btr.subset(np.arange(20)), ytr[:20], learn=True)
    n1, n2 = cfg.fc1.neurons, cfg.fc2.neurons
    s = p.st
    legacy = {"kern": s["kern"], "pot": s["pot"], "spk": s["spk"], "w1": p.weights(1).copy(),
              "acc1": s["acc"][:n1].astype(np.int32), "act1": s["act"], "dact1": s["dact"],
              "bf": s["bf"].reshape(n2, n1), "w2": p.weights(2).copy(),
              "acc2": s["acc"][n1:], "out2": s["out"], "lut": s["lut"], "lfsr": s["lfsr"]}
    f = tmp_path / "old.npz"
    np.savez(f, config=np.array(p.cfg.to_toml()), provenance=np.array(json.dumps({})), **legacy)
    q = Processor.load(f)
    for k in p.st:
        np.testing.assert_array_equal(q.st[k], p.st[k], err_msg=k)
    bad = dict(legacy, w2=legacy["w2"][:-1])
    np.savez(f, config=np.array(p.cfg.to_toml()), **bad)
    with pytest.raises(ModelError, match=r"array 'w2' has shape \(\d+, 10\), the config needs"):
        Processor.load(f)
    deep = cfg.replace(**{"hidden.sizes": "8,4"})
    np.savez(f, config=np.array(deep.to_toml()), **legacy)
    with pytest.raises(ModelError, match="one-hidden-layer arrays .* has 2 hidden layers"):
        Processor.load(f)


def test_save_load_round_trip_at_every_depth(tmp_path, tiny_data):
    cfg, btr, ytr, _, _ = tiny_data
    for sizes in ("", "12", "12,6", "10,8,6"):
        c = cfg.replace(**{"hidden.sizes": sizes})
        p = Processor.from_config(c)
        p.run(btr.subset(np.arange(10)), ytr[:10], learn=True)
        p.save(tmp_path / "d.npz")
        q = Processor.load(tmp_path / "d.npz")
        assert q.cfg == c and q.cfg.depth == len([s for s in sizes.split(",") if s])
        for k in p.st:
            np.testing.assert_array_equal(q.st[k], p.st[k], err_msg=f"{sizes}: {k}")
        assert set(p.memories()) == set(q.memories())
