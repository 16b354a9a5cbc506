"""Examples chosen so that each plausible misreading of the spec gives a different answer.

The kernels and the reference can share a misreading and still agree with each other, so these
tests compare both against values worked out by hand from docs/spec.md (§14 has the examples).
Each example below names the variant(s) it separates from the spec:

    LFSR bits taken before the step / after it; "nearest" ties down / up; mask 2^s / 2^s - 1;
    a +1 bias in stochastic rounding; derivative window inclusive / strict at t = +-YMAX;
    hard-tanh shift rounded / floored; FC2 target ONE - 1 / ONE; argmax ties to the highest /
    lowest index; LFSR stepping in every mode / only stochastic; skipping zero-valued updates;
    updating (and stepping the LFSR for) saturated units.

Every datapath example runs through a real ``Processor`` (the Numba kernels) and through
``naive.reference`` from the same hand-written state.
"""
import numpy as np
import pytest

from naive import reference
from hwmodel.engine.arith import NEAREST, STOCHASTIC, TRUNCATE, round_shift
from hwmodel.spec.counters import counter_index

IDX = counter_index(1)  # the chips of these tests have one hidden layer: counters by their stack names

from naive.runner import ENGINES, events, run_one, small

ROUNDS = {"arith": round_shift.py_func, "arith-jit": round_shift, "reference": reference.ref_round}


def rows(a):
    return [list(map(int, r)) for r in a]


# ---- the rounding primitive ----------------------------------------------------------------

@pytest.mark.parametrize("impl", ROUNDS)
def test_nearest_ties_go_up(impl):
    rnd = ROUNDS[impl]
    # (u + 2^(s-1)) >>> s: ties upward (ties down would give 0, -1, 0, -1, 1, -2)
    assert rnd(2, 2, NEAREST, 5) == (1, 5)  # (2 + 2) >>> 2 = 1
    assert rnd(-2, 2, NEAREST, 5) == (0, 5)  # (-2 + 2) >>> 2 = 0
    assert rnd(1, 1, NEAREST, 5) == (1, 5)  # (1 + 1) >>> 1 = 1
    assert rnd(-1, 1, NEAREST, 5) == (0, 5)  # (-1 + 1) >>> 1 = 0
    assert rnd(3, 1, NEAREST, 5) == (2, 5)  # (3 + 1) >>> 1 = 2
    assert rnd(-3, 1, NEAREST, 5) == (-1, 5)  # (-3 + 1) >>> 1 = -1
    assert rnd(-5, 0, NEAREST, 5) == (-5, 5)  # s = 0: u


@pytest.mark.parametrize("impl", ROUNDS)
def test_truncate_is_floor_and_keeps_the_lfsr(impl):
    rnd = ROUNDS[impl]
    assert rnd(-3, 2, TRUNCATE, 5) == (-1, 5)  # floor(-0.75)
    assert rnd(3, 2, TRUNCATE, 5) == (0, 5)
    assert rnd(-2, 2, TRUNCATE, 5) == (-1, 5)  # floor(-0.5)
    assert rnd(-(2**39), 40, TRUNCATE, 5) == (-1, 5)  # LR2 may reach 40


@pytest.mark.parametrize("impl", ROUNDS)
def test_stochastic_bits_after_the_step(impl):
    rnd = ROUNDS[impl]
    # from 1 the LFSR steps to 0x80200003 first: r & 3 = 3, (-3 + 3) >>> 2 = 0.
    # bits before the step (1 & 3 = 1) would give -1; a mask of 2^s (r & 4 = 0) would give -1
    assert rnd(-3, 2, STOCHASTIC, 1) == (0, 0x80200003)
    # from 0x0000ACE1: r = 0x80205673, r & 7 = 3: (5 + 3) >>> 3 = 1.
    # before the step (0xACE1 & 7 = 1): 6 >>> 3 = 0; mask 2^s (r & 8 = 0): 5 >>> 3 = 0
    assert rnd(5, 3, STOCHASTIC, 0xACE1) == (1, 0x80205673)


@pytest.mark.parametrize("impl", ROUNDS)
def test_stochastic_has_no_bias(impl):
    rnd = ROUNDS[impl]
    # from 0x80200003: r = 0xC0300002, r & 3 = 2: (-3 + 2) >>> 2 = -1 (a +1 bias gives 0)
    assert rnd(-3, 2, STOCHASTIC, 0x80200003) == (-1, 0xC0300002)
    # r & 3 = 3 from 1: (0 + 3) >>> 2 = 0: a zero update stays zero (a +1 bias gives 1)
    assert rnd(0, 2, STOCHASTIC, 1) == (0, 0x80200003)


