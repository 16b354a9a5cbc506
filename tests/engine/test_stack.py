"""The layer-stack kernels (hwmodel.engine.kernel, docs/spec.md §15) against the plain reference
(naive.reference).

(a) K = 1: the kernel gives the reference's memories, predictions and counters on the tiny and
    spoon presets with real digits and on generated one-hidden-layer configurations (original
    keys), per sample and batched, learning and inference, over several passes.
(b) K = 0..3: the kernel equals the reference on every memory, counter and prediction, on
    generated configurations (every rounding mode, pooling, two input channels, one-unit layers,
    narrow accumulators and weights that saturate), per sample and batched.
(c) Hand-worked examples of the rules §15 adds (K = 0 output update, the second hidden layer's
    multi-bit forward with the bias YMAX_1 and its DRTP update, ROM stream numbers), with the
    expected values as literals and the arithmetic in comments.
"""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from naive import reference, spec10
from hwmodel.spec import roms
from hwmodel.spec.config import Config
from hwmodel.spec.counters import counter_names
from naive.runner import same_memories
from naive.spec10 import COUNTERS
from hwmodel.data.encode import EventBatch
from hwmodel.data.eventio import EVENT_DTYPE
from hwmodel.engine.kernel import StackProcessor

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# ---- helpers ------------------------------------------------------------------------------------

def _streams(draw, w, n, max_events):
    streams = []
    for _ in range(n):
        m = draw(st.integers(0, max_events))
        ev = np.zeros(m, EVENT_DTYPE)
        ev["x"] = draw(st.lists(st.integers(0, w - 1), min_size=m, max_size=m))
        ev["y"] = draw(st.lists(st.integers(0, w - 1), min_size=m, max_size=m))
        ev["p"] = draw(st.lists(st.integers(0, 1), min_size=m, max_size=m))
        ev["t"] = np.arange(m)
        streams.append(ev)
    return streams


def _conv(draw, max_w=12):
    """Conv front-end overrides (any legal geometry, pooling, CIN 1 or 2, narrow potentials)."""
    w = draw(st.integers(4, max_w))
    k = draw(st.integers(1, min(5, w)))
    pad = draw(st.integers(0, k - 1))
    stride = draw(st.integers(1, k))
    o = (w + 2 * pad - k) // stride + 1
    wc = draw(st.integers(2, 6))
    pb = draw(st.integers(wc + 1, wc + 5))
    return w, {
        "input.width": w, "input.height": w, "input.channels": draw(st.sampled_from([1, 2])),
        "conv.channels": draw(st.integers(1, 3)), "conv.kernel": k, "conv.stride": stride,
        "conv.padding": pad, "conv.pool": draw(st.sampled_from([p for p in (1, 2, 3, 4) if o % p == 0])),
        "conv.weight": f"s{wc}", "conv.potential": f"s{pb}",
        "conv.threshold": draw(st.integers(1, 2)) if draw(st.booleans())  # many spikes: wide sums
        else draw(st.integers(1, min((1 << (pb - 1)) - 1, 3 << (wc - 1)))),
        "seed": draw(st.integers(0, 2**32 - 1)),
    }


def _bound(draw, wb):
    """An init bound: often the largest legal one (sums that saturate the accumulators)."""
    hi = (1 << (wb - 1)) - 1
    return hi if draw(st.booleans()) else draw(st.integers(0, hi))


def _narrow_or_any(draw, lo, hi):
    """Most often the narrowest legal width (saturates), sometimes any."""
    return draw(st.integers(lo, hi)) if draw(st.integers(0, 2)) == 0 else draw(st.integers(lo, min(hi, lo + 1)))


def _small_or_any(draw, lo, hi, small_hi):
    """An integer in lo..hi, most often in lo..small_hi."""
    return draw(st.integers(lo, hi)) if draw(st.integers(0, 4)) == 0 else draw(st.integers(lo, small_hi))


def _output(draw, n_max):
    """Fields of the output layer except the accumulator."""
    lut_bits = draw(st.integers(2, 8))
    wb = _small_or_any(draw, 2, 16, 10)
    return wb, {"neurons": draw(st.integers(2, n_max)), "weight": f"s{wb}",
                "lut_bits": lut_bits, "lut_frac": draw(st.integers(0, lut_bits)),
                "output": f"u{draw(st.integers(2, 10))}",
                "init_bound": _bound(draw, wb), "lr_shift": _small_or_any(draw, 0, 40, 12)}


