"""Memory traffic and dynamic energy from the model's counters (docs/estimate.md §1-§2).

Every counter of spec §11 is mapped to one block and to an energy per count from the technology
table (``counter_costs``); memories are classified once (``memory_specs``) as SRAM macros,
register files or ROMs. ``measure_counters`` runs the bit-accurate model on embedded MNIST digits.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config import Config
from ..counters import COUNTERS, IDX, MEMORIES
from ..counters import memory_word_bits
from ..rtlgen import clog2, mem_depths
from .tech import Tech

BLOCKS = ("memories", "conv_core", "fc_core", "activation", "drtp_unit", "control")
ROMS = ("sig_lut", "b_lut")                 # spec §3/§12: ROM contents
LEARNING_ONLY_MEMORIES = ("b_lut",)         # absent when LEARNING = 0 (rtl/spoon_top.v)
# memories of spec §10 that no counter names (area only)
AREA_ONLY = ("fc1_dact",)

# arithmetic counter -> block
ARITH_BLOCK = {
    "events": "control", "conv_add": "conv_core", "conv_cmp": "conv_core", "fc1_add": "fc_core",
    "fc2_mac": "fc_core", "tanh_op": "activation", "fc1_upd": "drtp_unit", "fc2_upd": "drtp_unit",
    "lfsr_step": "drtp_unit",
}


@dataclass(frozen=True)
class MemSpec:
    name: str
    depth: int
    width: int
    kind: str          # "sram", "regfile" or "rom"
    learning_only: bool

    @property
    def bits(self) -> int:
        return self.depth * self.width


def memory_specs(cfg: Config, tech: Tech) -> dict[str, MemSpec]:
    depths, widths = mem_depths(cfg), memory_word_bits(cfg)
    out = {}
    for name in [*MEMORIES, *AREA_ONLY]:
        d, w = depths[name], widths[name]
        kind = "rom" if name in ROMS else ("regfile" if tech.is_regfile(d, w) else "sram")
        out[name] = MemSpec(name, d, w, kind, name in LEARNING_ONLY_MEMORIES)
    return out


def _mem_access_pj(m: MemSpec, tech: Tech, write: bool) -> float:
    if m.kind == "sram":
        return tech.sram_write_pj(m.depth, m.width) if write else tech.sram_read_pj(m.depth, m.width)
    if m.kind == "rom":
        return tech.c["rom_read"]["pj_per_bit"] * m.width
    f = "write_pj_per_bit" if write else "read_pj_per_bit"
    return tech.c["regfile"][f] * m.width


def counter_costs(cfg: Config, tech: Tech) -> dict[str, list[tuple[str, float]]]:
    """counter -> [(block, pJ per count), ...]. Memory accesses also pay an address-register
    update in ``control`` (the sequencer steps one address counter per access)."""
    b = cfg.bits
    mems = memory_specs(cfg, tech)
    costs: dict[str, list[tuple[str, float]]] = {n: [] for n in COUNTERS}
    for name, (rd, wr) in MEMORIES.items():
        m = mems[name]
        addr = tech.register_pj(clog2(m.depth))
        for cnt, write in ((rd, False), (wr, True)):
            if cnt is not None:
                costs[cnt] += [("memories", _mem_access_pj(m, tech, write)), ("control", addr)]
    xw = clog2(max(cfg.input.width, cfg.input.height))
    costs["events"].append(("control", tech.register_pj(2 * xw + 1)))
    costs["conv_add"].append(("conv_core", tech.add_pj(b["PB"])))
    costs["conv_cmp"].append(("conv_core", tech.compare_pj(b["PB"])))
    costs["fc1_add"].append(("fc_core", tech.add_pj(b["A1B"])))
    costs["fc2_mac"].append(("fc_core", tech.multiply_pj(b["W2B"], b["YB"]) + tech.add_pj(b["A2B"])))
    costs["tanh_op"].append(("activation", 2 * tech.compare_pj(b["A1B"])))
    # sigmoid unit: clamp of the shifted potential to the LUT range, once per LUT read
    costs["sig_lut_rd"].append(("activation", 2 * tech.compare_pj(b["A2B"])))
    # FC1 update: rounding add (u + random bits) and weight add; FC2: e·y product, rounding, add
    costs["fc1_upd"].append(("drtp_unit", tech.add_pj(b["BB"] + 1 + cfg.fc1.lr_shift) + tech.add_pj(b["W1B"])))
    costs["fc2_upd"].append(("drtp_unit", tech.multiply_pj(b["OB"] + 1, b["YB"])
                             + tech.add_pj(b["OB"] + 1 + b["YB"]) + tech.add_pj(b["W2B"])))
    costs["lfsr_step"].append(("drtp_unit", tech.c["lfsr_step"]["energy_pj"]))
    return costs


def energy_breakdown(cfg: Config, per_sample: np.ndarray, tech: Tech) -> dict:
    """Dynamic energy per sample from counters per sample (shape (2, N): inference, learning).

    Returns {"inference"|"learning": {"total_nj", "blocks": {block: nJ}, "memories": {memory: nJ},
    "counters": {counter: nJ}}}.
    """
    costs = counter_costs(cfg, tech)
    out = {}
    for p, phase in enumerate(("inference", "learning")):
        blocks = {b: 0.0 for b in BLOCKS}
        per_counter = {}
        for n in COUNTERS:
            cnt = float(per_sample[p, IDX[n]])
            e = sum(pj for _, pj in costs[n]) * cnt
            per_counter[n] = e / 1000.0
            for blk, pj in costs[n]:
                blocks[blk] += pj * cnt / 1000.0
        per_mem = {}
        for name, (rd, wr) in MEMORIES.items():
            e = 0.0
            for cnt in (rd, wr):
                if cnt is not None:
                    e += sum(pj for blk, pj in costs[cnt] if blk == "memories") * float(per_sample[p, IDX[cnt]])
            per_mem[name] = e / 1000.0
        out[phase] = {"total_nj": float(sum(blocks.values())), "blocks": blocks, "memories": per_mem,
                      "counters": per_counter}
    return out


def traffic(cfg: Config, per_sample: np.ndarray, tech: Tech) -> dict:
    """Reads, writes and bits per memory, per classification (inference phases) and per learning
    sample (learning phases only)."""
    mems = memory_specs(cfg, tech)
    out = {}
    for name, (rd, wr) in MEMORIES.items():
        m = mems[name]
        row = {"depth": m.depth, "word_bits": m.width, "kind": m.kind}
        for p, phase in ((0, "per_classification"), (1, "per_learning_sample")):
            r = float(per_sample[p, IDX[rd]]) if rd else 0.0
            w = float(per_sample[p, IDX[wr]]) if wr else 0.0
            row[phase] = {"reads": r, "writes": w, "read_bits": r * m.width, "write_bits": w * m.width}
        out[name] = row
    return out


def measure_counters(cfg: Config, samples: int = 100, train_samples: int = 500, split_seed: int = 0):
    """Run the model: brief on-chip training (``train_samples`` digits, one pass, so that the
    derivative window fc1_dact is realistic), then ``samples`` held-out digits in inference mode
    and the same digits in learning mode, each on a copy of the trained chip.

    Returns (inference counters per sample (2, N), learning counters per sample (2, N), info).
    """
    from ..data import embedded_split
    from ..encode import EventBatch, encode_images
    from ..model import Processor

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
