"""Plainly written reference of docs/spec.md §5–§11, used only to check the Numba kernels.

It walks the spec line by line with Python integers (which never wrap), counts every access at
the moment it happens (the kernels count per phase with formulas), and shares only the spec's
primitive helpers (``sat``, ``round_shift``) with the kernels. Slow by design.
"""
from __future__ import annotations

import numpy as np

from .arith import STOCHASTIC, round_shift, sat
from .counters import IDX, zeros
from .kernels import (P_A1B, P_A2B, P_AS, P_C, P_K, P_L, P_LR1, P_LR2, P_MODE, P_N1, P_N2, P_NIN,
                      P_O, P_ONE, P_PAD, P_PB, P_POOL, P_Q, P_S, P_SS, P_THETA, P_W1B, P_W2B,
                      P_YMAX)

_sat = sat.py_func
_round = round_shift.py_func


def run_sample(prm, events, label, learn, st):
    """One sample on state dict ``st`` (same arrays as the kernel). Returns (pred, counters)."""
    p = [int(v) for v in prm]
    C, K, S, PAD, O, POOL, Q = p[P_C], p[P_K], p[P_S], p[P_PAD], p[P_O], p[P_POOL], p[P_Q]
    N1, N2, NIN, YMAX, ONE = p[P_N1], p[P_N2], p[P_NIN], p[P_YMAX], p[P_ONE]
    cnt = zeros()

    def count(name, phase=0, k=1):
        cnt[phase, IDX[name]] += k

    # 1. clear
    for a in range(O * O):
        st["pot"][a, :] = 0
        count("conv_pot_wr")
    for a in range(Q * Q):
        st["spk"][a, :] = 0
        count("conv_spk_wr")
    for j in range(N1):
        st["acc1"][j] = 0
        count("fc1_acc_wr")
    for o in range(N2):
        st["acc2"][o] = 0
        count("fc2_acc_wr")
    # 2. events
    for x, y, ci in events:
        count("events")
        for oy in range(O):
            ky = y + PAD - oy * S
            if not 0 <= ky < K:
                continue
            for ox in range(O):
                kx = x + PAD - ox * S
                if not 0 <= kx < K:
                    continue
                kw = [int(v) for v in st["kern"][(ci * K + ky) * K + kx]]
                count("conv_kernel_rd")
                v = [int(q) for q in st["pot"][oy * O + ox]]
                count("conv_pot_rd")
                sa = (oy // POOL) * Q + ox // POOL
                sp = [int(q) for q in st["spk"][sa]]
                count("conv_spk_rd")
                sp_new = list(sp)
                for co in range(C):
                    v[co] = _sat(v[co] + kw[co], p[P_PB])
                    count("conv_add")
                    count("conv_cmp")
                    if v[co] >= p[P_THETA]:
                        sp_new[co] = 1
                st["pot"][oy * O + ox] = v
                count("conv_pot_wr")
                if sp_new != sp:
                    st["spk"][sa] = sp_new
                    count("conv_spk_wr")

    def active_inputs(phase):
        out = []
        for a in range(Q * Q):
            word = st["spk"][a]
            count("conv_spk_rd", phase)
            out += [a * C + co for co in range(C) if word[co]]
        return out + [NIN]

    # 3. FC1 forward
    for i in active_inputs(0):
        for j in range(N1):
            w = int(st["w1"][i, j])
            count("fc1_w_rd")
            a = int(st["acc1"][j])
            count("fc1_acc_rd")
            st["acc1"][j] = _sat(a + w, p[P_A1B])
            count("fc1_acc_wr")
            count("fc1_add")
    # 4. hard-tanh
    for j in range(N1):
        t = int(st["acc1"][j]) >> p[P_AS]
        count("fc1_acc_rd")
        count("tanh_op")
        st["act1"][j] = min(YMAX, max(-YMAX, t))
        count("fc1_act_wr")
        st["dact1"][j] = 1 if -YMAX < t < YMAX else 0
    mode = p[P_MODE]
    # 5. FC1 DRTP update
    if learn:
        brow = [2 * int(r) + 1 for r in st["bf"][label]]
        count("b_lut_rd", 1)
        for i in active_inputs(1):
            for j in range(N1):
                if st["dact1"][j] == 1:
                    u = -brow[j] * 1
                    w = int(st["w1"][i, j])
                    count("fc1_w_rd", 1)
                    r, st["lfsr"][0] = _round(u, p[P_LR1], mode, int(st["lfsr"][0]))
                    st["w1"][i, j] = _sat(w + r, p[P_W1B])
                    count("fc1_w_wr", 1)
                    count("fc1_upd", 1)
                    if mode == STOCHASTIC:
                        count("lfsr_step", 1)
    # 6. FC2 forward
    ys = []
    for j in range(N1):
        ys.append(int(st["act1"][j]))
        count("fc1_act_rd")
    ys.append(YMAX)
    for j in range(N1 + 1):
        for o in range(N2):
            w = int(st["w2"][j, o])
            count("fc2_w_rd")
            a = int(st["acc2"][o])
            count("fc2_acc_rd")
            st["acc2"][o] = _sat(a + w * ys[j], p[P_A2B])
            count("fc2_acc_wr")
            count("fc2_mac")
    # 7. sigmoid and result
    half = 1 << (p[P_L] - 1)
    accs = []
    for o in range(N2):
        a = int(st["acc2"][o])
        count("fc2_acc_rd")
        accs.append(a)
        idx = min(half - 1, max(-half, a >> p[P_SS]))
        st["out2"][o] = int(st["lut"][idx + half])
        count("sig_lut_rd")
        count("fc2_out_wr")
    pred = accs.index(max(accs))
    # 8. FC2 update
    if learn:
        err = []
        for o in range(N2):
            err.append(int(st["out2"][o]) - (ONE if o == label else 0))
            count("fc2_out_rd", 1)
        ys_l = []
        for j in range(N1):
            ys_l.append(int(st["act1"][j]))
            count("fc1_act_rd", 1)
        ys_l.append(YMAX)
        for j in range(N1 + 1):
            for o in range(N2):
                u = -err[o] * ys_l[j]
                w = int(st["w2"][j, o])
                count("fc2_w_rd", 1)
                r, st["lfsr"][1] = _round(u, p[P_LR2], mode, int(st["lfsr"][1]))
                st["w2"][j, o] = _sat(w + r, p[P_W2B])
                count("fc2_w_wr", 1)
                count("fc2_upd", 1)
                if mode == STOCHASTIC:
                    count("lfsr_step", 1)
    return pred, cnt


def run(prm, streams, labels, learn, st):
    """Run samples in order; returns (preds, per-sample counters)."""
    preds, cnts = [], []
    for ev, lab in zip(streams, labels):
        pr, c = run_sample(prm, [(int(a), int(b), int(ch)) for a, b, ch in ev], int(lab), learn, st)
        preds.append(pr)
        cnts.append(c)
    return np.array(preds, np.int64), np.array(cnts)