def _org(draw, n):
    """Organisation fields (spec §16) of a layer of n units: half the time the serial default,
    else any lanes (partial last groups included), 1 or 2 banks (every weight memory has >= 2
    words), either port kind."""
    if draw(st.booleans()):
        return {}
    return {"lanes": draw(st.integers(1, n)), "weight_banks": draw(st.sampled_from([1, 2])),
            "weight_ports": draw(st.sampled_from(["1r1w", "1rw"]))}


@st.composite
def stack_cases(draw, depth, max_samples=4, n_max=6, max_events=30):
    """A configuration with ``depth`` hidden layers in the stack layout, event streams, labels."""
    w, over = _conv(draw)
    hidden = []
    in_bits = 1
    for _ in range(depth):
        wb = _small_or_any(draw, 2, 16, 10)
        ab = _narrow_or_any(draw, wb + in_bits, 32)
        yb = _small_or_any(draw, 2, 16, 10)
        shift = 0 if draw(st.booleans()) else draw(st.integers(0, min(ab - 1, 4)))
        units = draw(st.integers(1, n_max if draw(st.integers(0, 4)) else 3 * n_max))  # sometimes wider
        hidden.append({"neurons": units, "weight": f"s{wb}", "accumulator": f"s{ab}", "activation": f"s{yb}",
                       "act_shift": shift, "init_bound": _bound(draw, wb),
                       "lr_shift": _small_or_any(draw, 0, 30, 8),
                       "b": f"s{draw(st.integers(1, 4))}", **_org(draw, units)})
        in_bits = yb
    wb, out = _output(draw, n_max)
    ab = _narrow_or_any(draw, wb + in_bits, 40)
    out["accumulator"] = f"s{ab}"
    out["sig_shift"] = draw(st.integers(0, min(ab - 1, 12)))
    out.update(_org(draw, out["neurons"]))
    base = Config.preset("tiny").replace(**over)
    d = base.to_dict()
    for sec in ("fc1", "fc2"):
        d.pop(sec, None)
    d["hidden"] = hidden
    d["output"] = out
    d["drtp"] = {"rounding": draw(st.sampled_from(["truncate", "nearest", "stochastic"]))}
    cfg = Config.from_dict(d)
    assert cfg.depth == depth
    n = draw(st.integers(1, max_samples))
    streams = _streams(draw, w, n, max_events)
    labels = np.array(draw(st.lists(st.integers(0, cfg.output.neurons - 1), min_size=n, max_size=n)))
    return cfg, streams, labels


@st.composite
def depth1_cases(draw, max_samples=4):
    """One-hidden-layer configurations in the original layout (old keys), up to the presets' sizes."""
    w, over = _conv(draw)
    big = draw(st.integers(0, 3)) == 0
    w1b, yb, w2b = draw(st.integers(2, 16)), draw(st.integers(2, 16)), draw(st.integers(2, 16))
    a1b = _narrow_or_any(draw, w1b + 1, 32)
    a2b = _narrow_or_any(draw, w2b + yb, 40)
    lut_bits = draw(st.integers(2, 12))
    over.update({
        "fc1.neurons": draw(st.integers(1, 128 if big else 8)), "fc1.weight": f"s{w1b}",
        "fc1.accumulator": f"s{a1b}", "fc1.activation": f"s{yb}",
        "fc1.act_shift": draw(st.integers(0, min(a1b - 1, 6))),
        "fc1.init_bound": draw(st.integers(0, (1 << (w1b - 1)) - 1)),
        "fc2.neurons": draw(st.integers(2, 16 if big else 5)), "fc2.weight": f"s{w2b}",
        "fc2.accumulator": f"s{a2b}", "fc2.sig_shift": draw(st.integers(0, min(a2b - 1, 16))),
        "fc2.lut_bits": lut_bits, "fc2.lut_frac": draw(st.integers(max(0, lut_bits - 10), lut_bits)),
        "fc2.output": f"u{draw(st.integers(2, 16))}",
        "fc2.init_bound": draw(st.integers(0, (1 << (w2b - 1)) - 1)),
        "drtp.b": f"s{draw(st.integers(1, 8))}", "drtp.lr_shift_fc1": draw(st.integers(0, 30)),
        "drtp.lr_shift_fc2": draw(st.integers(0, 40)),
        "drtp.rounding": draw(st.sampled_from(["truncate", "nearest", "stochastic"])),
    })
    cfg = Config.preset("tiny").replace(**over)
    n = draw(st.integers(1, max_samples))
    streams = _streams(draw, w, n, 40)
    labels = np.array(draw(st.lists(st.integers(0, cfg.fc2.neurons - 1), min_size=n, max_size=n)))
    return cfg, streams, labels


