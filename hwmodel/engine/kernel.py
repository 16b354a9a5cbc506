"""One sample after another through the layer stack (docs/spec.md §15): the phase loop of the
chip and the processor that owns its state. RTL twin: rtl/controller.v (CLEAR, EVENTS, then for
every FC layer k = 1..K+1: FWD, ACT, [UPD]; DONE), with the phases in ``hwmodel.engine.conv``
(rtl/conv_core.v, aer_in.v) and ``hwmodel.engine.fc`` (rtl/fc_layer.v and its units).

Nothing in the state is numbered by hand: the FC layers share flat buffers, and the layer table
(``hwmodel.engine.layout``: one row per layer k-1, columns ``L_*``) holds each layer's sizes,
precisions, offsets into the buffers and the indices of its counters. ``naive.reference``
(tests/naive) is the plainly written version of the same spec these kernels are tested against
(any K and lanes; tests/engine/test_stack.py, test_kernels_vs_reference.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numba import njit

from hwmodel.data.encode import csr_take
from hwmodel.engine.conv import conv_events, count_events, event_phase, front_end, scan_spikes
from hwmodel.engine.fc import drtp_update, forward, hidden_activation, output_activation, output_update
from hwmodel.engine.layout import (C_PWR, C_SWR, G_C, G_K, G_LUTB, G_MODE, G_NCNT, G_NIN, G_O, G_ONE, G_PAD,
                                   G_PB, G_POOL, G_Q, G_S, G_SS, G_THETA,
                                   L_AOFF, L_BOFF, L_C_AWR, L_FROZEN, L_G, L_LOFF, L_N, L_NIN, L_P, L_SLOT,
                                   L_WOFF, L_XOFF, L_YOFF, build_state, global_params, lanes_view,
                                   layer_table)
from hwmodel.spec.config import Config
from hwmodel.spec.counters import counter_names


@njit(cache=True, nogil=True)
def run_stack(g, lay, events, labels, learn, state, preds, cnt, cnt_ps, front, order):
    """Run len(labels) samples; sample n owns events offsets[n]:offsets[n+1] of
    ``events = (x, y, c, offsets)``; ``state`` is the tuple of ``STATE_ARRAYS``. ``order`` (one
    entry per label, or empty): the n-th sample run is sample order[n] of ``events`` and
    ``front`` (labels[n] its label), instead of sample n: a pass in another order without
    copying the events.

    preds[n] receives the predicted class; cnt (2, n_counters) accumulates the counters and,
    when cnt_ps has len(labels) rows, cnt_ps[n] receives sample n's own counters.

    ``front`` = (indices, offsets, positions, spike words) of ``conv.front_end`` for these
    samples (offsets of len(labels) + 1 entries), or empty arrays: the event phase is then not
    run again; its counters and cycles come from the cache, and the conv maps are computed for
    the last sample only (the state a run leaves is the same either way).
    """
    ex, ey, ec, offsets = events
    fidx, foff, fpos, fsw = front
    ordered = order.shape[0] == labels.shape[0]
    cached = foff.shape[0] == (offsets.shape[0] if ordered else labels.shape[0] + 1)
    kern, pot, spk, w, acc, act, dact, bf, out, lut, lfsr = state
    C, O, Q, NIN = g[G_C], g[G_O], g[G_Q], g[G_NIN]
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
        last = n == labels.shape[0] - 1
        s = order[n] if ordered else n
        if not cached or last:
            pot[:, :] = 0
            spk[:, :] = 0
        acc[:] = 0
        c[0, C_PWR] += O * O
        c[0, C_SWR] += Q * Q
        for k in range(NL):
            c[0, lay[k, L_C_AWR]] += lay[k, L_G]
        # cycles (spec §16): every phase of the controller costs its engine's cycles + 2, the
        # clear runs in every block at once, each event 1 + 2 per position, end-of-sample 1,
        # DONE 1; input-starved cycles of the event phase are not counted
        c[0, CY] += max(O * O, gmax) + 2 + 1 + 1
        # the active inputs of layer 1 (spec §7 scan, the bias last); each scan of the spike map
        # by a layer is counted where it happens
        if cached:
            f0, f1 = foff[s], foff[s + 1]
            na = f1 - f0
            active[:na] = fidx[f0:f1]
            active[na] = NIN
            na += 1
            count_events(c, CY, C, offsets[s + 1] - offsets[s], fpos[s], fsw[s])
            if last:   # the conv maps of the last sample, as the run without the cache leaves them
                conv_events(ex, ey, ec, offsets[s], offsets[s + 1], kern, pot, spk, C, g[G_K], g[G_S], g[G_PAD],
                            g[G_O], g[G_POOL], Q, g[G_PB], g[G_THETA])
        else:
            event_phase(g, ex, ey, ec, offsets[s], offsets[s + 1], kern, pot, spk, c, CY)
            na = scan_spikes(spk, active, Q, C, NIN)
        for k in range(NL):
            row = lay[k]
            NI, N, G = row[L_NIN], row[L_N], row[L_G]
            ni = na if k == 0 else NI + 1  # inputs processed, the bias included
            # one pass over the inputs: layer 1 scans Q*Q words (1 read + C bit tests + 1), then
            # G cycles (one per group of P lanes) per active input; dense: 1 read + G per input
            npass = Q * Q * (C + 2) + ni * G if k == 0 else ni * (G + 1)
            slots = row[L_SLOT] * ni * (G - 1)  # 1rw single bank: write slots of an update pass
            c[0, CY] += (npass + 2 + 2) + (N + 2 + 2) + (1 if k == NL - 1 else 0)
            # this layer's memories as views: weights (inputs + 1, units), accumulators, inputs
            w0, a0, x0 = row[L_WOFF], row[L_AOFF], row[L_XOFF]
            wk = w[w0:w0 + (NI + 1) * N].reshape((NI + 1, N))
            ak = acc[a0:a0 + N]
            xk = act[max(x0, 0):max(x0, 0) + (NI if k > 0 else 0)]
            forward(k, row, wk, ak, xk, active, na, ni, c, Q)
            if k < NL - 1:
                y0 = row[L_YOFF]
                dk = dact[y0:y0 + N]
                hidden_activation(row, ak, act[y0:y0 + N], dk)
                if learn and not row[L_FROZEN]:
                    bk = bf[row[L_BOFF] + label * N:row[L_BOFF] + (label + 1) * N]
                    drtp_update(k, row, wk, xk, bk, dk, active, na, ni, lfsr, jl, ub, lq, MODE, c, Q, LF, CY,
                                npass, slots)
            else:
                preds[n] = output_activation(row, ak, out, lut, half, SS)
                if learn and not row[L_FROZEN]:
                    output_update(k, row, wk, xk, active, na, ni, out, err, label, ONE, lfsr, lq, MODE, c, Q,
                                  LF, CY, npass, slots)
        cnt += c
        if record:
            cnt_ps[n] = c


# the state arrays in the order run_stack unpacks them
STATE_ARRAYS = ("kern", "pot", "spk", "w", "acc", "act", "dact", "bf", "out", "lut", "lfsr")


@dataclass
class RunResult:
    preds: np.ndarray
    counters: np.ndarray  # (2, n_counters) summed over the run
    per_sample: np.ndarray | None = None  # (n, 2, n_counters) when recorded
    traces: list[dict[str, np.ndarray]] = field(default_factory=list)  # per sample, when recorded

    def accuracy(self, labels: np.ndarray) -> float:
        return float(np.mean(self.preds == np.asarray(labels))) if len(labels) else float("nan")


@dataclass
class FrontEnd:
    """The conv front end of a batch computed once (``StackProcessor.front_end``): per sample its
    active inputs of layer 1 (CSR ``idx``/``off``, bias excluded), positions visited and new spike
    words written, and the conv kernels and geometry it was computed with. ``run(..., front=)``
    then skips the event phase: the same predictions, weights, LFSRs, counters and cycles, and the
    same state left behind, as computing it again (tests/engine/test_front_end.py)."""
    idx: np.ndarray
    off: np.ndarray
    npos: np.ndarray
    nsw: np.ndarray
    kern: np.ndarray
    conv: tuple

    def __len__(self) -> int:
        return len(self.off) - 1

    def subset(self, order: np.ndarray) -> "FrontEnd":
        """The samples ``order`` (in that order), as ``EventBatch.subset``."""
        order = np.asarray(order, np.int64)
        rows, off = csr_take(self.off, order)
        return FrontEnd(self.idx[rows], off, self.npos[order], self.nsw[order], self.kern, self.conv)

    def arrays(self) -> tuple:
        return self.idx, self.off, self.npos, self.nsw


NO_FRONT = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64))
NO_ORDER = np.zeros(0, np.int64)   # run_stack: the samples in their own order


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
        """Host-side experiment: the hidden layers keep their weights (``on``), or learn as the
        config says (a layer with ``learn = false`` never learns)."""
        for r, h in enumerate(self.cfg.hidden):
            self.lay[r, L_FROZEN] = 1 if on or not h.learn else 0

    def copy(self) -> "StackProcessor":
        p = StackProcessor(self.cfg, {k: v.copy() for k, v in self.st.items()})
        p.counters = self.counters.copy()
        p.lay = self.lay.copy()
        return p

    def zeros(self) -> np.ndarray:
        return np.zeros((2, len(self.names)), np.int64)

    # ---- running --------------------------------------------------------------------------
    def _conv_key(self) -> tuple:
        """What a front end depends on besides the kernels: the conv geometry and layer 1's inputs."""
        g = self.g
        return tuple(int(g[i]) for i in (G_C, G_K, G_S, G_PAD, G_O, G_POOL, G_Q, G_PB, G_THETA, G_NIN))

    def front_end(self, batch) -> FrontEnd:
        """The conv front end of ``batch`` under this chip's kernels, for ``run(..., front=)``."""
        kern = self.st["kern"]
        return FrontEnd(*front_end(self.g, batch.x, batch.y, batch.c, batch.offsets, kern), kern.copy(),
                        self._conv_key())

    def _front_arrays(self, front: FrontEnd | None, n: int) -> tuple:
        if front is None:
            return NO_FRONT
        if len(front) != n:
            raise ValueError(f"front end of {len(front)} samples for {n} samples")
        if front.conv != self._conv_key() or not np.array_equal(front.kern, self.st["kern"]):
            raise ValueError("front end computed with other conv kernels or geometry than this chip's")
        return front.arrays()

    def run(self, batch, labels: np.ndarray | None = None, *, learn: bool = False,
            record: bool = False, front: FrontEnd | None = None,
            order: np.ndarray | None = None) -> RunResult:
        """Process every sample of ``batch`` (an ``EventBatch``) in order; labels are required
        when learning. ``record``: one kernel call per sample, per-sample counters and traces.
        ``front``: the batch's ``front_end`` (same samples, same order), computed once for
        several passes; the results are the same. ``order``: process the samples order[0],
        order[1], ... of ``batch`` instead (``labels`` and ``front`` are the whole batch's):
        the same as ``run(batch.subset(order), labels[order], front=front.subset(order))``,
        without copying the events (results in the order processed)."""
        if order is not None:
            order = np.asarray(order)
            if order.ndim != 1 or not np.issubdtype(order.dtype, np.integer):
                raise ValueError("the order must be a 1-D array of sample indices")
            if len(order) and (order.min() < 0 or order.max() >= len(batch)):
                raise ValueError(f"the order names samples outside 0..{len(batch) - 1}")
            order = order.astype(np.int64)
            if labels is not None:
                labels = np.asarray(labels, np.int64)
                if labels.shape != (len(batch),):
                    raise ValueError(f"{len(labels)} labels for {len(batch)} samples")
                labels = labels[order]
            if record:
                batch = batch.subset(order)
                front = None if front is None else front.subset(order)
                order = None
        fa = self._front_arrays(front, len(batch))
        n = len(batch) if order is None else len(order)
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
            self._kernel(batch, labels, learn, preds, cnt, np.zeros((0,) + cnt.shape, np.int64), fa,
                         NO_ORDER if order is None else order)
            self.counters += cnt
            return RunResult(preds, cnt)
        ps = np.zeros((n,) + cnt.shape, np.int64)
        traces = []
        for k in range(n):
            one = batch.subset(np.array([k]))
            f1 = NO_FRONT if front is None else front.subset(np.array([k])).arrays()
            self._kernel(one, labels[k:k + 1], learn, preds[k:k + 1], cnt, ps[k:k + 1], f1)
            traces.append(self.memories())
        self.counters += cnt
        return RunResult(preds, cnt, ps, traces)

    def _kernel(self, batch, labels, learn, preds, cnt, ps, front=NO_FRONT, order=None) -> None:
        run_stack(self.g, self.lay, (batch.x, batch.y, batch.c, batch.offsets), labels, bool(learn),
                  tuple(self.st[k] for k in STATE_ARRAYS), preds, cnt, ps, front,
                  NO_ORDER if order is None else order)

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
                if self.cfg.hidden[r].learn:     # a layer that does not learn has none of these
                    m[f"fc{k}_dact"] = lanes_view(s["dact"][y0:y0 + n], p)
                    m["b_lut" if k == 1 else f"b{k}_lut"] = s["bf"][b0:b0 + self.cfg.output.neurons * n].reshape(-1, n)
            else:
                m[f"fc{k}_out"] = s["out"]
                m["sig_lut"] = s["lut"]
        layers = list(self.cfg.hidden) + [self.cfg.output]
        for r in range(nl):
            l0, p = int(self.lay[r, L_LOFF]), int(self.lay[r, L_P])
            if layers[r].learn:
                m[f"lfsr_fc{r + 1}"] = s["lfsr"][l0:l0 + p]
        return {k: v.astype(np.int64) for k, v in m.items()}  # astype copies

    def counter_dict(self, counts: np.ndarray | None = None) -> dict[str, dict[str, int]]:
        """{phase: {counter: value}} of ``counts`` (default: the counters so far)."""
        c = self.counters if counts is None else counts
        return {ph: {nm: int(c[p, i]) for i, nm in enumerate(self.names)}
                for p, ph in enumerate(("inference", "learning"))}
