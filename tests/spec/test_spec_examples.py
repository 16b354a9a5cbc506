"""The worked examples of docs/spec.md §14, each checked against values worked out by hand.

Every arithmetic example runs on both implementations of the spec primitives: the kernels'
helpers (``hwmodel.engine.arith.*.py_func``) and the reference's own (``naive.reference.ref_*``).
Examples about the datapath (conv scatter, hard-tanh, rounding and LFSR stepping inside an update,
the FC2 error) also run through a real ``Processor`` and through ``naive.reference.run`` on a
small configuration whose state the test writes itself. Expected values are literals with the
arithmetic in a comment, never the output of another implementation.
"""
import math

import numpy as np
import pytest

from naive import reference, spec10
from hwmodel.spec import roms
from hwmodel.engine.arith import NEAREST, STOCHASTIC, TRUNCATE, lfsr_step, round_shift, sat, sext
from hwmodel.spec.config import Config
from hwmodel.spec.counters import counter_index

IDX = counter_index(1)  # the chips of these tests have one hidden layer: counters by their stack names

from naive.runner import ENGINES, events, run_one, small

STEPS = {"arith": lfsr_step.py_func, "reference": reference.ref_lfsr_step}
ROUNDS = {"arith": round_shift.py_func, "reference": reference.ref_round}
SATS = {"arith": sat.py_func, "reference": reference.ref_sat}


# ---- LFSR, seeds ---------------------------------------------------------------------------

@pytest.mark.parametrize("impl", STEPS)
def test_lfsr_worked_example(impl):
    step = STEPS[impl]
    s, seq = 1, []
    for _ in range(3):
        s = step(s)
        seq.append(s)
    # 1 -> lsb 1: 0 ^ 0x80200003; -> lsb 1: 0x40100001 ^ 0x80200003; -> lsb 0: 0xC0300002 >> 1
    assert seq == [0x80200003, 0xC0300002, 0x60180001]
    for _ in range(7):
        s = step(s)
        seq.append(s)
    # 4: 0x300C0000 ^ taps; 5: 0x58160001 ^ taps; 6: plain shift; 7: 0x360D8000 ^ taps;
    # 8: 0x5B16C001 ^ taps; 9: plain shift; 10: 0x36CDB000 ^ taps (taps = 0x80200003)
    assert seq[3:] == [0xB02C0003, 0xD8360002, 0x6C1B0001, 0xB62D8003, 0xDB36C002, 0x6D9B6001,
                       0xB6EDB003]


@pytest.mark.parametrize("impl", STEPS)
def test_lfsr_from_ace1(impl):
    step = STEPS[impl]
    s, seq = 0xACE1, []
    for _ in range(4):
        s = step(s)
        seq.append(s)
    # 0x5670 ^ taps; 0x40102B39 ^ taps; 0xC0302B3A even: plain shift; 0x300C0ACE ^ taps
    assert seq == [0x80205673, 0xC0302B3A, 0x6018159D, 0xB02C0ACD]
    assert step(0x38) == 0x1C and step(0x12345678) == 0x091A2B3C  # even states: plain shift


@pytest.mark.parametrize("impl", STEPS)
def test_lfsr_never_reaches_zero_and_does_not_repeat_early(impl):
    step = STEPS[impl]
    s, seen = 0x12345678, set()
    for _ in range(20000):
        s = step(s)
        assert 0 < s < 2**32 and s not in seen
        seen.add(s)


def test_stream_seed_example():
    assert roms.stream_seed(0, 1) == 0x7F4A7C15  # (0 * 0x9E3779B1 + 1 * 0x7F4A7C15) mod 2^32
    assert roms.stream_seed(0, 0) == 1  # zero replaced by 1


# ---- rounding ------------------------------------------------------------------------------