def memories_cover_state(sp: StackProcessor):
    """memories() shows every element of the flat buffers (nothing hides outside the views)."""
    m, d = sp.memories(), sp.cfg.depth
    ks, hs = range(1, d + 2), range(1, d + 1)
    layers = list(sp.cfg.hidden) + [sp.cfg.output]

    def cat(parts):
        return np.concatenate([np.zeros(0, np.int64)] + [np.ravel(p) for p in parts])

    def units(k, name):
        """A lane-layout memory of layer k back to one value per unit; padding lanes must be 0."""
        a, n, p = m[name], layers[k - 1].neurons, layers[k - 1].lanes
        if p == 1:
            return a
        rows = a.reshape(-1, layers[k - 1].groups * p)
        assert not rows[:, n:].any(), f"{name}: a padding lane is not 0"
        return rows[:, :n]
    np.testing.assert_array_equal(cat(units(k, f"fc{k}_w") for k in ks), sp.st["w"])
    np.testing.assert_array_equal(cat(units(k, f"fc{k}_acc") for k in ks), sp.st["acc"])
    np.testing.assert_array_equal(cat(m[f"fc{h}_act"] for h in hs), sp.st["act"])
    np.testing.assert_array_equal(cat(units(h, f"fc{h}_dact") for h in hs), sp.st["dact"])
    np.testing.assert_array_equal(cat(m["b_lut" if h == 1 else f"b{h}_lut"] for h in hs), sp.st["bf"])
    np.testing.assert_array_equal(cat(m[f"lfsr_fc{k}"] for k in ks), sp.st["lfsr"])


# ---- (a) K = 1: the stack kernel equals the reference, pass after pass -----------------------

def both_k1(cfg, streams, labels, learn, record, passes=1):
    """The stack kernel against ``naive.reference`` at K = 1, the reference carrying its own
    memories from pass to pass: every memory, prediction and counter after every pass."""
    batch = EventBatch.from_streams(streams, cfg)
    sp = StackProcessor.from_config(cfg)
    assert sp.names == COUNTERS
    mem = sp.memories()
    rstreams = [batch.stream(n) for n in range(len(batch))]
    for n in range(passes):
        r = sp.run(batch, labels, learn=learn, record=record)
        rpreds, rcnts = reference.run(cfg, rstreams, labels, learn, mem)
        np.testing.assert_array_equal(r.preds, rpreds)
        np.testing.assert_array_equal(r.counters, rcnts.sum(axis=0))
        if record:
            np.testing.assert_array_equal(r.per_sample, rcnts)
        else:
            assert r.per_sample is None  # really the batched path
        same_memories(sp.memories(), mem, f"pass {n}")
    memories_cover_state(sp)
    return r


def _digits(cfg, n):
    from hwmodel.data.mnist import embedded_split
    from hwmodel.data.encode import encode_images
    sp = embedded_split(400, 10)
    return encode_images(sp.x_train[:n], cfg), sp.y_train[:n]


@pytest.mark.parametrize("preset,n", [("tiny", 120), ("spoon_serial", 12)])
def test_k1_presets_on_digits_equal_reference(preset, n):
    """Batched learning (two passes), then inference; then one kernel call per sample, both modes."""
    cfg = Config.preset(preset)
    streams, y = _digits(cfg, n)
    r = both_k1(cfg, streams, y, learn=True, record=False, passes=2)
    assert r.counters[1, COUNTERS.index("fc1_upd")] > 0 and r.counters[1, COUNTERS.index("lfsr_step")] > 0
    both_k1(cfg, streams, y, learn=False, record=False)
    both_k1(cfg, streams[:8], y[:8], learn=True, record=True)
    both_k1(cfg, streams[:8], y[:8], learn=False, record=True)


@pytest.mark.parametrize("rounding", ["truncate", "nearest"])
def test_k1_deterministic_rounding_on_digits_equal_reference(rounding):
    """The kernel's shortcut for layer 1 without stochastic rounding (R(-b_j) once per unit)."""
    cfg = Config.preset("tiny").replace(**{"drtp.rounding": rounding, "drtp.lr_shift_fc1": 1})
    streams, y = _digits(cfg, 80)
    r = both_k1(cfg, streams, y, learn=True, record=False, passes=2)
    assert r.counters[1, COUNTERS.index("fc1_upd")] > 0 and r.counters[1, COUNTERS.index("lfsr_step")] == 0


