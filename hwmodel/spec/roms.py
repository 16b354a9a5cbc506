"""On-chip random contents and ROMs, generated exactly as docs/spec.md §3 and §8 define.

These functions produce the conv kernels, the DRTP B LUT, the initial FC weights and the sigmoid
LUT. The RTL flow loads the same arrays (``hwmodel.hw.rtlgen`` writes them as memory files).
"""
from __future__ import annotations

import math

import numpy as np

from numba import njit

from hwmodel.engine.arith import MASK32, lfsr_step, sext
from hwmodel.spec.config import Config

from hwmodel.spec.ids import STREAM_CONV, STREAM_FC2, STREAM_LFSR2, hidden_streams


def stream_seed(seed: int, k: int) -> int:
    """seed_k = (SEED * 0x9E3779B1 + k * 0x7F4A7C15) mod 2^32, 0 replaced by 1."""
    s = (seed * 0x9E3779B1 + k * 0x7F4A7C15) & MASK32
    return s or 1


@njit(cache=True)
def _draws(state, n):
    out = np.empty(n, np.int64)
    for i in range(n):
        for _ in range(32):
            state = lfsr_step(state)
        out[i] = state
    return out, state


class RomStream:
    """ROM draws: each draw advances the LFSR 32 times and returns the state."""

    def __init__(self, seed: int, k: int):
        self.state = stream_seed(seed, k)

    def draws(self, n: int) -> np.ndarray:
        out, self.state = _draws(np.int64(self.state), n)
        return out


def conv_kernels(cfg: Config) -> np.ndarray:
    """Kernels, shape (C, CIN, K, K), int64; the most negative code is mapped to 0."""
    c, k, cin, wc = cfg.conv.channels, cfg.conv.kernel, cfg.input.channels, cfg.bits["WC"]
    if cfg.conv.init == "identity":  # pass-through: kernel c reads only input channel c, weight max
        v = np.zeros((c, cin, k, k), np.int64)
        for ch in range(c):
            v[ch, ch, :, :] = (1 << (wc - 1)) - 1
        return v
    raw = RomStream(cfg.seed, STREAM_CONV).draws(c * cin * k * k)
    v = np.array([sext.py_func(int(r), wc) for r in raw], np.int64)
    v[v == -(1 << (wc - 1))] = 0
    return v.reshape(c, cin, k, k)


def _uniform(rs: RomStream, bound: int, shape: tuple[int, int]) -> np.ndarray:
    if bound == 0:
        return np.zeros(shape, np.int64)
    return (rs.draws(shape[0] * shape[1]) % (2 * bound + 1) - bound).reshape(shape)


def _sigma(u: float) -> float:
    """σ(u) = 1/(1+e^(−u)) in IEEE double precision, as spec §8 defines it: where e^(−u)
    overflows (u < −709.78) the IEEE result is 1/(1+inf) = 0, which math.exp would raise on."""
    try:
        return 1.0 / (1.0 + math.exp(-u))
    except OverflowError:
        return 0.0


# ---- the layer stack (spec §15): per-layer contents, any depth -------------------------------
# The first hidden layer keeps streams 2 (B), 3 (initial weights) and 5 (LFSR), the output layer
# 4 (initial weights) and 6 (LFSR) whatever the depth; hidden layer h >= 2 uses 16 + 4h (B),
# 17 + 4h (initial weights) and 18 + 4h (LFSR) (``hwmodel.spec.ids.hidden_streams``, the one table
# the RTL includes too). For one hidden layer these functions give exactly the contents spec §3 and
# §8 write for it (tests/naive/spec10.py writes them again and the tests compare).

def layer_streams(cfg: Config, k: int) -> tuple[int | None, int, int]:
    """(B or None, initial weights, LFSR) stream numbers of FC layer k = 1..K+1; the output layer
    (k = K+1) has no B."""
    if not 1 <= k <= cfg.depth + 1:
        raise ValueError(f"layer {k}: the stack has layers 1..{cfg.depth + 1}")
    if k == cfg.depth + 1:
        return None, STREAM_FC2, STREAM_LFSR2
    return hidden_streams(k)


def layer_init(cfg: Config, k: int) -> np.ndarray:
    """Initial weights of FC layer k = 1..K+1, shape (N_{k-1} + 1, N_k): row i, column j =
    address i*N_k + j, the bias row last; w = (draw() mod (2*IB_k + 1)) - IB_k."""
    _, stream, _ = layer_streams(cfg, k)
    layer = cfg.output if k == cfg.depth + 1 else cfg.hidden[k - 1]
    nin, _ = cfg.layer_inputs(k)
    return _uniform(RomStream(cfg.seed, stream), layer.init_bound, (nin + 1, layer.neurons))


def layer_b_fields(cfg: Config, h: int) -> np.ndarray:
    """Stored B fields r of hidden layer h = 1..K, shape (N_out, N_h); the B values are 2*r + 1."""
    if not 1 <= h <= cfg.depth:
        raise ValueError(f"hidden layer {h}: the stack has hidden layers 1..{cfg.depth}")
    stream, _, _ = hidden_streams(h)
    layer, n_out = cfg.hidden[h - 1], cfg.output.neurons
    raw = RomStream(cfg.seed, stream).draws(n_out * layer.neurons)
    v = np.array([sext.py_func(int(r), layer.bb) for r in raw], np.int64)
    return v.reshape(n_out, layer.neurons)


def layer_lfsr_seeds(cfg: Config) -> list[int]:
    """Reset values of the rounding LFSRs lfsr_fc1 .. lfsr_fc{K+1}, in layer order."""
    return [stream_seed(cfg.seed, layer_streams(cfg, k)[2]) for k in range(1, cfg.depth + 2)]


def lane_seeds(s0: int, lanes: int) -> list[int]:
    """Start states of a layer's lane LFSRs (spec §16): lane 0 is ``s0`` (the layer's seed, or a
    start the host loads), lane l >= 1 is (s0 * 0x9E3779B1 + l * 0x7F4A7C15) mod 2^32, 0 -> 1."""
    return [int(s0)] + [stream_seed(int(s0), lane) for lane in range(1, lanes)]


def lfsr_reset(cfg: Config, starts: list[int] | tuple[int, ...] | None = None) -> list[int]:
    """Every lane LFSR of every FC layer at reset, layer by layer (lane 0 first): the ``lfsr``
    state array. ``starts``: lane-0 starts per layer (default the seeds of spec §3 / §15)."""
    s0 = layer_lfsr_seeds(cfg) if starts is None else [int(v) for v in starts]
    lanes = [h.lanes for h in cfg.hidden] + [cfg.output.lanes]
    if len(s0) != len(lanes):
        raise ValueError(f"{len(s0)} LFSR starts for {len(lanes)} FC layers")
    return [v for s, p in zip(s0, lanes) for v in lane_seeds(s, p)]


def output_sigmoid_lut(cfg: Config) -> np.ndarray:
    """sig_lut[k] = min(ONE, floor(ONE * sigma((k - 2^(L-1)) / 2^LF) + 1/2)) of the output layer."""
    out = cfg.output
    L, LF, one = out.lut_bits, out.lut_frac, out.one
    half = 1 << (L - 1)
    vals = [min(one, math.floor(one * _sigma((k - half) / (1 << LF)) + 0.5)) for k in range(1 << L)]
    return np.array(vals, dtype=np.int64)
