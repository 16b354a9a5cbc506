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
``make train``, after set-up) as a subprocess. ``--torch`` also times DRTP written in PyTorch and
trained in mini-batches of 100 (float32, the same topology, spike inputs, initial weights and B,
every update of a batch summed as the online rule would apply them one by one) on one thread and
on ``--jobs`` threads, beside one float DRTP run and the chip: the batched float code a DRTP
study would otherwise use. PyTorch is not a dependency of the project: without it the comparison
is skipped with a note (``pip install torch --index-url https://download.pytorch.org/whl/cpu``).

    python bench/bench_floatref.py [--config spoon] [--epochs 3] [--jobs N] [--make-train] [--torch]
"""
from __future__ import annotations

import subprocess
import sys
import time

import numpy as np

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
    ap.add_argument("--torch", action="store_true",
                    help="also time a PyTorch DRTP at batch 100 on the same inputs (skipped without PyTorch)")
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
    if a.torch:
        _torch_comparison(cfg, init, tr, va, orders, a.epochs, jobs, chip_rate_fe)
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


def _torch_comparison(cfg, init, tr, va, orders, epochs: int, jobs: int, chip_rate: float) -> None:
    """Samples/s of PyTorch DRTP at batch 100 (1 and ``jobs`` threads) beside one float DRTP run of
    the reference (gains 1, 1) on the same samples; a note instead when PyTorch is missing."""
    try:
        import torch
    except ImportError:
        print("PyTorch DRTP at batch 100: skipped (PyTorch is not installed; "
              "pip install torch --index-url https://download.pytorch.org/whl/cpu)")
        return
    n = len(tr[2])
    t0 = time.perf_counter()
    _train_points(cfg, *init, "drtp", False, [(1.0, 1.0)], tr, va, epochs, orders, None)
    ref_rate = epochs * n / (time.perf_counter() - t0)
    print(f"{'float DRTP, one run':20s} {ref_rate:20,.0f}   (online, float64, one thread, validation included)")
    threads = torch.get_num_threads()
    try:
        for th in sorted({1, jobs}):
            torch.set_num_threads(th)
            rate, acc, _ = torch_drtp(torch, cfg, init, tr, va, orders, epochs)
            print(f"{'PyTorch DRTP b=100':20s} {rate:20,.0f}   ({th} thread(s), float32; validation "
                  f"{100 * acc:.2f} %; the chip model learns {chip_rate / rate:.2f}x as many samples/s per core)"
                  if th == 1 else f"{'PyTorch DRTP b=100':20s} {rate:20,.0f}   ({th} threads, float32)")
    finally:
        torch.set_num_threads(threads)


def torch_drtp(torch, cfg, init, tr, va, orders, epochs: int, batch: int = 100) -> tuple[float, float, list]:
    """DRTP of ``cfg``'s FC stack in PyTorch, mini-batches of ``batch`` (training samples/s over
    ``epochs`` epochs, validation accuracy and the weights after them). Units as ``floatref.FloatStack``: weights
    in LSBs, bias inputs 1 (spikes) and YMAX (activations), hidden activations clamp(z / 2^AS,
    +-YMAX), output error sigmoid(z / 2^(SS+LF)) * ONE
    - ONE * onehot, hidden signal d * B[label]; learning rates 2^-LR (gains 1); no weight range."""
    from hwmodel.train.floatref import FloatStack
    net = FloatStack(cfg, *init, "drtp")
    L = cfg.depth + 1
    f32 = torch.float32
    W = [torch.tensor(w, dtype=f32) for w in net.weights()]
    B = [torch.tensor(net.B[net.boff[k]:net.boff[k + 1]].reshape(cfg.output.neurons, -1), dtype=f32)
         for k in range(L - 1)]

    def dense(t):
        idx, off, _ = t
        X = torch.zeros(len(off) - 1, int(net.nin[0]), dtype=f32)
        rows = np.repeat(np.arange(len(off) - 1), np.diff(off))
        X[torch.from_numpy(rows), torch.from_numpy(idx.astype(np.int64))] = 1.0
        return X
    X, Xv = dense(tr), dense(va)
    y, yv = torch.from_numpy(np.asarray(tr[2], np.int64)), torch.from_numpy(np.asarray(va[2], np.int64))
    one, inv_sig = float(cfg.one), float(net.inv_sig)

    # the bias input of layer 0 is 1 (the spikes' bias), of layer k >= 1 YMAX of layer k - 1
    bias_in = [1.0] + [float(net.ymax[k]) for k in range(L - 1)]

    def forward(x):
        ins, ds, h = [], [], x
        for k in range(L):
            ins.append(h)
            z = h @ W[k][:-1] + bias_in[k] * W[k][-1]
            if k < L - 1:
                u = z * float(net.inv_as[k])
                a = float(net.ymax[k])
                ds.append(((u > -a) & (u < a)).to(f32))
                h = u.clamp(-a, a)
            else:
                h = z
        return ins, ds, h
    t0 = time.perf_counter()
    with torch.no_grad():
        for e in range(epochs):
            order = torch.from_numpy(np.asarray(orders[e], np.int64))
            for s in range(0, len(order), batch):
                b = order[s:s + batch]
                ins, ds, z = forward(X[b])
                err = torch.sigmoid(z * inv_sig) * one
                err[torch.arange(len(b)), y[b]] -= one
                for k in range(L):
                    g = err if k == L - 1 else ds[k] * B[k][y[b]]
                    eta = float(net.lr[k])
                    W[k][:-1] -= eta * (ins[k].T @ g)
                    W[k][-1] -= eta * bias_in[k] * g.sum(0)
        rate = epochs * len(y) / (time.perf_counter() - t0)
        acc = float((forward(Xv)[2].argmax(1) == yv).to(f32).mean())
    return rate, acc, [w.numpy().astype(np.float64) for w in W]


if __name__ == "__main__":
    sys.exit(main())