@settings(max_examples=150, **SETTINGS)
@given(depth1_cases(), st.booleans(), st.booleans())
def test_k1_generated_equal_reference(case, learn, record):
    cfg, streams, labels = case
    both_k1(cfg, streams, labels, learn, record, passes=2)


# ---- (b) K = 0..3: kernel == reference -------------------------------------------------

def both_ref(cfg, streams, labels, learn, record):
    sp = StackProcessor.from_config(cfg)
    mem = sp.memories()
    batch = EventBatch.from_streams(streams, cfg)
    res = sp.run(batch, labels, learn=learn, record=record)
    rpreds, rcnts = reference.run(cfg, [batch.stream(n) for n in range(len(batch))], labels, learn, mem)
    np.testing.assert_array_equal(res.preds, rpreds)
    np.testing.assert_array_equal(res.counters, rcnts.sum(axis=0))
    if record:
        np.testing.assert_array_equal(res.per_sample, rcnts)
    else:
        assert res.per_sample is None  # really the batched path
    same_memories(sp.memories(), mem, f"depth {cfg.depth}")
    memories_cover_state(sp)
    return res


@pytest.mark.parametrize("depth", [0, 1, 2, 3])
@settings(max_examples=400, **SETTINGS)
@given(data=st.data(), learn=st.booleans(), record=st.booleans())
def test_stack_equals_reference(depth, data, learn, record):
    cfg, streams, labels = data.draw(stack_cases(depth))
    both_ref(cfg, streams, labels, learn, record)


def test_stack_equals_reference_on_digits_depth2_learning():
    """Real digits through tiny with two hidden layers (16, 12), stochastic: updates everywhere."""
    cfg = Config.preset("tiny").replace(**{"hidden.sizes": "16,12", "hidden.1.activation": "s6",
                                            "hidden.1.accumulator": "s20", "hidden.1.lr_shift": 5,
                                            "hidden.1.act_shift": 7})
    streams, y = _digits(cfg, 3)
    res = both_ref(cfg, streams, y, True, True)
    c = dict(zip(counter_names(2), res.counters[1]))
    assert c["fc1_upd"] > 0 and c["fc2_upd"] > 0 and c["fc3_upd"] > 0 and c["b2_lut_rd"] == 3


# ---- (c) hand-worked examples ----------------------------------------------------------------

# A 5x5 sensor and one 5x5 kernel: one conv output, so layer 1 has N_IN = 1 input (i = 0) plus the
# bias (i = 1). All initial weights are zero; each test writes the state it reasons about.
ONE_INPUT = {"input.width": 5, "input.height": 5, "input.channels": 1, "conv.channels": 1,
             "conv.kernel": 5, "conv.stride": 1, "conv.padding": 0, "conv.pool": 1,
             "conv.weight": "s4", "conv.potential": "s10", "conv.threshold": 5}


def _events(*xy):
    ev = np.zeros(len(xy), EVENT_DTYPE)
    for n, (x, y) in enumerate(xy):
        ev[n] = (n, x, y, 1)
    return ev


def _one(cfg, state, ev, label, learn):
    """One sample through the kernel and the reference from the same written state."""
    results = []
    for engine in ("kernel", "reference"):
        sp = StackProcessor.from_config(cfg, conv_kernels=np.full((1, 1, 5, 5), 7))
        for k, v in state.items():
            sp.st[k][...] = v
        batch = EventBatch.from_streams([ev], cfg)
        lab = np.array([label])
        if engine == "kernel":
            r = sp.run(batch, lab, learn=learn, record=True)
            results.append((sp.memories(), int(r.preds[0]), dict(zip(sp.names, r.per_sample[0][1])),
                            dict(zip(sp.names, r.per_sample[0][0]))))
        else:
            mem = sp.memories()
            p, c = reference.run(cfg, [batch.stream(0)], lab, learn, mem)
            results.append((mem, int(p[0]), dict(zip(sp.names, c[0][1])), dict(zip(sp.names, c[0][0]))))
    return results


def _k0_cfg(rounding):
    return Config.preset("tiny").replace(**{**ONE_INPUT, "hidden.sizes": "", "output.neurons": 2,
                                            "output.weight": "s8", "output.accumulator": "s20",
                                            "output.sig_shift": 0, "output.lut_bits": 6, "output.lut_frac": 2,
                                            "output.output": "u8", "output.init_bound": 0,
                                            "output.lr_shift": 4, "drtp.rounding": rounding})


