"""The state layout of the layer stack (docs/spec.md §10, §15, §16): the global parameter vector
and the layer table, their columns declared once by name below, and the whole state at reset.
RTL twin: the parameters of rtl/spoon_top.v (its FC_* vectors hold the same per-layer values).

Nothing is numbered by hand: ``G_<name>`` and ``L_<name>`` are the positions of the names in
``GLOBAL_COLUMNS`` and ``LAYER_COLUMNS`` (module constants, so the Numba kernels see them as
compile-time integers).

State (``StackProcessor.st``; L = K + 1 FC layers, layer k is row k-1 of the layer table):
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
"""
from __future__ import annotations

import numpy as np

from hwmodel.engine.arith import ROUNDING_CODES
from hwmodel.spec import roms
from hwmodel.spec.config import Config
from hwmodel.spec.counters import counter_names, hidden_counter_names, output_counter_names

# the global parameter vector: conv front end, output layer, rounding, counter count
GLOBAL_COLUMNS = ("CIN", "C", "K", "S", "PAD", "O", "POOL", "Q", "PB", "THETA", "NIN", "MODE", "SS", "LUTB",
                  "ONE", "NCNT")
# the layer table, one row per FC layer
LAYER_COLUMNS = (
    # sizes and arithmetic: inputs without the bias, units, weight / accumulator bits, learning-rate
    # shift, hard-tanh shift and YMAX (hidden; 0 for the output layer), the bias input's value
    "NIN", "N", "WB", "AB", "LR", "AS", "YMAX", "XMAX",
    # offsets: weights, accumulators, own activations (hidden; -1 output), input activations (layer
    # k >= 2: the previous layer's YOFF; -1 for layer 1, which reads the spikes), B fields (-1 output)
    "WOFF", "AOFF", "YOFF", "XOFF", "BOFF",
    # counter indices: w_rd, w_wr, acc_rd, acc_wr, add/mac, act_wr/out_wr, act_rd/out_rd,
    # tanh/sig_lut_rd, B read (-1 output), upd, and the read counter of the layer's inputs
    # (the previous layer's act_rd; -1 for layer 1: its scans count conv_spk_rd)
    "C_WRD", "C_WWR", "C_ARD", "C_AWR", "C_OP", "C_YWR", "C_YRD", "C_ACT", "C_BRD", "C_UPD", "C_XRD",
    # 1: the layer never learns (its config says learn = false, spec §15; or the host-side
    # experiment of the frozen-hidden baseline), else 0
    "FROZEN",
    # organisation (spec §16): lanes P, groups G = ceil(N / P), offset of the layer's lane LFSRs
    # in ``lfsr``, 1 when fc{k}_w is one bank of 1rw ports (a write slot between groups in updates)
    "P", "G", "LOFF", "SLOT",
)
N_LAYER_COLS = len(LAYER_COLUMNS)
globals().update({f"G_{c}": i for i, c in enumerate(GLOBAL_COLUMNS)})
globals().update({f"L_{c}": i for i, c in enumerate(LAYER_COLUMNS)})
L = {c: i for i, c in enumerate(LAYER_COLUMNS)}

# the conv counters and lfsr_step have the same place at every depth (counter_names)
C_EV, C_KRD, C_PRD, C_PWR, C_SRD, C_SWR, C_CADD, C_CCMP = range(8)


def global_params(cfg: Config) -> np.ndarray:
    """The global parameter vector (``G_*``) of ``cfg``."""
    out = cfg.output
    v = dict(CIN=cfg.input.channels, C=cfg.conv.channels, K=cfg.conv.kernel, S=cfg.conv.stride,
             PAD=cfg.conv.padding, O=cfg.conv_out, POOL=cfg.conv.pool, Q=cfg.spk_side, PB=cfg.bits["PB"],
             THETA=cfg.conv.threshold, NIN=cfg.n_in, MODE=ROUNDING_CODES[cfg.drtp.rounding], SS=out.sig_shift,
             LUTB=out.lut_bits, ONE=out.one, NCNT=len(counter_names(cfg.depth)))
    return np.array([v[c] for c in GLOBAL_COLUMNS], np.int64)


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
        row = {"NIN": nin, "N": n, "WB": layer.wb, "AB": layer.ab, "LR": layer.lr_shift,
               "AS": layer.act_shift if hidden else 0, "YMAX": layer.ymax if hidden else 0,
               "XMAX": 1 if k == 1 else cfg.hidden[r - 1].ymax,
               "WOFF": woff, "AOFF": aoff, "XOFF": -1 if k == 1 else lay[r - 1, L["YOFF"]],
               "FROZEN": 0 if layer.learn else 1, "P": layer.lanes, "G": layer.groups, "LOFF": loff,
               "SLOT": 1 if (layer.weight_ports == "1rw" and layer.weight_banks == 1) else 0}
        woff += (nin + 1) * n
        aoff += n
        if hidden:
            row.update(YOFF=yoff, BOFF=boff)
            yoff += n
            boff += cfg.output.neurons * n
            cols = ("C_WRD", "C_WWR", "C_ARD", "C_AWR", "C_OP", "C_YWR", "C_YRD", "C_ACT", "C_BRD", "C_UPD")
            row.update({c: ix[x] for c, x in zip(cols, hidden_counter_names(k))})
        else:
            cols = ("C_WRD", "C_WWR", "C_ARD", "C_AWR", "C_OP", "C_ACT", "C_YWR", "C_YRD", "C_UPD")
            row.update({c: ix[x] for c, x in zip(cols, output_counter_names(k))})
        row["C_XRD"] = -1 if k == 1 else lay[r - 1, L["C_YRD"]]
        loff += layer.lanes
        for c, v in row.items():
            lay[r, L[c]] = v
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
