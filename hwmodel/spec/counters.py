"""Access and operation counters (docs/spec.md §11, §15), named identically in the model and the RTL.

Counters are an int64 array of shape (2, len(counter_names(cfg))): row 0 the inference phases,
row 1 the learning phases; the columns are named by ``counter_names`` at every depth, and every
command line, JSON object and test reads them by name (``counter_index``, ``named``).
``counter_word_bits`` gives each counter's word (or operand) width, which is what the
estimators multiply by per-access energies.
"""
from __future__ import annotations

import numpy as np

from hwmodel.spec.config import Config
from hwmodel.spec.layers import b_name

PHASES = ("inference", "learning")
# the conv front end's counters, first at every depth
CONV_COUNTERS = ("events", "conv_kernel_rd", "conv_pot_rd", "conv_pot_wr", "conv_spk_rd", "conv_spk_wr",
                 "conv_add", "conv_cmp")


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
    ``cycles`` (spec §15, §16). For K = 1 these are the names of spec §11, in its order."""
    depth = layers.depth if isinstance(layers, Config) else int(layers)
    if depth < 0:
        raise ValueError(f"a stack has K >= 0 hidden layers, got {depth}")
    names = list(CONV_COUNTERS)
    for k in range(1, depth + 1):
        names += hidden_counter_names(k)
    names += output_counter_names(depth + 1)
    names += ["lfsr_step", "cycles"]
    return tuple(names)


def counter_index(layers: "int | Config") -> dict[str, int]:
    """{counter name: column} of a stack with K hidden layers (``layers``: K, or a Config)."""
    return {n: i for i, n in enumerate(counter_names(layers))}


def zeros(layers: "int | Config") -> np.ndarray:
    return np.zeros((2, len(counter_names(layers))), np.int64)


def named(layers: "int | Config", counts: np.ndarray) -> dict[str, dict[str, float]]:
    """{phase: {counter: value}} from a (2, N) array of the stack's counters (ints stay ints)."""
    names = counter_names(layers)
    if counts.shape != (2, len(names)):
        raise ValueError(f"counters of shape {counts.shape}, expected (2, {len(names)}) for this stack")
    conv = int if np.issubdtype(counts.dtype, np.integer) else float
    return {ph: {n: conv(counts[p, i]) for i, n in enumerate(names)} for p, ph in enumerate(PHASES)}


def counter_word_bits(cfg: Config) -> dict[str, int]:
    """Word or operand width of each counter of ``cfg``'s stack, in bits (spec §11, §15): a
    weight, accumulator or activation access counts one value (not a word of lanes); a
    multiply-accumulate is weight bits x input bits; a B LUT read is one row (neurons x entry
    bits); ``events`` and ``cycles`` have no width."""
    b, c = cfg.bits, cfg.conv.channels
    out = {"events": 0, "conv_kernel_rd": c * b["WC"], "conv_pot_rd": c * b["PB"], "conv_pot_wr": c * b["PB"],
           "conv_spk_rd": c, "conv_spk_wr": c, "conv_add": b["PB"], "conv_cmp": b["PB"]}
    in_bits = 1                                  # layer 1 reads the binary conv spikes
    for n, h in enumerate(cfg.hidden):
        k = n + 1
        names = hidden_counter_names(k)
        widths = (h.wb, h.wb, h.ab, h.ab, h.ab if k == 1 else h.wb * in_bits, h.yb, h.yb, h.ab,
                  h.neurons * h.bb, h.wb)
        out.update(zip(names, widths))
        in_bits = h.yb
    k, o = cfg.depth + 1, cfg.output
    out.update(zip(output_counter_names(k), (o.wb, o.wb, o.ab, o.ab, o.ab if k == 1 else o.wb * in_bits,
                                             o.ob, o.ob, o.ob, o.wb)))
    out.update(lfsr_step=32, cycles=0)
    assert list(out) == list(counter_names(cfg))
    return out


def memory_counters(cfg: Config) -> dict[str, tuple[str | None, str | None]]:
    """memory -> (read counter, write counter) of every counted memory (spec §11, §15): the one map
    from the memories to their counters (the estimator costs each access by it). The B LUT of a
    layer that does not learn (``learn = false``) does not exist: its counter stays 0."""
    m: dict[str, tuple[str | None, str | None]] = {
        "conv_kernel": ("conv_kernel_rd", None), "conv_pot": ("conv_pot_rd", "conv_pot_wr"),
        "conv_spk": ("conv_spk_rd", "conv_spk_wr")}
    for k in range(1, cfg.depth + 1):
        f = f"fc{k}"
        m[f"{f}_w"] = (f"{f}_w_rd", f"{f}_w_wr")
        m[f"{f}_acc"] = (f"{f}_acc_rd", f"{f}_acc_wr")
        m[f"{f}_act"] = (f"{f}_act_rd", f"{f}_act_wr")
        if cfg.hidden[k - 1].learn:          # a layer that does not learn has no B LUT
            m[b_name(k)] = (f"{b_name(k)}_rd", None)
    f = f"fc{cfg.depth + 1}"
    m[f"{f}_w"] = (f"{f}_w_rd", f"{f}_w_wr")
    m[f"{f}_acc"] = (f"{f}_acc_rd", f"{f}_acc_wr")
    m[f"{f}_out"] = (f"{f}_out_rd", f"{f}_out_wr")
    m["sig_lut"] = ("sig_lut_rd", None)
    return m