@pytest.mark.parametrize("spike", [True, False])
def test_k0_output_update_over_active_inputs(spike):
    """K = 0: the output layer (fc1) reads the conv spike and the bias, x = 1, as layer 1 does.
    fc1_w (2 x 2) = [[40, -40], [30, -30]]: with the spike acc = [70, -70], without it [30, -30];
    SS = 0, L = 6 → idx = clamp(acc, -32, 31) = [31, -32] → out = [sig_lut[63], sig_lut[0]]
    = [255, 0] (255·σ(7.75) + 1/2 = 255.39; 255·σ(-8) + 1/2 = 0.59). Label 1:
    e = [255 - 0, 0 - 255] = [255, -255], u = -e·x = [-255, 255]; LR = 4, nearest:
    R(-255, 4) = (-255 + 8) >>> 4 = floor(-15.44) = -16, R(255, 4) = 263 >>> 4 = 16."""
    cfg = _k0_cfg("nearest")
    assert cfg.depth == 0
    state = {"w": [40, -40, 30, -30]}
    ev = _events((2, 2)) if spike else _events()  # one event: potential 7 ≥ θ = 5, the input fires
    for mem, pred, learn_c, inf_c in _one(cfg, state, ev, 1, True):
        assert pred == 0
        np.testing.assert_array_equal(mem["fc1_acc"], [70, -70] if spike else [30, -30])
        np.testing.assert_array_equal(mem["fc1_out"], [255, 0])
        # the conv row moves only when its input was active; the bias row always
        want = [40 - 16, -40 + 16, 30 - 16, -30 + 16] if spike else [40, -40, 30 - 16, -30 + 16]
        np.testing.assert_array_equal(mem["fc1_w"], want)
        na = 2 if spike else 1
        assert inf_c["fc1_add"] == na * 2 and inf_c["conv_spk_rd"] == (1 if spike else 0) + 1
        assert learn_c["fc1_w_rd"] == learn_c["fc1_w_wr"] == learn_c["fc1_upd"] == na * 2
        assert learn_c["conv_spk_rd"] == 1 and learn_c["fc1_out_rd"] == 2 and learn_c["lfsr_step"] == 0
        assert "fc1_act_rd" not in learn_c and "b_lut_rd" not in learn_c
        assert mem["lfsr_fc1"][0] == roms.stream_seed(cfg.seed, 6)  # not stepped (nearest)


def test_k0_output_lfsr_is_stream_6():
    """K = 0, stochastic: the output layer's LFSR (named lfsr_fc1) starts at seed_6, not seed_5, and
    steps once per update: NA·N_out = 2·2 = 4 steps. seed 0: seed_6 = 6·0x7F4A7C15 mod 2^32
    = 0xFBBEE87E; the rounding bits are those of the state after each step."""
    cfg = _k0_cfg("stochastic")
    assert roms.stream_seed(0, 6) == 0xFBBEE87E
    s, steps = 0xFBBEE87E, []
    for _ in range(4):
        s = reference.ref_lfsr_step(s)
        steps.append(s)
    # u = [-255, 255] per input row (as above); R(u, 4) = (u + (r & 15)) >>> 4
    want = []
    for row, (w0, w1) in enumerate([(40, -40), (30, -30)]):
        d0 = (-255 + (steps[2 * row] & 15)) >> 4
        d1 = (255 + (steps[2 * row + 1] & 15)) >> 4
        assert d0 in (-16, -15) and d1 in (15, 16)
        want += [w0 + d0, w1 + d1]
    for mem, pred, learn_c, _ in _one(cfg, {"w": [40, -40, 30, -30]}, _events((2, 2)), 1, True):
        assert mem["lfsr_fc1"][0] == steps[-1] and learn_c["lfsr_step"] == 4
        np.testing.assert_array_equal(mem["fc1_w"], want)


def _k2_cfg():
    # layer 1: 2 units (s8 weights, YB_1 = s8: YMAX_1 = 127); layer 2: 2 units, s8 weights,
    # s16 accumulator, AS_2 = 1, YB_2 = s7 (YMAX_2 = 63), LR_2 = 2; output 2 units; truncate
    return Config.preset("tiny").replace(**{
        **ONE_INPUT, "hidden.sizes": "2,2", "hidden.weight": "s8", "hidden.init_bound": 0,
        "hidden.0.accumulator": "s16", "hidden.0.activation": "s8", "hidden.0.act_shift": 0,
        "hidden.0.lr_shift": 0, "hidden.0.b": "s2",
        "hidden.1.accumulator": "s16", "hidden.1.activation": "s7", "hidden.1.act_shift": 1,
        "hidden.1.lr_shift": 2, "hidden.1.b": "s2",
        "output.neurons": 2, "output.accumulator": "s20", "output.init_bound": 0,
        "drtp.rounding": "truncate"})


