"""Directed testbenches of spoon_top's interfaces (docs/rtl.md, "Interfaces").

Each test drives one interface rule and then proves the chip is still exactly the model: the
prediction, the result outputs, every counter and every memory word and register are compared
(sim.chip.compare_all). Arguments arrive as JSON in SPOON_TB_ARGS: config (TOML path).

- out_of_array:   events with x or y >= W are dropped, set the sticky ev_err (cleared by the next
                  start), are not counted, and change no memory;
- gaps_backpressure: idle cycles between words and the port's back-pressure change nothing;
- start_while_busy: start requests (other label and mode) during a sample are not taken;
- access_while_busy: access-port requests wait while busy (acc_ready = 0) and are performed
                  in the first idle cycle;
- reset_mid_sample: a reset in the event phase and one in the learning phase return every
                  register to its reset value; after reloading the memories the chip runs on;
- events_between_samples: a word presented between samples is not taken (ev_ready = 0) and
                  becomes the first word of the next sample;
- ignored_fields: the polarity of a one-channel chip's events and the end-of-sample marker's
                  coordinates take any value without effect; ev_err's corners (first word, x = W,
                  y = W, the largest code; sticky through DONE until the next start).
"""
from __future__ import annotations

import cocotb
import numpy as np
from cocotb.triggers import FallingEdge

from hwmodel.spec import roms
from hwmodel.spec.config import Config
from hwmodel.data.mnist import embedded_split
from hwmodel.data.encode import EventBatch, encode_images
from hwmodel.data.eventio import EVENT_DTYPE
from sim.chip import Chip, compare_all, compare_counters, out_name, tb_args, writable, write_report


async def _setup(dut, n: int = 6):
    from hwmodel.engine.processor import Processor
    cfg = Config.from_toml(tb_args()["config"])
    chip = Chip(dut, cfg, True)
    await chip.start()
    sp = embedded_split()
    batch = EventBatch.from_streams(encode_images(sp.x_train[:n], cfg), cfg)
    labels = np.asarray(sp.y_train[:n]) % cfg.output.neurons
    return cfg, chip, Processor.from_config(cfg), batch, labels


def _model(proc, events, label, learn):
    b = EventBatch.from_streams([_stream(events)], proc.cfg)
    return proc.run(b, np.array([int(label)]), learn=learn, record=True)


def _stream(rows):
    ev = np.zeros(len(rows), EVENT_DTYPE)
    if len(rows):
        a = np.asarray(rows, np.int64)
        ev["x"], ev["y"], ev["p"] = a[:, 0], a[:, 1], a[:, 2]
        ev["t"] = np.arange(len(rows))
    return ev


async def _check(chip, proc, res, got_pred, got_out, c0, where, errors, stats):
    if got_pred != int(res.preds[0]):
        errors.append(f"{where}: pred model {int(res.preds[0])}, RTL {got_pred}")
    exp_out = [int(v) for v in proc.memories()[out_name(proc.cfg)]]
    if got_out != exp_out:
        errors.append(f"{where}: res_out model {exp_out}, RTL {got_out}")
    compare_counters(chip.counters() - c0, res.per_sample[0], where, errors)
    await compare_all(chip, proc, int(res.preds[0]), where, errors, stats)


def _finish(name, errors, stats):
    write_report(tb_args(), {"errors": [f"{name}: {e}" for e in errors], **stats})
    assert not errors, "\n".join(errors[:20])


def _rows(events):
    return [(int(x), int(y), int(c)) for x, y, c in events]


@cocotb.test(timeout_time=200, timeout_unit="ms")
async def out_of_array(dut):
    cfg, chip, proc, batch, labels = await _setup(dut)
    W, XW = cfg.input.width, max(1, (cfg.input.width - 1).bit_length())
    assert (1 << XW) > W, "needs a width that is not a power of two (out-of-array codes exist)"
    rng = np.random.default_rng(11)
    errors, stats = [], {"dropped": 0}
    for k, learn in ((0, True), (1, False), (2, True)):
        good = _rows(batch.stream(k))
        words = []
        for r in good:                       # interleave bad events: x, y or both out of range
            if rng.random() < 0.3:
                kind = int(rng.integers(0, 3))
                bx = int(rng.integers(W, 1 << XW)) if kind != 1 else int(rng.integers(0, W))
                by = int(rng.integers(W, 1 << XW)) if kind != 0 else int(rng.integers(0, W))
                words.append((bx, by, int(rng.integers(0, 2)), 0))
                stats["dropped"] += 1
            words.append((*r, 0))
        if k == 2:
            words = [(w[0], w[1], w[2], 0) for w in words if w[0] < W and w[1] < W]  # a clean sample
        res = _model(proc, good, labels[k], learn)
        c0 = chip.counters()
        await chip.pulse_start(int(labels[k]), learn)
        if int(chip.dut.ev_err.value):
            errors.append(f"sample {k}: ev_err still set after start (must clear)")
        await chip.send(words + [(0, 0, 0, 1)])
        await chip.wait_done()
        want_err = k != 2
        if int(chip.dut.ev_err.value) != int(want_err):
            errors.append(f"sample {k}: ev_err = {int(chip.dut.ev_err.value)}, expected {int(want_err)}")
        await _check(chip, proc, res, *chip.result(), c0, f"out_of_array sample {k}", errors, stats)
    _finish("out_of_array", errors, stats)