@pytest.mark.parametrize("impl", ROUNDS)
def test_stochastic_mask_is_two_to_the_s_minus_one(impl):
    rnd = ROUNDS[impl]
    # state 2 * 0x1C steps (even: plain shift) to r = 0x1C = 0b11100. s = 2: r & 3 = 0 -> 5 >>> 2
    # = 1; a mask 2^s (r & 4 = 4) gives 9 >>> 2 = 2; a mask 2^(s+1) - 1 (r & 7 = 4) also 2
    assert rnd(5, 2, STOCHASTIC, 0x38) == (1, 0x1C)
    # s = 0: r & 0 = 0, R(u, 0) = u for any r (a mask 2^0 = 1 would add r & 1 = 1 here: 0x1D)
    assert rnd(-7, 0, STOCHASTIC, 0x3A) == (-7, 0x1D)


# ---- a learning run with stochastic rounding ---------------------------------------------------

def _fc1_case(mode):
    """One conv input (active: event (0, 0) reads kernel tap 0 = 7 >= theta 5) plus the bias.

    fc1_acc = w1[0] + w1[1] = [127, 10, -127, -126]: units 0 and 2 sit exactly at t = +-YMAX and
    are saturated (f' = 0), units 1 and 3 are linear. B row 0 fields [1, -2, 0, -1] give
    b = [3, -3, 1, -1], so u = -b = [-3, 3, -1, 1]. FC2 gets zero error on every output.
    """
    cfg = small(**{"fc1.neurons": 4, "fc2.neurons": 2, "drtp.lr_shift_fc1": 2,
                   "drtp.lr_shift_fc2": 4, "drtp.rounding": mode, "fc2.lut_bits": 2,
                   "fc2.lut_frac": 0, "fc2.sig_shift": 0})
    kern = np.zeros((25, 1), np.int32)
    kern[0, 0] = 7
    state = {
        "kern": kern,
        "w1": [[100, 5, -100, -100], [27, 5, -27, -26]],
        "bf": [[1, -2, 0, -1], [0, 0, 0, 0]],
        "lfsr": [0xACE1, 1],
        # fc2_acc = [1*127, -1*127] (all other weights 0) -> idx [1, -2] -> out [255, 0]:
        # label 0 gives e = [255 - 255, 0 - 0] = [0, 0]
        "w2": [[0, 0]] * 4 + [[1, -1]], "lut": [0, 0, 255, 255],
    }
    return cfg, state


@pytest.mark.parametrize("engine", ENGINES)
def test_saturated_units_are_skipped_and_lfsr_bits_follow_the_step(engine):
    cfg, state = _fc1_case("stochastic")
    st, pred, cnt = run_one(engine, cfg, state, events((0, 0)), 0, True)
    assert list(st["acc1"]) == [127, 10, -127, -126]
    assert list(st["act1"]) == [127, 10, -127, -126]
    assert list(st["dact1"]) == [0, 1, 0, 1]  # strict window: t = +-127 is saturated
    # updates (i, j) in order (0,1) (0,3) (1,1) (1,3), the LFSR stepping first
    # (§14 "LFSR from 0x0000ACE1"):
    #   0x80205673, r&3 = 3: (3 + 3) >>> 2 = 1      0xC0302B3A, r&3 = 2: (1 + 2) >>> 2 = 0
    #   0x6018159D, r&3 = 1: (3 + 1) >>> 2 = 1      0xB02C0ACD, r&3 = 1: (1 + 1) >>> 2 = 0
    # bits before the step (1, 3, 2, 1) would give 1, 1, 1, 0; mask 2^s (r&4 = 0, 0, 4, 4)
    # 0, 0, 1, 0; a +1 bias 1, 1, 1, 0; an inclusive window would update units 0 and 2 as well
    assert rows(st["w1"]) == [[100, 5 + 1, -100, -100 + 0], [27, 5 + 1, -27, -26 + 0]]
    assert st["lfsr"][0] == 0xB02C0ACD  # 4 steps: NA * ND = 2 * 2, none for units 0 and 2
    assert cnt[1, IDX["fc1_upd"]] == 4 and cnt[1, IDX["fc1_w_wr"]] == 4
    assert pred == 0 and list(st["out2"]) == [255, 0]


