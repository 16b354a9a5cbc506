"""Cycles per sample and weight-memory organisation against the lanes of the first hidden layer
(docs/spec.md §16): the table of README "Lanes, banks and cycles".

    python scripts/lanes_table.py [--config spoon] [--lanes 1,8,16,32,128] [--out lanes.md]

For each P, fc1 runs P lanes on two 1rw banks (P = 1: the serial organisation, one 1r1w bank) and
the output layer runs all its units in parallel on one 1rw bank, except at P = 1. The model
counts the cycles exactly as the RTL spends them (co-simulation compares them): one learning
epoch over the embedded training split (chip seed 0, learning cycles) and the test split
(inference cycles), mean and largest sample. Test accuracy after that one epoch is shown to
make visible that the organisation changes no value except through the lane LFSRs.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hwmodel.spec.config import Config  # noqa: E402
from hwmodel.data.mnist import embedded_split  # noqa: E402
from hwmodel.data.encode import EventBatch, encode_images  # noqa: E402
from hwmodel.spec.layers import organisation  # noqa: E402
from hwmodel.engine.processor import Processor  # noqa: E402
from hwmodel.train.runs import epoch_orders  # noqa: E402


def organisation_overrides(cfg: Config, p: int) -> dict:
    if p == 1:
        return {"fc1.lanes": 1, "fc1.weight_banks": 1, "fc1.weight_ports": "1r1w",
                "fc2.lanes": 1, "fc2.weight_banks": 1, "fc2.weight_ports": "1r1w"}
    return {"fc1.lanes": p, "fc1.weight_banks": 2, "fc1.weight_ports": "1rw",
            "fc2.lanes": cfg.output.neurons, "fc2.weight_banks": 1, "fc2.weight_ports": "1rw"}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default="spoon", help="preset or TOML with one hidden layer (default spoon)")
    ap.add_argument("--lanes", default="1,8,16,32,128", help="lanes of fc1, comma-separated")
    ap.add_argument("--out", default=None, help="also write the table to this markdown file")
    a = ap.parse_args(argv)
    base = Config.load(a.config)
    if base.depth != 1:
        print(f"error: {a.config} has {base.depth} hidden layers; this table varies the one hidden layer's lanes",
              file=sys.stderr)
        return 2
    try:
        lanes = [int(x) for x in a.lanes.split(",")]
        cfgs = [base.replace(**organisation_overrides(base, p)) for p in lanes]
    except ValueError as e:
        print(f"error: --lanes {a.lanes}: {str(e).splitlines()[0]}", file=sys.stderr)
        return 2
    sp = embedded_split()
    order = epoch_orders(len(sp.y_train), 1, 0)[0]
    head = ("| fc1 lanes | fc1_w words × bits (banks, ports) | fc2_w words × bits | cycles / inference "
            "(mean, max) | cycles / learning sample (mean, max) | test acc. after 1 epoch |")
    lines = [head, "|" + "---|" * 6]
    print(head, flush=True)
    for p, cfg in zip(lanes, cfgs):
        tr = EventBatch.from_streams(encode_images(sp.x_train, cfg), cfg)
        te = EventBatch.from_streams(encode_images(sp.x_test, cfg), cfg)
        proc = Processor.from_config(cfg)
        lr = proc.run(tr.subset(order), sp.y_train[order], learn=True, record=True)
        inf = proc.run(te, sp.y_test, record=True)
        cl = lr.per_sample[:, :, -1].sum(axis=1)   # "cycles" is the last counter
        ci = inf.per_sample[:, :, -1].sum(axis=1)
        o = organisation(cfg)
        w1, w2 = o["fc1_w"], o["fc2_w"]
        row = (f"| {p} | {w1['words']:,} × {w1['width']} ({w1['banks']}, {w1['ports']}) | "
               f"{w2['words']:,} × {w2['width']} | {ci.mean():,.0f}, {ci.max():,} | {cl.mean():,.0f}, {cl.max():,} | "
               f"{100 * inf.accuracy(sp.y_test):.1f} % |")
        lines.append(row)
        print(row, flush=True)
    if a.out:
        Path(a.out).write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
