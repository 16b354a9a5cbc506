"""Command line: ``python -m hwmodel train|eval|info``.

Errors in the input (options, config, data, events, weight files, output folders) are found
before any work starts and print one line ``error: ...`` on stderr with exit status 2; no
traceback. Ctrl-C (or SIGTERM) prints one line and exits with 130; ``train`` then keeps what
finished (see ``hwmodel.train.run_training``) and still writes ``--out``.
"""
from __future__ import annotations

import json
import signal
import sys
from pathlib import Path

import numpy as np

from . import checks
from .checks import EXIT_INPUT, EXIT_INTERRUPTED, OutputError
from .config import Config, ConfigError, list_presets
from .counters import as_dict, word_bits
from .data import DataError
from .eventio import EventFormatError
from .model import ModelError, Processor

DEFAULT_CONFIG = {"image": "spoon", "dvs": "spoon_dvs", "nmnist": "nmnist", "aer": "spoon_dvs"}
TRAIN_OUT_FILES = ("weights.npz", "weights_offchip.npz", "config.toml", "results.json")


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


def _kernels(path):
    """Conv kernels from a .npy file of integers, shape (C, CIN, K, K); None: random from the seed."""
    if path is None:
        return None
    try:
        k = np.load(path, allow_pickle=False)
    except Exception as e:  # noqa: BLE001 - missing, truncated, corrupt, pickled: one line
        msg = (getattr(e, "strerror", None) or str(e)).splitlines()[0] if str(e) else type(e).__name__
        raise ModelError(f"kernel file '{path}': cannot read: {msg}") from None
    if not isinstance(k, np.ndarray):
        k.close()
        raise ModelError(f"kernel file '{path}': an .npz archive, expected one .npy array")
    if not np.issubdtype(k.dtype, np.integer):
        raise ModelError(f"kernel file '{path}': dtype {k.dtype} is not an integer type")
    return k


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def cmd_train(args) -> int:
    from .provenance import version_info
    from .train import check_spec, event_savings, load_data, run_training, warn_sparse
    cfg = _config(args)
    spec = _data_spec(args)
    check_spec(spec)
    if args.out:
        checks.check_out_dir(args.out, TRAIN_OUT_FILES)
    kernels = _kernels(args.kernels)
    if kernels is not None:
        Processor.from_config(cfg, kernels)  # shape and range, before any work
    prep, source = load_data(cfg, spec)
    warn_sparse(prep, _log)
    rep = run_training(cfg, prep, epochs=args.epochs, mode=args.mode,
                       float_reference=not args.no_float, conv_kernels=kernels,
                       progress=_bar_factory(not args.no_progress and not args.json))
    res = rep.results
    res["data"] = source
    res["events"] = args.events
    res["code_version"] = version_info()
    if rep.test_counters is not None:
        res["event_savings"] = event_savings(cfg, rep.test_counters, len(prep.y_test))
    if args.out:
        with checks.atomic_dir(args.out) as tmp:  # weights, config and results as one set
            if rep.processor is not None:
                rep.processor.save(tmp / "weights.npz")
            if rep.offchip is not None:
                rep.offchip.save(tmp / "weights_offchip.npz")
            (tmp / "config.toml").write_text(cfg.to_toml())
            (tmp / "results.json").write_text(json.dumps(res, indent=2, sort_keys=True))
    if args.json:
        print(json.dumps(res, sort_keys=True))
    else:
        _print_train(res)
        if args.out:
            print(f"wrote {Path(args.out) / 'weights.npz'}, config.toml, results.json")
    if rep.interrupted:
        kept = "the on-chip result" + (f" after {res['epochs_completed']} epoch(s)" if "epochs_completed" in res else "")
        _log(f"interrupted: {rep.interrupted} stopped; kept {kept}"
             + (f", saved to {args.out}" if args.out else " (nothing saved: no --out)"))
        return EXIT_INTERRUPTED
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
    from .provenance import version_info
    from .train import check_spec, load_data, warn_sparse
    spec = _data_spec(args)
    check_spec(spec)
    proc = Processor.load(args.weights)
    prep, source = load_data(proc.cfg, spec)
    warn_sparse(prep, _log)
    r = proc.evaluate(prep.test, prep.y_test)
    res = {"test_accuracy": r.accuracy(prep.y_test), "n_test": len(prep.y_test),
           "config": proc.cfg.name, "data": source, "code_version": version_info(),
           "counters_per_sample": {k: v / len(prep.y_test) for k, v in as_dict(r.counters)["inference"].items()}}
    if args.json:
        print(json.dumps(res, sort_keys=True))
    else:
        print(f"{args.weights}: test accuracy {_pct(res['test_accuracy'])} on {res['n_test']} samples ({source})")
    return 0


def cmd_info(args) -> int:
    from . import layers as stack
    cfg = _config(args)
    mems = stack.memories(cfg)
    lay = stack.layers(cfg)
    derived = {"conv_out": cfg.conv_out, "spike_side": cfg.spk_side, "fc1_inputs": cfg.n_in,
               "one": cfg.one, "depth": cfg.depth}
    res = {"config": cfg.to_dict(), "derived": derived, "layers": lay, "memories": mems,
           "presets": list_presets()}
    if cfg.depth == 1:   # the counters (and their word widths) cover one hidden layer so far
        derived["ymax"] = cfg.ymax
        res["counter_word_bits"] = word_bits(cfg)
    if args.json:
        print(json.dumps(res, sort_keys=True))
        return 0
    print(cfg.to_toml())
    print(f"conv output {cfg.conv_out}x{cfg.conv_out}x{cfg.conv.channels}, spike map "
          f"{cfg.spk_side}x{cfg.spk_side} ({cfg.n_in} inputs)")
    for L in lay[1:]:
        print(f"{L['name']} ({L['kind']}): {L['inputs']}+1 inputs of {L['input_bits']} bit(s) -> "
              f"{L['neurons']}, weights {L['weight']}, accumulator {L['accumulator']}")
    print(f"{'memory':12s} {'words':>8s} {'bits/word':>10s} {'total bits':>12s}")
    for n, m in mems.items():
        print(f"{n:12s} {m['words']:8d} {m['word_bits']:10d} {m['bits']:12d}")
    print(f"total {sum(m['bits'] for m in mems.values()):,} bits; presets: {', '.join(list_presets())}")
    return 0