@pytest.mark.parametrize("engine", ENGINES)
def test_zero_valued_updates_step_the_lfsr(engine):
    cfg, state = _fc1_case("stochastic")
    st, _, cnt = run_one(engine, cfg, state, events((0, 0)), 0, True)
    # e = [0, 0]: all (N1+1)*N2 = 10 FC2 updates are zero and leave the weights alone
    # ((0 + r & 15) >>> 4 = 0), but each steps lfsr_fc2 once: 10 steps from 1 = 0xB6EDB003
    # (§14 "LFSR"); skipping zero updates would leave 1
    assert rows(st["w2"]) == [[0, 0]] * 4 + [[1, -1]]
    assert st["lfsr"][1] == 0xB6EDB003
    assert cnt[1, IDX["lfsr_step"]] == 4 + 10 and cnt[1, IDX["fc2_upd"]] == 10


@pytest.mark.parametrize("mode", ["truncate", "nearest"])
@pytest.mark.parametrize("engine", ENGINES)
def test_lfsr_steps_only_in_stochastic_mode(engine, mode):
    cfg, state = _fc1_case(mode)
    st, _, cnt = run_one(engine, cfg, state, events((0, 0)), 0, True)
    assert list(st["lfsr"]) == [0xACE1, 1]
    assert cnt[1, IDX["lfsr_step"]] == 0 and cnt[1, IDX["fc1_upd"]] == 4
    if mode == "truncate":  # R(3, 2) = 0, R(1, 2) = 0
        assert rows(st["w1"]) == [[100, 5, -100, -100], [27, 5, -27, -26]]
    else:  # R(3, 2) = (3 + 2) >>> 2 = 1, R(1, 2) = (1 + 2) >>> 2 = 0
        assert rows(st["w1"]) == [[100, 6, -100, -100], [27, 6, -27, -26]]


@pytest.mark.parametrize("engine", ENGINES)
def test_inference_touches_no_lfsr_and_no_weight(engine):
    cfg, state = _fc1_case("stochastic")
    st, _, cnt = run_one(engine, cfg, state, events((0, 0)), 0, False)
    assert list(st["lfsr"]) == [0xACE1, 1]
    assert rows(st["w1"]) == state["w1"] and rows(st["w2"]) == state["w2"]
    assert not cnt[1].any()


# ---- nearest ties inside both updates ------------------------------------------------------

@pytest.mark.parametrize("engine", ENGINES)
def test_nearest_ties_inside_updates(engine):
    cfg = small(**{"fc1.neurons": 4, "fc2.neurons": 2, "drtp.lr_shift_fc1": 1,
                   "drtp.lr_shift_fc2": 2, "drtp.rounding": "nearest", "fc2.lut_bits": 2,
                   "fc2.lut_frac": 0, "fc2.sig_shift": 0})
    state = {
        "w1": [[0, 0, 0, 0], [2, -2, 1, 0]],  # no events: y = fc1_acc = [2, -2, 1, 0]
        "bf": [[-1, 0, -2, 1], [0, 0, 0, 0]],  # b = [-1, 1, -3, 3], u = -b = [1, -1, 3, -3]
        # fc2_acc = [127, -127] -> out [lut[3], lut[0]] = [254, 1]; label 0: e = [-1, 1]
        "w2": [[0, 0]] * 4 + [[1, -1]], "lut": [1, 1, 254, 254], "lfsr": [3, 5],
    }
    st, _, _ = run_one(engine, cfg, state, events(), 0, True)
    assert list(st["act1"]) == [2, -2, 1, 0] and list(st["out2"]) == [254, 1]
    # FC1, s = 1, all ties: R(1) = 2 >>> 1 = 1, R(-1) = 0 >>> 1 = 0, R(3) = 4 >>> 1 = 2,
    # R(-3) = -2 >>> 1 = -1 (ties down: 0, -1, 1, -2)
    assert rows(st["w1"]) == [[0, 0, 0, 0], [2 + 1, -2 + 0, 1 + 2, 0 - 1]]
    # FC2, s = 2: u(j, 0) = y_j = [2, -2, 1, 0, 127], u(j, 1) = -y_j = [-2, 2, -1, 0, -127]
    # R(2) = 4 >>> 2 = 1, R(-2) = 0 >>> 2 = 0 (ties; down: 0, -1), R(1) = 3 >>> 2 = 0,
    # R(-1) = 1 >>> 2 = 0, R(127) = 129 >>> 2 = 32, R(-127) = -125 >>> 2 = floor(-31.25) = -32
    assert rows(st["w2"]) == [[1, 0], [0, 1], [0, 0], [0, 0], [1 + 32, -1 - 32]]
    assert list(st["lfsr"]) == [3, 5]


# ---- hard-tanh ----------------------------------------------------------------------------------

