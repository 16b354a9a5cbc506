"""System testbench of spoon_top against hwmodel.Processor (bit for bit), at any depth: every
memory word of every layer (docs/spec.md §15 names), every LFSR, pred, the result port and every
counter of hwmodel.spec.counters.counter_names(K).

Arguments arrive as JSON in SPOON_TB_ARGS (see sim/runner.py): config (TOML path), learning
(0/1), learn_request (an inference-only build gets start_learn), gaps (seed of 1..gap_max idle
cycles before a third of the event words; 0: back to back), gap_max, n_learn, n_infer, full_every (compare every memory every k samples; the end of each run is
always compared), offset (first training digit), events ("image": the config's encoder, or
"dvs": DVS-emulated streams), corners (count the corners of sim/benches/edgegen.py per sample into the
report), report (JSON path written at the end).
"""
from __future__ import annotations

import time

import cocotb
import numpy as np

from hwmodel.spec.config import Config
from hwmodel.data.mnist import embedded_split
from hwmodel.data.encode import EventBatch
from hwmodel.engine.processor import Processor
from sim.chip import (Chip, check_ports, compare_all, compare_counters, initialised, out_name, tb_args,
                    write_report)


def _batch(cfg, images, events: str = "image", seed: int = 0):
    from sim.benches.edgegen import sample_batch
    return sample_batch(cfg, images, events, seed)


@cocotb.test()
async def system(dut):
    args = tb_args()
    cfg = Config.from_toml(args["config"])
    learning = bool(args.get("learning", 1))
    n_learn = int(args.get("n_learn", 4)) if learning else 0
    n_infer = int(args.get("n_infer", 4))
    every = int(args.get("full_every", 1))
    off = int(args.get("offset", 0))
    errors: list[str] = []
    stats: dict = {"samples": 0, "pred_mismatch": 0, "counter_mismatch": 0, "cycles_learn": [],
                   "cycles_infer": []}
    chip = Chip(dut, cfg, learning)
    await chip.start()
    # gaps: idle cycles before a third of the event words (seeded), their count per sample recorded
    gaps = np.random.default_rng(int(args["gaps"])) if args.get("gaps") else None
    proc = Processor.from_config(cfg)
    split = embedded_split()
    runs = []
    if n_learn:
        runs.append(("learn", split.x_train[off:off + n_learn], split.y_train[off:off + n_learn], True))
    if n_infer:
        runs.append(("infer", split.x_test[:n_infer], split.y_test[:n_infer], False))
    t_wall = time.time()
    # initial state: ROMs and weights loaded by $readmemh, LFSRs and pred by reset
    await compare_all(chip, proc, 0, "after reset", errors, stats, only=initialised(cfg))
    for tag, imgs, labels, learn in runs:
        labels = np.asarray(labels) % cfg.output.neurons   # configs with fewer than 10 classes
        batch = _batch(cfg, imgs, str(args.get("events", "image")), off if learn else 1_000_000)
        for k in range(len(batch)):
            res = proc.run(batch.subset(np.array([k])), labels[k:k + 1], learn=learn, record=True)
            c0 = chip.counters()
            t0 = time.time()
            # an inference-only build (LEARNING = 0) given a learning request must run an inference
            rtl_learn = learn or (not learning and bool(args.get("learn_request")))
            pred, outs = await chip.run_sample(batch.stream(k), int(labels[k]), rtl_learn, gaps,
                                               int(args.get("gap_max", 4)))
            stats.setdefault("wall_sim", 0.0)
            stats["wall_sim"] += time.time() - t0
            stats["cycles_" + tag].append(chip.cycles)
            stats["samples"] += 1
            where = f"{tag} sample {k}"
            if pred != int(res.preds[0]):
                stats["pred_mismatch"] += 1
                errors.append(f"{where}: pred model {int(res.preds[0])}, RTL {pred}")
            if args.get("corners"):
                from sim.benches.edgegen import corner_hits, merge
                hits = corner_hits(cfg, str(args.get("events", "image")), proc.memories(),
                                   int(labels[k]), learn)
                merge(stats.setdefault("corners", {}), hits)
            exp_out = [int(v) for v in proc.memories()[out_name(cfg)]]
            if outs != exp_out:
                errors.append(f"{where}: result res_out model {exp_out}, RTL {outs}")
            n_before = len(errors)
            delta = chip.counters() - c0
            # start-to-done cycles the testbench measured, less the cycles counter (which leaves
            # out the event phase's input-starved cycles): the event port's throughput contract
            stats.setdefault("wall_minus_counted", []).append(
                int(chip.cycles) - int(delta[:, chip.counter_names.index("cycles")].sum()))
            stats.setdefault("gap_cycles", []).append(int(chip.gap_cycles))
            compare_counters(delta, res.per_sample[0], where, errors)
            stats["counter_mismatch"] += len(errors) - n_before
            check_ports(chip, where, errors)
            last = k == len(batch) - 1
            if (every and (k + 1) % every == 0) or last:
                await compare_all(chip, proc, int(res.preds[0]), where, errors, stats)
            if (k + 1) % 25 == 0:
                dut._log.info(f"{tag}: {k + 1}/{len(batch)} samples, {len(errors)} errors, "
                              f"{time.time() - t_wall:.1f} s")
            if len(errors) > 40:
                break
        if len(errors) > 40:
            errors.append("... stopped after 40 errors")
            break
    stats["wall_total"] = time.time() - t_wall
    stats["errors"] = errors
    stats["total_counters_model"] = proc.counters.tolist()
    write_report(args, stats)
    assert not errors, "\n".join(errors[:20])