@pytest.mark.parametrize("impl", ROUNDS)
def test_rounding_examples(impl):
    rnd = ROUNDS[impl]
    assert rnd(-3, 2, TRUNCATE, 5) == (-1, 5)  # -3 >>> 2 = floor(-0.75) = -1, LFSR untouched
    assert rnd(-3, 2, NEAREST, 5) == (-1, 5)  # (-3 + 2) >>> 2 = floor(-0.25) = -1
    assert rnd(7, 0, NEAREST, 5) == (7, 5)  # s = 0: u itself
    # stochastic from 0x80200003: the LFSR steps first, r = 0xC0300002, r & 3 = 2:
    # (-3 + 2) >>> 2 = -1
    assert rnd(-3, 2, STOCHASTIC, 0x80200003) == (-1, 0xC0300002)
    # from 0x12345678 (even: a plain shift) r = 0x091A2B3C, r & 3 = 0: -3 >>> 2 = -1
    assert rnd(-3, 2, STOCHASTIC, 0x12345678) == (-1, 0x091A2B3C)
    # from 1: r = 0x80200003, r & 3 = 3: (-3 + 3) >>> 2 = 0
    assert rnd(-3, 2, STOCHASTIC, 1) == (0, 0x80200003)
    # FC2 example: R(-1000, 8) = (-1000 + 128) >>> 8 = floor(-3.4) = -4; (1500 + 128) >>> 8 = 6
    assert rnd(-1000, 8, NEAREST, 1) == (-4, 1) and rnd(1500, 8, NEAREST, 1) == (6, 1)


@pytest.mark.parametrize("impl", ROUNDS)
def test_fc1_update_rounding_example(impl):
    """R(3, 3) = (3 + r3) >>> 3 is 1 for r3 >= 5 (3 of 8 values): mean 3/8."""
    rnd = ROUNDS[impl]
    # the LFSR state whose low three bits are r3 must be the one produced by the step: start
    # from an even state 2*k, which steps to k (no feedback), so r3 = k & 7
    got = [rnd(3, 3, STOCHASTIC, 2 * (0x100 + r3)) for r3 in range(8)]
    assert got == [(0, 0x100 + r3) for r3 in range(5)] + [(1, 0x100 + r3) for r3 in range(5, 8)]


@pytest.mark.parametrize("impl", ROUNDS)
def test_stochastic_rounding_is_unbiased_over_all_random_values(impl):
    rnd = ROUNDS[impl]
    for u in (-3, 3, -1000, 1500, 5):
        for s in (1, 2, 3, 8):
            # r & (2^s - 1) = k for the state 2 * (2^s * 7 + k), which steps to 2^s * 7 + k
            vals = [rnd(u, s, STOCHASTIC, 2 * ((7 << s) + k))[0] for k in range(1 << s)]
            assert math.isclose(np.mean(vals), u / 2**s)


@pytest.mark.parametrize("impl", SATS)
def test_saturation_edges(impl):
    sat_ = SATS[impl]
    assert sat_(510 + 7, 10) == 511  # s10 max = 2^9 - 1
    assert sat_(-512 - 1, 10) == -512
    assert sat_(-512, 10) == -512 and sat_(511, 10) == 511
    assert sat_(2**40, 40) == 2**39 - 1 and sat_(-(2**40), 40) == -(2**39)


def test_sext():
    assert sext.py_func(0b10, 2) == -2 and sext.py_func(0b01, 2) == 1


# ---- ROM contents ---------------------------------------------------------------------------

def test_sigmoid_lut_examples():
    lut = spec10.sigmoid_lut(Config.preset("spoon").replace(**{"fc2.lut_frac": 3, "fc2.sig_shift": 10}))
    assert len(lut) == 64
    # 255 * sigma(0) + 1/2 = 128; 255 * 0.017986 + 1/2 = 5.09 -> 5; 255 * 0.97967 + 1/2 = 250.3
    assert (lut[32], lut[0], lut[63]) == (128, 5, 250)
    assert np.all(np.diff(lut) >= 0)


def test_b_values_are_odd_and_symmetric():
    cfg = Config.preset("spoon")
    b = 2 * spec10.b_fields(cfg) + 1
    assert set(np.unique(b)) <= {-3, -1, 1, 3}
    assert abs(b.mean()) < 0.2


def test_conv_kernels_are_symmetric_s4():
    k = roms.conv_kernels(Config.preset("spoon"))
    assert k.shape == (8, 1, 5, 5) and k.min() >= -7 and k.max() <= 7


def test_spoon_lut_reaches_both_rails():
    lut = spec10.sigmoid_lut(Config.preset("spoon"))
    # 255 * sigma(-8) + 1/2 = 0.586 -> 0; 255 * sigma(7.75) + 1/2 = 255.39 -> 255
    assert lut[0] == 0 and lut[-1] == 255 and lut[32] == 128


# ---- the datapath examples through a real run ------------------------------------------------