# fc1_w (2 x 2): conv row 0, bias row [30, -50]; no event → only the bias input: acc1 = [30, -50],
# act1 = [30, -50], both linear. fc2_w (3 x 2): rows i = 0, 1 (inputs y1_0, y1_1), row 2 the bias.
K2_STATE = {"w": [0, 0, 30, -50] + [2, -1, 3, 4, 1, 0] + [0] * 6}


def test_k2_second_hidden_layer_forward():
    """acc2_0 = 2·30 + 3·(-50) + 1·YMAX_1 = 60 - 150 + 127 = 37;
    acc2_1 = (-1)·30 + 4·(-50) + 0·127 = -230. AS_2 = 1: t = [37 >>> 1, -230 >>> 1] = [18, -115];
    YMAX_2 = 63: act2 = [18, -63], dact2 = [1, 0] (-115 is saturated)."""
    cfg = _k2_cfg()
    for mem, pred, _, inf_c in _one(cfg, K2_STATE, _events(), 0, False):
        np.testing.assert_array_equal(mem["fc1_act"], [30, -50])
        np.testing.assert_array_equal(mem["fc2_acc"], [37, -230])
        np.testing.assert_array_equal(mem["fc2_act"], [18, -63])
        np.testing.assert_array_equal(mem["fc2_dact"], [1, 0])
        # layer 2 reads fc1_act once per input (the bias needs no read), 3·2 products
        assert inf_c["fc1_act_rd"] == 2 and inf_c["fc2_mac"] == 6 and inf_c["fc2_w_rd"] == 6
        assert inf_c["fc2_acc_rd"] == 6 + 2 and inf_c["fc2_acc_wr"] == 2 + 6
        assert inf_c["fc2_tanh"] == 2 and inf_c["fc2_act_wr"] == 2 and inf_c["fc2_act_rd"] == 2
        assert inf_c["fc3_mac"] == 3 * 2 and "fc2_add" not in inf_c and "fc3_add" not in inf_c


def test_k2_second_hidden_layer_drtp_update():
    """Label 1, b2_lut[1] fields [1, -2] → b = [3, -3]; only unit 0 is linear (dact2 = [1, 0]).
    u = -b_0·x_i with x = [30, -50, YMAX_1 = 127]: [-90, 150, -381]; LR_2 = 2, truncate:
    -90 >>> 2 = floor(-22.5) = -23, 150 >>> 2 = 37, -381 >>> 2 = floor(-95.25) = -96.
    fc2_w column 0: [2 - 23, 3 + 37, 1 - 96] = [-21, 40, -95]; column 1 untouched.
    Layer 1 meanwhile: b_lut[1] = [0, 0] → b = [1, 1], u = -1, LR_1 = 0: bias row [29, -51]."""
    cfg = _k2_cfg()
    bf = [0, 0, 0, 0] + [0, 0, 1, -2]  # b_lut (2 classes x 2), then b2_lut (2 x 2)
    for mem, pred, learn_c, inf_c in _one(cfg, {**K2_STATE, "bf": bf}, _events(), 1, True):
        np.testing.assert_array_equal(mem["fc2_act"], [18, -63])   # computed before any update
        np.testing.assert_array_equal(mem["fc2_w"], [-21, -1, 40, 4, -95, 0])
        np.testing.assert_array_equal(mem["fc1_w"], [0, 0, 29, -51])
        assert learn_c["b2_lut_rd"] == 1 and learn_c["b_lut_rd"] == 1
        assert learn_c["fc2_w_rd"] == learn_c["fc2_w_wr"] == learn_c["fc2_upd"] == 3 * 1
        assert learn_c["fc1_act_rd"] == 2          # layer 2's update reads its inputs again
        assert learn_c["fc2_act_rd"] == 2          # the output update reads y2
        assert learn_c["fc3_upd"] == 3 * 2 and learn_c["fc3_out_rd"] == 2 and learn_c["lfsr_step"] == 0