@cocotb.test()
async def access_port(dut):
    """Every memory and register is writable and readable through the access port."""
    args = tb_args()
    cfg = Config.from_toml(args["config"])
    learning = bool(args.get("learning", 1))
    chip = Chip(dut, cfg, learning)
    await chip.start()
    rng = np.random.default_rng(1)
    errors: list[str] = []
    for name in chip.names():
        if name == "pred":
            continue
        n = chip.depths[name]
        words = _random_words(rng, chip, name)
        await chip.write_mem(name, words)
        got = await chip.read_mem(name)
        bad = [a for a in range(n) if got[a] != words[a]]
        if bad:
            a = bad[0]
            errors.append(f"{name}: {len(bad)} bad words; first address {a}: wrote 0x{words[a]:x}, read 0x{got[a]:x}")
        if name.startswith("lfsr"):
            # lane LFSRs (spec §16): addresses >= P (the lanes) read 0 and ignore writes, also
            # the ones whose low bits name a lane (P, and the next power of two)
            for a in sorted({n, 1 << max(1, (n - 1).bit_length())}):
                if a >= 1 << len(dut.acc_addr):
                    continue
                await _access(dut, chip.ids[name], a, 0x1234567)
                got2 = await chip.read_mem(name)
                rd = await _access(dut, chip.ids[name], a, None)
                if got2 != words or rd != 0:
                    errors.append(f"{name}: a write to address {a} >= {n} lanes changed the lanes "
                                  f"or reads {rd:#x}")
    write_report(args, {"errors": errors})
    assert not errors, "\n".join(errors)


