"""``python -m hwmodel train``: train, write ``--out`` as one set, plot the learning curves."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from hwmodel.util import checks
from hwmodel.util.checks import EXIT_INTERRUPTED, to_json
from hwmodel.spec.config import ConfigError
from hwmodel.data.mnist import DataError
from hwmodel.engine.processor import Processor
from hwmodel.util.parallel import cores
from hwmodel.cli.args import bar_factory, config_from_args, data_spec_from_args, load_kernels, log
from hwmodel.cli.evaluate import per_sample
from hwmodel.cli.text import print_seeds, print_train

TRAIN_OUT_FILES = ("weights.npz", "weights_offchip.npz", "weights_seed*.npz", "weights_offchip_seed*.npz",
                   "config.toml", "results.json", "learning_curves.png")
CURVES_PNG = "learning_curves.png"


def cmd_train(args) -> int:
    if args.seeds is not None and args.seed is not None:
        raise DataError("--seed and --seeds: give one of them (--seeds 0,1,2 runs several chip seeds)")
    cfg = config_from_args(args)
    init, cfg = _init_state(args, cfg)
    spec = data_spec_from_args(args)
    why = _val_choices(args)
    kernels = _check_before_work(args, cfg, spec, why)
    with checks.out_lock(args.out):       # no other command writes the same --out meanwhile
        return _train(args, cfg, spec, why, kernels, init)


def _init_state(args, cfg):
    """--init-weights: the chip to continue from and the run's config: the file's (with --seed if
    given) when neither --config nor --set is given, else the given one, which must equal the
    file's but for the seed (the seed sets the sample order)."""
    if not getattr(args, "init_weights", None):
        return None, cfg
    if args.mode != "on-chip" or not args.no_float or not args.no_baselines or args.tune or args.kernels:
        raise DataError("--init-weights continues the on-chip training of a chip: use it with --mode on-chip "
                        "--no-float --no-baselines (the references and baselines start from reset), without "
                        "--tune or --kernels")
    init = Processor.load(args.init_weights)
    if args.config is None and not args.set:
        return init, init.cfg.replace(seed=init.cfg.seed if args.seed is None else args.seed)
    if init.cfg.replace(seed=cfg.seed).to_toml() != cfg.to_toml():
        raise DataError(f"--init-weights: {args.init_weights} holds a chip of config '{init.cfg.name}' that differs "
                        f"from this run's '{cfg.name}' (give the same --config and --set as the file's, or none)")
    return init, cfg


def _train(args, cfg, spec, why, kernels, init=None) -> int:
    from hwmodel.data.select import check_val_needed, load_data, warn_data
    from hwmodel.train.seeds import run_seeds
    prep, source = load_data(cfg, spec)
    if why:
        check_val_needed(prep.n_val, why)
    warn_data(prep, log)
    quiet = args.no_progress or args.json
    single = args.seeds is None
    sr = run_seeds(cfg, prep, [cfg.seed] if single else args.seeds, epochs=args.epochs, mode=args.mode,
                   float_reference=not args.no_float, conv_kernels=kernels, progress=bar_factory(not quiet),
                   rounding_repeats=args.rounding_repeats, log=None if quiet else log,
                   baselines=not args.no_baselines, jobs=args.jobs or cores(), tune=args.tune, init_state=init)
    res, interrupted = _results(args, sr, cfg, prep, source, single)
    try:
        _write(args, sr, cfg, res, single)
    except checks.OutputError as e:   # a full disk after the work: the results go to stdout all the same
        _print(args, res, single, wrote=False)
        log(f"error: {e}; the results are printed above, not saved")
        return checks.EXIT_WRITE
    _print(args, res, single)
    if interrupted:
        if single:
            kept = "the on-chip result" + (f" after {res['epochs_completed']} epoch(s)"
                                           if "epochs_completed" in res else "")
        else:
            kept = f"{res['n_seeds']} seed(s)"
        log(f"interrupted: {interrupted} stopped; kept {kept}"
            + (f", saved to {args.out}" if args.out else " (nothing saved: no --out)"))
        return EXIT_INTERRUPTED
    return 0


def _check_before_work(args, cfg, spec, why: str | None):
    """Every check of the options, the data and the output folders before any work; returns the
    conv kernels of --kernels (None: random)."""
    from hwmodel.data.select import check_spec, check_val_needed
    check_spec(spec)
    if why:
        check_val_needed(spec.resolved_val(), why)
    if args.tune and args.mode == "off-chip":
        raise DataError("--tune chooses the on-chip learning knobs: use --mode on-chip or both")
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
    kernels = load_kernels(args.kernels)
    if kernels is not None:
        Processor.from_config(cfg, kernels)  # shape and range, before any work
    return kernels


def _results(args, sr, cfg, prep, source: str, single: bool) -> tuple[dict, str | None]:
    """The results of one seed (``single``) or the summary over seeds, with the data, the code
    version and the counters; and what was interrupted (None: nothing)."""
    from hwmodel.train.runs import event_savings
    from hwmodel.util.provenance import version_info
    for rep in sr.reports:
        r = rep.results
        r.update(data=source, events=args.events, code_version=version_info())
        if spec_withheld(args):
            r["withheld_classes"] = spec_withheld(args)
        if rep.test_counters is not None:
            chip_cfg = rep.processor.cfg if rep.processor else cfg
            r["event_savings"] = event_savings(chip_cfg, rep.test_counters, len(prep.y_test))
            r["counters_per_sample"] = per_sample(chip_cfg, rep.test_counters, len(prep.y_test))
    if not single:
        res = sr.results
        res.update(data=source, events=args.events, code_version=version_info())
        if spec_withheld(args):
            res["withheld_classes"] = spec_withheld(args)
        return res, sr.interrupted
    rep = sr.reports[0]
    res = rep.results
    if "rounding_repeats" in sr.results:
        res["rounding_repeats"] = sr.results["rounding_repeats"]
    if sr.interrupted and not rep.interrupted:
        res["interrupted"] = sr.interrupted
    return res, rep.interrupted or sr.interrupted


