"""RTL simulation benchmark: clock cycles per sample (learning and inference) and simulated
cycles per wall-clock second, for the tiny and spoon presets.

    python bench/bench_rtl.py [--samples N] [--presets tiny,spoon]

Uses the same builds as the co-simulation tests (SIM=verilator by default; see sim/runner.py).
Cycles are counted from the start handshake to `done` (events streamed as fast as the event
port accepts them, one per clock at most).
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim import runner  # noqa: E402

from hwmodel.spec.config import Config, list_presets  # noqa: E402
from hwmodel.util import checks  # noqa: E402


def main(argv=None) -> int:
    ap = checks.Parser(prog="python bench/bench_rtl.py", description=__doc__.split("\n")[0])
    ap.add_argument("--samples", type=checks.count, default=20, help="samples per mode, >= 1 (default 20)")
    ap.add_argument("--presets", default="tiny,spoon", help="comma-separated presets (default tiny,spoon)")
    try:
        a = ap.parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0)
    names = [n.strip() for n in a.presets.split(",")]
    unknown = [n for n in names if n not in list_presets()]
    if unknown:
        print(f"error: --presets: unknown preset {', '.join(map(repr, unknown))} (known: {', '.join(list_presets())})",
              file=sys.stderr)
        return 2
    why = runner.unavailable()
    if why:
        print(f"RTL simulation unavailable: {why}")
        return 1
    print(f"simulator: {runner.sim_name()}")
    print(f"{'preset':8} {'mode':6} {'samples':>7} {'ev/sample':>9} {'cycles/sample':>14} "
          f"{'min':>8} {'max':>8} {'sim cycles/s':>13}")
    for name in names:
        cfg = Config.preset(name)
        b = runner.build_top(cfg)
        rep = runner.run(b, "sim.benches.tb_system", "bench",
                            {"config": str(b.gen["dir"] / "config.toml"), "n_learn": a.samples,
                             "n_infer": a.samples}, tag=f"bench{a.samples}")
        for mode in ("learn", "infer"):
            r = rep[mode]
            print(f"{cfg.name:8} {mode:6} {r['samples']:7d} {r['events_mean']:9.1f} "
                  f"{r['cycles_mean']:14.1f} {r['cycles_min']:8d} {r['cycles_max']:8d} "
                  f"{r['cycles_per_s']:13.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
