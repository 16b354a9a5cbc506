"""Numba kernels of the processor (docs/spec.md §5–§11): the fast path of the model.

``run_batch`` processes a batch of samples back to back, exactly in the order of spec §5, on
state arrays owned by ``hwmodel.model.Processor``. ``hwmodel.reference`` is the plainly written
version of the same spec that these kernels are tested against (all state, all counters).

State layout (each array is one memory of spec §10, one row per word):
    kern  (CIN*K*K, C) int32    conv_kernel, row = (ci*K + ky)*K + kx, column = co
    pot   (O*O, C)     int32    conv_pot,   row = oy*O + ox
    spk   (Q*Q, C)     uint8    conv_spk,   row = qy*Q + qx, one byte per spike bit
    w1    (N_IN+1, N1) int32    fc1_w,      address i*N1 + j
    acc1, act1 (N1,) int32; dact1 (N1,) uint8
    bf    (N2, N1)     int32    b_lut stored fields r (value 2r+1)
    w2    (N1+1, N2)   int32    fc2_w,      address j*N2 + o
    acc2  (N2,) int64; out2 (N2,) int32; lut (2^L,) int32
    lfsr  (2,) int64            lfsr_fc1, lfsr_fc2
"""
from __future__ import annotations

import numpy as np
from numba import njit

from .arith import STOCHASTIC, round_shift, sat
from .counters import IDX, N_COUNTERS
from .stack import conv_events  # the one event-driven scatter (spec §6)

# parameter vector layout (built by hwmodel.model.param_vector)
(P_CIN, P_C, P_K, P_S, P_PAD, P_O, P_POOL, P_Q, P_PB, P_THETA, P_NIN, P_N1, P_W1B, P_A1B,
 P_YMAX, P_AS, P_N2, P_W2B, P_A2B, P_SS, P_L, P_ONE, P_LR1, P_LR2, P_MODE) = range(25)
N_PARAMS = 25

_EV, _KRD, _PRD, _PWR = IDX["events"], IDX["conv_kernel_rd"], IDX["conv_pot_rd"], IDX["conv_pot_wr"]
_SRD, _SWR, _CADD, _CCMP = IDX["conv_spk_rd"], IDX["conv_spk_wr"], IDX["conv_add"], IDX["conv_cmp"]
_W1RD, _W1WR, _A1RD, _A1WR = IDX["fc1_w_rd"], IDX["fc1_w_wr"], IDX["fc1_acc_rd"], IDX["fc1_acc_wr"]
_F1ADD, _Y1WR, _Y1RD, _TANH = IDX["fc1_add"], IDX["fc1_act_wr"], IDX["fc1_act_rd"], IDX["tanh_op"]
_BRD, _U1 = IDX["b_lut_rd"], IDX["fc1_upd"]
_W2RD, _W2WR, _A2RD, _A2WR = IDX["fc2_w_rd"], IDX["fc2_w_wr"], IDX["fc2_acc_rd"], IDX["fc2_acc_wr"]
_MAC, _SIG, _O2WR, _O2RD, _U2, _LF = (IDX["fc2_mac"], IDX["sig_lut_rd"], IDX["fc2_out_wr"],
                                      IDX["fc2_out_rd"], IDX["fc2_upd"], IDX["lfsr_step"])