def _random_words(rng, chip, name: str) -> list[int]:
    """Random words for every address of memory ``name`` in its width (LFSRs: non-zero)."""
    n, w = chip.depths[name], chip.widths[name]
    words = [int.from_bytes(rng.bytes((w + 7) // 8), "little") & ((1 << w) - 1) for _ in range(n)]
    return [v or 1 for v in words] if name.startswith("lfsr") else words


@cocotb.test()
async def read_hold(dut):
    """The access port's read contract (docs/rtl.md): ``acc_rdata`` is valid the cycle after the
    read and held until the next read, for every memory: through idle cycles, a write to the word
    just read, a write to another word of the same memory (one bank or another) and a write to
    another memory; then a read of another memory replaces it. Registers (the lane LFSRs) are
    read live: a write to the lane just read shows at once, writes elsewhere do not."""
    from cocotb.triggers import FallingEdge
    args = tb_args()
    cfg = Config.from_toml(args["config"])
    chip = Chip(dut, cfg, bool(args.get("learning", 1)))
    await chip.start()
    rng = np.random.default_rng(7)
    names = [n for n in chip.names() if n != "pred"]
    words = {}
    for name in names:
        words[name] = _random_words(rng, chip, name)
        await chip.write_mem(name, words[name])
    errors: list[str] = []

    def held(what: str, got: int, exp: int, name: str, a: int) -> None:
        if got != exp:
            errors.append(f"{name}[{a}]: read 0x{exp:x}, acc_rdata 0x{got:x} after {what}")

    for i, name in enumerate(names):
        other = names[(i + 1) % len(names)]
        n, ident = chip.depths[name], chip.ids[name]
        a = int(rng.integers(n))
        v = await _access(dut, ident, a, None)
        held("the read", v, words[name][a], name, a)
        for k in range(3):
            await FallingEdge(dut.clk)
            held(f"{k + 1} idle cycle(s)", int(dut.acc_rdata.value), v, name, a)
        new = _random_words(rng, chip, name)
        for b in sorted({a, (a + 1) % n, n - 1}):   # the word read, the next (another bank), the last
            if b == a and name.startswith("lfsr"):
                v = new[b]                          # a register: its new value at once
            held(f"a write to {name}[{b}]", await _access(dut, ident, b, new[b]), v, name, a)
            words[name][b] = new[b]
        w2 = _random_words(rng, chip, other)[0]
        held(f"a write to {other}[0]", await _access(dut, chip.ids[other], 0, w2), v, name, a)
        words[other][0] = w2
        got = await _access(dut, chip.ids[other], 0, None)
        if got != w2:
            errors.append(f"{other}[0]: wrote 0x{w2:x}, the next read gives 0x{got:x}")
    write_report(args, {"errors": errors, "memories": len(names)})
    assert not errors, "\n".join(errors[:20])


@cocotb.test()
async def port_checker(dut):
    """spoon_top's simulation-only single-port check: a conflict flag set in one 1rw macro (the
    conv kernel's; the flag itself is tested in the sram unit test, sim/units/tb_units.py) must
    raise ``port_conflict``, which every co-simulation checks after each sample (sim/chip.py
    check_ports), and print its one error line; before it, both are clear."""
    from cocotb.triggers import FallingEdge
    args = tb_args()
    cfg = Config.from_toml(args["config"])
    chip = Chip(dut, cfg, bool(args.get("learning", 1)))
    await chip.start()
    errors: list[str] = []
    if int(dut.port_conflict.value) or int(dut.u_conv_kernel.conflict_q.value):
        errors.append("port_conflict set before any conflict")
    dut.u_conv_kernel.conflict_q.value = 1      # what the macro's checker does on a conflict
    await FallingEdge(dut.clk)
    await FallingEdge(dut.clk)
    if not int(dut.port_conflict.value):
        errors.append("spoon_top.port_conflict not raised by the conv kernel's conflict flag")
    if not int(dut.conflict_told_q.value):
        errors.append("spoon_top did not print the conflict (conflict_told_q clear)")
    found: list[str] = []
    check_ports(chip, "after the conflict", found)
    if not found:
        errors.append("check_ports does not report the conflict")
    write_report(args, {"errors": errors})
    assert not errors, "\n".join(errors)


async def _access(dut, sel: int, addr: int, wdata: int | None) -> int:
    """One access-port request (write when ``wdata`` is given, else read); returns the read data."""
    from cocotb.triggers import FallingEdge
    dut.acc_sel.value = sel
    dut.acc_addr.value = addr
    dut.acc_we.value = 0 if wdata is None else 1
    dut.acc_wdata.value = 0 if wdata is None else wdata
    dut.acc_en.value = 1
    await FallingEdge(dut.clk)
    dut.acc_en.value = 0
    dut.acc_we.value = 0
    v = dut.acc_rdata.value
    return v.to_unsigned() if v.is_resolvable else -1


@cocotb.test()
async def bench(dut):
    """Throughput: cycles per sample and simulated cycles per wall-clock second (no checks)."""
    args = tb_args()
    cfg = Config.from_toml(args["config"])
    chip = Chip(dut, cfg, True)
    await chip.start()
    split = embedded_split()
    rep = {}
    for tag, imgs, labels, learn in (("learn", split.x_train, split.y_train, True),
                                     ("infer", split.x_test, split.y_test, False)):
        n = int(args.get("n_" + tag, 20))
        batch = _batch(cfg, imgs[:n])
        cyc, events = [], 0
        t0 = time.time()
        for k in range(n):
            ev = batch.stream(k)
            events += len(ev)
            await chip.run_sample(ev, int(labels[k]) % cfg.output.neurons, learn)
            cyc.append(chip.cycles)
        wall = time.time() - t0
        rep[tag] = {"samples": n, "cycles_mean": float(np.mean(cyc)), "cycles_min": int(min(cyc)),
                    "cycles_max": int(max(cyc)), "events_mean": events / max(n, 1),
                    "wall_s": wall, "cycles_per_s": float(sum(cyc)) / wall if wall else 0.0}
    rep["errors"] = []
    write_report(args, rep)


@cocotb.test()
async def idle_speed(dut):
    """Simulated cycles per wall second with the clock running and no testbench activity."""
    from cocotb.triggers import Timer
    args = tb_args()
    cfg = Config.from_toml(args["config"])
    chip = Chip(dut, cfg, True)
    await chip.start()
    t0 = time.time()
    await Timer(10, unit="ms")
    wall = time.time() - t0
    write_report(args, {"errors": [], "cycles": 1_000_000, "wall_s": wall,
                        "cycles_per_s": 1_000_000 / wall})


@cocotb.test()
async def conv_scatter(dut):
    """Event-driven scatter (spec §6, §14 worked example) and saturating adds at both edges.

    Needs K = 5, S = 2, PAD = 0. Kernels are loaded through the access port (and into the model):
    channel 0 all +max, channel 1 all -min, others from the ROM. Sample 1 is the single event
    (6, 3): six positions (0,1) (0,2) (0,3) (1,1) (1,2) (1,3). Sample 2 repeats it 80 times plus
    random events so that potentials saturate at +2^(PB-1)-1 and -2^(PB-1)."""
    from hwmodel.spec import roms
    from hwmodel.data.eventio import EVENT_DTYPE
    args = tb_args()
    cfg = Config.from_toml(args["config"])
    assert (cfg.conv.kernel, cfg.conv.stride, cfg.conv.padding) == (5, 2, 0), "needs K=5 S=2 PAD=0"
    wc, pb, C = cfg.bits["WC"], cfg.bits["PB"], cfg.conv.channels
    kern = roms.conv_kernels(cfg)
    kern[0] = (1 << (wc - 1)) - 1
    if C > 1:
        kern[1] = -(1 << (wc - 1))
    proc = Processor.from_config(cfg, conv_kernels=kern)
    chip = Chip(dut, cfg, True)
    await chip.start()
    await chip.write_mem("conv_kernel", proc.packed_words("conv_kernel"))
    errors: list[str] = []
    stats: dict = {}

    def stream(xy):
        ev = np.zeros(len(xy), EVENT_DTYPE)
        ev["x"] = [p[0] for p in xy]
        ev["y"] = [p[1] for p in xy]
        ev["p"] = 1
        return ev

    rng = np.random.default_rng(5)
    rnd = [(int(rng.integers(0, cfg.input.width)), int(rng.integers(0, cfg.input.width))) for _ in range(60)]
    samples = [[(6, 3)], [(6, 3)] * 80 + rnd]
    for k, xy in enumerate(samples):
        batch = EventBatch.from_streams([stream(xy)], cfg)
        res = proc.run(batch, np.array([0]), learn=False, record=True)
        c0 = chip.counters()
        pred, _ = await chip.run_sample(batch.stream(0), 0, False)
        compare_counters(chip.counters() - c0, res.per_sample[0], f"scatter sample {k}", errors)
        await compare_all(chip, proc, int(res.preds[0]), f"scatter sample {k}", errors, stats)
        pot = proc.memories()["conv_pot"]
        if k == 0:
            O = cfg.conv_out
            hit = sorted(divmod(a, O) for a in np.flatnonzero(np.any(pot != 0, axis=1)))
            exp = [(0, 1), (0, 2), (0, 3), (1, 1), (1, 2), (1, 3)]
            if hit != exp or res.per_sample[0][0][1] != 6:
                errors.append(f"worked example: positions {hit}, expected {exp}")
        else:
            hi, lo = (1 << (pb - 1)) - 1, -(1 << (pb - 1))
            if not (pot == hi).any() or (C > 1 and not (pot == lo).any()):
                errors.append("saturation edges not exercised")
    write_report(args, {"errors": errors})
    assert not errors, "\n".join(errors[:20])