def test_k2_zero_input_still_updates():
    """An input x_i = 0 gives u = 0, which is still an update (read, write, one LFSR step): fc1 bias
    row [0, -50] → x = [0, -50, 127]; unit 0 linear (acc2_0 = 3·(-50) + 127 = -23 → t = -12),
    unit 1 saturated (4·(-50) = -200 → -100 < -63): 3 inputs × 1 unit = 3 steps of lfsr_fc2,
    which starts at seed_26 (seed 0: 26·0x7F4A7C15 mod 2^32 = 0xED909A22). R(0, 2) = (0 + (r & 3))
    >>> 2 = 0: the weight of the zero input does not move."""
    cfg = _k2_cfg().replace(**{"drtp.rounding": "stochastic"})
    s = 0xED909A22
    rs = []
    for _ in range(3):
        s = reference.ref_lfsr_step(s)
        rs.append(s & 3)
    # column 0: u = -3·x = [0, 150, -381], R = (u + r) >>> 2 with r = r_t & 3 in 0..3:
    # (0 + r) >>> 2 = 0; (150 + r) >>> 2 is 37 or 38; (-381 + r) >>> 2 is -96 or -95
    want0 = [2 + 0, 3 + ((150 + rs[1]) >> 2), 1 + ((-381 + rs[2]) >> 2)]
    assert want0[0] == 2 and want0[1] in (40, 41) and want0[2] in (-95, -94)
    state = {**K2_STATE, "w": [0, 0, 0, -50] + K2_STATE["w"][4:], "bf": [0, 0, 0, 0] + [0, 0, 1, -2]}
    for mem, pred, learn_c, _ in _one(cfg, state, _events(), 1, True):
        np.testing.assert_array_equal(mem["fc2_dact"], [1, 0])
        assert mem["lfsr_fc2"][0] == s
        np.testing.assert_array_equal(mem["fc2_w"][0::2], want0)
        np.testing.assert_array_equal(mem["fc2_w"][1::2], [-1, 4, 0])
        assert learn_c["fc2_upd"] == 3
        # steps: layer 1 (bias only, one linear unit of two: fc1_acc = [0, -50], both linear → 2),
        # layer 2 (3), output (3 inputs × 2 outputs = 6)
        assert learn_c["lfsr_step"] == 2 + 3 + 6


def test_stream_numbers():
    """Streams of §15: hidden 1 → (2, 3, 5), hidden h ≥ 2 → (16+4h, 17+4h, 18+4h), output (4, 6)."""
    assert roms.hidden_streams(1) == (2, 3, 5)
    assert roms.hidden_streams(2) == (24, 25, 26) and roms.hidden_streams(3) == (28, 29, 30)
    for sizes in ("", "5", "5,4,3"):
        cfg = Config.preset("tiny").replace(**{"hidden.sizes": sizes})
        assert roms.layer_streams(cfg, cfg.depth + 1) == (None, 4, 6)
    cfg = Config.preset("tiny").replace(**{"hidden.sizes": "5,4,3", "seed": 0})
    # seed 0: seed_k = k·0x7F4A7C15 mod 2^32
    assert roms.layer_lfsr_seeds(cfg) == [0x7C746C69, 0xED909A22, 0xEABA8A76, 0xFBBEE87E]  # k = 5, 26, 30, 6


def _draws(seed, k, n):
    """ROM draws of stream k written from §3: seed_k, then 32 LFSR steps per draw."""
    s = (seed * 0x9E3779B1 + k * 0x7F4A7C15) % 2**32 or 1
    out = []
    for _ in range(n):
        for _ in range(32):
            s = reference.ref_lfsr_step(s)
        out.append(s)
    return out


def _sext(v, bits):
    v %= 2 ** bits
    return v - 2 ** bits if v >= 2 ** (bits - 1) else v


def test_rom_contents_per_layer():
    """B and initial weights of every layer from its stream, in the §3 order; the LFSR seeds."""
    cfg = Config.preset("tiny").replace(**{"hidden.sizes": "5,4,3", "seed": 12345, "hidden.b": "s3",
                                            "hidden.1.init_bound": 7, "output.neurons": 3})
    sp = StackProcessor.from_config(cfg)
    m = sp.memories()
    nout = 3
    for h, (n, nin, bstream, wstream) in enumerate([(5, cfg.n_in, 2, 3), (4, 5, 24, 25), (3, 4, 28, 29)], 1):
        b = [_sext(v, 3) for v in _draws(12345, bstream, nout * n)]
        assert m["b_lut" if h == 1 else f"b{h}_lut"].ravel().tolist() == b, f"B of hidden layer {h}"
        ib = cfg.hidden[h - 1].init_bound
        w = [v % (2 * ib + 1) - ib for v in _draws(12345, wstream, (nin + 1) * n)]
        assert m[f"fc{h}_w"].tolist() == w, f"initial weights of layer {h}"
    ib = cfg.output.init_bound
    assert m["fc4_w"].tolist() == [v % (2 * ib + 1) - ib for v in _draws(12345, 4, 4 * nout)]
    seeds = [(12345 * 0x9E3779B1 + k * 0x7F4A7C15) % 2**32 for k in (5, 26, 30, 6)]
    assert [int(m[f"lfsr_fc{k}"][0]) for k in (1, 2, 3, 4)] == seeds
    assert m["fc2_w"].min() >= -7 and m["fc2_w"].max() <= 7 and m["fc2_w"].min() < 0 < m["fc2_w"].max()


