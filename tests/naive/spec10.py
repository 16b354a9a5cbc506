"""Spec §10 and §11 for one hidden layer, written again by hand from the spec (not from the layer
stack): the memories' words and widths, which counters read and write each memory, each
counter's width, and the ROM contents of spec §3 and §8 (B fields, initial weights, sigmoid LUT).
The tests compare the stack's general code (hwmodel.spec.layers, hwmodel.spec.counters,
hwmodel.spec.roms.layer_*) with these tables at K = 1."""
from __future__ import annotations

import math

import numpy as np

from hwmodel.engine.arith import sext
from hwmodel.spec.config import Config
from hwmodel.spec.ids import STREAM_B, STREAM_FC1, STREAM_FC2
from hwmodel.spec.roms import RomStream, _sigma, _uniform  # the draw rule and sigma of spec §3, §8

# spec §11, in its order
COUNTERS = (
    "events", "conv_kernel_rd", "conv_pot_rd", "conv_pot_wr", "conv_spk_rd", "conv_spk_wr",
    "conv_add", "conv_cmp", "fc1_w_rd", "fc1_w_wr", "fc1_acc_rd", "fc1_acc_wr", "fc1_add",
    "fc1_act_wr", "fc1_act_rd", "tanh_op", "b_lut_rd", "fc1_upd", "fc2_w_rd", "fc2_w_wr",
    "fc2_acc_rd", "fc2_acc_wr", "fc2_mac", "sig_lut_rd", "fc2_out_wr", "fc2_out_rd", "fc2_upd",
    "lfsr_step", "cycles",
)
IDX = {n: i for i, n in enumerate(COUNTERS)}

# memory name -> (read counter, write counter); the memories of spec §10
MEMORIES = {
    "conv_kernel": ("conv_kernel_rd", None), "conv_pot": ("conv_pot_rd", "conv_pot_wr"),
    "conv_spk": ("conv_spk_rd", "conv_spk_wr"), "fc1_w": ("fc1_w_rd", "fc1_w_wr"),
    "fc1_acc": ("fc1_acc_rd", "fc1_acc_wr"), "fc1_act": ("fc1_act_rd", "fc1_act_wr"),
    "b_lut": ("b_lut_rd", None), "fc2_w": ("fc2_w_rd", "fc2_w_wr"),
    "fc2_acc": ("fc2_acc_rd", "fc2_acc_wr"), "fc2_out": ("fc2_out_rd", "fc2_out_wr"),
    "sig_lut": ("sig_lut_rd", None),
}


def memory_sizes(cfg: Config) -> dict[str, dict[str, int]]:
    """{memory: {"words", "word_bits", "bits"}} of spec §10 (serial: one weight per word)."""
    o, q, k, n1, n2 = cfg.conv_out, cfg.spk_side, cfg.conv.kernel, cfg.fc1.neurons, cfg.fc2.neurons
    b, c = cfg.bits, cfg.conv.channels
    depths = {"conv_kernel": cfg.input.channels * k * k, "conv_pot": o * o, "conv_spk": q * q,
              "fc1_w": (cfg.n_in + 1) * n1, "fc1_acc": n1, "fc1_act": n1, "fc1_dact": n1,
              "b_lut": n2, "fc2_w": (n1 + 1) * n2, "fc2_acc": n2, "fc2_out": n2,
              "sig_lut": 1 << cfg.fc2.lut_bits, "lfsr_fc1": 1, "lfsr_fc2": 1}
    widths = {"conv_kernel": c * b["WC"], "conv_pot": c * b["PB"], "conv_spk": c, "fc1_w": b["W1B"],
              "fc1_acc": b["A1B"], "fc1_act": b["YB"], "fc1_dact": 1, "b_lut": n1 * b["BB"],
              "fc2_w": b["W2B"], "fc2_acc": b["A2B"], "fc2_out": b["OB"], "sig_lut": b["OB"],
              "lfsr_fc1": 32, "lfsr_fc2": 32}
    return {n: {"words": depths[n], "word_bits": widths[n], "bits": depths[n] * widths[n]} for n in depths}


def word_bits(cfg: Config) -> dict[str, int]:
    """Word or operand width of each counter of spec §11, in bits."""
    b, c, n1 = cfg.bits, cfg.conv.channels, cfg.fc1.neurons
    return {
        "events": 0, "conv_kernel_rd": c * b["WC"], "conv_pot_rd": c * b["PB"],
        "conv_pot_wr": c * b["PB"], "conv_spk_rd": c, "conv_spk_wr": c, "conv_add": b["PB"],
        "conv_cmp": b["PB"], "fc1_w_rd": b["W1B"], "fc1_w_wr": b["W1B"], "fc1_acc_rd": b["A1B"],
        "fc1_acc_wr": b["A1B"], "fc1_add": b["A1B"], "fc1_act_wr": b["YB"], "fc1_act_rd": b["YB"],
        "tanh_op": b["A1B"], "b_lut_rd": n1 * b["BB"], "fc1_upd": b["W1B"], "fc2_w_rd": b["W2B"],
        "fc2_w_wr": b["W2B"], "fc2_acc_rd": b["A2B"], "fc2_acc_wr": b["A2B"],
        "fc2_mac": b["W2B"] * b["YB"], "sig_lut_rd": b["OB"], "fc2_out_wr": b["OB"],
        "fc2_out_rd": b["OB"], "fc2_upd": b["W2B"], "lfsr_step": 32, "cycles": 0,
    }


# ---- spec §3 and §8 contents for one hidden layer (the package's roms.layer_* for any depth) ----

def b_fields(cfg: Config) -> np.ndarray:
    """Stored B fields r, shape (N2, N1), from stream 2; the B values are 2*r + 1."""
    raw = RomStream(cfg.seed, STREAM_B).draws(cfg.fc2.neurons * cfg.fc1.neurons)
    bb = cfg.bits["BB"]
    return np.array([sext.py_func(int(r), bb) for r in raw], np.int64).reshape(cfg.fc2.neurons, cfg.fc1.neurons)


def fc1_init(cfg: Config) -> np.ndarray:
    """Initial FC1 weights, shape (N_IN + 1, N1), from stream 3: row i, column j = address i*N1 + j."""
    return _uniform(RomStream(cfg.seed, STREAM_FC1), cfg.fc1.init_bound, (cfg.n_in + 1, cfg.fc1.neurons))


def fc2_init(cfg: Config) -> np.ndarray:
    """Initial FC2 weights, shape (N1 + 1, N2), from stream 4: row j, column o = address j*N2 + o."""
    return _uniform(RomStream(cfg.seed, STREAM_FC2), cfg.fc2.init_bound, (cfg.fc1.neurons + 1, cfg.fc2.neurons))


def sigmoid_lut(cfg: Config) -> np.ndarray:
    """sig_lut[k] = min(ONE, floor(ONE * sigma((k - 2^(L-1)) / 2^LF) + 1/2))."""
    L, LF, one = cfg.fc2.lut_bits, cfg.fc2.lut_frac, cfg.one
    half = 1 << (L - 1)
    return np.array([min(one, math.floor(one * _sigma((k - half) / (1 << LF)) + 0.5)) for k in range(1 << L)],
                    np.int64)