@cocotb.test(timeout_time=200, timeout_unit="ms")
async def gaps_backpressure(dut):
    cfg, chip, proc, batch, labels = await _setup(dut)
    rng = np.random.default_rng(3)
    errors, stats = [], {"stalled_cycles": 0}
    for k, learn in ((0, True), (1, True), (2, False)):
        ev = _rows(batch.stream(k))
        res = _model(proc, ev, labels[k], learn)
        c0 = chip.counters()
        # count the cycles the port holds a presented word back (ev_valid & !ev_ready)
        stall = {"n": 0, "on": True}

        async def watch():
            while stall["on"]:
                await FallingEdge(chip.dut.clk)
                if int(chip.dut.ev_valid.value) and not int(chip.dut.ev_ready.value):
                    stall["n"] += 1
        w = cocotb.start_soon(watch())
        pred, out = await chip.run_sample(ev, int(labels[k]), learn, gaps=rng)
        stall["on"] = False
        await w
        stats["stalled_cycles"] += stall["n"]
        await _check(chip, proc, res, pred, out, c0, f"gaps sample {k}", errors, stats)
    if stats["stalled_cycles"] == 0:
        errors.append("no back-pressure happened: the test did not exercise it")
    _finish("gaps_backpressure", errors, stats)


@cocotb.test(timeout_time=200, timeout_unit="ms")
async def start_while_busy(dut):
    cfg, chip, proc, batch, labels = await _setup(dut)
    d = dut
    errors, stats = [], {"busy_start_requests": 0}
    for k, learn in ((0, True), (1, False), (2, True)):
        ev = _rows(batch.stream(k))
        res = _model(proc, ev, labels[k], learn)
        c0 = chip.counters()
        stop = {"on": True}

        async def meddle():
            # every busy cycle (DONE included): start_ready must be 0, and a start request with
            # another label and the other mode is presented
            while stop["on"]:
                await FallingEdge(d.clk)
                if int(d.busy.value) and int(d.start_ready.value):
                    errors.append(f"sample {k}: start_ready = 1 while busy"
                                  f"{' (in DONE)' if int(d.done.value) else ''}")
                if int(d.done.value):
                    d.start_valid.value = 0        # never into the idle cycle after DONE
                    break
                if int(d.busy.value):
                    d.start_label.value = (int(labels[k]) + 1) % cfg.output.neurons
                    d.start_learn.value = int(not learn)
                    d.start_valid.value = 1
                    stats["busy_start_requests"] += 1
            d.start_valid.value = 0
        await chip.pulse_start(int(labels[k]), learn)
        m = cocotb.start_soon(meddle())
        await chip.send([(*r, 0) for r in ev] + [(0, 0, 0, 1)])
        await chip.wait_done()
        stop["on"] = False
        await m
        d.start_valid.value = 0
        await FallingEdge(d.clk)
        if int(d.busy.value):
            errors.append(f"sample {k}: a start request made while busy started a sample")
        await _check(chip, proc, res, *chip.result(), c0, f"start_while_busy sample {k}", errors, stats)
    _finish("start_while_busy", errors, stats)


