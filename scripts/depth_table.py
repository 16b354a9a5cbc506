"""What do DRTP's hidden layers buy? Depth 0 / 1 / 2 for three front ends, mean ± std over seeds.

For every front end (spoon's conv; spoon's conv OR-pooled 2x2; the pixel pass-through, a 1x1
identity conv) the integer model trains on chip at depth 1 and depth 2; the depth-2 run also
trains, on the same data, split, seeds and front end, the linear read-out (depth 0, its sigmoid
and learning-rate shifts chosen on validation) and the frozen-hidden network (hidden layers keep
their initial weights). Every run uses the embedded split (3,000 training digits, 1,000
validation, 1,000 test) and `run_seeds` of hwmodel.train.seeds, as `python -m hwmodel train --seeds`
does. No float reference (the integer accuracies are what the table compares).

Each finished (front end, depth) row is written to OUT.json at once; a rerun skips the rows
already there (Ctrl-C loses at most the row in progress). OUT.md gets the table.

    python scripts/depth_table.py [--seeds 0,1,2] [--epochs 10] [--out runs/depth_table]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from hwmodel.util import checks
from hwmodel.spec.config import Config
from hwmodel.spec.layers import memories
from hwmodel.util.provenance import version_info
from hwmodel.data.select import DataSpec, load_data
from hwmodel.train.seeds import run_seeds

# front end -> (preset, overrides of the front end, hidden sizes at depth 1, at depth 2)
FRONT_ENDS = {
    "spoon conv (8x5x5/2, 1,152 spikes)": ("spoon_deep", {}, "128", "128,64"),
    "spoon conv, OR-pooled 2x2 (288 spikes)": ("spoon_deep", {"conv.pool": 2}, "128", "128,64"),
    "pixel pass-through (784 pixels)": ("pixel_fc", {}, "500", "500,500"),
}


def weight_bits(cfg: Config) -> int:
    m = memories(cfg)
    return sum(m[f"fc{k}_w"]["bits"] for k in range(1, cfg.depth + 2))


def linear_weight_bits(cfg: Config) -> int:
    return (cfg.n_in + 1) * cfg.output.neurons * cfg.output.wb


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="0,1,2", help=checks.SEEDS_HELP + " (default 0,1,2)")
    ap.add_argument("--epochs", type=int, default=10, help="epochs per run (default 10)")
    ap.add_argument("--out", default="runs/depth_table", help="output prefix: OUT.json, OUT.md")
    a = ap.parse_args(argv)
    try:
        seeds = checks.parse_seed_list(a.seeds)
    except ValueError as e:
        print(f"error: --seeds {e}", file=sys.stderr)
        return 2
    if a.epochs < 1:
        print(f"error: --epochs {a.epochs}: must be >= 1", file=sys.stderr)
        return 2
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    jpath = out.with_suffix(".json")
    done = json.loads(jpath.read_text()) if jpath.exists() else {"code_version": version_info(), "rows": []}
    have = {(r["front_end"], r["depth"]) for r in done["rows"]}
    for fe, (preset, over, s1, s2) in FRONT_ENDS.items():
        for depth, sizes in ((1, s1), (2, s2)):
            if (fe, depth) in have:
                continue
            cfg = Config.preset(preset).replace(**over, **{"hidden.sizes": sizes})
            prep, _ = load_data(cfg, DataSpec())
            t0 = time.perf_counter()
            print(f"{fe}, depth {depth} ({sizes}): {len(seeds)} seeds ...", file=sys.stderr, flush=True)
            sr = run_seeds(cfg, prep, seeds, epochs=a.epochs, float_reference=False, baselines=(depth == 2))
            if sr.interrupted:
                print(f"interrupted: {sr.interrupted}; rows so far in {jpath}", file=sys.stderr)
                return 130
            r = sr.results
            row = {"front_end": fe, "depth": depth, "sizes": sizes, "n_in": cfg.n_in, "seeds": seeds,
                   "epochs": a.epochs, "weight_bits": weight_bits(cfg),
                   "memory_bits": sum(v["bits"] for v in memories(cfg).values()),
                   "linear_weight_bits": linear_weight_bits(cfg), "seconds": time.perf_counter() - t0,
                   **{k: r[k] for k in r if k.endswith(("_mean", "_std"))
                      and k.split("_")[0] in ("test", "val", "train", "linear", "frozen")}}
            done["rows"].append(row)
            tmp = jpath.with_suffix(".json.tmp")
            tmp.write_text(json.dumps(done, indent=1, sort_keys=True))
            os.replace(tmp, jpath)
    out.with_suffix(".md").write_text(render(done["rows"]))
    print(render(done["rows"]))
    return 0


def _ms(r: dict, key: str) -> str:
    m, s = r.get(f"{key}_mean"), r.get(f"{key}_std")
    return "-" if m is None else f"{100 * m:.1f} ± {100 * (s or 0):.1f}"


def render(rows: list[dict]) -> str:
    lines = ["| front end | depth | hidden sizes | FC weight memory (kbit) | test accuracy (%) | "
             "validation accuracy (%) |", "|---|---|---|---|---|---|"]
    for fe in FRONT_ENDS:
        rs = {r["depth"]: r for r in rows if r["front_end"] == fe}
        if 2 in rs:
            r = rs[2]
            lines.append(f"| {fe} | 0 (linear read-out) | - | {r['linear_weight_bits'] / 1000:,.1f} | "
                         f"{_ms(r, 'linear_test_accuracy')} | {_ms(r, 'linear_val_accuracy')} |")
        for d in (1, 2):
            if d in rs:
                r = rs[d]
                lines.append(f"| {fe} | {d} | {r['sizes'].replace(',', '-')} | {r['weight_bits'] / 1000:,.1f} | "
                             f"{_ms(r, 'test_accuracy')} | {_ms(r, 'val_accuracy')} |")
        if 2 in rs:
            r = rs[2]
            lines.append(f"| {fe} | 2, hidden frozen | {r['sizes'].replace(',', '-')} | "
                         f"{r['weight_bits'] / 1000:,.1f} | {_ms(r, 'frozen_test_accuracy')} | "
                         f"{_ms(r, 'frozen_val_accuracy')} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
