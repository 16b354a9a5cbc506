"""Memory traffic and dynamic energy from the model's counters (docs/estimate.md §1-§2).

Every counter of spec §11 (§15: every layer of the stack) is mapped to one block and to an energy per count from the technology
table (``counter_costs``); memories are costed as built (``memories``: SRAM macros by CACTI, or
flip-flop register files). ``measure_counters`` runs the bit-accurate model on embedded MNIST digits.
"""
from __future__ import annotations

import numpy as np

from hwmodel.spec.config import Config
from hwmodel.spec.counters import counter_names, memory_counters
from hwmodel.hw.rtlgen import clog2
from .memories import MemSpec, memory_list
from .memories import cost as mem_cost
from .tech import Tech

BLOCKS = ("memories", "conv_core", "fc_core", "activation", "drtp_unit", "control", "clock")


def memory_specs(cfg: Config, tech: Tech) -> dict[str, MemSpec]:
    """Every memory as built (``memories.memory_list``: organisation, kind, learning-only)."""
    return memory_list(cfg, tech)


def _mem_access_pj(m: MemSpec, tech: Tech, write: bool) -> float:
    c = mem_cost(m, tech)
    return c["write_pj"] if write else c["read_pj"]


def counter_costs(cfg: Config, tech: Tech, n_ff: float = 0.0,
                  clock: dict[str, float] | None = None) -> dict[str, list[tuple[str, float]]]:
    """counter -> [(block, pJ per count), ...]. Memory accesses also pay an address-register
    update in ``control`` (the sequencer steps one address counter per access). Layer k's
    arithmetic: with binary inputs (k = 1) an accumulator add, with multi-bit inputs (x of XB
    bits) a WB x XB multiply and the add; hard-tanh two compares; a hidden update with binary
    inputs the rounding add (u + random bits) and the weight add, with multi-bit inputs the b·x
    product first; the output update the e·x product, rounding add and weight add. Clock:
    ``clock`` (counter -> pJ per count, ``clocking.clock_costs``: every storage bit by its
    gating), or ``n_ff`` flip-flops on every busy cycle."""
    mems = memory_specs(cfg, tech)
    costs: dict[str, list[tuple[str, float]]] = {n: [] for n in counter_names(cfg)}
    for name, (rd, wr) in memory_counters(cfg).items():
        m = mems[name]
        addr = tech.register_pj(clog2(m.depth))
        for cnt, write in ((rd, False), (wr, True)):
            if cnt is not None:
                costs[cnt] += [("memories", _mem_access_pj(m, tech, write)), ("control", addr)]
    pb = cfg.prec("conv.potential").bits
    xw = clog2(max(cfg.input.width, cfg.input.height))
    costs["events"].append(("control", tech.register_pj(2 * xw + 1)))
    costs["conv_add"].append(("conv_core", tech.add_pj(pb)))
    costs["conv_cmp"].append(("conv_core", tech.compare_pj(pb)))
    for k in range(1, cfg.depth + 2):
        f = f"fc{k}"
        hidden = k <= cfg.depth
        layer = cfg.hidden[k - 1] if hidden else cfg.output
        _, xb = cfg.layer_inputs(k)
        if k == 1:
            costs[f"{f}_add"].append(("fc_core", tech.add_pj(layer.ab)))
        else:
            costs[f"{f}_mac"].append(("fc_core", tech.multiply_pj(layer.wb, xb) + tech.add_pj(layer.ab)))
        if hidden:
            costs["tanh_op" if k == 1 else f"{f}_tanh"].append(("activation", 2 * tech.compare_pj(layer.ab)))
            if k == 1:
                upd = tech.add_pj(layer.bb + 1 + layer.lr_shift) + tech.add_pj(layer.wb)
            else:
                upd = (tech.multiply_pj(layer.bb + 1, xb) + tech.add_pj(layer.bb + 1 + xb)
                       + tech.add_pj(layer.wb))
        else:
            # sigmoid unit: clamp of the shifted potential to the LUT range, once per LUT read
            costs["sig_lut_rd"].append(("activation", 2 * tech.compare_pj(layer.ab)))
            ob = layer.ob
            upd = tech.multiply_pj(ob + 1, xb) + tech.add_pj(ob + 1 + xb) + tech.add_pj(layer.wb)
        costs[f"{f}_upd"].append(("drtp_unit", upd))
    costs["lfsr_step"].append(("drtp_unit", tech.c["lfsr_step"]["energy_pj"]))
    # every busy cycle clocks the chip's n_ff flip-flops, or what ``clock`` says (the clock is
    # taken as stopped while the processor is idle)
    if n_ff:
        costs["cycles"].append(("clock", n_ff * tech.c["flipflop_clock"]["pj_per_cycle"]))
    for cnt, pj in (clock or {}).items():
        if pj:
            costs[cnt].append(("clock", pj))
    return costs


