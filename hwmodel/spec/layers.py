"""The layer stack as data (docs/spec.md §15): one description per layer and every memory of a
configuration of any depth, in the order of spec §10 (for one hidden layer exactly
``hwmodel.spec.counters.memory_sizes``)."""
from __future__ import annotations

from hwmodel.spec.config import Config


def fc_name(k: int) -> str:
    return f"fc{k}"


def b_name(k: int) -> str:
    """B LUT of hidden layer k (1-based): ``b_lut`` for the first, ``b{k}_lut`` after it."""
    return "b_lut" if k == 1 else f"b{k}_lut"


def layers(cfg: Config) -> list[dict]:
    """``[{"kind": "conv", ...}, {"kind": "hidden", "index": 1, "neurons", ...}, ...,
    {"kind": "output", ...}]``: what ``info --json`` prints under ``"layers"``."""
    c = cfg.conv
    out: list[dict] = [{"kind": "conv", "channels": c.channels, "kernel": c.kernel, "stride": c.stride,
                        "padding": c.padding, "pool": c.pool, "weight": c.weight, "potential": c.potential,
                        "threshold": c.threshold, "outputs": cfg.n_in}]
    for n, h in enumerate(cfg.hidden):
        k = n + 1
        nin, bits = cfg.layer_inputs(k)
        out.append({"kind": "hidden", "index": k, "name": fc_name(k), "neurons": h.neurons,
                    "inputs": nin, "input_bits": bits, "weight": h.weight, "accumulator": h.accumulator,
                    "activation": h.activation, "act_shift": h.act_shift, "init_bound": h.init_bound,
                    "lr_shift": h.lr_shift, "b": h.b})
    k = cfg.depth + 1
    nin, bits = cfg.layer_inputs(k)
    o = cfg.output
    out.append({"kind": "output", "index": k, "name": fc_name(k), "neurons": o.neurons, "inputs": nin,
                "input_bits": bits, "weight": o.weight, "accumulator": o.accumulator,
                "sig_shift": o.sig_shift, "lut_bits": o.lut_bits, "lut_frac": o.lut_frac,
                "output": o.output, "init_bound": o.init_bound, "lr_shift": o.lr_shift})
    return out


def memories(cfg: Config) -> dict[str, dict[str, int]]:
    """{memory: {"words", "word_bits", "bits"}} of every memory and LFSR of spec §15, in the
    word layout of spec §16 (a layer with P lanes: P weights, accumulators or derivative bits
    per word; one lane LFSR per lane). A layer that does not learn (``learn = false``, spec §15)
    has no B LUT, no derivative flags and no lane LFSRs."""
    c = cfg.conv
    wc, pb = cfg.prec("conv.weight").bits, cfg.prec("conv.potential").bits
    o, q = cfg.conv_out, cfg.spk_side
    m: dict[str, tuple[int, int]] = {
        "conv_kernel": (cfg.input.channels * c.kernel * c.kernel, c.channels * wc),
        "conv_pot": (o * o, c.channels * pb), "conv_spk": (q * q, c.channels)}
    n_out = cfg.output.neurons
    lfsrs = []
    for n, h in enumerate(cfg.hidden):
        k = n + 1
        nin, _ = cfg.layer_inputs(k)
        f = fc_name(k)
        p, g = h.lanes, h.groups
        m[f"{f}_w"] = ((nin + 1) * g, p * h.wb)
        m[f"{f}_acc"] = (g, p * h.ab)
        m[f"{f}_act"] = (h.neurons, h.yb)
        if h.learn:
            m[f"{f}_dact"] = (g, p)
            m[b_name(k)] = (n_out, h.neurons * h.bb)
            lfsrs.append((f"lfsr_{f}", p))
    k = cfg.depth + 1
    nin, _ = cfg.layer_inputs(k)
    f, out = fc_name(k), cfg.output
    m[f"{f}_w"] = ((nin + 1) * out.groups, out.lanes * out.wb)
    m[f"{f}_acc"] = (out.groups, out.lanes * out.ab)
    m[f"{f}_out"] = (n_out, out.ob)
    m["sig_lut"] = (1 << out.lut_bits, out.ob)
    if out.learn:
        lfsrs.append((f"lfsr_{f}", out.lanes))
    for name, p in lfsrs:
        m[name] = (p, 32)
    return {n: {"words": w, "word_bits": b, "bits": w * b} for n, (w, b) in m.items()}


def is_learning_only(name: str) -> bool:
    """A memory or register the inference-only chip (RTL ``LEARNING = 0``) does not have: the B
    LUTs, the derivative flags ``fc{k}_dact`` (read only by the DRTP update) and the rounding
    LFSRs. rtl/spoon_top.v generates exactly these under ``LEARNING != 0``; the co-simulation
    (sim/chip.py) and the estimator read this function, and tests/estimate/test_estimate_memories.py checks
    it against the synthesized RTL."""
    return (name.startswith("lfsr_") or name.endswith("_dact")
            or (name.startswith("b") and name.endswith("_lut")))


def is_table(name: str) -> bool:
    """A memory the engines only read (its contents are loaded through the access port before
    use): the conv kernels, the B LUTs and the sigmoid LUT. Every memory is host-writable through
    the access port (docs/rtl.md), so none of them is a ROM."""
    return name in ("conv_kernel", "sig_lut") or (name.startswith("b") and name.endswith("_lut"))


def organisation(cfg: Config) -> dict[str, dict]:
    """Every memory of spec §15 as the RTL builds it (spec §16, docs/rtl.md): ``words``,
    ``width`` (bits per word), ``banks``, ``ports`` ("1r1w": a read and a write port, both usable
    in one cycle; "1rw": one port; "register": flip-flops), plus ``word_bits`` and ``bits`` as
    in ``memories``, ``learning_only`` (``is_learning_only``) and ``table`` (``is_table``: read-only
    for the engines, host-written). What ``info --json`` prints under ``"memories"``. The weight
    memories have the layer's ``weight_banks`` / ``weight_ports``; the accumulators are read and
    written in one cycle (1r1w); every other memory is never read and written in the same cycle
    (1rw)."""
    fc = {fc_name(n + 1): h for n, h in enumerate(cfg.hidden)}
    fc[fc_name(cfg.depth + 1)] = cfg.output
    out = {}
    for name, m in memories(cfg).items():
        banks, ports = 1, "1rw"
        if name.startswith("lfsr_"):
            ports = "register"
        elif name.endswith("_acc"):
            ports = "1r1w"
        elif name.endswith("_w") and name[:-2] in fc:
            layer = fc[name[:-2]]
            banks, ports = layer.weight_banks, layer.weight_ports
        out[name] = {**m, "width": m["word_bits"], "banks": banks, "ports": ports,
                     "learning_only": is_learning_only(name), "table": is_table(name)}
    return out
