"""An FC layer's phases (docs/spec.md §7–§9, §15, §16): forward, activation, update. RTL twins:
rtl/fc_layer.v (the sequencing of every phase), rtl/fc_update.v (w = sat(w + R(-c·x, LR))),
rtl/tanh_unit.v (hard tanh and its derivative window), rtl/sigmoid_unit.v (the output's LUT index).

Each function takes the layer's row of the layer table (``row``, columns ``L_*``) and views of
its memories; it adds its accesses and cycles to the sample's counters ``c`` (row 0 inference,
row 1 learning). Speed: a 2-D weight view keeps the inner loops free of index wrap-around
checks, so they vectorize; the DRTP update walks a compact list of the linear units; a layer with
binary inputs adds the same R(-b_j) to every active row when rounding is deterministic, so it is
computed once per unit. None of this changes a value, an order of LFSR steps or a counter.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from hwmodel.engine.arith import STOCHASTIC, round_shift, sat
from hwmodel.engine.layout import (C_SRD, L_AB, L_AS, L_C_ACT, L_C_ARD, L_C_AWR, L_C_BRD, L_C_OP,
                                   L_C_UPD, L_C_WRD, L_C_WWR, L_C_XRD, L_C_YRD, L_C_YWR, L_G, L_LOFF, L_LR,
                                   L_N, L_NIN, L_P, L_WB, L_XMAX, L_YMAX)


@njit(cache=True, nogil=True, inline="always")
def forward(k, row, wk, ak, xk, active, na, ni, c, Q):
    """acc_j = sat(acc_j + w_ij · x_i) over the layer's inputs, the bias last: the active spike
    bits of layer 1 (x = 1, spec §7) or every activation of layer k-1 (dense, spec §15); ``ni``
    inputs, the bias included."""
    NI, N, AB, XMAX, G = row[L_NIN], row[L_N], row[L_AB], row[L_XMAX], row[L_G]
    if k == 0:
        for t in range(na):
            i = active[t]
            for j in range(N):
                ak[j] = sat(ak[j] + wk[i, j], AB)
        c[0, C_SRD] += Q * Q
    else:
        for i in range(NI + 1):
            x = np.int64(xk[i]) if i < NI else XMAX
            for j in range(N):
                ak[j] = sat(ak[j] + np.int64(wk[i, j]) * x, AB)
        c[0, row[L_C_XRD]] += NI
    c[0, row[L_C_WRD]] += ni * G
    c[0, row[L_C_ARD]] += ni * G + G
    c[0, row[L_C_AWR]] += ni * G
    c[0, row[L_C_OP]] += ni * N
    c[0, row[L_C_YWR]] += N
    c[0, row[L_C_ACT]] += N


@njit(cache=True, nogil=True, inline="always")
def hidden_activation(row, ak, yk, dk):
    """Hard tanh and its derivative window (spec §7): y = clamp(acc >> AS, ±YMAX), f' = 1 strictly
    inside."""
    N, AS, YMAX = row[L_N], row[L_AS], row[L_YMAX]
    for j in range(N):
        t = ak[j] >> AS
        yk[j] = max(-YMAX, min(YMAX, t))
        dk[j] = 1 if (t > -YMAX and t < YMAX) else 0


@njit(cache=True, nogil=True, inline="always")
def drtp_update(k, row, wk, xk, bk, dk, active, na, ni, lfsr, jl, ub, lq, MODE, c, Q, LF, CY, npass, slots):
    """The DRTP update of a hidden layer (spec §9, §15): u = -b_j · x_i over the forward's inputs
    with b_j = 2r+1 from the label's row of the B LUT (``bk``); units with derivative 0 are
    skipped (no access, no LFSR step)."""
    NI, N, WB, LR, XMAX = row[L_NIN], row[L_N], row[L_WB], row[L_LR], row[L_XMAX]
    P, G, l0 = row[L_P], row[L_G], row[L_LOFF]
    nd = 0
    for j in range(N):
        if dk[j]:
            jl[nd] = j
            ub[nd] = -(2 * np.int64(bk[j]) + 1)
            nd += 1
    # the active words: groups with a unit of derivative 1 (read and written per input);
    # ``last``: the last group is one (the drain's extra cycle)
    nga = 0
    last = 0
    for g in range(G):
        for j in range(g * P, min(N, g * P + P)):
            if dk[j]:
                nga += 1
                last = 1 if g == G - 1 else 0
                break
    s = lfsr[l0]
    if P > 1 and MODE == STOCHASTIC:
        # lane LFSRs (spec §16): unit j draws from lane j mod P, in (input, group)
        # order (deterministic rounding uses no random bits: the paths below)
        ls = lfsr[l0:l0 + P]
        for q in range(nd):
            lq[q] = jl[q] % P
        for i in range(NI + 1 if k > 0 else na):
            x = np.int64(1) if k == 0 else (np.int64(xk[i]) if i < NI else XMAX)
            wi = wk[active[i]] if k == 0 else wk[i]
            for q in range(nd):
                j = jl[q]
                r, t2 = round_shift(ub[q] * x, LR, MODE, ls[lq[q]])
                ls[lq[q]] = t2
                wi[j] = sat(np.int64(wi[j]) + r, WB)
        if k == 0:
            c[1, C_SRD] += Q * Q
        else:
            c[1, row[L_C_XRD]] += NI
        s = ls[0]
    elif k == 0:
        # x_i = 1: every input adds the same R(-b_j, LR) unless rounding is stochastic
        if MODE == STOCHASTIC:
            for t in range(na):
                wi = wk[active[t]]
                for q in range(nd):
                    r, s = round_shift(ub[q], LR, MODE, s)
                    j = jl[q]
                    wi[j] = sat(np.int64(wi[j]) + r, WB)
        else:
            for q in range(nd):
                ub[q] = round_shift(ub[q], LR, MODE, s)[0]
            for t in range(na):
                wi = wk[active[t]]
                for q in range(nd):
                    j = jl[q]
                    wi[j] = sat(np.int64(wi[j]) + ub[q], WB)
        c[1, C_SRD] += Q * Q
    else:
        for i in range(NI + 1):
            x = np.int64(xk[i]) if i < NI else XMAX
            wi = wk[i]
            for q in range(nd):
                r, s = round_shift(ub[q] * x, LR, MODE, s)
                j = jl[q]
                wi[j] = sat(np.int64(wi[j]) + r, WB)
        c[1, row[L_C_XRD]] += NI
    lfsr[l0] = s
    # B read, the pass, a drain of 2 (3 when the last word is written), write slots
    c[1, CY] += 1 + npass + 2 + last + 2 + slots
    c[1, row[L_C_BRD]] += 1
    c[1, row[L_C_WRD]] += ni * nga
    c[1, row[L_C_WWR]] += ni * nga
    c[1, row[L_C_UPD]] += ni * nd
    if MODE == STOCHASTIC:
        c[1, LF] += ni * nd


@njit(cache=True, nogil=True, inline="always")
def output_activation(row, ak, out, lut, half, SS):
    """Sigmoid LUT and argmax, ties to the lowest index (spec §8); returns the predicted class."""
    best = 0
    for o in range(row[L_N]):
        v = ak[o]
        idx = max(-half, min(half - 1, v >> SS))
        out[o] = lut[idx + half]
        if v > ak[best]:
            best = o
    return best


@njit(cache=True, nogil=True, inline="always")
def output_update(k, row, wk, xk, active, na, ni, out, err, label, ONE, lfsr, lq, MODE, c, Q, LF, CY, npass,
                  slots):
    """The output layer's update from its own error (spec §9, §15): u = -e_o · x_i over the
    forward's inputs, e_o = out_o - ONE·[o = label]."""
    NI, N, WB, LR, XMAX = row[L_NIN], row[L_N], row[L_WB], row[L_LR], row[L_XMAX]
    P, G, l0 = row[L_P], row[L_G], row[L_LOFF]
    for o in range(N):
        err[o] = np.int64(out[o]) - (ONE if o == label else 0)
    # lane LFSRs (spec §16): unit o draws from lane o mod P (P = 1: the layer's LFSR)
    ls = lfsr[l0:l0 + P]
    for o in range(N):
        lq[o] = o % P
    if P >= N:
        # a lane per unit: the units' roundings of one input are independent (the loop over o
        # vectorizes); the same steps of every lane in the same order as below
        for i in range(NI + 1 if k > 0 else na):
            x = np.int64(1) if k == 0 else (np.int64(xk[i]) if i < NI else XMAX)
            wi = wk[active[i]] if k == 0 else wk[i]
            for o in range(N):
                r, t2 = round_shift(-err[o] * x, LR, MODE, ls[o])
                ls[o] = t2
                wi[o] = sat(np.int64(wi[o]) + r, WB)
    else:
        for i in range(NI + 1 if k > 0 else na):
            x = np.int64(1) if k == 0 else (np.int64(xk[i]) if i < NI else XMAX)
            wi = wk[active[i]] if k == 0 else wk[i]
            for o in range(N):
                r, t2 = round_shift(-err[o] * x, LR, MODE, ls[lq[o]])
                ls[lq[o]] = t2
                wi[o] = sat(np.int64(wi[o]) + r, WB)
    if k == 0:
        c[1, C_SRD] += Q * Q
    else:
        c[1, row[L_C_XRD]] += NI
    # N error reads, the pass, a drain of 3, write slots
    c[1, CY] += N + npass + 3 + 2 + slots
    c[1, row[L_C_YRD]] += N
    c[1, row[L_C_WRD]] += ni * G
    c[1, row[L_C_WWR]] += ni * G
    c[1, row[L_C_UPD]] += ni * N
    if MODE == STOCHASTIC:
        c[1, LF] += ni * N
