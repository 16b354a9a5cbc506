"""Plainly written, independent reference of docs/spec.md §3, §5–§11, used only to check the
Numba kernels.

It walks the spec line by line with Python integers (which never wrap) and counts every access at
the moment it happens (the kernels count per phase with formulas). It shares no arithmetic with
the kernels: saturation, rounding and the LFSR step are written again here from the spec text
(``ref_sat``, ``ref_round``, ``ref_lfsr_step``), so a slip in ``hwmodel.engine.arith`` cannot hide by
being copied into both. This is the one place where a rule of the spec may be written twice.
Only the parameter-vector layout (``P_*``), the rounding-mode codes and the counter names are
imported. Slow by design.
"""
from __future__ import annotations

import numpy as np

from hwmodel.engine.arith import NEAREST, ROUNDING_CODES, STOCHASTIC, TRUNCATE  # mode codes only
from hwmodel.spec.counters import counter_index, zeros

IDX = counter_index(1)  # this reference has one hidden layer: the counters of spec §11 by name

# the parameter vector of a one-hidden-layer configuration (``param_vector``)
(P_CIN, P_C, P_K, P_S, P_PAD, P_O, P_POOL, P_Q, P_PB, P_THETA, P_NIN, P_N1, P_W1B, P_A1B,
 P_YMAX, P_AS, P_N2, P_W2B, P_A2B, P_SS, P_L, P_ONE, P_LR1, P_LR2, P_MODE) = range(25)
N_PARAMS = 25


def param_vector(cfg) -> np.ndarray:
    """The reference's parameters of a one-hidden-layer ``Config`` (spec §2): the serial
    organisation (one lane per layer; lanes are spec §16, checked against naive.stack_reference)."""
    if cfg.fc1.lanes != 1 or cfg.fc2.lanes != 1:
        raise ValueError("naive.reference models one lane per layer (spec §5-§11); lanes: stack_reference")
    b = cfg.bits
    vals = [cfg.input.channels, cfg.conv.channels, cfg.conv.kernel, cfg.conv.stride,
            cfg.conv.padding, cfg.conv_out, cfg.conv.pool, cfg.spk_side, b["PB"], cfg.conv.threshold,
            cfg.n_in, cfg.fc1.neurons, b["W1B"], b["A1B"], cfg.ymax, cfg.fc1.act_shift,
            cfg.fc2.neurons, b["W2B"], b["A2B"], cfg.fc2.sig_shift, cfg.fc2.lut_bits, cfg.one,
            cfg.fc1.lr_shift, cfg.fc2.lr_shift, ROUNDING_CODES[cfg.drtp.rounding]]
    assert len(vals) == N_PARAMS
    return np.array(vals, np.int64)


def state_views(proc) -> dict[str, np.ndarray]:
    """The reference's state layout (one array per memory of spec §10: ``kern``, ``pot``, ``spk``,
    ``w1`` (N_IN+1, N1), ``acc1``, ``act1``, ``dact1``, ``bf`` (N2, N1), ``w2`` (N1+1, N2),
    ``acc2``, ``out2``, ``lut``, ``lfsr``) as views into the flat buffers of a one-hidden-layer
    ``hwmodel.engine.processor.Processor``: writing a view writes the processor's state."""
    cfg, s = proc.cfg, proc.st
    n1, n2 = cfg.fc1.neurons, cfg.fc2.neurons
    w1 = proc.weights(1)
    return {"kern": s["kern"], "pot": s["pot"], "spk": s["spk"], "w1": w1,
            "acc1": s["acc"][:n1], "act1": s["act"], "dact1": s["dact"],
            "bf": s["bf"].reshape(n2, n1), "w2": proc.weights(2), "acc2": s["acc"][n1:],
            "out2": s["out"], "lut": s["lut"], "lfsr": s["lfsr"]}


# ---- spec primitives, written again from the text ------------------------------------------

def ref_sat(v, bits):
    """sat_N(v) (spec conventions): clamp v to the range of sN, −2^(N−1) … 2^(N−1)−1."""
    lo = -(2 ** (bits - 1))
    hi = 2 ** (bits - 1) - 1
    return min(max(v, lo), hi)


def ref_lfsr_step(s):
    """lfsr_step of spec §3: 32-bit Galois LFSR, polynomial x^32 + x^22 + x^2 + x + 1."""
    lsb = s % 2
    s = s // 2  # logical shift of a non-negative u32
    if lsb == 1:
        s = s ^ 0x80200003
    return s