def build_parser() -> checks.Parser:
    p = checks.Parser(prog="python -m hwmodel",
                      description="Bit-accurate model of an event-driven CNN processor with on-chip DRTP learning.",
                      epilog="Bad input: one line 'error: ...', exit 2. Ctrl-C: exit 130 (train keeps what finished).")
    checks.add_version(p, "hwmodel")
    sub = p.add_subparsers(dest="cmd", required=True, metavar="{train,eval,info}")

    def config_opts(sp, seed=True, events=True):
        sp.add_argument("--config", default=None,
                        help="preset name (" + ", ".join(list_presets()) + ") or TOML file (default: spoon"
                             + ("; spoon_dvs with --events dvs or aer; nmnist with --events nmnist)" if events else ")"))
        sp.add_argument("--set", action="append", metavar="KEY=VALUE",
                        help="override a config field by dotted name, e.g. --set fc1.weight=s6 (repeatable)")
        if seed:
            sp.add_argument("--seed", type=checks.seed, default=None,
                            help="chip seed, 0..2^32-1 (random contents, LFSRs, sample order; default: the config's)")

    def data(sp):
        sp.add_argument("--events", choices=["image", "dvs", "nmnist", "aer"], default="image",
                        help="input: images through the config's encoder (default), DVS-emulated images, "
                             "recorded N-MNIST streams from --data, or the project's .aer files from --data "
                             "(DIR/Train/**/*.aer and DIR/Test/**/*.aer, labels in the headers; docs/events.md)")
        sp.add_argument("--window-us", type=checks.positive, default=None, metavar="T",
                        help="keep the events with t < t_first + T of each sample (T > 0; µs for event streams, "
                             "ticks for encoded images)")
        sp.add_argument("--max-events", type=checks.count, default=None, metavar="N",
                        help="keep at most the first N >= 1 events of each sample")
        sp.add_argument("--data", metavar="DIR",
                        help="MNIST IDX folder (default: embedded 5k digits), or the N-MNIST / .aer folder "
                             "with --events nmnist / aer")
        sp.add_argument("--n-train", type=checks.count, default=None, metavar="N",
                        help="training samples, >= 1 and at most what the data has (embedded default 4000; "
                             "a folder: all)")
        sp.add_argument("--n-test", type=checks.count, default=None, metavar="N",
                        help="test samples, >= 1 and at most what the data has (embedded default 1000; a folder: all)")
        sp.add_argument("--split-seed", type=checks.nonneg, default=0, metavar="S",
                        help="seed >= 0 of the embedded stratified split and of folder subsets (default 0)")

    t = sub.add_parser("train", help="train on chip (integer DRTP) and/or off chip (float BP), with the float reference",
                       description="Train on chip (integer DRTP) and/or off chip (float BP, quantized), with the "
                                   "float DRTP reference. Ctrl-C keeps what finished (the on-chip result) and "
                                   "exits with 130.")
    config_opts(t)
    data(t)
    t.add_argument("--epochs", type=checks.count, default=10, metavar="E",
                   help="training epochs (passes over the training set), >= 1 (default 10)")
    t.add_argument("--mode", choices=["on-chip", "off-chip", "both"], default="on-chip",
                   help="on-chip: integer DRTP learned on the chip model (default); off-chip: float BP, "
                        "quantized and run in the integer model; both")
    t.add_argument("--kernels", metavar="FILE.npy",
                   help="load fixed conv kernels (integers, shape C x CIN x K x K) instead of random ones")
    t.add_argument("--out", metavar="DIR",
                   help="write weights.npz (with its config), config.toml and results.json, as one set "
                        "(a new folder, or one holding only a previous run's files, which are replaced)")
    t.add_argument("--no-float", action="store_true", help="skip the float DRTP reference")
    t.add_argument("--no-progress", action="store_true", help="no progress bars")
    t.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    t.set_defaults(func=cmd_train)

    e = sub.add_parser("eval", help="evaluate a saved weights file in the integer model",
                       description="Evaluate a weights.npz written by train --out on the test samples.")
    e.add_argument("--weights", required=True, metavar="FILE", help="weights.npz written by train --out")
    data(e)
    e.add_argument("--json", action="store_true",
                   help="print one JSON object (test_accuracy, n_test, config, data, counters_per_sample)")
    e.set_defaults(func=cmd_eval)

    i = sub.add_parser("info", help="show a configuration, its derived sizes and memories",
                       description="Show a configuration, its derived sizes and every memory's words and bits.")
    config_opts(i, events=False)
    i.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    i.set_defaults(func=cmd_info, events="image")
    return p


def _on_sigterm(signum, frame):
    raise KeyboardInterrupt


def main(argv=None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as e:  # --help, --version, or a one-line argument error (exit 2)
        return int(e.code or 0)
    try:
        old = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread
        old = None
    try:
        return args.func(args)
    except (ConfigError, DataError, EventFormatError, ModelError, OutputError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("interrupted: nothing had finished; nothing saved", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        if old is not None:
            signal.signal(signal.SIGTERM, old)


if __name__ == "__main__":
    sys.exit(main())
