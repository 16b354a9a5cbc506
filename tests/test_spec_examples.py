"""The worked examples of docs/spec.md §14, checked against the shared arithmetic helpers."""
import math

import numpy as np

from hwmodel import roms
from hwmodel.arith import NEAREST, STOCHASTIC, TRUNCATE, lfsr_step, round_shift, sat, sext
from hwmodel.config import Config

step = lfsr_step.py_func
rnd = round_shift.py_func


def test_lfsr_worked_example():
    s = 1
    seq = []
    for _ in range(3):
        s = step(s)
        seq.append(s)
    assert seq == [0x80200003, 0xC0300002, 0x60180001]


def test_lfsr_never_reaches_zero_and_does_not_repeat_early():
    s, seen = 0x12345678, set()
    for _ in range(20000):
        s = step(s)
        assert 0 < s < 2**32 and s not in seen
        seen.add(s)


def test_stream_seed_example():
    assert roms.stream_seed(0, 1) == 0x7F4A7C15
    assert roms.stream_seed(0, 0) == 1  # zero replaced by 1


def test_rounding_examples():
    assert rnd(-3, 2, TRUNCATE, 5) == (-1, 5)
    assert rnd(-3, 2, NEAREST, 5) == (-1, 5)
    assert rnd(7, 0, NEAREST, 5) == (7, 5)
    # stochastic: the LFSR steps first; state 0x60180001 follows 0xC0300002, low bits 01
    v, s = rnd(-3, 2, STOCHASTIC, 0xC0300002)
    assert s == 0x60180001 and v == (-3 + (0x60180001 & 3)) >> 2
    # FC2 example: R(-1000, 8) = -4, R(1500, 8) = 6 with round-to-nearest
    assert rnd(-1000, 8, NEAREST, 1)[0] == -4 and rnd(1500, 8, NEAREST, 1)[0] == 6


def test_stochastic_rounding_is_unbiased_over_all_random_values():
    for u in (-3, 3, -1000, 1500, 5):
        for s in (1, 2, 3, 8):
            vals = [(u + r) >> s for r in range(1 << s)]
            assert math.isclose(np.mean(vals), u / 2**s)


def test_saturation_edges():
    assert sat.py_func(510 + 7, 10) == 511
    assert sat.py_func(-512 - 1, 10) == -512
    assert sat.py_func(-512, 10) == -512
    assert sext.py_func(0b10, 2) == -2 and sext.py_func(0b01, 2) == 1


def test_sigmoid_lut_examples():
    lut = roms.sigmoid_lut(Config.preset("spoon").replace(**{"fc2.lut_frac": 3, "fc2.sig_shift": 10}))
    assert len(lut) == 64
    assert (lut[32], lut[0], lut[63]) == (128, 5, 250)
    assert np.all(np.diff(lut) >= 0)


def test_b_values_are_odd_and_symmetric():
    cfg = Config.preset("spoon")
    b = 2 * roms.b_fields(cfg) + 1
    assert set(np.unique(b)) <= {-3, -1, 1, 3}
    assert abs(b.mean()) < 0.2


def test_conv_kernels_are_symmetric_s4():
    k = roms.conv_kernels(Config.preset("spoon"))
    assert k.shape == (8, 1, 5, 5) and k.min() >= -7 and k.max() <= 7


def test_spoon_lut_reaches_both_rails():
    lut = roms.sigmoid_lut(Config.preset("spoon"))
    assert lut[0] == 0 and lut[-1] == 255 and lut[32] == 128