SCATTER = {"input.width": 11, "input.height": 11, "input.channels": 1, "conv.channels": 1,
           "conv.kernel": 5, "conv.stride": 2, "conv.padding": 0, "conv.pool": 1,
           "conv.weight": "s5", "conv.potential": "s10", "conv.threshold": 12,
           "fc1.neurons": 2, "fc2.neurons": 2}  # O = (11 - 5) / 2 + 1 = 4, Q = 4


def _kern(taps):
    k = np.zeros((25, 1), np.int32)  # row = ky*5 + kx (CIN = 1, C = 1)
    for (ky, kx), v in taps.items():
        k[ky * 5 + kx, 0] = v
    return k


@pytest.mark.parametrize("engine", ENGINES)
def test_conv_scatter_example(engine):
    cfg = Config.preset("tiny").replace(**SCATTER)
    # event (6, 3): positions (0,1) (0,2) (0,3) (1,1) (1,2) (1,3) read taps (ky, kx) =
    # (3,4) (3,2) (3,0) (1,4) (1,2) (1,0); give each its own value 1..6
    kern = _kern({(3, 4): 1, (3, 2): 2, (3, 0): 3, (1, 4): 4, (1, 2): 5, (1, 0): 6})
    st, _, cnt = run_one(engine, cfg, {"kern": kern}, events((6, 3)), 0, False)
    pot = np.zeros(16, np.int64)
    pot[[1, 2, 3, 5, 6, 7]] = [1, 2, 3, 4, 5, 6]  # address oy*4 + ox
    np.testing.assert_array_equal(st["pot"][:, 0], pot)
    assert not st["spk"].any()  # all below theta = 12
    assert cnt[0, IDX["conv_kernel_rd"]] == 6 and cnt[0, IDX["conv_pot_rd"]] == 6
    assert cnt[0, IDX["conv_pot_wr"]] == 16 + 6  # clear O*O + P
    # cycles (§16), no spike so NA = 1 (the bias): clear max(16, 2, 2) + 2 = 18; events
    # 1 + 2*6 + 1 = 14; fc1 forward Q*Q*(C+2) + NA*N1 + 4 = 48 + 2 + 4 = 54; hard-tanh 2 + 4 = 6;
    # fc2 forward (2+1)*(2+1) + 4 = 13; sigmoid 2 + 3 + 2 = 7; DONE 1: 113
    assert cnt[0, IDX["cycles"]] == 113 and cnt[1, IDX["cycles"]] == 0


@pytest.mark.parametrize("engine", ENGINES)
def test_conv_threshold_and_saturation_example(engine):
    cfg = Config.preset("tiny").replace(**SCATTER)
    # (4, 3) reaches (0, 2) through tap (3, 0) = 9 and (0, 1) through tap (3, 2) = 4;
    # (6, 3) then reaches (0, 2) through tap (3, 2) = 4: 9 -> 13 >= 12 sets the spike bit,
    # and (0, 3) through tap (3, 0) = 9 (below theta).
    kern = _kern({(3, 0): 9, (3, 2): 4})
    st, _, _ = run_one(engine, cfg, {"kern": kern}, events((4, 3), (6, 3)), 0, False)
    assert list(st["pot"][:4, 0]) == [0, 4, 13, 9] and not st["pot"][4:].any()
    assert list(st["spk"][:, 0]) == [0, 0, 1] + [0] * 13
    # saturation: 34 events (6, 3) put 34 * 15 = 510 on (0, 1) through tap (3, 4) = 15, then
    # (5, 3) adds tap (3, 3) = 7: 510 + 7 = 517 saturates to 511 (s10)
    kern = _kern({(3, 4): 15, (3, 3): 7})
    st, _, _ = run_one(engine, cfg, {"kern": kern}, events(*([(6, 3)] * 34 + [(5, 3)])), 0, False)
    assert st["pot"][1, 0] == 511 and st["spk"][1, 0] == 1


@pytest.mark.parametrize("engine", ENGINES)
def test_hard_tanh_example(engine):
    cfg = small(**{"fc1.neurons": 3, "fc2.neurons": 2, "fc1.weight": "s10"})
    w1 = [[0, 0, 0], [130, -127, -126]]  # no events: only the bias row reaches fc1_acc
    st, _, _ = run_one(engine, cfg, {"w1": w1}, events(), 0, False)
    assert list(st["acc1"]) == [130, -127, -126]
    assert list(st["act1"]) == [127, -127, -126]  # clamp to +-YMAX = +-127
    assert list(st["dact1"]) == [0, 0, 1]  # -127 < t fails for t = -127
    cfg = small(**{"fc1.neurons": 1, "fc2.neurons": 2, "fc1.act_shift": 2})
    st, _, _ = run_one(engine, cfg, {"w1": [[0], [-5]]}, events(), 0, False)
    assert list(st["act1"]) == [-2] and list(st["dact1"]) == [1]  # -5 >>> 2 = floor(-1.25) = -2