def test_rom_functions_at_depth1_are_the_original_ones():
    for name in ("tiny", "spoon"):
        cfg = Config.preset(name)
        np.testing.assert_array_equal(roms.layer_init(cfg, 1), spec10.fc1_init(cfg))
        np.testing.assert_array_equal(roms.layer_init(cfg, 2), spec10.fc2_init(cfg))
        np.testing.assert_array_equal(roms.layer_b_fields(cfg, 1), spec10.b_fields(cfg))
        np.testing.assert_array_equal(roms.output_sigmoid_lut(cfg), spec10.sigmoid_lut(cfg))
        assert roms.layer_lfsr_seeds(cfg) == [roms.stream_seed(cfg.seed, 5), roms.stream_seed(cfg.seed, 6)]


def test_counter_names():
    assert counter_names(1) == COUNTERS
    assert counter_names(Config.preset("spoon")) == COUNTERS
    conv = COUNTERS[:8]
    assert counter_names(0) == conv + ("fc1_w_rd", "fc1_w_wr", "fc1_acc_rd", "fc1_acc_wr", "fc1_add",
                                       "sig_lut_rd", "fc1_out_wr", "fc1_out_rd", "fc1_upd", "lfsr_step",
                                       "cycles")
    two = counter_names(2)
    assert two[:8 + 10] == COUNTERS[:18]      # layer 1 keeps its names
    assert two[18:28] == ("fc2_w_rd", "fc2_w_wr", "fc2_acc_rd", "fc2_acc_wr", "fc2_mac", "fc2_act_wr",
                          "fc2_act_rd", "fc2_tanh", "b2_lut_rd", "fc2_upd")
    assert two[28:] == ("fc3_w_rd", "fc3_w_wr", "fc3_acc_rd", "fc3_acc_wr", "fc3_mac", "sig_lut_rd",
                        "fc3_out_wr", "fc3_out_rd", "fc3_upd", "lfsr_step", "cycles")
    assert len(set(counter_names(5))) == len(counter_names(5)) == 8 + 5 * 10 + 9 + 2


def test_frozen_hidden_layers_keep_their_weights_and_the_output_learns():
    """The frozen-hidden baseline: with every hidden layer frozen, learning changes only the
    output layer's weights and LFSR; the forward pass is the unfrozen network's."""
    from hwmodel.data.mnist import embedded_split
    from hwmodel.data.encode import EventBatch, encode_images
    from hwmodel.engine.kernel import StackProcessor
    cfg = Config.preset("tiny").replace(**{"hidden.sizes": "12,8", "drtp.rounding": "stochastic"})
    sp = embedded_split(40, 10)
    b = EventBatch.from_streams(encode_images(sp.x_train[:20], cfg), cfg)
    y = np.asarray(sp.y_train[:20])
    fz = StackProcessor.from_config(cfg, frozen_hidden=True)
    free = StackProcessor.from_config(cfg)
    w0 = [fz.weights(k).copy() for k in (1, 2, 3)]
    r_fz = fz.run(b, y, learn=True)
    r_free = free.run(b, y, learn=True)
    assert np.array_equal(fz.weights(1), w0[0]) and np.array_equal(fz.weights(2), w0[1])
    assert not np.array_equal(fz.weights(3), w0[2])
    assert not np.array_equal(free.weights(1), w0[0])
    names = fz.names
    assert r_fz.counters[1, names.index("fc1_upd")] == 0 and r_fz.counters[1, names.index("fc3_upd")] > 0
    assert r_free.counters[1, names.index("fc1_upd")] > 0
    # the first sample's prediction is made before any update: identical
    assert r_fz.preds[0] == r_free.preds[0]
