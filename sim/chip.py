"""cocotb helpers shared by the testbenches: clock/reset, the host access port, sample driver,
counter read-back and the model comparison with first-mismatch reports, for a layer stack of
any depth (docs/spec.md §15): memory names and ids from hwmodel.spec.layers / hwmodel.hw.rtlgen, counter
names from hwmodel.spec.counters.counter_names."""
from __future__ import annotations

import json
import os

import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge

from hwmodel.spec.counters import counter_names
from hwmodel.spec.layers import is_learning_only, memories
from hwmodel.hw.rtlgen import mem_depths, mem_ids, mem_widths


def learning_only(name: str) -> bool:
    """Memories and registers absent when LEARNING = 0 (hwmodel.spec.layers.LEARNING_ONLY): the B
    LUTs, the derivative flags and the rounding LFSRs."""
    return is_learning_only(name)


def out_name(cfg) -> str:
    """The output layer's sigmoid outputs, fc{K+1}_out."""
    return f"fc{cfg.depth + 1}_out"


def tb_args() -> dict:
    return json.loads(os.environ.get("SPOON_TB_ARGS", "{}"))


def write_report(args: dict, rep: dict) -> None:
    if args.get("report"):
        with open(args["report"], "w") as f:
            json.dump(rep, f, indent=1, default=int)


def start_clock(clk) -> None:
    """10 ns clock; the C-level (GPI) clock on Verilator (inertial writes are trusted there)."""
    if os.environ.get("COCOTB_TRUST_INERTIAL_WRITES") == "1":
        Clock(clk, 10, unit="ns", impl="gpi").start()
    else:
        Clock(clk, 10, unit="ns").start()


class Chip:
    """Host-side driver of spoon_top."""

    def __init__(self, dut, cfg, learning: bool = True):
        self.dut, self.cfg, self.learning = dut, cfg, learning
        self.widths = mem_widths(cfg)
        self.depths = mem_depths(cfg)
        self.ids = mem_ids(cfg)
        self.counter_names = counter_names(cfg.depth)
        self.cycles = 0

    async def start(self):
        d = self.dut
        start_clock(d.clk)
        for s in ("start_valid", "start_learn", "start_label", "ev_valid", "ev_x", "ev_y", "ev_p",
                  "ev_eos", "acc_en", "acc_we", "acc_sel", "acc_addr", "acc_wdata"):
            getattr(d, s).value = 0
        d.rst.value = 1
        for _ in range(3):
            await FallingEdge(d.clk)
        d.rst.value = 0
        await FallingEdge(d.clk)

    def names(self):
        """Every memory and register the access port reaches (spec §10 / §15 order), pred last."""
        return [n for n in memories(self.cfg) if self.learning or not learning_only(n)] + ["pred"]

    async def read_mem(self, name: str) -> list[int]:
        """All words of memory ``name`` through the access port (one word per clock)."""
        d = self.dut
        n = self.depths[name]
        mask = (1 << self.widths[name]) - 1
        out = []
        d.acc_we.value = 0
        d.acc_sel.value = self.ids[name]
        for a in range(n):
            d.acc_en.value = 1
            d.acc_addr.value = a
            await FallingEdge(d.clk)       # the rising edge in between reads word a
            v = d.acc_rdata.value
            out.append(v.to_unsigned() & mask if v.is_resolvable else -1)   # -1: X/Z bits
        d.acc_en.value = 0
        return out

    async def write_mem(self, name: str, words) -> None:
        d = self.dut
        d.acc_sel.value = self.ids[name]
        d.acc_we.value = 1
        for a, w in enumerate(words):
            d.acc_en.value = 1
            d.acc_addr.value = a
            d.acc_wdata.value = int(w)
            await FallingEdge(d.clk)
        d.acc_en.value = 0
        d.acc_we.value = 0

    async def pulse_start(self, label: int, learn: bool) -> None:
        """One-cycle start request (the chip must be idle)."""
        d = self.dut
        d.start_label.value = int(label)
        d.start_learn.value = int(bool(learn))
        d.start_valid.value = 1
        await FallingEdge(d.clk)
        d.start_valid.value = 0

    async def send(self, rows, gaps=None, max_wait: int = 1_000_000, gap_max: int = 4) -> None:
        """Present words (x, y, p, eos) on the event port with valid/ready. ``gaps`` (a numpy
        Generator) inserts 1-``gap_max`` idle cycles (ev_valid = 0) before a random third of the
        words; ``gap_cycles`` receives their number."""
        d = self.dut
        self.gap_cycles = 0
        for x, y, p, eos in rows:
            if gaps is not None and gaps.random() < 0.33:
                d.ev_valid.value = 0
                n = int(gaps.integers(1, gap_max + 1))
                self.gap_cycles += n
                for _ in range(n):
                    await FallingEdge(d.clk)
            d.ev_x.value = int(x)
            d.ev_y.value = int(y)
            d.ev_p.value = int(p)
            d.ev_eos.value = int(eos)
            d.ev_valid.value = 1
            for _ in range(max_wait):
                rdy = int(d.ev_ready.value)
                await FallingEdge(d.clk)
                if rdy:
                    break
            else:
                raise AssertionError(f"event port: word {(x, y, p, eos)} not accepted in {max_wait} cycles")
        d.ev_valid.value = 0
        d.ev_eos.value = 0

    async def wait_done(self, max_wait: int = 10_000_000) -> None:
        d = self.dut
        for _ in range(max_wait):
            if int(d.done.value):
                break
            await FallingEdge(d.clk)
        else:
            raise AssertionError(f"no done within {max_wait} cycles")
        await FallingEdge(d.clk)          # DONE -> IDLE: the access port is served again

    def result(self):
        d = self.dut
        pred = d.res_pred.value.to_unsigned()
        rv = d.res_out.value.to_unsigned()
        ob = self.cfg.output.ob
        return pred, [(rv >> (o * ob)) & ((1 << ob) - 1) for o in range(self.cfg.output.neurons)]

    async def run_sample(self, events: np.ndarray, label: int, learn: bool, gaps=None, gap_max: int = 4):
        """Drive one sample (rows x, y, channel) and wait for done; returns (pred, outputs).
        ``self.cycles`` receives the cycles from the start request to the end of DONE."""
        await self.pulse_start(label, learn)
        t0 = self.now()
        rows = [(int(x), int(y), int(c), 0) for x, y, c in events] + [(0, 0, 0, 1)]
        await self.send(rows, gaps, gap_max=gap_max)
        await self.wait_done()
        self.cycles = (self.now() - t0) // 10
        return self.result()

    def now(self) -> int:
        from cocotb.utils import get_sim_time
        return int(get_sim_time("ns"))

    def counters(self) -> np.ndarray:
        """The RTL's counters (2, len(counter_names(K))): cnt_inf_q / cnt_lrn_q hold 64 bits per
        counter, counter c at bits [64c, 64c+64)."""
        n = len(self.counter_names)
        c = np.zeros((2, n), np.int64)
        mask = (1 << 64) - 1
        for ph, sig in enumerate(("cnt_inf_q", "cnt_lrn_q")):
            v = getattr(self.dut, sig).value.to_unsigned()
            for i in range(n):
                c[ph, i] = (v >> (64 * i)) & mask
        return c

    def counter(self, name: str, phase: int) -> int:
        """One counter by name (phase 0 inference, 1 learning)."""
        return int(self.counters()[phase, self.counter_names.index(name)])