def _component_action(cfg: Config, counter: str) -> tuple[str, str]:
    """(component, action) of a counter, Accelergy style: memories read/write, arithmetic units
    add/mac/compare/update, the LFSRs step, the event port takes an event."""
    for name, (rd, wr) in memory_counters(cfg).items():
        if counter == rd:
            return name, "read"
        if counter == wr:
            return name, "write"
    fixed = {"events": ("aer_in", "event"), "conv_add": ("conv_core", "add"), "conv_cmp": ("conv_core", "compare"),
             "tanh_op": ("fc1_tanh", "activate"), "lfsr_step": ("lfsr", "step"), "cycles": ("clock", "cycle")}
    if counter in fixed:
        return fixed[counter]
    layer, _, op = counter.partition("_")
    return {"add": (f"{layer}_datapath", "add"), "mac": (f"{layer}_datapath", "mac"),
            "tanh": (f"{layer}_tanh", "activate"), "upd": (f"{layer}_update", "update")}.get(op, (counter, "count"))


def action_table(cfg: Config, per_sample: np.ndarray, tech: Tech, n_ff: float = 0.0,
                 clock: dict[str, float] | None = None) -> list[dict]:
    """Accelergy-style ERT x action counts: one row per counted action with its component, the
    energy per action (pJ, split by block) and the counts per classification (inference phases)
    and per learning sample (its learning phases)."""
    costs = counter_costs(cfg, tech, n_ff, clock)
    rows = []
    for i, n in enumerate(counter_names(cfg)):
        comp, act = _component_action(cfg, n)
        rows.append({"counter": n, "component": comp, "action": act,
                     "energy_pj": float(sum(pj for _, pj in costs[n])),
                     "energy_pj_by_block": {b: float(pj) for b, pj in costs[n]},
                     "per_classification": float(per_sample[0, i]), "per_learning_sample": float(per_sample[1, i])})
    return rows


def energy_breakdown(cfg: Config, per_sample: np.ndarray, tech: Tech, n_ff: float = 0.0,
                     clock: dict[str, float] | None = None) -> dict:
    """Dynamic energy per sample from counters per sample (shape (2, N): inference, learning;
    columns in the order of ``counter_names(cfg)``).

    Returns {"inference"|"learning": {"total_nj", "blocks": {block: nJ}, "memories": {memory: nJ},
    "counters": {counter: nJ}}}.
    """
    costs = counter_costs(cfg, tech, n_ff, clock)
    names = counter_names(cfg)
    idx = {n: i for i, n in enumerate(names)}
    if per_sample.shape[1] != len(names):
        raise ValueError(f"{per_sample.shape[1]} counters for a stack of {cfg.depth} hidden layers "
                         f"({len(names)} expected)")
    out = {}
    for p, phase in enumerate(("inference", "learning")):
        blocks = {b: 0.0 for b in BLOCKS}
        per_counter = {}
        for n in names:
            cnt = float(per_sample[p, idx[n]])
            e = sum(pj for _, pj in costs[n]) * cnt
            per_counter[n] = e / 1000.0
            for blk, pj in costs[n]:
                blocks[blk] += pj * cnt / 1000.0
        per_mem = {}
        for name, (rd, wr) in memory_counters(cfg).items():
            e = 0.0
            for cnt in (rd, wr):
                if cnt is not None:
                    e += sum(pj for blk, pj in costs[cnt] if blk == "memories") * float(per_sample[p, idx[cnt]])
            per_mem[name] = e / 1000.0
        out[phase] = {"total_nj": float(sum(blocks.values())), "blocks": blocks, "memories": per_mem,
                      "counters": per_counter}
    return out


