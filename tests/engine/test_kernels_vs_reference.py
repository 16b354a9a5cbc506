"""The Numba kernels equal the plain reference exactly: every memory word, every counter,
every prediction, on generated configurations and event streams with learning on and off, both
one sample per kernel call (``record=True``) and many samples in one call (the training path).

Generated configurations cover the spec's legal ranges (docs/spec.md §2), up to the presets'
sizes: N1 up to 128, N2 up to 16, accumulators up to s32 / s40, shifts up to their limits. The
reference is slow Python, so large layers are drawn rarely and with few events.
"""
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hwmodel.spec.config import Config
from hwmodel.data.eventio import EVENT_DTYPE

from naive.runner import run_both, run_both_batched, same_memories


def _small_or_any(draw, lo, hi, small_hi):
    """An integer in lo..hi, most often in lo..min(hi, small_hi)."""
    if draw(st.integers(0, 3)) == 0:
        return draw(st.integers(lo, hi))
    return draw(st.integers(lo, max(lo, min(hi, small_hi))))


@st.composite
def cases(draw, max_samples=3):
    big = draw(st.integers(0, 3)) == 0  # preset-sized FC layers, with few events
    w = draw(st.integers(4, 12))
    k = draw(st.integers(1, min(5, w)))
    pad = draw(st.integers(0, k - 1))
    stride = draw(st.integers(1, k))
    o = (w + 2 * pad - k) // stride + 1
    pools = [p for p in (1, 2, 3, 4) if o % p == 0]
    wc = _small_or_any(draw, 2, 16, 6)
    pb = _small_or_any(draw, wc + 1, 32, wc + 5)
    theta_hi = min((1 << (pb - 1)) - 1, 4 << (wc - 1))  # reachable by a few kernel taps
    w1b = draw(st.integers(2, 16))
    a1b = _small_or_any(draw, w1b + 1, 32, w1b + 2)  # narrow: fc1_acc saturates
    yb = draw(st.integers(2, 16))
    w2b = draw(st.integers(2, 16))
    a2b = _small_or_any(draw, w2b + yb, 40, w2b + yb + 1)  # narrow: fc2_acc saturates
    lut_bits = draw(st.integers(2, 12))
    n1 = draw(st.integers(1, 128)) if big else draw(st.integers(1, 8))
    n2 = draw(st.integers(2, 16)) if big else draw(st.integers(2, 5))
    overrides = {
        "input.width": w, "input.height": w, "input.channels": draw(st.sampled_from([1, 2])),
        "conv.channels": draw(st.integers(1, 4)), "conv.kernel": k, "conv.stride": stride,
        "conv.padding": pad, "conv.pool": draw(st.sampled_from(pools)),
        "conv.weight": f"s{wc}", "conv.potential": f"s{pb}",
        "conv.threshold": _small_or_any(draw, 1, theta_hi, 20),
        "fc1.neurons": n1, "fc1.weight": f"s{w1b}",
        "fc1.accumulator": f"s{a1b}", "fc1.activation": f"s{yb}",
        "fc1.act_shift": _small_or_any(draw, 0, a1b - 1, 3),
        "fc1.init_bound": draw(st.integers(0, (1 << (w1b - 1)) - 1)),
        "fc2.neurons": n2, "fc2.weight": f"s{w2b}",
        "fc2.accumulator": f"s{a2b}",
        "fc2.sig_shift": _small_or_any(draw, 0, a2b - 1, 12), "fc2.lut_bits": lut_bits,
        # lut_frac >= lut_bits - 10: the sigmoid LUT raises OverflowError (math.exp of more than
        # 709) for 2^(L-1) / 2^LF > 709, e.g. L = 11, LF = 0, which Config accepts (reported)
        "fc2.lut_frac": draw(st.integers(max(0, lut_bits - 10), lut_bits)),
        "fc2.output": f"u{draw(st.integers(2, 16))}",
        "fc2.init_bound": draw(st.integers(0, (1 << (w2b - 1)) - 1)),
        "drtp.b": f"s{draw(st.integers(1, 8))}",
        "drtp.lr_shift_fc1": _small_or_any(draw, 0, 30, 6),
        "drtp.lr_shift_fc2": _small_or_any(draw, 0, 40, 16),
        "drtp.rounding": draw(st.sampled_from(["truncate", "nearest", "stochastic"])),
        "seed": draw(st.integers(0, 2**32 - 1)),
    }
    cfg = Config.preset("tiny").replace(**overrides)
    n = draw(st.integers(1, min(3, max_samples) if big else max_samples))
    streams = []
    for _ in range(n):
        m = draw(st.integers(0, 30 if big else 40))
        ev = np.zeros(m, EVENT_DTYPE)
        ev["x"] = draw(st.lists(st.integers(0, w - 1), min_size=m, max_size=m))
        ev["y"] = draw(st.lists(st.integers(0, w - 1), min_size=m, max_size=m))
        ev["p"] = draw(st.lists(st.integers(0, 1), min_size=m, max_size=m))
        ev["t"] = np.arange(m)
        streams.append(ev)
    labels = np.array(draw(st.lists(st.integers(0, cfg.fc2.neurons - 1), min_size=n, max_size=n)))
    return cfg, streams, labels