@pytest.mark.parametrize("engine", ENGINES)
def test_fc1_update_example_in_a_run(engine):
    """b = -3 (field r = -2), u = +3, LR1 = 3, stochastic, lfsr_fc1 from 0x0000ACE1 (§14)."""
    cfg = small(**{"fc1.neurons": 4, "fc2.neurons": 2, "drtp.lr_shift_fc1": 3,
                   "drtp.lr_shift_fc2": 4, "drtp.rounding": "stochastic", "fc2.lut_bits": 2,
                   "fc2.lut_frac": 0, "fc2.sig_shift": 0})
    state = {
        "w1": [[0, 0, 0, 0], [0, 0, 0, 0]],  # fc1_acc = 0: every unit linear, y = 0
        "bf": [[-2, -2, -2, -2], [0, 0, 0, 0]],
        "lfsr": [0xACE1, 1],
        # FC2 with zero error: fc2_acc = [1*127, -1*127] -> idx [1, -2] -> out [255, 0], label 0
        "w2": [[0, 0]] * 4 + [[1, -1]], "lut": [0, 0, 255, 255],
    }
    st, pred, cnt = run_one(engine, cfg, state, events(), 0, True)
    # updates j = 0..3 (bias row only), the LFSR stepping first (states of §14 "LFSR from
    # 0x0000ACE1"): r & 7 = 3, 2, 5, 5 -> (3 + 3) >>> 3 = 0, 5 >>> 3 = 0, 8 >>> 3 = 1, 1
    assert list(st["w1"][1]) == [0, 0, 1, 1] and list(st["w1"][0]) == [0, 0, 0, 0]
    assert st["lfsr"][0] == 0xB02C0ACD  # 4 steps
    # FC2: all ten updates are zero, the LFSR still steps ten times (chain from 1 in §14)
    assert [list(r) for r in st["w2"]] == [[0, 0]] * 4 + [[1, -1]]
    assert st["lfsr"][1] == 0xB6EDB003
    assert list(st["out2"]) == [255, 0] and pred == 0
    assert cnt[1, IDX["lfsr_step"]] == 4 + 10 and cnt[0, IDX["lfsr_step"]] == 0
    # cycles (§16; O = Q = C = 1, NA = 1, N1 = 4, N2 = 2): inference row clear max(1, 4, 2) + 2
    # = 6, end-of-sample 1, fc1 forward 1*(1+2) + 1*4 + 4 = 11, hard-tanh 4 + 4 = 8, fc2 forward
    # (4+1)*(2+1) + 4 = 19, sigmoid 2 + 3 + 2 = 7, DONE 1: 53; learning row fc1 update
    # 1 + 7 + 2 + 1 (dact[3] = 1) + 2 = 13, fc2 update 2 + 15 + 3 + 2 = 22: 35
    assert cnt[0, IDX["cycles"]] == 53 and cnt[1, IDX["cycles"]] == 35


