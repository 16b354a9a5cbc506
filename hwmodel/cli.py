"""Command line: ``python -m hwmodel train|eval|info``.

Errors in the input (config, data, events, weight files) print one line ``error: ...`` on stderr
and exit with status 2; no traceback.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

from .config import Config, ConfigError, list_presets
from .counters import as_dict, memory_sizes, word_bits
from .data import DataError
from .eventio import EventFormatError
from .model import ModelError, Processor

EXIT_INPUT = 2


DEFAULT_CONFIG = {"image": "spoon", "dvs": "spoon_dvs", "nmnist": "nmnist"}


def _config(args) -> Config:
    cfg = Config.load(args.config or DEFAULT_CONFIG[getattr(args, "events", "image")])
    seed = getattr(args, "seed", None)
    return cfg.with_sets(args.set, **({} if seed is None else {"seed": seed}))


def _data_spec(args):
    from .train import DataSpec
    return DataSpec(args.events, args.data, args.n_train, args.n_test, args.split_seed,
                    args.window_us, args.max_events)


def _bar_factory(enabled: bool):
    if not enabled:
        return None
    from tqdm import tqdm

    def make(desc: str, total: int):
        return tqdm(total=total, desc=desc, unit="it", leave=False, file=sys.stderr, dynamic_ncols=True)
    return make


def _atomic_write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def _kernels(path):
    """Conv kernels from a .npy file of integers, shape (C, CIN, K, K); None: random from the seed."""
    if path is None:
        return None
    try:
        k = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise ModelError(f"kernel file '{path}': cannot read: {e}") from None
    if not np.issubdtype(k.dtype, np.integer):
        raise ModelError(f"kernel file '{path}': dtype {k.dtype} is not an integer type")
    return k


def cmd_train(args) -> int:
    from .train import event_savings, load_data, run_training
    cfg = _config(args)
    prep, source = load_data(cfg, _data_spec(args))
    rep = run_training(cfg, prep, epochs=args.epochs, mode=args.mode,
                       float_reference=not args.no_float, conv_kernels=_kernels(args.kernels),
                       progress=_bar_factory(not args.no_progress and not args.json))
    res = rep.results
    res["data"] = source
    res["events"] = args.events
    if rep.test_counters is not None:
        res["event_savings"] = event_savings(cfg, rep.test_counters, len(prep.y_test))
    if args.out:
        out = Path(args.out)
        if rep.processor is not None:
            rep.processor.save(out / "weights.npz")
        if rep.offchip is not None:
            rep.offchip.save(out / "weights_offchip.npz")
        _atomic_write_text(out / "config.toml", cfg.to_toml())
        _atomic_write_text(out / "results.json", json.dumps(res, indent=2, sort_keys=True))
    if args.json:
        print(json.dumps(res, sort_keys=True))
    else:
        _print_train(res)
    return 0


def _pct(v):
    return "-" if v is None else f"{100 * v:.2f} %"


def _print_train(res: dict) -> None:
    print(f"config {res['config']}  seed {res['seed']}  epochs {res['epochs']}  "
          f"train {res['n_train']} / test {res['n_test']}  ({res['data']})")
    rows = [("on-chip integer DRTP", res.get("train_accuracy"), res.get("test_accuracy")),
            ("float DRTP reference", res.get("float_train_accuracy"), res.get("float_test_accuracy")),
            ("off-chip BP -> integer", None, res.get("offchip_test_accuracy")),
            ("off-chip BP (float)", None, res.get("offchip_float_test_accuracy"))]
    print(f"{'':26s} {'train':>9s} {'test':>9s}")
    for name, tr, te in rows:
        if tr is not None or te is not None:
            print(f"{name:26s} {_pct(tr):>9s} {_pct(te):>9s}")
    if "quantization_gap_pp" in res:
        print(f"quantization gap (float - integer): {res['quantization_gap_pp']:+.2f} pp")
    ev = res.get("event_savings")
    if ev:
        print(f"per sample: {ev['events_per_sample']:.0f} events, conv {ev['conv_ops_per_sample']:,.0f} adds and "
              f"{ev['conv_mem_accesses_per_sample']:,.0f} memory accesses (a frame-based conv of the same layer: "
              f"{ev['frame_conv_ops_per_sample']:,.0f} MACs, {ev['frame_conv_mem_accesses_per_sample']:,.0f} accesses)")
    if res.get("learn_samples_per_second"):
        print(f"integer model, one core: {res['learn_samples_per_second']:,.0f} learning samples/s, "
              f"{res['infer_samples_per_second']:,.0f} inference samples/s")


def cmd_eval(args) -> int:
    from .train import load_data
    proc = Processor.load(args.weights)
    prep, source = load_data(proc.cfg, _data_spec(args))
    r = proc.evaluate(prep.test, prep.y_test)
    res = {"test_accuracy": r.accuracy(prep.y_test), "n_test": len(prep.y_test),
           "config": proc.cfg.name, "data": source,
           "counters_per_sample": {k: v / len(prep.y_test) for k, v in as_dict(r.counters)["inference"].items()}}
    if args.json:
        print(json.dumps(res, sort_keys=True))
    else:
        print(f"{args.weights}: test accuracy {_pct(res['test_accuracy'])} on {res['n_test']} samples ({source})")
    return 0


def cmd_info(args) -> int:
    cfg = _config(args)
    wb = word_bits(cfg)
    mems = memory_sizes(cfg)
    res = {"config": cfg.to_dict(), "derived": {"conv_out": cfg.conv_out, "spike_side": cfg.spk_side,
                                                 "fc1_inputs": cfg.n_in, "ymax": cfg.ymax, "one": cfg.one},
           "memories": mems, "counter_word_bits": wb, "presets": list_presets()}
    if args.json:
        print(json.dumps(res, sort_keys=True))
        return 0
    print(cfg.to_toml())
    print(f"conv output {cfg.conv_out}x{cfg.conv_out}x{cfg.conv.channels}, spike map "
          f"{cfg.spk_side}x{cfg.spk_side}, FC1 {cfg.n_in}+1 -> {cfg.fc1.neurons}, FC2 "
          f"{cfg.fc1.neurons}+1 -> {cfg.fc2.neurons}")
    print(f"{'memory':12s} {'words':>8s} {'bits/word':>10s} {'total bits':>12s}")
    for n, m in mems.items():
        print(f"{n:12s} {m['words']:8d} {m['word_bits']:10d} {m['bits']:12d}")
    print(f"total {sum(m['bits'] for m in mems.values()):,} bits; presets: {', '.join(list_presets())}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m hwmodel",
                                description="Bit-accurate model of an event-driven CNN processor with on-chip DRTP learning.")
    sub = p.add_subparsers(dest="cmd", required=True)

    def common(sp, seed=True):
        sp.add_argument("--config", default=None,
                        help="preset name or TOML file (default: spoon; spoon_dvs with --events dvs; nmnist with --events nmnist)")
        sp.add_argument("--set", action="append", metavar="KEY=VALUE",
                        help="override a config field by dotted name, e.g. --set fc1.weight=s6 (repeatable)")
        if seed:
            sp.add_argument("--seed", type=int, default=None, help="chip seed (random contents, LFSRs, sample order)")
        sp.add_argument("--json", action="store_true", help="print one JSON object on stdout")

    def data(sp):
        sp.add_argument("--events", choices=["image", "dvs", "nmnist"], default="image",
                        help="input: images through the config's encoder (default), DVS-emulated images, "
                             "or recorded N-MNIST streams from --data")
        sp.add_argument("--window-us", type=int, default=None,
                        help="event streams: keep events within this time window from a sample's first event")
        sp.add_argument("--max-events", type=int, default=None,
                        help="event streams: keep at most this many events per sample")
        sp.add_argument("--data", metavar="DIR",
                        help="MNIST IDX folder (default: embedded 5k digits), or the N-MNIST folder with --events nmnist")
        sp.add_argument("--n-train", type=int, default=None, help="training samples (embedded default 4000)")
        sp.add_argument("--n-test", type=int, default=None, help="test samples (embedded default 1000)")
        sp.add_argument("--split-seed", type=int, default=0, help="seed of the embedded stratified split")

    t = sub.add_parser("train", help="train on chip (integer DRTP) and/or off chip (float BP), with the float reference")
    common(t)
    data(t)
    t.add_argument("--epochs", type=int, default=10)
    t.add_argument("--mode", choices=["on-chip", "off-chip", "both"], default="on-chip")
    t.add_argument("--kernels", metavar="FILE.npy",
                   help="load fixed conv kernels (integers, shape C x CIN x K x K) instead of random ones")
    t.add_argument("--out", metavar="DIR", help="write weights.npz (with its config), config.toml, results.json")
    t.add_argument("--no-float", action="store_true", help="skip the float DRTP reference")
    t.add_argument("--no-progress", action="store_true", help="no progress bars")
    t.set_defaults(func=cmd_train)

    e = sub.add_parser("eval", help="evaluate a saved weights file in the integer model")
    e.add_argument("--weights", required=True, help="weights.npz written by train --out")
    data(e)
    e.add_argument("--json", action="store_true")
    e.set_defaults(func=cmd_eval)

    i = sub.add_parser("info", help="show a configuration, its derived sizes and memories")
    common(i)
    i.set_defaults(func=cmd_info)
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "epochs", 1) < 1:
        print("error: --epochs must be >= 1", file=sys.stderr)
        return EXIT_INPUT
    try:
        return args.func(args)
    except (ConfigError, DataError, EventFormatError, ModelError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_INPUT


if __name__ == "__main__":
    sys.exit(main())
