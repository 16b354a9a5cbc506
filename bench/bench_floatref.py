"""Throughput of the float references' gain searches, against one run per gain pair, in one process.

For a preset (default spoon) on the embedded split as ``train`` carves it, every pair of the 5 x 5
gain grid is trained for ``--epochs`` epochs (no grid growth, so both sides train the same pairs)
twice: as the search used to, one run per pair on one thread (the reference), and as
``gainsearch.train_reference`` does now (float DRTP: the output gains of a hidden gain on a shared
hidden trajectory; both: ``--jobs`` threads). Both must give the same validation accuracies
(checked). Prints training sample-steps per second (pairs x epochs x training samples / time,
validation included), their ratio, and the integer chip model's learning samples/s on the same
samples beside them (its conv front end computed in every pass, and once, as train does).
``--make-train`` also times the whole ``python -m hwmodel train --mode both`` (the main job of
``make train``, after set-up) as a subprocess.

    python bench/bench_floatref.py [--config spoon] [--epochs 3] [--jobs N] [--make-train]
"""
from __future__ import annotations

import subprocess
import sys
import time

from hwmodel.util import checks
from hwmodel.spec import roms
from hwmodel.spec.config import Config, ConfigError
from hwmodel.train.gainsearch import GAINS, _train_points, train_reference
from hwmodel.engine.processor import Processor
from hwmodel.util.parallel import cores
from hwmodel.engine.conv import spike_inputs
from hwmodel.data.select import DataSpec, load_data
from hwmodel.train.runs import epoch_orders


def main(argv=None) -> int:
    ap = checks.Parser(prog="python bench/bench_floatref.py", description=__doc__.splitlines()[0])
    ap.add_argument("--config", default="spoon", help="preset or TOML file (default spoon)")
    ap.add_argument("--epochs", type=checks.count, default=3, help="epochs per gain pair (default 3)")
    ap.add_argument("--jobs", type=checks.count, default=None, help="threads (default: every core)")
    ap.add_argument("--make-train", action="store_true",
                    help="also time python -m hwmodel train --mode both (about a minute)")
    try:
        a = ap.parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0)
    jobs = a.jobs or cores()
    try:
        cfg = Config.load(a.config)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    prep, source = load_data(cfg, DataSpec("image", None, None, None, 0, None, None, None))
    proc = Processor.from_config(cfg)

    def csr(batch, y):
        c = spike_inputs(proc.g, batch.x, batch.y, batch.c, batch.offsets, proc.st["kern"])
        return (c[0], c[1], y)
    tr, va, te = csr(prep.train, prep.y_train), csr(prep.val, prep.y_val), csr(prep.test, prep.y_test)
    init = ([roms.layer_init(cfg, k) for k in range(1, cfg.depth + 2)],
            [roms.layer_b_fields(cfg, h) for h in range(1, cfg.depth + 1)])
    orders = epoch_orders(len(prep.y_train), a.epochs, cfg.seed)
    pairs = [(g1, g2) for g1 in GAINS for g2 in GAINS]
    steps = len(pairs) * a.epochs * len(prep.y_train)
    # warm-up: compilation excluded
    _train_points(cfg, *init, "drtp", False, pairs[:2], tr, va, 1, orders, None)
    for algo in ("drtp", "bp"):
        _train_points(cfg, *init, algo, False, pairs[:1], tr, va, 1, orders, None)
    fe = proc.front_end(prep.train)                 # once per seed in train (runs.front_ends)
    for front in (None, fe):                        # the chip's kernels compiled, both paths
        proc.copy().train_epoch(prep.train, prep.y_train, orders[0][:50], front=front)

    def learning_rate(front) -> float:
        chip = proc.copy()
        t0 = time.perf_counter()
        for e in range(a.epochs):
            chip.train_epoch(prep.train, prep.y_train, orders[e], front=front)
        return a.epochs * len(prep.y_train) / (time.perf_counter() - t0)
    chip_rate, chip_rate_fe = learning_rate(None), learning_rate(fe)
    print(f"config {cfg.name}, {source}: {len(prep.y_train)} training / {len(prep.y_val)} validation samples, "
          f"{len(pairs)} gain pairs x {a.epochs} epochs, {jobs} thread(s)")
    print(f"{'':20s} {'per pair, 1 thread':>20s} {'search now':>14s} {'ratio':>7s}   (training sample-steps/s)")
    for algo in ("drtp", "bp"):
        t0 = time.perf_counter()
        ref = [_train_points(cfg, *init, algo, False, [p], tr, va, a.epochs, orders, None)[0] for p in pairs]
        t_ref = time.perf_counter() - t0
        t0 = time.perf_counter()
        fr = train_reference(cfg, algo, init, tr, va, te, a.epochs, orders, extend=0, jobs=jobs)
        t_new = time.perf_counter() - t0
        if [r[1][-1] for r in ref] != [g["val_accuracy"] for g in fr.grid]:
            print(f"error: float {algo.upper()}: the search's validation accuracies differ from the per-pair runs",
                  file=sys.stderr)
            return 1
        print(f"float {algo.upper():14s} {steps / t_ref:20,.0f} {steps / t_new:14,.0f} {t_ref / t_new:6.1f}x")
    print(f"{'integer chip model':20s} {chip_rate:20,.0f} {chip_rate_fe:14,.0f} {chip_rate_fe / chip_rate:6.1f}x   "
          f"(learning samples/s, one core; the conv computed in every pass / once)")
    if a.make_train:
        cmd = [sys.executable, "-m", "hwmodel", "train", "--config", a.config, "--mode", "both", "--no-progress",
               "--json", "--jobs", str(jobs)]
        t0 = time.perf_counter()
        r = subprocess.run(cmd, capture_output=True, text=True)
        dt = time.perf_counter() - t0
        if r.returncode:
            print(f"error: {' '.join(cmd[1:])} failed: {r.stderr.strip()[-300:]}", file=sys.stderr)
            return 1
        print(f"python -m hwmodel train --mode both (10 epochs, {jobs} thread(s)): {dt:.1f} s wall")
    return 0


if __name__ == "__main__":
    sys.exit(main())
