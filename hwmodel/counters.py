"""Access and operation counters (docs/spec.md §11), named identically in the model and the RTL.

Counters are an int64 array of shape (2, N_COUNTERS): row 0 the inference phases, row 1 the
learning phases. ``word_bits`` gives each counter's word (or operand) width for a configuration,
which is what the estimators multiply by per-access energies.
"""
from __future__ import annotations

import numpy as np

from .config import Config

COUNTERS = (
    "events", "conv_kernel_rd", "conv_pot_rd", "conv_pot_wr", "conv_spk_rd", "conv_spk_wr",
    "conv_add", "conv_cmp", "fc1_w_rd", "fc1_w_wr", "fc1_acc_rd", "fc1_acc_wr", "fc1_add",
    "fc1_act_wr", "fc1_act_rd", "tanh_op", "b_lut_rd", "fc1_upd", "fc2_w_rd", "fc2_w_wr",
    "fc2_acc_rd", "fc2_acc_wr", "fc2_mac", "sig_lut_rd", "fc2_out_wr", "fc2_out_rd", "fc2_upd",
    "lfsr_step", "cycles",
)
IDX = {n: i for i, n in enumerate(COUNTERS)}
N_COUNTERS = len(COUNTERS)
PHASES = ("inference", "learning")

# memory name -> (read counter, write counter); these are the memories of spec §10
MEMORIES = {
    "conv_kernel": ("conv_kernel_rd", None), "conv_pot": ("conv_pot_rd", "conv_pot_wr"),
    "conv_spk": ("conv_spk_rd", "conv_spk_wr"), "fc1_w": ("fc1_w_rd", "fc1_w_wr"),
    "fc1_acc": ("fc1_acc_rd", "fc1_acc_wr"), "fc1_act": ("fc1_act_rd", "fc1_act_wr"),
    "b_lut": ("b_lut_rd", None), "fc2_w": ("fc2_w_rd", "fc2_w_wr"),
    "fc2_acc": ("fc2_acc_rd", "fc2_acc_wr"), "fc2_out": ("fc2_out_rd", "fc2_out_wr"),
    "sig_lut": ("sig_lut_rd", None),
}


def memory_depths(cfg: Config) -> dict[str, int]:
    """Words of every memory and register of spec §10 (``pred`` excluded)."""
    o, q, k, n1, n2 = cfg.conv_out, cfg.spk_side, cfg.conv.kernel, cfg.fc1.neurons, cfg.fc2.neurons
    return {"conv_kernel": cfg.input.channels * k * k, "conv_pot": o * o, "conv_spk": q * q,
            "fc1_w": (cfg.n_in + 1) * n1, "fc1_acc": n1, "fc1_act": n1, "fc1_dact": n1,
            "b_lut": n2, "fc2_w": (n1 + 1) * n2, "fc2_acc": n2, "fc2_out": n2,
            "sig_lut": 1 << cfg.fc2.lut_bits, "lfsr_fc1": 1, "lfsr_fc2": 1}


def memory_word_bits(cfg: Config) -> dict[str, int]:
    """Word width in bits of every memory and register of spec §10 (``pred`` excluded)."""
    b, c, n1 = cfg.bits, cfg.conv.channels, cfg.fc1.neurons
    return {"conv_kernel": c * b["WC"], "conv_pot": c * b["PB"], "conv_spk": c, "fc1_w": b["W1B"],
            "fc1_acc": b["A1B"], "fc1_act": b["YB"], "fc1_dact": 1, "b_lut": n1 * b["BB"],
            "fc2_w": b["W2B"], "fc2_acc": b["A2B"], "fc2_out": b["OB"], "sig_lut": b["OB"],
            "lfsr_fc1": 32, "lfsr_fc2": 32}


def memory_sizes(cfg: Config) -> dict[str, dict[str, int]]:
    """{memory: {"words", "word_bits", "bits"}} for every memory and register of spec §10."""
    depths, widths = memory_depths(cfg), memory_word_bits(cfg)
    return {n: {"words": depths[n], "word_bits": widths[n], "bits": depths[n] * widths[n]} for n in depths}


def zeros() -> np.ndarray:
    return np.zeros((2, N_COUNTERS), np.int64)


def word_bits(cfg: Config) -> dict[str, int]:
    """Word or operand width of each counter, in bits (spec §11)."""
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


def as_dict(counts: np.ndarray) -> dict[str, dict[str, int]]:
    """{phase: {counter: value}} from a (2, N_COUNTERS) array."""
    return {ph: {n: int(counts[p, i]) for i, n in enumerate(COUNTERS)} for p, ph in enumerate(PHASES)}


def frame_baseline(cfg: Config) -> dict[str, float]:
    """A frame-based computation of the same conv layer, per sample, for comparison with the
    event-driven counters (docs/events.md "What events save"): every output position reads its
    K*K*CIN input pixels and kernel words (C-wide, as conv_kernel) and computes C*K*K*CIN
    multiply-accumulates, then writes its C-wide potential word once and its spike word once."""
    o, k, cin, c = cfg.conv_out, cfg.conv.kernel, cfg.input.channels, cfg.conv.channels
    pos = o * o
    return {"conv_ops": float(pos * k * k * cin * c),
            "mem_accesses": float(pos * (2 * k * k * cin + 2))}


# ---- the layer stack (spec §15): counter names at any depth -------------------------------------
CONV_COUNTERS = COUNTERS[:8]  # the conv front end's counters, first at every depth


def hidden_counter_names(k: int) -> tuple[str, ...]:
    """Counters of hidden layer k = 1..K, in their fixed order (for k = 1 those of spec §11)."""
    f = f"fc{k}"
    return (f"{f}_w_rd", f"{f}_w_wr", f"{f}_acc_rd", f"{f}_acc_wr", f"{f}_add" if k == 1 else f"{f}_mac",
            f"{f}_act_wr", f"{f}_act_rd", "tanh_op" if k == 1 else f"{f}_tanh",
            "b_lut_rd" if k == 1 else f"b{k}_lut_rd", f"{f}_upd")


def output_counter_names(k: int) -> tuple[str, ...]:
    """Counters of the output layer when it is layer k = K+1 (k = 1: it reads the conv spikes)."""
    f = f"fc{k}"
    return (f"{f}_w_rd", f"{f}_w_wr", f"{f}_acc_rd", f"{f}_acc_wr", f"{f}_add" if k == 1 else f"{f}_mac",
            "sig_lut_rd", f"{f}_out_wr", f"{f}_out_rd", f"{f}_upd")


def counter_names(layers: "int | Config") -> tuple[str, ...]:
    """Counter names of a stack with K hidden layers (``layers``: K, or a Config), in a fixed
    order: the conv counters, each hidden layer's, the output layer's, then ``lfsr_step`` and
    ``cycles`` (spec §15, §16). For K = 1 this is ``COUNTERS``, in the same order."""
    depth = layers.depth if isinstance(layers, Config) else int(layers)
    if depth < 0:
        raise ValueError(f"a stack has K >= 0 hidden layers, got {depth}")
    names = list(CONV_COUNTERS)
    for k in range(1, depth + 1):
        names += hidden_counter_names(k)
    names += output_counter_names(depth + 1)
    names += ["lfsr_step", "cycles"]
    return tuple(names)