def _write(args, sr, cfg, res: dict, single: bool) -> None:
    """--out (weights, config, results and curves as one set) and --plot."""
    from hwmodel.util.provenance import version_info
    png = plot_learning_curves(res) if (args.out or args.plot) else None
    prov = {**version_info(), **({"withheld_classes": spec_withheld(args)} if spec_withheld(args) else {})}
    if args.out:
        with checks.atomic_dir(args.out) as tmp:  # weights, config and results as one set
            for rep in sr.reports:
                sfx = "" if single else f"_seed{rep.results['seed']}"
                if rep.processor is not None:
                    rep.processor.save(tmp / f"weights{sfx}.npz", prov)
                if rep.offchip is not None:
                    rep.offchip.save(tmp / f"weights_offchip{sfx}.npz", prov)
            # the config trained (with --tune and one seed: the one chosen; several seeds: the
            # given one, each weights file carries its seed's own)
            trained = sr.reports[0].config if single and sr.reports and sr.reports[0].config else cfg
            (tmp / "config.toml").write_text(trained.to_toml())
            (tmp / "results.json").write_text(to_json(res, indent=2, sort_keys=True))
            if png is not None:
                (tmp / CURVES_PNG).write_bytes(png)
    if args.plot and png is not None:
        checks.atomic_write_bytes(Path(args.plot) / CURVES_PNG, png)


def spec_withheld(args) -> list[int]:
    """The classes --withhold-classes leaves out (recorded in the results and the weights files)."""
    return list(getattr(args, "withhold_classes", None) or [])


def _print(args, res: dict, single: bool, wrote: bool = True) -> None:
    if args.json:
        print(to_json(res, sort_keys=True))
        return
    if single:
        print_train(res)
    else:
        print_seeds(res)
    if not wrote:
        return
    if args.out:
        first = "weights.npz" if single else f"weights_seed{res['seeds'][0]}.npz ..."
        print(f"wrote {Path(args.out) / first}, config.toml, results.json, {CURVES_PNG}")
    if args.plot:
        print(f"wrote {Path(args.plot) / CURVES_PNG}")


def _val_choices(args) -> str | None:
    """What this train command chooses on the validation split (None: nothing)."""
    what = []
    if getattr(args, "tune", False):
        what.append("the chip's learning knobs (--tune)")
    if not args.no_float:
        what.append("the float DRTP reference's gains")
    if args.mode in ("off-chip", "both"):
        what.append("the off-chip BP gains")
    return (" and ".join(what) + " are chosen") if what else None


CURVE_STYLE = (("integer_val_accuracy", "on-chip integer DRTP, validation", "tab:blue", "-"),
               ("float_val_accuracy", "float DRTP reference (chosen gains), validation", "tab:orange", "-"),
               ("offchip_float_val_accuracy", "off-chip BP in float (chosen gains), validation", "tab:green", "-"),
               ("integer_test_accuracy", "on-chip integer DRTP, test (reported, not used)", "tab:blue", ":"))


BASELINE_STYLE = (("linear", "baseline: linear read-out (no hidden layer)", "tab:gray", "--"),
                  ("frozen", "baseline: frozen hidden layer (only the output learns)", "tab:purple", "-."))


def plot_learning_curves(res: dict) -> bytes:
    """Validation accuracy per epoch, integer and float side by side (mean ± std over seeds as a
    band when there are several), and the integer baselines trained beside the chip as horizontal
    lines at their final validation accuracy: what learning in the hidden layers buys. PNG bytes."""
    from hwmodel.util.plots import png_bytes
    return png_bytes(learning_curves_figure(res))


def learning_curves_figure(res: dict):
    """The figure of ``plot_learning_curves`` (matplotlib), its legend naming every line."""
    from hwmodel.util.plots import pyplot
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
    for key, label, color, ls in BASELINE_STYLE:   # what learning in the hidden layer buys: final values
        v = res.get(f"{key}_val_accuracy", res.get(f"{key}_val_accuracy_mean"))
        if v is None or not ep:
            continue
        sd = res.get(f"{key}_val_accuracy_std")
        ax.axhline(100 * v, color=color, ls=ls, lw=1.2,
                   label=f"{label}, validation after {ep[-1]} epochs: {100 * v:.1f} %")
        if sd:
            ax.axhspan(100 * (v - sd), 100 * (v + sd), color=color, alpha=0.08, lw=0)
        n += 1
    seeds = res.get("seeds", [res.get("seed")])
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy (%)")
    band = " (band: ± std over seeds)" if len(seeds) > 1 else ""
    ax.set_title(f"{res.get('config', '')}: learning curves on {res.get('n_val', 0)} validation samples, "
                 f"seed{'s' * (len(seeds) > 1)} {', '.join(map(str, seeds))}{band}", fontsize=9)
    if ep:
        ax.set_xticks(ep if len(ep) <= 20 else ep[::max(1, len(ep) // 10)])
    ax.grid(alpha=0.3)
    if n:   # below the axes: over them it hid the curves
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=1, frameon=False)
    return fig