@cocotb.test(timeout_time=200, timeout_unit="ms")
async def access_while_busy(dut):
    """A write request held from the start of a sample (w[0] of the output layer := X) must wait
    until the chip is idle; a read request held during a sample likewise (and then return its
    word)."""
    cfg, chip, proc, batch, labels = await _setup(dut)
    d = dut
    errors, stats = [], {"busy_requests": 0}
    wb = cfg.output.wb
    k_out = cfg.depth + 1
    for k, learn, we in ((0, True, 1), (1, False, 1), (2, True, 0)):
        ev = _rows(batch.stream(k))
        res = _model(proc, ev, labels[k], learn)
        w0 = int(proc.weights(k_out)[0, 0])
        x = -(1 << (wb - 1)) if w0 >= 0 else (1 << (wb - 1)) - 1       # the opposite rail
        c0 = chip.counters()
        await chip.pulse_start(int(labels[k]), learn)
        d.acc_sel.value = chip.ids[f"fc{k_out}_w"] if we else chip.ids["conv_kernel"]
        d.acc_addr.value = 0
        d.acc_we.value = we
        d.acc_wdata.value = x & ((1 << wb) - 1)
        d.acc_en.value = 1
        performed = {"busy": 0, "done": False}

        async def hold():
            while True:
                await FallingEdge(d.clk)
                ready = int(d.acc_ready.value)
                if ready != int(not int(d.busy.value)):
                    errors.append(f"sample {k}: acc_ready = {ready} with busy = {int(d.busy.value)}")
                if ready:
                    break                       # the next rising edge performs the request
                performed["busy"] += 1
            await FallingEdge(d.clk)            # ... and read data is valid after it
            d.acc_en.value = 0
            d.acc_we.value = 0
            performed["done"] = True
        h = cocotb.start_soon(hold())
        await chip.send([(*r, 0) for r in ev] + [(0, 0, 0, 1)])
        await h
        stats["busy_requests"] += performed["busy"]
        if performed["busy"] == 0:
            errors.append(f"sample {k}: the request was never held while busy")
        c_now = chip.counters()
        pred, out = chip.result()
        if we:
            proc.weights(k_out)[0, 0] = x       # the host write, performed after the sample
        else:
            got = d.acc_rdata.value.to_unsigned()
            exp = proc.packed_words("conv_kernel")[0]
            if got != exp:
                errors.append(f"sample {k}: held read of conv_kernel[0] returned 0x{got:x}, expected 0x{exp:x}")
        if pred != int(res.preds[0]) or out != [int(v) for v in proc.memories()[out_name(cfg)]]:
            errors.append(f"sample {k}: result differs from the model (a busy access leaked in)")
        compare_counters(c_now - c0, res.per_sample[0], f"access_while_busy sample {k}", errors)
        await compare_all(chip, proc, int(res.preds[0]), f"access_while_busy sample {k}", errors, stats)
    _finish("access_while_busy", errors, stats)


