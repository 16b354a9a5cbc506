"""Throughput of the integer model on one core: Numba kernels vs the plain Python reference.

Prints samples/s for on-chip learning and for inference on a preset (default spoon), for both
implementations in the same process, and their ratio (the reference is naive.reference,
any depth). JIT compilation is excluded (warm-up run).

    python bench/bench_model.py [--config spoon] [--samples 2000] [--ref-samples 10] [--set KEY=VALUE]
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

from hwmodel.spec.config import Config, ConfigError
from hwmodel.util import checks
from hwmodel.data.mnist import embedded_split
from hwmodel.data.encode import EventBatch, encode_images
from hwmodel.engine.processor import Processor

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the naive reference
from naive import reference  # noqa: E402


def best_of(fn, repeats=3):
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv=None) -> int:
    ap = checks.Parser(prog="python bench/bench_model.py", description=__doc__.splitlines()[0])
    ap.add_argument("--config", default="spoon", help="preset or TOML file (default spoon)")
    ap.add_argument("--samples", type=checks.count, default=2000,
                    help="samples timed in the Numba model, 1..4000 (default 2000)")
    ap.add_argument("--ref-samples", type=checks.count, default=10,
                    help="samples timed in the plain reference, at most --samples (default 10)")
    ap.add_argument("--set", action="append", metavar="KEY=VALUE",
                    help="config override, e.g. --set fc1.lanes=16 (repeatable)")
    try:
        a = ap.parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0)
    try:
        if a.samples > 4000:
            raise ValueError(f"--samples {a.samples}: the embedded training split has 4000 digits")
        if a.ref_samples > a.samples:
            raise ValueError(f"--ref-samples {a.ref_samples} is more than --samples {a.samples}")
        cfg = Config.load(a.config).with_sets(a.set)
    except (ConfigError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    sp = embedded_split(4000, 1000)
    batch = EventBatch.from_streams(encode_images(sp.x_train[:a.samples], cfg), cfg)
    labels = sp.y_train[:a.samples]
    # a processor that has learned for one pass, so the derivative window is realistic
    trained = Processor.from_config(cfg)
    trained.run(batch, labels, learn=True)

    def numba_run(learn):
        p = trained.copy()
        return lambda: p.run(batch, labels, learn=learn)

    numba_run(True)()  # warm-up: compilation excluded
    t_learn = best_of(numba_run(True))
    t_inf = best_of(numba_run(False))
    n = a.samples
    streams = [batch.stream(k) for k in range(a.ref_samples)]

    def ref_run(learn):
        mem = trained.memories()
        return lambda: reference.run(cfg, streams, labels[:a.ref_samples], learn, mem)

    r_learn = best_of(ref_run(True), 1)
    r_inf = best_of(ref_run(False), 1)
    m = a.ref_samples
    rows = [("learning (on-chip DRTP)", n / t_learn, m / r_learn), ("inference", n / t_inf, m / r_inf)]
    sizes = " -> ".join(str(h.neurons) for h in (*cfg.hidden, cfg.output))
    lanes = "/".join(str(h.lanes) for h in (*cfg.hidden, cfg.output))
    print(f"config {cfg.name}: {cfg.n_in}+1 -> {sizes} (lanes {lanes}), "
          f"{batch.offsets[-1] / n:.0f} events/sample, one core")
    print(f"{'':26s} {'numba samples/s':>16s} {'reference samples/s':>20s} {'ratio':>8s}")
    for name, fast, slow in rows:
        print(f"{name:26s} {fast:16,.0f} {slow:20,.1f} {fast / slow:8,.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