@pytest.mark.parametrize("mode", ["truncate", "nearest", "stochastic"])
@pytest.mark.parametrize("engine", ENGINES)
def test_rounding_example_inside_an_fc2_update(engine, mode):
    """u = -3, s = 2 of §14 as an FC2 update: e_1 = 1 (fc2_out = 1, not the label), y_0 = 3."""
    cfg = small(**{"fc1.neurons": 1, "fc2.neurons": 2, "drtp.lr_shift_fc1": 2,
                   "drtp.lr_shift_fc2": 2, "drtp.rounding": mode, "fc2.lut_bits": 2,
                   "fc2.lut_frac": 0, "fc2.sig_shift": 0})
    state = {"w1": [[0], [3]], "bf": [[0], [0]], "lfsr": [1, 1],
             # fc2_acc = [0*3 + 1*127, 0*3 - 1*127] = [127, -127] -> out [lut[3], lut[0]] = [255, 1]
             "w2": [[0, 0], [1, -1]], "lut": [1, 1, 255, 255]}
    st, pred, _ = run_one(engine, cfg, state, events(), 0, True)
    assert list(st["act1"]) == [3] and list(st["out2"]) == [255, 1] and pred == 0
    # e = [255 - 255, 1 - 0] = [0, 1]; u(j, o) = -e_o * y_j: j=0 (y=3): [0, -3]; bias (127): [0, -127]
    # FC1: b = 2*0 + 1 = 1, u = -1
    if mode == "truncate":
        w2 = [[0, -1], [1, -1 - 32]]  # -3 >>> 2 = -1; -127 >>> 2 = floor(-31.75) = -32
        w1, lfsr = [[0], [3 - 1]], [1, 1]  # -1 >>> 2 = -1
    elif mode == "nearest":
        w2 = [[0, -1], [1, -1 - 32]]  # (-3+2) >>> 2 = -1; (-127+2) >>> 2 = floor(-31.25) = -32
        w1, lfsr = [[0], [3 + 0]], [1, 1]  # (-1+2) >>> 2 = 0
    else:
        # lfsr_fc2 from 1, stepping before each update (j, o) = (0,0) (0,1) (1,0) (1,1):
        # 0x80200003 (r&3 = 3): (0+3) >>> 2 = 0; 0xC0300002 (2): (-3+2) >>> 2 = -1;
        # 0x60180001 (1): (0+1) >>> 2 = 0; 0xB02C0003 (3): (-127+3) >>> 2 = -31
        w2 = [[0, -1], [1, -1 - 31]]
        # lfsr_fc1 from 1: 0x80200003 (r&3 = 3): (-1+3) >>> 2 = 0
        w1, lfsr = [[0], [3 + 0]], [0x80200003, 0xB02C0003]
    assert [list(r) for r in st["w2"]] == w2
    assert [list(r) for r in st["w1"]] == w1
    assert list(st["lfsr"]) == lfsr


@pytest.mark.parametrize("engine", ENGINES)
def test_fc2_error_example(engine):
    """fc2_out = [10, 240], label 1, ONE = 255, y_0 = 100, LR2 = 8, nearest (§14)."""
    cfg = small(**{"fc1.neurons": 1, "fc2.neurons": 2, "drtp.lr_shift_fc1": 1,
                   "drtp.lr_shift_fc2": 8, "drtp.rounding": "nearest", "fc2.lut_bits": 2,
                   "fc2.lut_frac": 0, "fc2.sig_shift": 12})
    state = {"w1": [[0], [100]], "bf": [[0], [-1]], "lfsr": [7, 9],
             # fc2_acc = [-1*100 + 0*127, 1*100 + 0*127] = [-100, 100];
             # -100 >>> 12 = -1 -> lut[1] = 10; 100 >>> 12 = 0 -> lut[2] = 240
             "w2": [[-1, 1], [0, 0]], "lut": [0, 10, 240, 255]}
    st, pred, _ = run_one(engine, cfg, state, events(), 1, True)
    assert list(st["acc2"]) == [-100, 100] and list(st["out2"]) == [10, 240] and pred == 1
    # e = [10, 240 - 255] = [10, -15]. y_0 = 100: u = [-1000, 1500] -> R = [-4, 6] (§14);
    # bias y = 127: u = [-1270, 1905] -> (-1270+128) >>> 8 = floor(-4.46) = -5, 2033 >>> 8 = 7
    assert [list(r) for r in st["w2"]] == [[-1 - 4, 1 + 6], [0 - 5, 0 + 7]]
    # FC1 with label 1: b = 2*(-1) + 1 = -1, u = 1, nearest R(1, 1) = (1+1) >>> 1 = 1
    assert [list(r) for r in st["w1"]] == [[0], [101]]
    assert list(st["lfsr"]) == [7, 9]  # nearest never steps the LFSRs


def test_sigmoid_lut_far_tails_do_not_overflow():
    """L - LF >= 11 reaches u = -1024, where e^(-u) overflows a double: the IEEE value of
    σ is 0 there (spec §8), so the entry is 0, and the top entries are ONE."""
    cfg = Config.preset("tiny").replace(**{"fc2.lut_bits": 12, "fc2.lut_frac": 0, "fc2.output": "u16"})
    lut = spec10.sigmoid_lut(cfg)
    assert len(lut) == 4096
    # σ(-12)·65535 = 0.40 -> 0; σ(-11)·65535 = 1.09 -> 1; σ(0) -> floor(32767.5 + 0.5) = 32768
    assert lut[0] == 0 and lut[2036] == 0 and lut[2037] == 1
    assert lut[2048] == 32768 and lut[-1] == 65535