@njit(cache=True, nogil=True)
def run_batch(prm, ex, ey, ec, offsets, labels, learn, kern, pot, spk, w1, acc1, act1, dact1,
              bf, w2, acc2, out2, lut, lfsr, preds, cnt, cnt_ps):
    """Run len(labels) samples; sample n owns events offsets[n]:offsets[n+1].

    preds[n] receives the predicted class; cnt (2, N_COUNTERS) accumulates the counters and,
    when cnt_ps has len(labels) rows, cnt_ps[n] receives sample n's own counters.
    """
    C, K, S, PAD, O = prm[P_C], prm[P_K], prm[P_S], prm[P_PAD], prm[P_O]
    POOL, Q, PB, THETA, NIN, N1 = prm[P_POOL], prm[P_Q], prm[P_PB], prm[P_THETA], prm[P_NIN], prm[P_N1]
    W1B, A1B, YMAX, AS, N2, W2B = prm[P_W1B], prm[P_A1B], prm[P_YMAX], prm[P_AS], prm[P_N2], prm[P_W2B]
    A2B, SS, L, ONE, LR1, LR2, MODE = (prm[P_A2B], prm[P_SS], prm[P_L], prm[P_ONE], prm[P_LR1],
                                       prm[P_LR2], prm[P_MODE])
    half = np.int64(1) << (L - 1)
    record = cnt_ps.shape[0] == labels.shape[0]
    active = np.empty(NIN + 1, np.int64)
    bval = np.empty(N1, np.int64)
    err = np.empty(N2, np.int64)
    c = np.zeros((2, N_COUNTERS), np.int64)
    for n in range(labels.shape[0]):
        c[:, :] = 0
        label = labels[n]
        # 1. clear
        pot[:, :] = 0
        spk[:, :] = 0
        acc1[:] = 0
        acc2[:] = 0
        c[0, _PWR] += O * O
        c[0, _SWR] += Q * Q
        c[0, _A1WR] += N1
        c[0, _A2WR] += N2
        # 2. events: event-driven scatter (spec §6)
        npos, nsw = conv_events(ex, ey, ec, offsets[n], offsets[n + 1], kern, pot, spk,
                                C, K, S, PAD, O, POOL, Q, PB, THETA)
        c[0, _SWR] += nsw
        ne = offsets[n + 1] - offsets[n]
        c[0, _EV] += ne
        c[0, _KRD] += npos
        c[0, _PRD] += npos
        c[0, _PWR] += npos
        c[0, _SRD] += npos + Q * Q
        c[0, _CADD] += C * npos
        c[0, _CCMP] += C * npos
        # 3. FC1 forward over the active inputs (spec §7)
        na = 0
        for a in range(Q * Q):
            for co in range(C):
                if spk[a, co]:
                    active[na] = a * C + co
                    na += 1
        active[na] = NIN
        na += 1
        for t in range(na):
            i = active[t]
            for j in range(N1):
                acc1[j] = sat(np.int64(acc1[j]) + w1[i, j], A1B)
        c[0, _W1RD] += na * N1
        c[0, _A1RD] += na * N1 + N1
        c[0, _A1WR] += na * N1
        c[0, _F1ADD] += na * N1
        # 4. hard-tanh and derivative window
        nd = 0
        for j in range(N1):
            t = np.int64(acc1[j]) >> AS
            act1[j] = max(-YMAX, min(YMAX, t))
            d = 1 if (t > -YMAX and t < YMAX) else 0
            dact1[j] = d
            nd += d
        c[0, _Y1WR] += N1
        c[0, _TANH] += N1
        # 5. FC1 DRTP update (spec §9)
        if learn:
            s = lfsr[0]
            for j in range(N1):
                bval[j] = 2 * np.int64(bf[label, j]) + 1
            for t in range(na):
                i = active[t]
                for j in range(N1):
                    if dact1[j]:
                        r, s = round_shift(-bval[j], LR1, MODE, s)
                        w1[i, j] = sat(np.int64(w1[i, j]) + r, W1B)
            lfsr[0] = s
            c[1, _BRD] += 1
            c[1, _SRD] += Q * Q
            c[1, _W1RD] += na * nd
            c[1, _W1WR] += na * nd
            c[1, _U1] += na * nd
            if MODE == STOCHASTIC:
                c[1, _LF] += na * nd
        # 6. FC2 forward
        for j in range(N1 + 1):
            yj = np.int64(act1[j]) if j < N1 else YMAX
            for o in range(N2):
                acc2[o] = sat(acc2[o] + np.int64(w2[j, o]) * yj, A2B)
        c[0, _Y1RD] += N1
        c[0, _W2RD] += (N1 + 1) * N2
        c[0, _A2RD] += (N1 + 1) * N2 + N2
        c[0, _A2WR] += (N1 + 1) * N2
        c[0, _MAC] += (N1 + 1) * N2
        # 7. sigmoid and argmax (ties to the lowest index)
        best = 0
        for o in range(N2):
            idx = max(-half, min(half - 1, acc2[o] >> SS))
            out2[o] = lut[idx + half]
            if acc2[o] > acc2[best]:
                best = o
        preds[n] = best
        c[0, _SIG] += N2
        c[0, _O2WR] += N2
        # 8. FC2 update from its own error
        if learn:
            s = lfsr[1]
            for o in range(N2):
                err[o] = np.int64(out2[o]) - (ONE if o == label else 0)
            for j in range(N1 + 1):
                yj = np.int64(act1[j]) if j < N1 else YMAX
                for o in range(N2):
                    r, s = round_shift(-err[o] * yj, LR2, MODE, s)
                    w2[j, o] = sat(np.int64(w2[j, o]) + r, W2B)
            lfsr[1] = s
            c[1, _O2RD] += N2
            c[1, _Y1RD] += N1
            c[1, _W2RD] += (N1 + 1) * N2
            c[1, _W2WR] += (N1 + 1) * N2
            c[1, _U2] += (N1 + 1) * N2
            if MODE == STOCHASTIC:
                c[1, _LF] += (N1 + 1) * N2
        cnt += c
        if record:
            cnt_ps[n] = c


@njit(cache=True, nogil=True)
def spike_inputs(prm, ex, ey, ec, offsets, kern):
    """The active FC1 inputs of every sample (spec §7 scan order, bias excluded), as CSR
    (indices, offsets). The conv front end is fixed, so this is what the float reference sees."""
    C, K, S, PAD, O = prm[P_C], prm[P_K], prm[P_S], prm[P_PAD], prm[P_O]
    POOL, Q, PB, THETA = prm[P_POOL], prm[P_Q], prm[P_PB], prm[P_THETA]
    n = offsets.shape[0] - 1
    pot = np.zeros((O * O, C), np.int32)
    spk = np.zeros((Q * Q, C), np.uint8)
    out_off = np.zeros(n + 1, np.int64)
    idx = np.empty(n * Q * Q * C, np.int64)
    k = 0
    for s in range(n):
        pot[:, :] = 0
        spk[:, :] = 0
        conv_events(ex, ey, ec, offsets[s], offsets[s + 1], kern, pot, spk, C, K, S, PAD, O, POOL, Q, PB, THETA)
        for a in range(Q * Q):
            for co in range(C):
                if spk[a, co]:
                    idx[k] = a * C + co
                    k += 1
        out_off[s + 1] = k
    return idx[:k].copy(), out_off