def expected_words(proc, name: str) -> list[int]:
    if name == "pred":
        return []
    return proc.packed_words(name)


def initialised(cfg) -> tuple[str, ...]:
    """The memories and registers with a defined value after reset: the ROMs and initial weights
    ($readmemh), the LFSRs and pred (reset); for one hidden layer conv_kernel, fc1_w, b_lut,
    fc2_w, sig_lut, lfsr_fc1, lfsr_fc2, pred."""
    return tuple(n for n in memories(cfg) if n == "conv_kernel" or n == "sig_lut" or n.endswith("_w")
                 or learning_only(n)) + ("pred",)


def writable(cfg) -> tuple[str, ...]:
    """The memories the host loads after a reset: the ROMs and the initial weights."""
    return tuple(n for n in initialised(cfg) if n != "pred" and not n.startswith("lfsr_"))


def check_ports(chip: Chip, where: str, errors: list[str]) -> None:
    """Fail when a single-port (1rw) memory macro has been asked for a read and a write in one
    cycle (spoon_top's sticky, simulation-only ``port_conflict``; rtl/sram.v); reported once."""
    v = chip.dut.port_conflict.value
    if (not v.is_resolvable or int(v)) and not any("single-port" in e for e in errors):
        errors.append(f"{where}: a single-port (1rw) memory was read and written in one cycle "
                      f"(port_conflict; the sim log names the time)")


async def compare_all(chip: Chip, proc, pred_model: int | None, where: str, errors: list[str],
                      stats: dict, only: tuple[str, ...] | None = None) -> None:
    """Read back every memory of spec §10 and compare with the model; record the first mismatch
    of each memory (address, expected, actual). ``only`` restricts the memories (after reset the
    potentials and accumulators are undefined until the first clear phase). Also fails on a
    single-port conflict (``check_ports``)."""
    check_ports(chip, where, errors)
    for name in chip.names():
        if only is not None and name not in only:
            continue
        got = await chip.read_mem(name)
        if name == "pred":
            exp = [pred_model] if pred_model is not None else got
        else:
            exp = expected_words(proc, name)
        stats["words"] = stats.get("words", 0) + len(exp)
        if len(got) != len(exp):
            errors.append(f"{where}: {name}: {len(got)} words read, model has {len(exp)}")
            continue
        bad = [a for a, (g, e) in enumerate(zip(got, exp)) if g != e]
        if bad:
            a = bad[0]
            stats["mismatch_words"] = stats.get("mismatch_words", 0) + len(bad)
            errors.append(f"{where}: memory {name} differs at {len(bad)} of {len(exp)} words; first "
                          f"address {a}: expected 0x{exp[a]:x}, RTL 0x{got[a]:x}")


def compare_counters(got: np.ndarray, exp: np.ndarray, where: str, errors: list[str]) -> None:
    """Every counter of both phases; the names follow from the number of counters (19 + 10 K)."""
    names = counter_names((got.shape[1] - 19) // 10)
    if got.shape != exp.shape:
        errors.append(f"{where}: {got.shape[1]} RTL counters, {exp.shape[1]} in the model")
        return
    for ph in range(2):
        for i, n in enumerate(names):
            if got[ph, i] != exp[ph, i]:
                errors.append(f"{where}: counter {n} ({('inference', 'learning')[ph]}): "
                              f"model {exp[ph, i]}, RTL {got[ph, i]}")
