"""The conv front end (docs/spec.md §4, §6): events scattered into the potentials, spikes, and the
active inputs of layer 1. RTL twins: rtl/aer_in.v (the event port), rtl/conv_core.v (the scatter).
"""
from __future__ import annotations

import numpy as np
from numba import njit

from hwmodel.engine.arith import sat
from hwmodel.engine.layout import (C_CADD, C_CCMP, C_EV, C_KRD, C_PRD, C_PWR, C_SRD, C_SWR, G_C, G_K, G_O,
                                   G_PAD, G_PB, G_POOL, G_Q, G_S, G_THETA)


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


@njit(cache=True, nogil=True, inline="always")
def event_phase(g, ex, ey, ec, e0, e1, kern, pot, spk, c, CY):
    """The event phase of one sample: scatter, its counters and cycles (each event 1 + 2 per
    position; input-starved cycles are not counted)."""
    npos, nsw = conv_events(ex, ey, ec, e0, e1, kern, pot, spk, g[G_C], g[G_K], g[G_S], g[G_PAD], g[G_O],
                            g[G_POOL], g[G_Q], g[G_PB], g[G_THETA])
    count_events(c, CY, g[G_C], e1 - e0, npos, nsw)


@njit(cache=True, nogil=True, inline="always")
def count_events(c, CY, C, nev, npos, nsw):
    """The counters and cycles of an event phase of ``nev`` events that visited ``npos``
    positions and wrote ``nsw`` new spike words."""
    c[0, C_SWR] += nsw
    c[0, C_EV] += nev
    c[0, CY] += nev + 2 * npos
    c[0, C_KRD] += npos
    c[0, C_PRD] += npos
    c[0, C_PWR] += npos
    c[0, C_SRD] += npos
    c[0, C_CADD] += C * npos
    c[0, C_CCMP] += C * npos


@njit(cache=True, nogil=True, inline="always")
def scan_spikes(spk, active, Q, C, NIN):
    """The active inputs of layer 1 in the scan order of spec §7, the bias (input NIN) last;
    returns how many (the bias included)."""
    na = 0
    for a in range(Q * Q):
        for co in range(C):
            if spk[a, co]:
                active[na] = a * C + co
                na += 1
    active[na] = NIN
    return na + 1


@njit(cache=True, nogil=True)
def front_end(g, ex, ey, ec, offsets, kern):
    """The conv front end of every sample, once: its active inputs of layer 1 (spec §7 scan
    order, bias excluded) as CSR (indices, offsets), and per sample the positions visited and the
    new spike words written (what ``count_events`` needs). The conv front end does not learn, so
    this is what every pass over the same samples computes again."""
    C, K, S, PAD, O = g[G_C], g[G_K], g[G_S], g[G_PAD], g[G_O]
    POOL, Q, PB, THETA = g[G_POOL], g[G_Q], g[G_PB], g[G_THETA]
    n = offsets.shape[0] - 1
    pot = np.zeros((O * O, C), np.int32)
    spk = np.zeros((Q * Q, C), np.uint8)
    out_off = np.zeros(n + 1, np.int64)
    npos = np.zeros(n, np.int64)
    nsw = np.zeros(n, np.int64)
    idx = np.empty(n * Q * Q * C, np.int64)
    k = 0
    for s in range(n):
        pot[:, :] = 0
        spk[:, :] = 0
        npos[s], nsw[s] = conv_events(ex, ey, ec, offsets[s], offsets[s + 1], kern, pot, spk, C, K, S, PAD, O,
                                      POOL, Q, PB, THETA)
        for a in range(Q * Q):
            for co in range(C):
                if spk[a, co]:
                    idx[k] = a * C + co
                    k += 1
        out_off[s + 1] = k
    return idx[:k].copy(), out_off, npos, nsw


def spike_inputs(g, ex, ey, ec, offsets, kern):
    """The active inputs of layer 1 for every sample (spec §7 scan order, bias excluded), as CSR
    (indices, offsets): what the float references and the baselines see."""
    idx, off, _, _ = front_end(g, ex, ey, ec, offsets, kern)
    return idx, off