def _same_state(proc, mem):
    """Every memory of the processor equals the reference's."""
    same_memories(proc.memories(), mem, "kernels vs reference")


SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@settings(max_examples=600, **SETTINGS)
@given(cases(), st.booleans())
def test_numba_equals_reference(case, learn):
    """One kernel call per sample (record=True): per-sample counters and traces."""
    cfg, streams, labels = case
    proc, res, ref_state, rpreds, rcnts = run_both(cfg, streams, labels, learn)
    np.testing.assert_array_equal(res.preds, rpreds)
    np.testing.assert_array_equal(res.per_sample, rcnts)
    np.testing.assert_array_equal(res.counters, rcnts.sum(axis=0))
    _same_state(proc, ref_state)


@settings(max_examples=400, **SETTINGS)
@given(cases(max_samples=8), st.booleans())
def test_batched_numba_equals_reference(case, learn):
    """All samples in one kernel call (record=False), as training and evaluation run them:
    the state carried from sample to sample inside the kernel, predictions, summed counters."""
    cfg, streams, labels = case
    proc, res, ref_state, rpreds, rcnts = run_both_batched(cfg, streams, labels, learn)
    np.testing.assert_array_equal(res.preds, rpreds)
    np.testing.assert_array_equal(res.counters, rcnts.sum(axis=0))
    _same_state(proc, ref_state)


def _digits(n):
    from hwmodel.data.mnist import embedded_split
    sp = embedded_split(20, 10)
    return sp.x_train[:n], sp.y_train[:n]


def test_reference_agrees_on_real_digits_with_learning():
    """tiny preset on real encoded digits, one sample per call (slow reference: a few samples)."""
    from hwmodel.data.encode import encode_images
    cfg = Config.preset("tiny")
    x, y = _digits(4)
    proc, res, ref_state, rpreds, rcnts = run_both(cfg, encode_images(x, cfg), y, True)
    np.testing.assert_array_equal(res.preds, rpreds)
    np.testing.assert_array_equal(res.per_sample, rcnts)
    _same_state(proc, ref_state)
    assert rcnts[:, 1, :].sum() > 0  # learning really happened


def test_batched_spoon_on_real_digits_with_learning():
    """spoon's serial organisation (N1 = 128, 1,152 FC1 inputs, one lane per layer) trained on
    real digits in one batched call."""
    from hwmodel.spec.counters import counter_index
    from hwmodel.data.encode import encode_images
    cfg = Config.preset("spoon_serial")
    x, y = _digits(5)
    proc, res, ref_state, rpreds, rcnts = run_both_batched(cfg, encode_images(x, cfg), y, True)
    np.testing.assert_array_equal(res.preds, rpreds)
    np.testing.assert_array_equal(res.counters, rcnts.sum(axis=0))
    _same_state(proc, ref_state)
    idx = counter_index(cfg)
    assert res.counters[1, idx["fc1_upd"]] > 0 and res.counters[1, idx["lfsr_step"]] > 0