def ref_round(u, s, mode, lfsr):
    """R(u, s) of spec §9 with rounding mode ``mode``; returns (value, LFSR state afterwards).

    truncate: floor(u / 2^s). nearest: floor((u + 2^(s−1)) / 2^s) for s ≥ 1 (ties upward), u
    for s = 0. stochastic: the LFSR steps once first, then r = its new state and the result is
    floor((u + (r mod 2^s)) / 2^s). Only stochastic mode steps the LFSR.
    """
    if mode == TRUNCATE:
        return u // 2 ** s, lfsr
    if mode == NEAREST:
        if s == 0:
            return u, lfsr
        return (u + 2 ** (s - 1)) // 2 ** s, lfsr
    if mode == STOCHASTIC:
        lfsr = ref_lfsr_step(lfsr)
        return (u + lfsr % 2 ** s) // 2 ** s, lfsr
    raise ValueError(f"unknown rounding mode {mode}")


# ---- one sample, in the order of spec §5 -------------------------------------------------------

def run_sample(prm, events, label, learn, st):
    """One sample on state dict ``st`` (same arrays as the kernel). Returns (pred, counters)."""
    p = [int(v) for v in prm]
    C, K, S, PAD, O, POOL, Q = p[P_C], p[P_K], p[P_S], p[P_PAD], p[P_O], p[P_POOL], p[P_Q]
    N1, N2, NIN, YMAX, ONE = p[P_N1], p[P_N2], p[P_NIN], p[P_YMAX], p[P_ONE]
    PB, THETA, W1B, A1B, AS = p[P_PB], p[P_THETA], p[P_W1B], p[P_A1B], p[P_AS]
    W2B, A2B, SS, L, LR1, LR2, mode = p[P_W2B], p[P_A2B], p[P_SS], p[P_L], p[P_LR1], p[P_LR2], p[P_MODE]
    cnt = zeros(1)

    def count(name, phase=0, k=1):
        cnt[phase, IDX[name]] += k

    # cycles (§16), counted where they happen: each controller phase (clear, FC forward,
    # activation, update) costs its engine's cycles plus 2 (start, finish)
    # 1. clear: every block clears at once
    count("cycles", 0, max(O * O, Q * Q, N1, N2) + 2)
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

    # 2. events (§6): every (oy, ox) whose kernel tap (ky, kx) lies inside the kernel
    for x, y, ci in events:
        count("events")
        count("cycles")
        for oy in range(O):
            ky = y + PAD - oy * S
            if not 0 <= ky < K:
                continue
            for ox in range(O):
                kx = x + PAD - ox * S
                if not 0 <= kx < K:
                    continue
                count("cycles", 0, 2)
                kw = [int(v) for v in st["kern"][(ci * K + ky) * K + kx]]
                count("conv_kernel_rd")
                v = [int(q) for q in st["pot"][oy * O + ox]]
                count("conv_pot_rd")
                sa = (oy // POOL) * Q + ox // POOL
                sp = [int(q) for q in st["spk"][sa]]
                count("conv_spk_rd")
                sp_new = list(sp)
                for co in range(C):
                    v[co] = ref_sat(v[co] + kw[co], PB)
                    count("conv_add")
                    count("conv_cmp")
                    if v[co] >= THETA:
                        sp_new[co] = 1
                st["pot"][oy * O + ox] = v
                count("conv_pot_wr")
                if sp_new != sp:
                    st["spk"][sa] = sp_new
                    count("conv_spk_wr")

    count("cycles")  # end of sample

    def active_inputs(phase):
        """Scan conv_spk word by word (§7); the bias input N_IN comes last."""
        out = []
        for a in range(Q * Q):
            word = st["spk"][a]
            count("conv_spk_rd", phase)
            count("cycles", phase, 1 + C + 1)
            for co in range(C):
                if word[co] == 1:
                    out.append(a * C + co)
        out.append(NIN)
        return out

    # 3. FC1 forward (§7), x_i = 1 for every active input
    for i in active_inputs(0):
        for j in range(N1):
            count("cycles")
            w = int(st["w1"][i, j])
            count("fc1_w_rd")
            a = int(st["acc1"][j])
            count("fc1_acc_rd")
            st["acc1"][j] = ref_sat(a + w, A1B)
            count("fc1_acc_wr")
            count("fc1_add")
    count("cycles", 0, 2 + 2)

    # 4. hard-tanh (§7): t = acc >>> AS (floor), y = clamp(t), f' = 1 strictly inside
    count("cycles", 0, 2 + 2)
    for j in range(N1):
        count("cycles")
        t = int(st["acc1"][j]) // 2 ** AS
        count("fc1_acc_rd")
        count("tanh_op")
        st["act1"][j] = min(max(t, -YMAX), YMAX)
        count("fc1_act_wr")
        st["dact1"][j] = 1 if -YMAX < t < YMAX else 0

    # 5. FC1 DRTP update (§9)
    if learn:
        brow = [2 * int(r) + 1 for r in st["bf"][label]]
        count("b_lut_rd", 1)
        count("cycles", 1)
        for i in active_inputs(1):
            for j in range(N1):
                count("cycles", 1)
                if st["dact1"][j] != 1:
                    continue  # saturated unit: no access, no LFSR step
                u = -brow[j] * 1
                w = int(st["w1"][i, j])
                count("fc1_w_rd", 1)
                r, lf = ref_round(u, LR1, mode, int(st["lfsr"][0]))
                st["lfsr"][0] = lf
                if mode == STOCHASTIC:
                    count("lfsr_step", 1)
                st["w1"][i, j] = ref_sat(w + r, W1B)
                count("fc1_w_wr", 1)
                count("fc1_upd", 1)
        count("cycles", 1, 2 + int(st["dact1"][N1 - 1]) + 2)

    # 6. FC2 forward (§8): inputs y_0..y_{N1-1} and the bias input y_N1 = YMAX
    ys = []
    for j in range(N1):
        ys.append(int(st["act1"][j]))
        count("fc1_act_rd")
    ys.append(YMAX)
    for j in range(N1 + 1):
        count("cycles")
        for o in range(N2):
            count("cycles")
            w = int(st["w2"][j, o])
            count("fc2_w_rd")
            a = int(st["acc2"][o])
            count("fc2_acc_rd")
            st["acc2"][o] = ref_sat(a + w * ys[j], A2B)
            count("fc2_acc_wr")
            count("fc2_mac")
    count("cycles", 0, 2 + 2)

    # 7. sigmoid and result (§8): argmax on the potentials, ties to the lowest index
    half = 2 ** (L - 1)
    pred, best = 0, None
    count("cycles", 0, N2 + 3 + 2)
    for o in range(N2):
        a = int(st["acc2"][o])
        count("fc2_acc_rd")
        idx = min(max(a // 2 ** SS, -half), half - 1)
        st["out2"][o] = int(st["lut"][idx + half])
        count("sig_lut_rd")
        count("fc2_out_wr")
        if best is None or a > best:  # strictly larger: an equal later potential loses
            pred, best = o, a

    # 8. FC2 update (§9) from its own error e_o = fc2_out[o] - (o == label ? ONE : 0)
    if learn:
        err = []
        for o in range(N2):
            target = ONE if o == label else 0
            err.append(int(st["out2"][o]) - target)
            count("fc2_out_rd", 1)
            count("cycles", 1)
        ys_l = []
        for j in range(N1):
            ys_l.append(int(st["act1"][j]))
            count("fc1_act_rd", 1)
        ys_l.append(YMAX)
        for j in range(N1 + 1):
            count("cycles", 1)
            for o in range(N2):
                count("cycles", 1)
                u = -err[o] * ys_l[j]
                w = int(st["w2"][j, o])
                count("fc2_w_rd", 1)
                r, lf = ref_round(u, LR2, mode, int(st["lfsr"][1]))
                st["lfsr"][1] = lf
                if mode == STOCHASTIC:
                    count("lfsr_step", 1)
                st["w2"][j, o] = ref_sat(w + r, W2B)
                count("fc2_w_wr", 1)
                count("fc2_upd", 1)
        count("cycles", 1, 3 + 2)
    count("cycles")  # DONE
    return pred, cnt


def run(prm, streams, labels, learn, st):
    """Run samples in order; returns (preds, per-sample counters)."""
    preds, cnts = [], []
    for ev, lab in zip(streams, labels):
        pr, c = run_sample(prm, [(int(a), int(b), int(ch)) for a, b, ch in ev], int(lab), learn, st)
        preds.append(pr)
        cnts.append(c)
    return np.array(preds, np.int64), np.array(cnts)
