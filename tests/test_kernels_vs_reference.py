"""The Numba kernels equal the plain reference exactly: every state array, every counter,
every prediction, on generated configurations and event streams with learning on and off."""
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hwmodel.config import Config
from hwmodel.eventio import EVENT_DTYPE

from naive_runner import run_both


@st.composite
def cases(draw):
    w = draw(st.integers(4, 12))
    k = draw(st.integers(1, min(5, w)))
    pad = draw(st.integers(0, k - 1))
    stride = draw(st.integers(1, k))
    o = (w + 2 * pad - k) // stride + 1
    pools = [p for p in (1, 2, 3) if o % p == 0]
    wc = draw(st.integers(2, 6))
    pb = draw(st.integers(wc + 1, wc + 5))
    lut_bits = draw(st.integers(2, 6))
    w1b = draw(st.integers(2, 10))
    yb = draw(st.integers(2, 9))
    w2b = draw(st.integers(2, 10))
    a1b = draw(st.integers(w1b + 1, 18))
    a2b = draw(st.integers(w2b + yb, w2b + yb + 6))
    overrides = {
        "input.width": w, "input.height": w, "input.channels": draw(st.sampled_from([1, 2])),
        "conv.channels": draw(st.integers(1, 4)), "conv.kernel": k, "conv.stride": stride,
        "conv.padding": pad, "conv.pool": draw(st.sampled_from(pools)),
        "conv.weight": f"s{wc}", "conv.potential": f"s{pb}",
        "conv.threshold": draw(st.integers(1, min(20, (1 << (pb - 1)) - 1))),
        "fc1.neurons": draw(st.integers(1, 8)), "fc1.weight": f"s{w1b}",
        "fc1.accumulator": f"s{a1b}", "fc1.activation": f"s{yb}",
        "fc1.act_shift": draw(st.integers(0, min(3, a1b - 1))),
        "fc1.init_bound": draw(st.integers(0, (1 << (w1b - 1)) - 1)),
        "fc2.neurons": draw(st.integers(2, 5)), "fc2.weight": f"s{w2b}",
        "fc2.accumulator": f"s{a2b}",
        "fc2.sig_shift": draw(st.integers(0, min(8, a2b - 1))), "fc2.lut_bits": lut_bits,
        "fc2.lut_frac": draw(st.integers(0, lut_bits)),
        "fc2.output": f"u{draw(st.integers(2, 10))}",
        "fc2.init_bound": draw(st.integers(0, (1 << (w2b - 1)) - 1)),
        "drtp.b": f"s{draw(st.integers(1, 4))}", "drtp.lr_shift_fc1": draw(st.integers(0, 6)),
        "drtp.lr_shift_fc2": draw(st.integers(0, 14)),
        "drtp.rounding": draw(st.sampled_from(["truncate", "nearest", "stochastic"])),
        "seed": draw(st.integers(0, 2**32 - 1)),
    }
    cfg = Config.preset("tiny").replace(**overrides)
    n = draw(st.integers(1, 3))
    streams = []
    for _ in range(n):
        m = draw(st.integers(0, 40))
        ev = np.zeros(m, EVENT_DTYPE)
        ev["x"] = draw(st.lists(st.integers(0, w - 1), min_size=m, max_size=m))
        ev["y"] = draw(st.lists(st.integers(0, w - 1), min_size=m, max_size=m))
        ev["p"] = draw(st.lists(st.integers(0, 1), min_size=m, max_size=m))
        ev["t"] = np.arange(m)
        streams.append(ev)
    labels = np.array(draw(st.lists(st.integers(0, cfg.fc2.neurons - 1), min_size=n, max_size=n)))
    return cfg, streams, labels, draw(st.booleans())


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(cases())
def test_numba_equals_reference(case):
    cfg, streams, labels, learn = case
    proc, res, ref_state, rpreds, rcnts = run_both(cfg, streams, labels, learn)
    np.testing.assert_array_equal(res.preds, rpreds)
    np.testing.assert_array_equal(res.per_sample, rcnts)
    for k, v in proc.st.items():
        np.testing.assert_array_equal(v, ref_state[k], err_msg=f"state array {k}")


def test_reference_agrees_on_real_digits_with_learning():
    """Spoon-like sizes on real encoded digits (slow reference, so a few samples)."""
    from hwmodel.data import embedded_split
    from hwmodel.encode import encode_images
    cfg = Config.preset("tiny")
    sp = embedded_split(20, 10)
    streams = encode_images(sp.x_train[:4], cfg)
    proc, res, ref_state, rpreds, rcnts = run_both(cfg, streams, sp.y_train[:4], True)
    np.testing.assert_array_equal(res.per_sample, rcnts)
    for k, v in proc.st.items():
        np.testing.assert_array_equal(v, ref_state[k], err_msg=f"state array {k}")
    assert rcnts[:, 1, :].sum() > 0  # learning really happened