def traffic(cfg: Config, per_sample: np.ndarray, tech: Tech) -> dict:
    """Reads, writes and bits per memory, per classification (inference phases) and per learning
    sample (learning phases only)."""
    mems = memory_specs(cfg, tech)
    idx = {n: i for i, n in enumerate(counter_names(cfg))}
    out = {}
    for name, (rd, wr) in memory_counters(cfg).items():
        m = mems[name]
        row = {"depth": m.depth, "word_bits": m.width, "kind": m.kind}
        for p, phase in ((0, "per_classification"), (1, "per_learning_sample")):
            r = float(per_sample[p, idx[rd]]) if rd else 0.0
            w = float(per_sample[p, idx[wr]]) if wr else 0.0
            row[phase] = {"reads": r, "writes": w, "read_bits": r * m.width, "write_bits": w * m.width}
        out[name] = row
    return out


def measure_counters(cfg: Config, samples: int = 100, train_samples: int = 500, split_seed: int = 0):
    """Run the model: brief on-chip training (``train_samples`` digits, one pass, so that the
    derivative window fc1_dact is realistic), then ``samples`` held-out digits in inference mode
    and the same digits in learning mode, each on a copy of the trained chip.

    Returns (inference counters per sample (2, N), learning counters per sample (2, N), info).
    """
    from hwmodel.data.mnist import embedded_split
    from hwmodel.data.encode import EventBatch, encode_images
    from hwmodel.engine.processor import Processor

    n_test = -(-samples // 10) * 10  # the stratified split takes the same count of every class
    split = embedded_split(max(train_samples, 1), n_test, split_seed)
    pick = np.random.default_rng([split_seed, 1]).permutation(len(split.y_test))[:samples]
    x_test, y_test = split.x_test[pick], split.y_test[pick]
    proc = Processor.from_config(cfg)
    if train_samples > 0:
        tb = EventBatch.from_streams(encode_images(split.x_train[:train_samples], cfg), cfg)
        proc.run(tb, split.y_train[:train_samples], learn=True)
    test = EventBatch.from_streams(encode_images(x_test, cfg), cfg)
    inf = proc.copy().run(test, y_test, learn=False)
    lrn = proc.copy().run(test, y_test, learn=True)
    n = len(y_test)
    info = {"samples": n, "train_samples": train_samples, "data": split.source,
            "accuracy_after_training": inf.accuracy(y_test),
            "mean_events": float(np.diff(test.offsets).mean()) if n else 0.0}
    return inf.counters / n, lrn.counters / n, info


COST_LEARN_SAMPLES = 200   # training samples whose learning counters cost a trained chip's learning


def chip_counters(proc, prep, learn_samples: int = COST_LEARN_SAMPLES, test_counters=None):
    """A trained chip's counters on its own data (the sweep's cost columns, ``estimate --weights``):
    the inference counters over ``prep``'s test samples (``test_counters``, their sum, if already
    measured) and the learning counters of its first ``learn_samples`` training samples, each on a
    copy of the chip. Returns (inference per sample (2, N), learning per sample (2, N), info)."""
    n_te = len(prep.y_test)
    info = {"samples": n_te}
    if test_counters is None:
        r = proc.copy().run(prep.test, prep.y_test, learn=False)
        test_counters = r.counters
        info["accuracy"] = r.accuracy(prep.y_test)
    k = min(learn_samples, len(prep.y_train))
    lrn = proc.copy().run(prep.train.subset(np.arange(k)), prep.y_train[:k], learn=True).counters / k
    info["learning_samples"] = k
    return test_counters / n_te, lrn, info


def describe_measurement(m: dict) -> str:
    """What the counters were measured on, in words (the estimate's summary and report)."""
    if m.get("weights"):
        acc = f"; accuracy {100 * m['accuracy']:.2f} %" if m.get("accuracy") is not None else ""
        return (f"the chip in {m['weights']} on its {m['samples']:,} test samples ({m.get('data', '?')}{acc}), "
                f"learning counters from its first {m['learning_samples']:,} training samples")
    if "train_samples" in m:
        acc = (f" (accuracy on the measured digits {100 * m['accuracy_after_training']:.1f} %)"
               if m.get("accuracy_after_training") is not None else "")
        return (f"{m['samples']} held-out embedded MNIST digits after {m['train_samples']} digits of "
                f"on-chip training{acc}")
    return f"{m.get('samples', '?')} samples given with the counters"