@pytest.mark.parametrize("engine", ENGINES)
def test_derivative_window_is_strict_at_ymax(engine):
    cfg = small(**{"fc1.neurons": 4, "fc2.neurons": 2})
    st, _, _ = run_one(engine, cfg, {"w1": [[0] * 4, [127, -127, 126, -126]]}, events(), 0, False)
    assert list(st["act1"]) == [127, -127, 126, -126]
    assert list(st["dact1"]) == [0, 0, 1, 1]  # -127 < t < 127 (inclusive would give all 1)


@pytest.mark.parametrize("engine", ENGINES)
def test_hard_tanh_shift_is_floor(engine):
    cfg = small(**{"fc1.neurons": 6, "fc2.neurons": 2, "fc1.weight": "s10", "fc1.act_shift": 1})
    acc = [-5, 5, -253, 253, 254, -254]
    st, _, _ = run_one(engine, cfg, {"w1": [[0] * 6, acc]}, events(), 0, False)
    # t = acc >>> 1: floor(-2.5) = -3, 2, floor(-126.5) = -127, 126, 127, -127
    # (a rounded shift would give -2, 3, -126, 127, 127, -127)
    assert list(st["act1"]) == [-3, 2, -127, 126, 127, -127]
    assert list(st["dact1"]) == [1, 1, 0, 1, 0, 0]


# ---- FC2 target and argmax ----------------------------------------------------------------------

@pytest.mark.parametrize("engine", ENGINES)
def test_label_output_at_one_has_zero_error(engine):
    cfg = small(**{"fc1.neurons": 2, "fc2.neurons": 2, "fc2.lut_bits": 6, "fc2.lut_frac": 2,
                   "fc2.sig_shift": 4, "drtp.rounding": "truncate", "drtp.lr_shift_fc1": 1,
                   "drtp.lr_shift_fc2": 3})
    state = {"w1": [[0, 0], [50, 0]],  # y = [50, 0]
             "bf": [[0, -1], [0, 0]],  # b = [1, -1], u = [-1, 1]
             "w2": [[10, -11], [7, 7], [0, 0]]}
    st, pred, _ = run_one(engine, cfg, state, events(), 0, True)
    # the spec LUT (L = 6, LF = 2, ONE = 255): 255 * sigma(31/4) + 1/2 = 255.39 -> 255 at k = 63,
    # 255 * sigma(-8) + 1/2 = 0.586 -> 0 at k = 0
    assert st["lut"][63] == 255 and st["lut"][0] == 0
    # fc2_acc[0] = 10*50 + 7*0 + 0*127 = 500, 500 >>> 4 = 31 -> lut[63] = 255 = ONE;
    # fc2_acc[1] = -11*50 = -550, -550 >>> 4 = -35 -> clamp -32 -> lut[0] = 0
    assert list(st["acc2"]) == [500, -550] and list(st["out2"]) == [255, 0] and pred == 0
    # e = [255 - 255, 0 - 0] = [0, 0]: nothing moves (target ONE - 1 would give e_0 = 1 and
    # w2[0][0] = 10 + floor(-50 / 8) = 3)
    assert rows(st["w2"]) == [[10, -11], [7, 7], [0, 0]]
    # FC1: truncate R(-1, 1) = -1, R(1, 1) = 0
    assert rows(st["w1"]) == [[0, 0], [49, 0]]


@pytest.mark.parametrize("engine", ENGINES)
def test_argmax_ties_to_lowest_index(engine):
    cfg = small(**{"fc1.neurons": 1, "fc2.neurons": 4, "fc2.sig_shift": 11})
    cases = [  # bias row of fc2_w (y_bias = 127, y_0 = 0) -> expected class
        ([2, 5, 5, 1], 1),  # fc2_acc = [254, 635, 635, 127]: tie between 1 and 2 -> 1
        ([3, 3, 3, 3], 0),  # all equal -> 0
        ([1, 2, 3, 3], 2),  # tie between 2 and 3 -> 2
        ([-1, -1, -2, -3], 0),  # [-127, -127, -254, -381] -> 0
    ]
    for bias_row, want in cases:
        state = {"w1": [[0], [0]], "w2": [[9, 9, 9, 9], bias_row]}
        st, pred, _ = run_one(engine, cfg, state, events(), 0, False)
        assert list(st["acc2"]) == [127 * w for w in bias_row]
        # every potential is within [-2^11, 2^11): idx 0 or -1, so fc2_out ties or even
        # inverts the order; the class comes from the potentials
        assert pred == want, (bias_row, pred)
