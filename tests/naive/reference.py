"""The plainly written, independent reference of docs/spec.md (§3, §5–§11, the layer stack of
§15 and the lanes of §16), used only to check the Numba kernels of ``hwmodel.engine``.

It walks the spec line by line with Python integers (which never wrap), on the memories under
their spec names (``fc{k}_w`` as a flat array at address i·G_k + g with one column per lane,
``b_lut``/``b{k}_lut`` as (N_out, N_k) fields, ``lfsr_fc{k}`` one word per lane, ...: the dict
``StackProcessor.memories()`` returns), and counts every access at the moment it happens, by its
spec name (the kernels count per phase with formulas, through a layer table). It reads the
configuration itself and shares no arithmetic, layout or index table with the kernels:
saturation, rounding and the LFSR step are written again here from the spec text (``ref_sat``,
``ref_round``, ``ref_lfsr_step``), so a slip in ``hwmodel.engine.arith`` cannot hide by being
copied into both. This is the one place where a rule of the spec may be written twice. Only the
counter order (``counter_names``) and the rounding-mode codes are imported. Slow by design.
"""
from __future__ import annotations

import numpy as np

from hwmodel.engine.arith import NEAREST, ROUNDING_CODES, STOCHASTIC, TRUNCATE  # mode codes only
from hwmodel.spec.config import Config
from hwmodel.spec.counters import counter_names


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


# ---- one sample, in the order of spec §15 -------------------------------------------------------

