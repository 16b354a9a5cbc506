"""Command line: ``python -m hwmodel train|eval|info``.

Errors in the input (options, config, data, events, weight files, output folders) are found
before any work starts and print one line ``error: ...`` on stderr with exit status 2; no
traceback. Ctrl-C (or SIGTERM) prints one line and exits with 130; ``train`` then keeps what
finished (see ``hwmodel.train.runs.run_training``) and still writes ``--out``.
"""
from __future__ import annotations

import json
import signal
import sys
from pathlib import Path

import numpy as np

from hwmodel.util import checks
from hwmodel.util.checks import EXIT_INPUT, EXIT_INTERRUPTED, OutputError
from hwmodel.spec.config import Config, ConfigError, list_presets
from hwmodel.spec.counters import counter_word_bits, named
from hwmodel.data.mnist import DataError
from hwmodel.data.eventio import EventFormatError
from hwmodel.engine.processor import ModelError, Processor
from hwmodel.util.parallel import cores

DEFAULT_CONFIG = {"image": "spoon", "dvs": "spoon_dvs", "nmnist": "nmnist", "aer": "spoon_dvs"}
TRAIN_OUT_FILES = ("weights.npz", "weights_offchip.npz", "weights_seed*.npz", "weights_offchip_seed*.npz",
                   "config.toml", "results.json", "learning_curves.png")
CURVES_PNG = "learning_curves.png"


def _config(args) -> Config:
    cfg = Config.load(args.config or DEFAULT_CONFIG[getattr(args, "events", "image")])
    seed = getattr(args, "seed", None)
    return cfg.with_sets(args.set, **({} if seed is None else {"seed": seed}))


def _data_spec(args):
    from hwmodel.data.select import DataSpec
    return DataSpec(args.events, args.data, args.n_train, args.n_test, args.split_seed,
                    args.window_us, args.max_events, getattr(args, "val_size", None))


seed_list = checks.seed_list   # --seeds: one reading in every command line (hwmodel.util.checks.parse_seed_list)


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
    from hwmodel.util.provenance import version_info
    from hwmodel.data.select import check_spec, check_val_needed, load_data, warn_sparse
    from hwmodel.train.runs import event_savings
    from hwmodel.train.seeds import run_seeds
    if args.seeds is not None and args.seed is not None:
        raise DataError("--seed and --seeds: give one of them (--seeds 0,1,2 runs several chip seeds)")
    cfg = _config(args)
    spec = _data_spec(args)
    check_spec(spec)
    why = _val_choices(args)
    if why:
        check_val_needed(spec.resolved_val(), why)
    if args.rounding_repeats > 1:
        if args.mode == "off-chip":
            raise DataError("--rounding-repeats repeats the on-chip training: use --mode on-chip or both")
        if cfg.drtp.rounding != "stochastic":
            raise ConfigError(f"--rounding-repeats {args.rounding_repeats}: config '{cfg.name}' rounds "
                              f"'{cfg.drtp.rounding}', which does not use the rounding LFSRs (needs stochastic)")
    if args.out:
        checks.check_out_dir(args.out, TRAIN_OUT_FILES)
    if args.plot:
        checks.check_out_dir(args.plot, ["*"], what="--plot")
    kernels = _kernels(args.kernels)
    if kernels is not None:
        Processor.from_config(cfg, kernels)  # shape and range, before any work
    prep, source = load_data(cfg, spec)
    if why:
        check_val_needed(prep.n_val, why)
    warn_sparse(prep, _log)
    quiet = args.no_progress or args.json
    single = args.seeds is None
    sr = run_seeds(cfg, prep, [cfg.seed] if single else args.seeds, epochs=args.epochs, mode=args.mode,
                   float_reference=not args.no_float, conv_kernels=kernels, progress=_bar_factory(not quiet),
                   rounding_repeats=args.rounding_repeats, log=None if quiet else _log,
                   baselines=not args.no_baselines, jobs=args.jobs or cores())
    for rep in sr.reports:
        r = rep.results
        r.update(data=source, events=args.events, code_version=version_info())
        if rep.test_counters is not None:
            chip_cfg = rep.processor.cfg if rep.processor else cfg
            r["event_savings"] = event_savings(chip_cfg, rep.test_counters, len(prep.y_test))
            r["counters_per_sample"] = _per_sample(chip_cfg, rep.test_counters, len(prep.y_test))
    if single:
        rep = sr.reports[0]
        res = rep.results
        if "rounding_repeats" in sr.results:
            res["rounding_repeats"] = sr.results["rounding_repeats"]
        interrupted = rep.interrupted or sr.interrupted
        if sr.interrupted and not rep.interrupted:
            res["interrupted"] = sr.interrupted
    else:
        res = sr.results
        res.update(data=source, events=args.events, code_version=version_info())
        interrupted = sr.interrupted
    png = None
    if args.out or args.plot:
        png = plot_learning_curves(res)
    if args.out:
        with checks.atomic_dir(args.out) as tmp:  # weights, config and results as one set
            for rep in sr.reports:
                sfx = "" if single else f"_seed{rep.results['seed']}"
                if rep.processor is not None:
                    rep.processor.save(tmp / f"weights{sfx}.npz")
                if rep.offchip is not None:
                    rep.offchip.save(tmp / f"weights_offchip{sfx}.npz")
            (tmp / "config.toml").write_text(cfg.to_toml())
            (tmp / "results.json").write_text(json.dumps(res, indent=2, sort_keys=True))
            if png is not None:
                (tmp / CURVES_PNG).write_bytes(png)
    if args.plot and png is not None:
        checks.atomic_write_bytes(Path(args.plot) / CURVES_PNG, png)
    if args.json:
        print(json.dumps(res, sort_keys=True))
    else:
        if single:
            _print_train(res)
        else:
            _print_seeds(res)
        if args.out:
            first = "weights.npz" if single else f"weights_seed{res['seeds'][0]}.npz ..."
            print(f"wrote {Path(args.out) / first}, config.toml, results.json, {CURVES_PNG}")
        if args.plot:
            print(f"wrote {Path(args.plot) / CURVES_PNG}")
    if interrupted:
        if single:
            kept = "the on-chip result" + (f" after {res['epochs_completed']} epoch(s)"
                                           if "epochs_completed" in res else "")
        else:
            kept = f"{res['n_seeds']} seed(s)"
        _log(f"interrupted: {interrupted} stopped; kept {kept}"
             + (f", saved to {args.out}" if args.out else " (nothing saved: no --out)"))
        return EXIT_INTERRUPTED
    return 0


