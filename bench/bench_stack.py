"""Throughput of the layer-stack kernel (hwmodel.stack) against today's one-hidden-layer kernel
(hwmodel.kernels.run_batch), in the same process, on the same samples, on one core.

Both start from the same trained state (one learning pass, so the derivative window is
realistic) and their results are checked equal before anything is timed. Runs alternate between
the two kernels (best of --repeats each), so a busy machine slows both alike. JIT compilation is
excluded (warm-up run).

    python bench/bench_stack.py [--config spoon] [--samples 2000] [--repeats 5]
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from hwmodel.config import Config
from hwmodel.data import embedded_split
from hwmodel.encode import EventBatch, encode_images
from hwmodel.model import Processor
from hwmodel.stack import StackProcessor


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default="spoon")
    ap.add_argument("--samples", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args()
    cfg = Config.load(a.config)
    if cfg.depth != 1:
        raise SystemExit(f"config {cfg.name} has {cfg.depth} hidden layers: today's kernel needs exactly one")
    sp = embedded_split(4000, 1000)
    batch = EventBatch.from_streams(encode_images(sp.x_train[:a.samples], cfg), cfg)
    labels = sp.y_train[:a.samples]
    old = Processor.from_config(cfg)
    new = StackProcessor.from_config(cfg)
    r_old = old.run(batch, labels, learn=True)     # warm-up (compilation) and the trained state
    r_new = new.run(batch, labels, learn=True)
    same = (np.array_equal(r_old.preds, r_new.preds) and np.array_equal(r_old.counters, r_new.counters)
            and all(np.array_equal(v, new.memories()[k]) for k, v in old.memories().items()))
    if not same:
        raise SystemExit("the two kernels disagree after the warm-up pass")
    old.run(batch, labels, learn=False)
    new.run(batch, labels, learn=False)

    def run(proc, learn):
        p = proc.copy()
        return lambda: p.run(batch, labels, learn=learn)

    n = a.samples
    print(f"config {cfg.name}: {cfg.n_in}+1 -> {cfg.fc1.neurons} -> {cfg.fc2.neurons}, "
          f"{batch.offsets[-1] / n:.0f} events/sample, {n} samples, best of {a.repeats}, one core")
    print(f"{'':26s} {'run_batch samples/s':>20s} {'run_stack samples/s':>20s} {'stack/old':>10s}")
    for name, learn in (("learning (on-chip DRTP)", True), ("inference", False)):
        t_old = t_new = float("inf")
        for _ in range(a.repeats):
            t_old = min(t_old, timed(run(old, learn)))
            t_new = min(t_new, timed(run(new, learn)))
        print(f"{name:26s} {n / t_old:20,.0f} {n / t_new:20,.0f} {t_old / t_new:10.3f}")


if __name__ == "__main__":
    main()