@cocotb.test(timeout_time=300, timeout_unit="ms")
async def reset_mid_sample(dut):
    """Reset during the event phase, then during the learning phase: every register returns to
    its reset value; memories keep what was written (the host reloads them); the chip then
    runs samples exactly like a fresh model."""
    from hwmodel.engine.processor import Processor
    cfg, chip, proc, batch, labels = await _setup(dut)
    d = dut
    errors, stats = [], {}
    seeds = roms.layer_lfsr_seeds(cfg)           # lfsr_fc1 .. lfsr_fc{K+1}

    async def do_reset(where):
        d.ev_valid.value = 0
        d.start_valid.value = 0
        d.rst.value = 1
        for _ in range(2):
            await FallingEdge(d.clk)
        d.rst.value = 0
        await FallingEdge(d.clk)
        checks = {"busy": 0, "done": 0, "start_ready": 1, "ev_ready": 0, "ev_err": 0,
                  "res_pred": 0, "acc_ready": 1}
        for sig, want in checks.items():
            v = int(getattr(d, sig).value)
            if v != want:
                errors.append(f"{where}: after reset {sig} = {v}, expected {want}")
        if chip.counters().any():
            errors.append(f"{where}: counters not zero after reset")
        for k, want in enumerate(seeds, start=1):
            name = f"lfsr_fc{k}"
            got = (await chip.read_mem(name))[0]
            if got != want:
                errors.append(f"{where}: {name} = 0x{got:x} after reset, expected seed 0x{want:x}")

    # 1) reset in the middle of the event phase (after half of the events)
    ev = _rows(batch.stream(0))
    await chip.pulse_start(int(labels[0]), True)
    await chip.send([(*r, 0) for r in ev[: len(ev) // 2]])
    await do_reset("reset in event phase")
    # 2) a learning sample, reset once the learning phase (the first layer's update) is under way
    fresh = Processor.from_config(cfg)
    for name in writable(cfg):
        await chip.write_mem(name, fresh.packed_words(name))
    await chip.pulse_start(int(labels[1]), True)
    await chip.send([(*r, 0) for r in _rows(batch.stream(1))] + [(0, 0, 0, 1)])
    for _ in range(1_000_000):
        await FallingEdge(d.clk)
        if int(d.learn_phase.value) and chip.counter("fc1_upd", 1) > 3:
            break
    else:
        errors.append("the learning phase never started")
    await do_reset("reset in learning phase")
    # reload the memories and run on: learning and inference equal a fresh model
    fresh = Processor.from_config(cfg)
    for name in writable(cfg):
        await chip.write_mem(name, fresh.packed_words(name))
    for k, learn in ((2, True), (3, False), (4, True)):
        ev = _rows(batch.stream(k))
        res = _model(fresh, ev, labels[k], learn)
        c0 = chip.counters()
        pred, out = await chip.run_sample(ev, int(labels[k]), learn)
        await _check(chip, fresh, res, pred, out, c0, f"after reset sample {k}", errors, stats)
    _finish("reset_mid_sample", errors, stats)


@cocotb.test(timeout_time=200, timeout_unit="ms")
async def events_between_samples(dut):
    """A word presented while the chip is idle or in its FC phases is not taken; it is the
    first word of the next sample once that sample's event phase begins."""
    cfg, chip, proc, batch, labels = await _setup(dut)
    d = dut
    errors, stats = [], {}
    first = None
    for k, learn in ((0, True), (1, False), (2, True), (3, False)):
        ev = _rows(batch.stream(k))
        rows = ([first] if first is not None else []) + ev
        res = _model(proc, rows, labels[k], learn)
        c0 = chip.counters()
        await chip.pulse_start(int(labels[k]), learn)
        await chip.send([(*r, 0) for r in rows] + [(0, 0, 0, 1)])
        # right after the end-of-sample marker, present the next sample's first event and
        # keep it presented through the FC phases, DONE and 20 idle cycles
        first = (int(k * 7 % cfg.input.width), int(k * 11 % cfg.input.width), 0)
        d.ev_x.value, d.ev_y.value, d.ev_p.value, d.ev_eos.value = first[0], first[1], 0, 0
        d.ev_valid.value = 1
        taken = 0
        for _ in range(10_000_000):
            await FallingEdge(d.clk)
            taken += int(d.ev_ready.value)
            if int(d.done.value):
                break
        for _ in range(21):
            await FallingEdge(d.clk)
            taken += int(d.ev_ready.value)
        if taken:
            errors.append(f"sample {k}: ev_ready was 1 in {taken} cycles outside the event phase")
        d.ev_valid.value = 0
        await _check(chip, proc, res, *chip.result(), c0, f"between samples {k}", errors, stats)
    _finish("events_between_samples", errors, stats)


@cocotb.test(timeout_time=200, timeout_unit="ms")
async def ignored_fields(dut):
    """Fields the spec ignores, driven with every legal value (the host-side encoder never does):
    the polarity bit of every event on a one-channel chip (random 0/1) and the coordinates and
    polarity of the end-of-sample marker (0, the largest codes, x = W), which must neither set
    ev_err nor change anything. Then the ev_err corners: an out-of-array word as the very first
    word, at x = W, at y = W and at the largest code; the flag stays set through DONE and idle
    cycles until the next start."""
    cfg, chip, proc, batch, labels = await _setup(dut)
    assert cfg.input.channels == 1, "needs a one-channel chip (the polarity bit is ignored)"
    W, XW = cfg.input.width, max(1, (cfg.input.width - 1).bit_length())
    top = (1 << XW) - 1
    rng = np.random.default_rng(5)
    errors, stats = [], {"events_with_p": 0, "err_corners": 0}
    for k, learn, eos in ((0, True, (0, 0, 1)), (1, False, (top, top, 1)), (2, True, (W, 3, 0))):
        good = _rows(batch.stream(k))
        words = [(x, y, int(rng.integers(0, 2)), 0) for x, y, _ in good]
        stats["events_with_p"] += sum(w[2] for w in words)
        res = _model(proc, good, labels[k], learn)
        c0 = chip.counters()
        await chip.pulse_start(int(labels[k]), learn)
        await chip.send(words + [(*eos, 1)])
        await chip.wait_done()
        if int(chip.dut.ev_err.value):
            errors.append(f"sample {k}: the end-of-sample marker {eos} set ev_err")
        await _check(chip, proc, res, *chip.result(), c0, f"ignored_fields sample {k}", errors, stats)
    for k, bad in ((3, (W, 0)), (4, (0, W)), (5, (top, top))):
        good = _rows(batch.stream(k))
        res = _model(proc, good, labels[k], False)
        c0 = chip.counters()
        await chip.pulse_start(int(labels[k]), False)
        if int(chip.dut.ev_err.value):
            errors.append(f"sample {k}: ev_err not cleared by the start")
        await chip.send([(*bad, 0, 0)] + [(*r, 0) for r in good] + [(0, 0, 0, 1)])
        await chip.wait_done()
        for _ in range(5):
            await FallingEdge(chip.dut.clk)
        if not int(chip.dut.ev_err.value):
            errors.append(f"sample {k}: first word {bad} out of the array, ev_err not set after DONE")
        stats["err_corners"] += 1
        await _check(chip, proc, res, *chip.result(), c0, f"ignored_fields ev_err sample {k}", errors, stats)
    _finish("ignored_fields", errors, stats)