def _val_choices(args) -> str | None:
    """What this train command chooses on the validation split (None: nothing)."""
    what = []
    if not args.no_float:
        what.append("the float DRTP reference's gains")
    if args.mode in ("off-chip", "both"):
        what.append("the off-chip BP gains")
    return (" and ".join(what) + " are chosen") if what else None




CURVE_STYLE = (("integer_val_accuracy", "on-chip integer DRTP, validation", "tab:blue", "-"),
               ("float_val_accuracy", "float DRTP reference (chosen gains), validation", "tab:orange", "-"),
               ("offchip_float_val_accuracy", "off-chip BP in float (chosen gains), validation", "tab:green", "-"),
               ("integer_test_accuracy", "on-chip integer DRTP, test (reported, not used)", "tab:blue", ":"))


def plot_learning_curves(res: dict) -> bytes:
    """Validation accuracy per epoch, integer and float side by side (mean ± std over seeds as a
    band when there are several), as PNG bytes."""
    from hwmodel.util.plots import png_bytes, pyplot
    plt = pyplot()
    lc = res.get("learning_curves") or {}
    ep = lc.get("epoch", [])
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    n = 0
    for name, label, color, ls in CURVE_STYLE:
        if lc.get(name):  # one seed
            ax.plot(ep[:len(lc[name])], [100 * v for v in lc[name]], ls, color=color, marker="o", ms=3, label=label)
            n += 1
        elif lc.get(f"{name}_mean"):
            m = np.array(lc[f"{name}_mean"]) * 100
            x = ep[:len(m)]
            ax.plot(x, m, ls, color=color, marker="o", ms=3, label=f"{label}, mean")
            if lc.get(f"{name}_std"):
                s = np.array(lc[f"{name}_std"]) * 100
                ax.fill_between(x, m - s, m + s, color=color, alpha=0.15, lw=0)
            n += 1
    seeds = res.get("seeds", [res.get("seed")])
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy (%)")
    band = " (band: ± std over seeds)" if len(seeds) > 1 else ""
    ax.set_title(f"{res.get('config', '')}: learning curves on {res.get('n_val', 0)} validation digits, "
                 f"seed{'s' * (len(seeds) > 1)} {', '.join(map(str, seeds))}{band}", fontsize=9)
    if ep:
        ax.set_xticks(ep if len(ep) <= 20 else ep[::max(1, len(ep) // 10)])
    ax.grid(alpha=0.3)
    if n:
        ax.legend(fontsize=7, loc="lower right")
    return png_bytes(fig)


def _pct(v):
    return "-" if v is None else f"{100 * v:.2f} %"


def _print_train(res: dict) -> None:
    print(f"config {res['config']}  seed {res['seed']}  epochs {res['epochs']}  "
          f"train {res['n_train']} / val {res.get('n_val', 0)} / test {res['n_test']}  ({res['data']})")
    rows = [("on-chip integer DRTP", res.get("train_accuracy"), res.get("val_accuracy"), res.get("test_accuracy")),
            ("float DRTP reference", res.get("float_train_accuracy"), res.get("float_val_accuracy"),
             res.get("float_test_accuracy")),
            ("off-chip BP -> integer", None, res.get("offchip_val_accuracy"), res.get("offchip_test_accuracy")),
            ("off-chip BP (float)", None, res.get("offchip_float_val_accuracy"),
             res.get("offchip_float_test_accuracy")),
            ("linear read-out (integer)", None, res.get("linear_val_accuracy"), res.get("linear_test_accuracy")),
            ("frozen hidden (integer)", None, res.get("frozen_val_accuracy"), res.get("frozen_test_accuracy"))]
    print(f"{'':26s} {'train':>9s} {'val':>9s} {'test':>9s}")
    for name, tr, va, te in rows:
        if tr is not None or te is not None:
            print(f"{name:26s} {_pct(tr):>9s} {_pct(va):>9s} {_pct(te):>9s}")
    if "quantization_gap_pp" in res:
        print(f"quantization gap (float - integer): {res['quantization_gap_pp']:+.2f} pp")
    _print_gains(res)
    _print_saturation(res.get("saturation"))
    _print_rounding(res.get("rounding_repeats"))
    ev = res.get("event_savings")
    if ev:
        print(f"per sample: {ev['events_per_sample']:.0f} events, conv {ev['conv_ops_per_sample']:,.0f} adds and "
              f"{ev['conv_mem_accesses_per_sample']:,.0f} memory accesses (a frame-based conv of the same layer: "
              f"{ev['frame_conv_ops_per_sample']:,.0f} MACs, {ev['frame_conv_mem_accesses_per_sample']:,.0f} accesses)")
    if res.get("cycles_per_inference_sample"):
        lc = res.get("cycles_per_learning_sample")
        print(f"processor cycles (spec §16): {res['cycles_per_inference_sample']:,.0f} per inference sample"
              + (f", {lc:,.0f} per learning sample" if lc else ""))
    if res.get("learn_samples_per_second"):
        print(f"integer model, one core: {res['learn_samples_per_second']:,.0f} learning samples/s, "
              f"{res['infer_samples_per_second']:,.0f} inference samples/s")


def _print_gains(res: dict) -> None:
    for name, gk, sk in (("float DRTP", "float_gains", "float_gain_search"), ("off-chip BP", "offchip_gains",
                                                                              "offchip_gain_search")):
        g, s = res.get(gk), res.get(sk)
        if g is None or s is None:
            continue
        edge = ("; STILL ON AN EDGE of the searched range" if s["at_edge"] else "")
        print(f"{name} gains (hidden, output) = ({g[0]:g}, {g[1]:g}), best on validation of {s['runs']} runs "
              f"(searched {s['g1_range'][0]:g}..{s['g1_range'][1]:g} x "
              f"{s['g2_range'][0]:g}..{s['g2_range'][1]:g}){edge}")


def _print_saturation(sat: dict | None, suffix: str = "") -> None:
    if not sat:
        return

    def v(layer, q):
        d = sat[layer]
        if q in d:
            return f"{100 * d[q]:.1f} %"
        m, s = d.get(f"{q}_mean"), d.get(f"{q}_std")
        return f"{100 * m:.1f} ± {100 * s:.1f} %" if s is not None else f"{100 * m:.1f} %"
    print(f"saturation{suffix}: fc1 {v('fc1', 'linear_fraction')} of units in the linear region (test set), "
          f"{v('fc1', 'weights_at_rails')} of weights at the rails; fc2 {v('fc2', 'linear_fraction')} of "
          f"outputs strictly inside (0, ONE), {v('fc2', 'weights_at_rails')} of weights at the rails")


def _print_rounding(rr: dict | None) -> None:
    if not rr:
        return
    for e in rr["per_seed"]:
        sd = e.get("test_accuracy_std")
        print(f"rounding repeats, seed {e['seed']}: test " + " ".join(f"{100 * a:.1f}" for a in e["test_accuracy"])
              + f" %  (mean {100 * e['test_accuracy_mean']:.2f}"
              + (f", std {100 * sd:.2f} pp)" if sd is not None else ")")
              + (f"; gap {e['quantization_gap_pp_mean']:+.2f} pp" if "quantization_gap_pp_mean" in e else ""))
    if rr.get("test_accuracy_std_within_seed") is not None:
        print(f"rounding alone ({rr['repeats']} LFSR start states per seed): test accuracy std "
              f"{100 * rr['test_accuracy_std_within_seed']:.2f} pp"
              + (f"; quantization gap {rr['quantization_gap_pp_mean']:+.2f} ± {rr['quantization_gap_pp_std']:.2f} pp "
                 f"over all runs" if rr.get("quantization_gap_pp_std") is not None else ""))


def _ms(res: dict, key: str, pp: bool = False) -> str:
    """'mean ± std [low, high]' of a summarized metric, in % (or pp)."""
    m = res.get(f"{key}_mean")
    if m is None:
        return "-"
    k = 1 if pp else 100
    sd, ci = res.get(f"{key}_std"), res.get(f"{key}_ci95")
    if sd is None:
        return f"{k * m:.2f}"
    return f"{k * m:.2f} ± {k * sd:.2f} [{k * ci[0]:.2f}, {k * ci[1]:.2f}]"


def _print_seeds(res: dict) -> None:
    print(f"config {res['config']}  seeds {', '.join(map(str, res['seeds']))}  epochs {res['epochs']}  "
          f"train {res['n_train']} / val {res.get('n_val', 0)} / test {res['n_test']}  ({res['data']})")
    print(f"accuracy in % over {res['n_seeds']} seed(s): mean ± std [95 % interval of the mean, t distribution]")
    rows = [("on-chip integer DRTP", "train_accuracy", "val_accuracy", "test_accuracy"),
            ("float DRTP reference", "float_train_accuracy", "float_val_accuracy", "float_test_accuracy"),
            ("off-chip BP -> integer", None, "offchip_val_accuracy", "offchip_test_accuracy"),
            ("off-chip BP (float)", None, "offchip_float_val_accuracy", "offchip_float_test_accuracy"),
            ("linear read-out (int)", None, "linear_val_accuracy", "linear_test_accuracy"),
            ("frozen hidden (int)", None, "frozen_val_accuracy", "frozen_test_accuracy")]
    print(f"{'':24s} {'train':>30s} {'val':>30s} {'test':>30s}")
    for name, tr, va, te in rows:
        if f"{te}_mean" in res:
            print(f"{name:24s} {_ms(res, tr) if tr else '-':>30s} {_ms(res, va):>30s} {_ms(res, te):>30s}")
    if "quantization_gap_pp_mean" in res:
        print(f"quantization gap (float - integer, test): {_ms(res, 'quantization_gap_pp', pp=True)} pp")
    for r in res["per_seed"]:
        print(f"  seed {r['seed']}: " + ", ".join(f"{n} {100 * r[k]:.2f} %" for n, k in (
            ("on-chip test", "test_accuracy"), ("float test", "float_test_accuracy"),
            ("off-chip test", "offchip_test_accuracy")) if k in r)
            + "".join(f"; {n} gains ({r[k][0]:g}, {r[k][1]:g}){' AT AN EDGE' if r[s]['at_edge'] else ''}"
                      for n, k, s in (("float", "float_gains", "float_gain_search"),
                                      ("off-chip", "offchip_gains", "offchip_gain_search")) if k in r))
    _print_saturation(res.get("saturation"), " (mean ± std over seeds)")
    _print_rounding(res.get("rounding_repeats"))
    if res.get("cycles_per_inference_sample_mean"):
        lc = res.get("cycles_per_learning_sample_mean")
        print(f"processor cycles (spec §16, mean over seeds): {res['cycles_per_inference_sample_mean']:,.0f} "
              "per inference sample" + (f", {lc:,.0f} per learning sample" if lc else ""))


def _per_sample(cfg: Config, counts: np.ndarray, n: int) -> dict[str, float]:
    """The inference phases' counters per sample, by the names of ``cfg``'s stack (spec §15)."""
    return {k: v / n for k, v in named(cfg, counts)["inference"].items()}


def cmd_eval(args) -> int:
    from hwmodel.util.provenance import version_info
    from hwmodel.data.select import check_spec, load_data, warn_sparse
    spec = _data_spec(args)
    check_spec(spec)
    proc = Processor.load(args.weights)
    prep, source = load_data(proc.cfg, spec)
    warn_sparse(prep, _log)
    r = proc.evaluate(prep.test, prep.y_test)
    res = {"test_accuracy": r.accuracy(prep.y_test), "n_test": len(prep.y_test),
           "config": proc.cfg.name, "data": source, "code_version": version_info(),
           "counters_per_sample": _per_sample(proc.cfg, r.counters, len(prep.y_test))}
    if args.json:
        print(json.dumps(res, sort_keys=True))
    else:
        print(f"{args.weights}: test accuracy {_pct(res['test_accuracy'])} on {res['n_test']} samples ({source})")
    return 0


def cmd_info(args) -> int:
    from hwmodel.spec import layers as stack
    cfg = _config(args)
    mems = stack.organisation(cfg)
    lay = stack.layers(cfg)
    derived = {"conv_out": cfg.conv_out, "spike_side": cfg.spk_side, "fc1_inputs": cfg.n_in,
               "one": cfg.one, "depth": cfg.depth}
    res = {"config": cfg.to_dict(), "derived": derived, "layers": lay, "memories": mems,
           "presets": list_presets()}
    res["counter_word_bits"] = counter_word_bits(cfg)     # every depth, by the stack's counter names
    if cfg.depth == 1:
        derived["ymax"] = cfg.ymax
    if args.json:
        print(json.dumps(res, sort_keys=True))
        return 0
    print(cfg.to_toml())
    print(f"conv output {cfg.conv_out}x{cfg.conv_out}x{cfg.conv.channels}, spike map "
          f"{cfg.spk_side}x{cfg.spk_side} ({cfg.n_in} inputs)")
    for L in lay[1:]:
        print(f"{L['name']} ({L['kind']}): {L['inputs']}+1 inputs of {L['input_bits']} bit(s) -> "
              f"{L['neurons']}, weights {L['weight']}, accumulator {L['accumulator']}")
    print(f"{'memory':12s} {'words':>8s} {'bits/word':>10s} {'total bits':>12s} {'banks':>6s} {'ports':>9s}")
    for n, m in mems.items():
        print(f"{n:12s} {m['words']:8d} {m['word_bits']:10d} {m['bits']:12d} {m['banks']:6d} {m['ports']:>9s}")
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
    t.add_argument("--seeds", type=seed_list, default=None, metavar="LIST",
                   help="run every chip seed of LIST and report every accuracy as mean, std and 95 %% interval "
                        "over the seeds (replaces --seed); " + checks.SEEDS_HELP.replace("%", "%%"))
    data(t)
    t.add_argument("--val-size", type=checks.nonneg, default=None, metavar="N",
                   help="training samples set aside as the validation split on which every choice is made "
                        "(stratified, fixed seed; default 1000, or a quarter of a smaller training set); "
                        "the models train on the rest. 0: none (only with --no-float --mode on-chip)")
    t.add_argument("--rounding-repeats", type=checks.count, default=1, metavar="R",
                   help="train the on-chip model R times per seed with different rounding-LFSR start states "
                        "(nothing else changed) and report the spread from rounding alone (default 1)")
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
    t.add_argument("--plot", metavar="DIR",
                   help=f"write the learning curves (validation accuracy per epoch) as DIR/{CURVES_PNG} "
                        "(--out gets it too)")
    t.add_argument("--no-float", action="store_true", help="skip the float DRTP reference")
    t.add_argument("--jobs", type=checks.count, default=None, metavar="N",
                   help="threads for the float references' gain grids (default: every core this process may "
                        "use); the results do not depend on it")
    t.add_argument("--no-baselines", action="store_true",
                   help="skip the two integer baselines trained beside the chip on the same data, split, seed and "
                        "conv front end: the linear read-out (no hidden layer; linear_test_accuracy) and the "
                        "frozen-hidden network (only the output layer learns; frozen_test_accuracy)")
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
    from hwmodel.util.checks import ctrl_c_raises
    ctrl_c_raises()
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
