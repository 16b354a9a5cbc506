"""Numba kernels of the layer stack (docs/spec.md §15): the conv front end, K >= 0 hidden layers
and the output layer, for any K. RTL twins: rtl/controller.v (the phase loop), rtl/conv_core.v and
rtl/aer_in.v (events, conv scatter), rtl/fc_layer.v, fc_update.v, tanh_unit.v, sigmoid_unit.v.

``run_stack`` processes a batch of samples back to back in the order of spec §15 (clear, events,
then for every FC layer k = 1..K+1: forward, activation, update when learning). Nothing in the
state is numbered by hand: the FC layers share flat buffers, and a per-layer table (``lay``, one
row per layer k-1, columns ``L_*``) holds each layer's sizes, precisions, offsets into the
buffers and the indices of its counters. ``naive.stack_reference`` is the plainly written
version of the same spec these kernels are tested against (any K), and ``naive.reference`` the
independent one-hidden-layer reference of §5–§11 (K = 1; tests/engine/test_kernels_vs_reference.py).

State layout (``StackProcessor.st``; L = K + 1 FC layers, layer k is row k-1 of ``lay``):
    kern  (CIN*K*K, C) int32    conv_kernel, row = (ci*K + ky)*K + kx, column = co
    pot   (O*O, C)     int32    conv_pot,   row = oy*O + ox
    spk   (Q*Q, C)     uint8    conv_spk,   row = qy*Q + qx, one byte per spike bit
    w     (sum (N_{k-1}+1)*N_k,) int32   fc{k}_w at w[L_WOFF + i*N_k + j]
    acc   (sum N_k,)   int64    fc{k}_acc at acc[L_AOFF + j] (every layer, the output's last)
    act   (sum N_h,)   int32    fc{h}_act of the hidden layers at act[L_YOFF + j]
    dact  (sum N_h,)   uint8    fc{h}_dact, same offsets as act
    bf    (sum N_out*N_h,) int32  B fields r of hidden layer h (value 2r+1) at bf[L_BOFF + c*N_h + j]
    out   (N_out,)     int32    fc{K+1}_out
    lut   (2^L,)       int32    sig_lut
    lfsr  (sum P_k,)   int64    the lane LFSRs of lfsr_fc1 .. lfsr_fc{K+1}, layer by layer (lane 0
                                first; one per layer when every layer has one lane)
Counters: int64 (2, len(counter_names(K))), names and order from ``hwmodel.spec.counters.counter_names``.

Speed (bench/bench_model.py): each layer's memories are taken as views (a 2-D weight view keeps the
inner loops free of index wrap-around checks, so they vectorize); the DRTP update walks a compact
list of the linear units; a layer with binary inputs adds the same R(-b_j) to every active row
when rounding is deterministic, so it is computed once per unit; the conv scatter sets spike bits
without branches. None of this changes a value, an order of LFSR steps or a counter.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numba import njit

from hwmodel.spec import roms
from hwmodel.engine.arith import ROUNDING_CODES, STOCHASTIC, round_shift, sat
from hwmodel.spec.config import Config
from hwmodel.spec.counters import counter_names, hidden_counter_names, output_counter_names

# ---- global parameter vector (conv front end, output layer, rounding) --------------------------
(G_CIN, G_C, G_K, G_S, G_PAD, G_O, G_POOL, G_Q, G_PB, G_THETA, G_NIN, G_MODE, G_SS, G_LUTB, G_ONE,
 G_NCNT) = range(16)
N_GLOBAL = 16

# ---- layer table columns: one row per FC layer -------------------------------------------------
# sizes and arithmetic: inputs without the bias, units, weight / accumulator bits, learning-rate
# shift, hard-tanh shift and YMAX (hidden; 0 for the output layer), the bias input's value
(L_NIN, L_N, L_WB, L_AB, L_LR, L_AS, L_YMAX, L_XMAX,
 # offsets: weights, accumulators, own activations (hidden; -1 output), input activations (layer
 # k >= 2: the previous layer's L_YOFF; -1 for layer 1, which reads the spikes), B fields (-1 output)
 L_WOFF, L_AOFF, L_YOFF, L_XOFF, L_BOFF,
 # counter indices: w_rd, w_wr, acc_rd, acc_wr, add/mac, act_wr/out_wr, act_rd/out_rd,
 # tanh/sig_lut_rd, B read (-1 output), upd, and the read counter of the layer's inputs
 # (the previous layer's act_rd; -1 for layer 1: its scans count conv_spk_rd)
 L_C_WRD, L_C_WWR, L_C_ARD, L_C_AWR, L_C_OP, L_C_YWR, L_C_YRD, L_C_ACT, L_C_BRD, L_C_UPD,
 L_C_XRD,
 # 1: the layer never learns (host-side experiment: the frozen-hidden baseline), else 0
 L_FROZEN,
 # organisation (spec §16): lanes P, groups G = ceil(N / P), offset of the layer's lane LFSRs
 # in ``lfsr``, 1 when fc{k}_w is one bank of 1rw ports (a write slot between groups in updates)
 L_P, L_G, L_LOFF, L_SLOT) = range(29)
N_LAYER_COLS = 29

# the conv counters and lfsr_step have the same place at every depth (counter_names)
_EV, _KRD, _PRD, _PWR, _SRD, _SWR, _CADD, _CCMP = range(8)


@njit(cache=True, nogil=True)
def run_stack(g, lay, ex, ey, ec, offsets, labels, learn, kern, pot, spk, w, acc, act, dact, bf,
              out, lut, lfsr, preds, cnt, cnt_ps):
    """Run len(labels) samples; sample n owns events offsets[n]:offsets[n+1].

    preds[n] receives the predicted class; cnt (2, n_counters) accumulates the counters and,
    when cnt_ps has len(labels) rows, cnt_ps[n] receives sample n's own counters.
    """
    C, K, S, PAD, O = g[G_C], g[G_K], g[G_S], g[G_PAD], g[G_O]
    POOL, Q, PB, THETA, NIN = g[G_POOL], g[G_Q], g[G_PB], g[G_THETA], g[G_NIN]
    MODE, SS, LB, ONE, NCNT = g[G_MODE], g[G_SS], g[G_LUTB], g[G_ONE], g[G_NCNT]
    NL = lay.shape[0]
    LF = NCNT - 2  # lfsr_step and cycles are the last two counters
    CY = NCNT - 1
    half = np.int64(1) << (LB - 1)
    record = cnt_ps.shape[0] == labels.shape[0]
    nmax = 1
    gmax = 1
    for k in range(NL):
        nmax = max(nmax, lay[k, L_N])
        gmax = max(gmax, lay[k, L_G])
    nout = lay[NL - 1, L_N]
    active = np.empty(NIN + 1, np.int64)
    jl = np.empty(nmax, np.int64)      # units in the linear region (derivative 1)
    ub = np.empty(nmax, np.int64)      # -b_j of those units (binary inputs: already rounded)
    lq = np.empty(nmax, np.int64)      # lane of each unit (spec §16)
    err = np.empty(nout, np.int64)
    c = np.zeros((2, NCNT), np.int64)
    for n in range(labels.shape[0]):
        c[:, :] = 0
        label = labels[n]
        # clear: conv potentials and spikes, every fc{k}_acc
        pot[:, :] = 0
        spk[:, :] = 0
        acc[:] = 0
        c[0, _PWR] += O * O
        c[0, _SWR] += Q * Q
        for k in range(NL):
            c[0, lay[k, L_C_AWR]] += lay[k, L_G]
        # cycles (spec §16): every phase of the controller costs its engine's cycles + 2, the
        # clear runs in every block at once, each event 1 + 2 per position, end-of-sample 1,
        # DONE 1; input-starved cycles of the event phase are not counted
        c[0, CY] += max(O * O, gmax) + 2 + 1 + 1
        # events: event-driven scatter (spec §6)
        npos, nsw = conv_events(ex, ey, ec, offsets[n], offsets[n + 1], kern, pot, spk,
                                 C, K, S, PAD, O, POOL, Q, PB, THETA)
        c[0, _SWR] += nsw
        c[0, _EV] += offsets[n + 1] - offsets[n]
        c[0, CY] += offsets[n + 1] - offsets[n] + 2 * npos
        c[0, _KRD] += npos
        c[0, _PRD] += npos
        c[0, _PWR] += npos
        c[0, _SRD] += npos
        c[0, _CADD] += C * npos
        c[0, _CCMP] += C * npos
        # the active inputs of layer 1 (spec §7 scan, the bias last); each scan of the spike map
        # by a layer is counted where it happens
        na = 0
        for a in range(Q * Q):
            for co in range(C):
                if spk[a, co]:
                    active[na] = a * C + co
                    na += 1
        active[na] = NIN
        na += 1
        for k in range(NL):
            NI, N, WB, AB, LR = lay[k, L_NIN], lay[k, L_N], lay[k, L_WB], lay[k, L_AB], lay[k, L_LR]
            w0, a0, x0, XMAX = lay[k, L_WOFF], lay[k, L_AOFF], lay[k, L_XOFF], lay[k, L_XMAX]
            P, G, l0 = lay[k, L_P], lay[k, L_G], lay[k, L_LOFF]
            ni = na if k == 0 else NI + 1  # inputs processed, the bias included
            # one pass over the inputs: layer 1 scans Q*Q words (1 read + C bit tests + 1), then
            # G cycles (one per group of P lanes) per active input; dense: 1 read + G per input
            npass = Q * Q * (C + 2) + ni * G if k == 0 else ni * (G + 1)
            slots = lay[k, L_SLOT] * ni * (G - 1)  # 1rw single bank: write slots of an update pass
            c[0, CY] += (npass + 2 + 2) + (N + 2 + 2) + (1 if k == NL - 1 else 0)
            # this layer's memories as views: weights (inputs + 1, units), accumulators, inputs
            wk = w[w0:w0 + (NI + 1) * N].reshape((NI + 1, N))
            ak = acc[a0:a0 + N]
            xk = act[max(x0, 0):max(x0, 0) + (NI if k > 0 else 0)]
            # forward: §7 for the binary spike inputs of layer 1, §15 dense for k >= 2
            if k == 0:
                for t in range(na):
                    i = active[t]
                    for j in range(N):
                        ak[j] = sat(ak[j] + wk[i, j], AB)
                c[0, _SRD] += Q * Q
            else:
                for i in range(NI + 1):
                    x = np.int64(xk[i]) if i < NI else XMAX
                    for j in range(N):
                        ak[j] = sat(ak[j] + np.int64(wk[i, j]) * x, AB)
                c[0, lay[k, L_C_XRD]] += NI
            c[0, lay[k, L_C_WRD]] += ni * G
            c[0, lay[k, L_C_ARD]] += ni * G + G
            c[0, lay[k, L_C_AWR]] += ni * G
            c[0, lay[k, L_C_OP]] += ni * N
            c[0, lay[k, L_C_YWR]] += N
            c[0, lay[k, L_C_ACT]] += N
            if k < NL - 1:
                # hard-tanh and derivative window (§7)
                y0, AS, YMAX = lay[k, L_YOFF], lay[k, L_AS], lay[k, L_YMAX]
                yk = act[y0:y0 + N]
                dk = dact[y0:y0 + N]
                for j in range(N):
                    t = ak[j] >> AS
                    yk[j] = max(-YMAX, min(YMAX, t))
                    dk[j] = 1 if (t > -YMAX and t < YMAX) else 0
                if not learn or lay[k, L_FROZEN]:
                    continue
                # DRTP update (§9, §15): u = -b_j * x_i over the forward's inputs; units with
                # derivative 0 are skipped (no access, no LFSR step)
                bk = bf[lay[k, L_BOFF] + label * N:lay[k, L_BOFF] + (label + 1) * N]
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
                        c[1, _SRD] += Q * Q
                    else:
                        c[1, lay[k, L_C_XRD]] += NI
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
                    c[1, _SRD] += Q * Q
                else:
                    for i in range(NI + 1):
                        x = np.int64(xk[i]) if i < NI else XMAX
                        wi = wk[i]
                        for q in range(nd):
                            r, s = round_shift(ub[q] * x, LR, MODE, s)
                            j = jl[q]
                            wi[j] = sat(np.int64(wi[j]) + r, WB)
                    c[1, lay[k, L_C_XRD]] += NI
                lfsr[l0] = s
                # B read, the pass, a drain of 2 (3 when the last word is written), write slots
                c[1, CY] += 1 + npass + 2 + last + 2 + slots
                c[1, lay[k, L_C_BRD]] += 1
                c[1, lay[k, L_C_WRD]] += ni * nga
                c[1, lay[k, L_C_WWR]] += ni * nga
                c[1, lay[k, L_C_UPD]] += ni * nd
                if MODE == STOCHASTIC:
                    c[1, LF] += ni * nd
            else:
                # sigmoid and argmax, ties to the lowest index (§8)
                best = 0
                for o in range(N):
                    v = ak[o]
                    idx = max(-half, min(half - 1, v >> SS))
                    out[o] = lut[idx + half]
                    if v > ak[best]:
                        best = o
                preds[n] = best
                if not learn:
                    continue
                # output update from its own error (§9, §15): u = -e_o * x_i over the forward's inputs
                for o in range(N):
                    err[o] = np.int64(out[o]) - (ONE if o == label else 0)
                # lane LFSRs (spec §16): unit o draws from lane o mod P (P = 1: the layer's LFSR)
                ls = lfsr[l0:l0 + P]
                for o in range(N):
                    lq[o] = o % P
                for i in range(NI + 1 if k > 0 else na):
                    x = np.int64(1) if k == 0 else (np.int64(xk[i]) if i < NI else XMAX)
                    wi = wk[active[i]] if k == 0 else wk[i]
                    for o in range(N):
                        r, t2 = round_shift(-err[o] * x, LR, MODE, ls[lq[o]])
                        ls[lq[o]] = t2
                        wi[o] = sat(np.int64(wi[o]) + r, WB)
                if k == 0:
                    c[1, _SRD] += Q * Q
                else:
                    c[1, lay[k, L_C_XRD]] += NI
                # N error reads, the pass, a drain of 3, write slots
                c[1, CY] += N + npass + 3 + 2 + slots
                c[1, lay[k, L_C_YRD]] += N
                c[1, lay[k, L_C_WRD]] += ni * G
                c[1, lay[k, L_C_WWR]] += ni * G
                c[1, lay[k, L_C_UPD]] += ni * N
                if MODE == STOCHASTIC:
                    c[1, LF] += ni * N
        cnt += c
        if record:
            cnt_ps[n] = c


@njit(cache=True, nogil=True, inline="always")
def conv_events(ex, ey, ec, e0, e1, kern, pot, spk, C, K, S, PAD, O, POOL, Q, PB, THETA):
    """Events e0:e1 scattered into conv_pot / conv_spk (spec §6). Returns (positions visited,
    new spike-word writes)."""
    npos = 0
    nsw = 0
    for e in range(e0, e1):
        x = np.int64(ex[e])
        y = np.int64(ey[e])
        ci = np.int64(ec[e])
        t = y + PAD - K + 1
        oy_lo = 0 if t <= 0 else (t + S - 1) // S
        oy_hi = min(O - 1, (y + PAD) // S)
        t = x + PAD - K + 1
        ox_lo = 0 if t <= 0 else (t + S - 1) // S
        ox_hi = min(O - 1, (x + PAD) // S)
        for oy in range(oy_lo, oy_hi + 1):
            ky = y + PAD - oy * S
            for ox in range(ox_lo, ox_hi + 1):
                kx = x + PAD - ox * S
                ka = (ci * K + ky) * K + kx
                pa = oy * O + ox
                sa = (oy // POOL) * Q + ox // POOL
                new = 0
                for co in range(C):  # branch-free: a spike bit newly set marks the word written
                    v = sat(np.int64(pot[pa, co]) + kern[ka, co], PB)
                    pot[pa, co] = v
                    fire = 1 if v >= THETA else 0
                    old = spk[sa, co]
                    new |= fire & (1 - old)
                    spk[sa, co] = old | fire
                npos += 1
                nsw += new
    return npos, nsw


# ---- building the state from a configuration ----------------------------------------------------

@njit(cache=True, nogil=True)
def spike_inputs(g, ex, ey, ec, offsets, kern):
    """The active inputs of layer 1 for every sample (spec §7 scan order, bias excluded), as CSR
    (indices, offsets). The conv front end is fixed, so this is what the float references and the
    baselines see."""
    C, K, S, PAD, O = g[G_C], g[G_K], g[G_S], g[G_PAD], g[G_O]
    POOL, Q, PB, THETA = g[G_POOL], g[G_Q], g[G_PB], g[G_THETA]
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


def global_params(cfg: Config) -> np.ndarray:
    """The global parameter vector (``G_*``) of ``cfg``."""
    out = cfg.output
    vals = [0] * N_GLOBAL
    vals[G_CIN], vals[G_C], vals[G_K] = cfg.input.channels, cfg.conv.channels, cfg.conv.kernel
    vals[G_S], vals[G_PAD], vals[G_O] = cfg.conv.stride, cfg.conv.padding, cfg.conv_out
    vals[G_POOL], vals[G_Q], vals[G_PB] = cfg.conv.pool, cfg.spk_side, cfg.bits["PB"]
    vals[G_THETA], vals[G_NIN] = cfg.conv.threshold, cfg.n_in
    vals[G_MODE] = ROUNDING_CODES[cfg.drtp.rounding]
    vals[G_SS], vals[G_LUTB], vals[G_ONE] = out.sig_shift, out.lut_bits, out.one
    vals[G_NCNT] = len(counter_names(cfg.depth))
    return np.array(vals, np.int64)


def layer_table(cfg: Config) -> np.ndarray:
    """The layer table (``L_*`` columns), one row per FC layer k = 1..K+1."""
    names = counter_names(cfg.depth)
    ix = {nm: i for i, nm in enumerate(names)}
    nl = cfg.depth + 1
    lay = np.full((nl, N_LAYER_COLS), -1, np.int64)
    woff = aoff = yoff = boff = loff = 0
    for r in range(nl):
        k = r + 1
        hidden = k <= cfg.depth
        layer = cfg.hidden[r] if hidden else cfg.output
        nin, _ = cfg.layer_inputs(k)
        n = layer.neurons
        row = lay[r]
        row[L_NIN], row[L_N], row[L_WB], row[L_AB], row[L_LR] = nin, n, layer.wb, layer.ab, layer.lr_shift
        row[L_AS] = layer.act_shift if hidden else 0
        row[L_YMAX] = layer.ymax if hidden else 0
        row[L_XMAX] = 1 if k == 1 else cfg.hidden[r - 1].ymax
        row[L_WOFF], row[L_AOFF] = woff, aoff
        row[L_XOFF] = -1 if k == 1 else lay[r - 1, L_YOFF]
        woff += (nin + 1) * n
        aoff += n
        if hidden:
            row[L_YOFF], row[L_BOFF] = yoff, boff
            yoff += n
            boff += cfg.output.neurons * n
            (row[L_C_WRD], row[L_C_WWR], row[L_C_ARD], row[L_C_AWR], row[L_C_OP], row[L_C_YWR],
             row[L_C_YRD], row[L_C_ACT], row[L_C_BRD], row[L_C_UPD]) = (ix[x] for x in hidden_counter_names(k))
        else:
            (row[L_C_WRD], row[L_C_WWR], row[L_C_ARD], row[L_C_AWR], row[L_C_OP], row[L_C_ACT],
             row[L_C_YWR], row[L_C_YRD], row[L_C_UPD]) = (ix[x] for x in output_counter_names(k))
        row[L_C_XRD] = -1 if k == 1 else lay[r - 1, L_C_YRD]
        row[L_FROZEN] = 0
        row[L_P], row[L_G], row[L_LOFF] = layer.lanes, layer.groups, loff
        row[L_SLOT] = 1 if (layer.weight_ports == "1rw" and layer.weight_banks == 1) else 0
        loff += layer.lanes
    return lay


def build_state(cfg: Config, conv_kernels: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """The whole state at reset (spec §3, §15): ROM contents per layer, zero potentials,
    accumulators and activations, the LFSRs at their stream seeds."""
    C, K, cin, O, Q = cfg.conv.channels, cfg.conv.kernel, cfg.input.channels, cfg.conv_out, cfg.spk_side
    kern = roms.conv_kernels(cfg) if conv_kernels is None else np.asarray(conv_kernels, np.int64)
    if kern.shape != (C, cin, K, K):
        raise ValueError(f"conv kernels have shape {kern.shape}, config needs {(C, cin, K, K)}")
    lo, hi = -(1 << (cfg.bits["WC"] - 1)), (1 << (cfg.bits["WC"] - 1)) - 1
    if kern.min(initial=0) < lo or kern.max(initial=0) > hi:
        raise ValueError(f"conv kernels outside {cfg.conv.weight} range [{lo}, {hi}]")
    nl = cfg.depth + 1
    nh = sum(h.neurons for h in cfg.hidden)
    return {
        "kern": np.ascontiguousarray(kern.transpose(1, 2, 3, 0).reshape(cin * K * K, C), np.int32),
        "pot": np.zeros((O * O, C), np.int32),
        "spk": np.zeros((Q * Q, C), np.uint8),
        "w": np.concatenate([roms.layer_init(cfg, k).ravel() for k in range(1, nl + 1)]).astype(np.int32),
        "acc": np.zeros(nh + cfg.output.neurons, np.int64),
        "act": np.zeros(nh, np.int32),
        "dact": np.zeros(nh, np.uint8),
        "bf": np.concatenate([np.zeros(0, np.int64)] + [roms.layer_b_fields(cfg, h).ravel()
                                                         for h in range(1, cfg.depth + 1)]).astype(np.int32),
        "out": np.zeros(cfg.output.neurons, np.int32),
        "lut": roms.output_sigmoid_lut(cfg).astype(np.int32),
        "lfsr": np.array(roms.lfsr_reset(cfg), np.int64),
    }


def lanes_view(a: np.ndarray, p: int) -> np.ndarray:
    """A per-unit vector (N,) or matrix (rows, N) in the word layout of spec §16: with P = 1 one
    unit per word, as it is (a matrix flattened row by row); with P > 1 one word per group of P
    units, lanes as columns, the padding lanes of a partial last group 0 (rows * G, P)."""
    if p == 1:
        return a.reshape(-1)
    a2 = a.reshape(-1, a.shape[-1])
    rows, n = a2.shape
    g = -(-n // p)
    out = np.zeros((rows, g * p), np.int64)
    out[:, :n] = a2
    return out.reshape(rows * g, p)


@dataclass
class RunResult:
    preds: np.ndarray
    counters: np.ndarray  # (2, n_counters) summed over the run
    per_sample: np.ndarray | None = None  # (n, 2, n_counters) when recorded
    traces: list[dict[str, np.ndarray]] = field(default_factory=list)  # per sample, when recorded

    def accuracy(self, labels: np.ndarray) -> float:
        return float(np.mean(self.preds == np.asarray(labels))) if len(labels) else float("nan")


class StackProcessor:
    """Whole-chip state of a stack of any depth plus the processing entry points (the
    counterpart of ``hwmodel.engine.processor.Processor``)."""

    def __init__(self, cfg: Config, state: dict[str, np.ndarray]):
        self.cfg = cfg
        self.g = global_params(cfg)
        self.lay = layer_table(cfg)
        self.names = counter_names(cfg.depth)
        self.st = state
        self.counters = self.zeros()

    @classmethod
    def from_config(cls, cfg: Config, conv_kernels: np.ndarray | None = None, *,
                    frozen_hidden: bool = False) -> "StackProcessor":
        """``frozen_hidden``: the hidden layers keep their initial weights when learning (only
        the output layer learns): the frozen-hidden baseline, not a feature of the chip."""
        p = cls(cfg, build_state(cfg, conv_kernels))
        p.freeze_hidden(frozen_hidden)
        return p

    def freeze_hidden(self, on: bool = True) -> None:
        self.lay[:-1, L_FROZEN] = 1 if on else 0

    def copy(self) -> "StackProcessor":
        p = StackProcessor(self.cfg, {k: v.copy() for k, v in self.st.items()})
        p.counters = self.counters.copy()
        p.lay = self.lay.copy()
        return p

    def zeros(self) -> np.ndarray:
        return np.zeros((2, len(self.names)), np.int64)

    # ---- running --------------------------------------------------------------------------
    def run(self, batch, labels: np.ndarray | None = None, *, learn: bool = False,
            record: bool = False) -> RunResult:
        """Process every sample of ``batch`` (an ``EventBatch``) in order; labels are required
        when learning. ``record``: one kernel call per sample, per-sample counters and traces."""
        n = len(batch)
        if labels is None:
            if learn:
                raise ValueError("learning needs labels")
            labels = np.zeros(n, np.int64)
        labels = np.asarray(labels, np.int64)
        if labels.shape != (n,):
            raise ValueError(f"{len(labels)} labels for {n} samples")
        n_out = self.cfg.output.neurons
        bad = (labels < 0) | (labels >= n_out)
        if bad.any():
            k = int(np.argmax(bad))
            raise ValueError(f"sample {k}: label {int(labels[k])} outside 0..{n_out - 1}")
        preds = np.zeros(n, np.int64)
        cnt = self.zeros()
        if not record:
            self._kernel(batch, labels, learn, preds, cnt, np.zeros((0,) + cnt.shape, np.int64))
            self.counters += cnt
            return RunResult(preds, cnt)
        ps = np.zeros((n,) + cnt.shape, np.int64)
        traces = []
        for k in range(n):
            one = batch.subset(np.array([k]))
            self._kernel(one, labels[k:k + 1], learn, preds[k:k + 1], cnt, ps[k:k + 1])
            traces.append(self.memories())
        self.counters += cnt
        return RunResult(preds, cnt, ps, traces)

    def _kernel(self, batch, labels, learn, preds, cnt, ps) -> None:
        s = self.st
        run_stack(self.g, self.lay, batch.x, batch.y, batch.c, batch.offsets, labels, bool(learn),
                  s["kern"], s["pot"], s["spk"], s["w"], s["acc"], s["act"], s["dact"], s["bf"],
                  s["out"], s["lut"], s["lfsr"], preds, cnt, ps)

    # ---- state views ------------------------------------------------------------------------
    def weights(self, k: int) -> np.ndarray:
        """A view of fc{k}_w (k = 1..K+1) as its (N_{k-1} + 1, N_k) matrix."""
        r = self.lay[k - 1]
        n = int(r[L_N])
        return self.st["w"][r[L_WOFF]:r[L_WOFF] + (r[L_NIN] + 1) * n].reshape(-1, n)

    def memories(self) -> dict[str, np.ndarray]:
        """Every memory of spec §15 as a copy, one row per word, fields as columns (int64); for
        K = 1 the same names, order and contents as ``Processor.memories``."""
        s = self.st
        m = {"conv_kernel": s["kern"], "conv_pot": s["pot"], "conv_spk": s["spk"]}
        nl = self.cfg.depth + 1
        for r in range(nl):
            k = r + 1
            row = self.lay[r]
            n, a0, p = int(row[L_N]), int(row[L_AOFF]), int(row[L_P])
            m[f"fc{k}_w"] = lanes_view(self.weights(k), p)
            m[f"fc{k}_acc"] = lanes_view(s["acc"][a0:a0 + n], p)
            if k < nl:
                y0, b0 = int(row[L_YOFF]), int(row[L_BOFF])
                m[f"fc{k}_act"] = s["act"][y0:y0 + n]
                m[f"fc{k}_dact"] = lanes_view(s["dact"][y0:y0 + n], p)
                m["b_lut" if k == 1 else f"b{k}_lut"] = s["bf"][b0:b0 + self.cfg.output.neurons * n].reshape(-1, n)
            else:
                m[f"fc{k}_out"] = s["out"]
                m["sig_lut"] = s["lut"]
        for r in range(nl):
            l0, p = int(self.lay[r, L_LOFF]), int(self.lay[r, L_P])
            m[f"lfsr_fc{r + 1}"] = s["lfsr"][l0:l0 + p]
        return {k: v.astype(np.int64) for k, v in m.items()}  # astype copies

    def counter_dict(self, counts: np.ndarray | None = None) -> dict[str, dict[str, int]]:
        """{phase: {counter: value}} of ``counts`` (default: the counters so far)."""
        c = self.counters if counts is None else counts
        return {ph: {nm: int(c[p, i]) for i, nm in enumerate(self.names)}
                for p, ph in enumerate(("inference", "learning"))}