def run_sample(cfg: Config, events, label, learn, mem):
    """One sample on the memories ``mem`` (spec names, changed in place). Returns (pred, counters)."""
    C, Kc, S, PAD, POOL = (cfg.conv.channels, cfg.conv.kernel, cfg.conv.stride, cfg.conv.padding,
                           cfg.conv.pool)
    O = (cfg.input.width + 2 * PAD - Kc) // S + 1
    Q = O // POOL
    N_IN = Q * Q * C
    PB = cfg.prec("conv.potential").bits
    THETA = cfg.conv.threshold
    mode = ROUNDING_CODES[cfg.drtp.rounding]
    hid, outl = cfg.hidden, cfg.output
    depth = len(hid)
    names = counter_names(depth)
    cnt = np.zeros((2, len(names)), np.int64)
    pos = {nm: i for i, nm in enumerate(names)}

    def count(name, phase=0, k=1):
        cnt[phase, pos[name]] += k

    def fc(k):
        return f"fc{k}"

    def n_of(k):   # units of FC layer k = 1..depth+1
        return hid[k - 1].neurons if k <= depth else outl.neurons

    def inputs_of(k):   # inputs of FC layer k without the bias
        return N_IN if k == 1 else hid[k - 2].neurons

    def layer_of(k):
        return hid[k - 1] if k <= depth else outl

    def lanes_of(k):    # (P, G) of FC layer k (§16)
        p = layer_of(k).lanes
        return p, -(-n_of(k) // p)

    def get(arr, word, lane):   # one lane of a word (P = 1: the arrays hold one unit per word)
        return int(arr[word]) if arr.ndim == 1 else int(arr[word, lane])

    def put(arr, word, lane, v):
        if arr.ndim == 1:
            arr[word] = v
        else:
            arr[word, lane] = v

    # cycles (§16): the clear runs in every block at once, the longest sets its length; every
    # controller phase adds 2 cycles (start and finish) to its engine's cycles
    count("cycles", 0, max([O * O, Q * Q] + [lanes_of(k)[1] for k in range(1, depth + 2)]) + 2)
    # clear: conv potentials and spikes, every fc{k}_acc
    for a in range(O * O):
        mem["conv_pot"][a, :] = 0
        count("conv_pot_wr")
    for a in range(Q * Q):
        mem["conv_spk"][a, :] = 0
        count("conv_spk_wr")
    for k in range(1, depth + 2):
        for g in range(lanes_of(k)[1]):       # one word of P accumulators per group
            mem[f"{fc(k)}_acc"][g] = 0
            count(f"{fc(k)}_acc_wr")

    # events (§6): every (oy, ox) whose kernel tap (ky, kx) lies inside the kernel
    for x, y, ci in events:
        count("events")
        count("cycles")                       # the event is taken
        for oy in range(O):
            ky = y + PAD - oy * S
            if not 0 <= ky < Kc:
                continue
            for ox in range(O):
                kx = x + PAD - ox * S
                if not 0 <= kx < Kc:
                    continue
                count("cycles", 0, 2)        # read cycle, write cycle
                kw = [int(v) for v in mem["conv_kernel"][(ci * Kc + ky) * Kc + kx]]
                count("conv_kernel_rd")
                v = [int(q) for q in mem["conv_pot"][oy * O + ox]]
                count("conv_pot_rd")
                sa = (oy // POOL) * Q + ox // POOL
                sp = [int(q) for q in mem["conv_spk"][sa]]
                count("conv_spk_rd")
                sp_new = list(sp)
                for co in range(C):
                    v[co] = ref_sat(v[co] + kw[co], PB)
                    count("conv_add")
                    count("conv_cmp")
                    if v[co] >= THETA:
                        sp_new[co] = 1
                mem["conv_pot"][oy * O + ox] = v
                count("conv_pot_wr")
                if sp_new != sp:
                    mem["conv_spk"][sa] = sp_new
                    count("conv_spk_wr")

    count("cycles")                           # end-of-sample taken

    def layer_inputs(k, phase):
        """[(i, x_i)] of FC layer k in processing order, reading (and counting) its input memory:
        layer 1 scans conv_spk word by word (§7), x = 1, the bias N_IN last; layer k ≥ 2 reads
        fc{k−1}_act[i] for i < N_{k−1}, then the bias x = YMAX_{k−1} (no read)."""
        xs = []
        if k == 1:
            for a in range(Q * Q):
                word = mem["conv_spk"][a]
                count("conv_spk_rd", phase)
                count("cycles", phase, C + 2)   # word read, C bit tests, end of word
                for co in range(C):
                    if word[co] == 1:
                        xs.append((a * C + co, 1))
            xs.append((N_IN, 1))
        else:
            for i in range(inputs_of(k)):
                xs.append((i, int(mem[f"{fc(k - 1)}_act"][i])))
                count(f"{fc(k - 1)}_act_rd", phase)
            xs.append((inputs_of(k), 2 ** (hid[k - 2].yb - 1) - 1))
            count("cycles", phase, len(xs))     # one input-read cycle per input, the bias's too
        return xs

    pred = None
    for k in range(1, depth + 2):
        f = fc(k)
        out_layer = k == depth + 1
        layer = layer_of(k)
        N, WB, AB = layer.neurons, layer.wb, layer.ab
        P, G = lanes_of(k)
        slot = 1 if (layer.weight_ports == "1rw" and layer.weight_banks == 1) else 0
        op = f"{f}_add" if k == 1 else f"{f}_mac"
        W, ACC = mem[f"{f}_w"], mem[f"{f}_acc"]
        LF = mem[f"lfsr_{f}"]                  # lane l's LFSR is word l
        # forward (§16 lanes): per input i, per group g: read word i·G + g of fc{k}_w and word g
        # of fc{k}_acc, every lane acc_l = sat(acc_l + w_l·x_i) (padding lanes add 0), write back
        for i, x in layer_inputs(k, 0):
            for g in range(G):
                count("cycles")
                count(f"{f}_w_rd")
                count(f"{f}_acc_rd")
                for lane in range(P):
                    j = g * P + lane
                    if j >= N:
                        continue              # padding lane: w = 0, acc stays 0
                    a = get(ACC, g, lane)
                    put(ACC, g, lane, ref_sat(a + get(W, i * G + g, lane) * x, AB))
                    count(op)
                count(f"{f}_acc_wr")
        count("cycles", 0, 2 + 2)               # pipeline drain, phase start and finish
        if not out_layer:
            # hard-tanh (§7), one unit per cycle; the acc word is read at lane 0 of its group and
            # the dact word written after its last lane (§16)
            YMAX = 2 ** (layer.yb - 1) - 1
            count("cycles", 0, N + 2 + 2)
            for j in range(N):
                g, lane = divmod(j, P)
                if lane == 0:
                    count(f"{f}_acc_rd")
                t = get(ACC, g, lane) // 2 ** layer.act_shift
                count("tanh_op" if k == 1 else f"{f}_tanh")
                mem[f"{f}_act"][j] = min(max(t, -YMAX), YMAX)
                count(f"{f}_act_wr")
                put(mem[f"{f}_dact"], g, lane, 1 if -YMAX < t < YMAX else 0)
            if learn:
                # DRTP (§9, §15, §16): B row read once, u = −b_j·x_i; per input and group the dact
                # word decides: an active word (any bit 1) is read, its lanes with dact = 1 are
                # updated from their own lane LFSR, and it is written back; else no access at all
                blut = "b_lut" if k == 1 else f"b{k}_lut"
                brow = [2 * int(r) + 1 for r in mem[blut][label]]
                count(f"{blut}_rd", 1)
                count("cycles", 1)
                dact = mem[f"{f}_dact"]
                last_active = 0
                for i, x in layer_inputs(k, 1):
                    for g in range(G):
                        count("cycles", 1, 1 + (slot if g < G - 1 else 0))
                        lanes_on = [lane for lane in range(P) if g * P + lane < N and get(dact, g, lane) == 1]
                        if g == G - 1:
                            last_active = 1 if lanes_on else 0   # the pass ends with the bias row
                        if not lanes_on:
                            continue          # no access, no LFSR step
                        count(f"{f}_w_rd", 1)
                        for lane in lanes_on:
                            j = g * P + lane
                            r, lf = ref_round(-brow[j] * x, layer.lr_shift, mode, get(LF, lane, 0))
                            put(LF, lane, 0, lf)
                            if mode == STOCHASTIC:
                                count("lfsr_step", 1)
                            put(W, i * G + g, lane, ref_sat(get(W, i * G + g, lane) + r, WB))
                            count(f"{f}_upd", 1)
                        count(f"{f}_w_wr", 1)
                # drain: 2, one more when the pass's last word is written; start and finish
                count("cycles", 1, 2 + last_active + 2)
        else:
            # sigmoid and result (§8): argmax on the potentials, ties to the lowest index
            half = 2 ** (layer.lut_bits - 1)
            best = None
            count("cycles", 0, N + 3 + 2)
            for o in range(N):
                g, lane = divmod(o, P)
                if lane == 0:
                    count(f"{f}_acc_rd")
                a = get(ACC, g, lane)
                idx = min(max(a // 2 ** layer.sig_shift, -half), half - 1)
                mem[f"{f}_out"][o] = int(mem["sig_lut"][idx + half])
                count("sig_lut_rd")
                count(f"{f}_out_wr")
                if best is None or a > best:
                    pred, best = o, a
            if learn:
                # own error e_o = out[o] − (o == label ? ONE : 0), u = −e_o·x_i; every word of
                # the pass is read and written, its real lanes updated from their lane LFSRs
                ONE = 2 ** layer.ob - 1
                err = []
                for o in range(N):
                    err.append(int(mem[f"{f}_out"][o]) - (ONE if o == label else 0))
                    count(f"{f}_out_rd", 1)
                    count("cycles", 1)
                for i, x in layer_inputs(k, 1):
                    for g in range(G):
                        count("cycles", 1, 1 + (slot if g < G - 1 else 0))
                        count(f"{f}_w_rd", 1)
                        for lane in range(P):
                            o = g * P + lane
                            if o >= N:
                                continue
                            r, lf = ref_round(-err[o] * x, layer.lr_shift, mode, get(LF, lane, 0))
                            put(LF, lane, 0, lf)
                            if mode == STOCHASTIC:
                                count("lfsr_step", 1)
                            put(W, i * G + g, lane, ref_sat(get(W, i * G + g, lane) + r, WB))
                            count(f"{f}_upd", 1)
                        count(f"{f}_w_wr", 1)
                count("cycles", 1, 3 + 2)
    count("cycles")                           # DONE
    return pred, cnt


def run(cfg: Config, streams, labels, learn, mem):
    """Run samples in order on ``mem``; returns (preds, per-sample counters (n, 2, n_counters))."""
    preds, cnts = [], []
    for ev, lab in zip(streams, labels):
        pr, c = run_sample(cfg, [(int(a), int(b), int(ch)) for a, b, ch in ev], int(lab), learn, mem)
        preds.append(pr)
        cnts.append(c)
    n = len(counter_names(cfg.depth))
    return np.array(preds, np.int64), (np.array(cnts) if cnts else np.zeros((0, 2, n), np.int64))
