"""``python -m hwmodel adapt``: a deployed chip adapts to shifted data on chip (hwmodel.train.adapt):
accuracy against labels and against learning energy, forgetting, the references; text, JSON, plot."""
from __future__ import annotations

from pathlib import Path

from hwmodel.util import checks
from hwmodel.util.checks import to_json
from hwmodel.data.mnist import DataError
from hwmodel.cli.args import class_list, log

ADAPT_PNG = "adaptation.png"


def add_parser(sub) -> None:
    from hwmodel.data.select import DATA_HELP
    from hwmodel.data.shifts import SHIFT_HELP
    from hwmodel.train.adapt import DEFAULT_LABELS, SCOPES
    a = sub.add_parser(
        "adapt", help="a deployed chip adapts on chip to shifted data: accuracy and energy against labels",
        description="Load deployed chips (weights.npz from train --out, trained on or off chip), shift the data "
                    "(--shift, --shift-data), and let each chip learn online from N labelled shifted samples for "
                    "every budget of --labels, with each learning scope. Reports accuracy on held-out shifted "
                    "data and on the original test data (forgetting), beside the inference-only chip (N = 0), a "
                    "fresh chip learning from the same samples and a ceiling (a fresh chip trained to "
                    "convergence on the shifted pool), with the estimator's energy per learning sample and µJ "
                    "per recovered point; mean ± std over every (chip, seed) run.")
    a.add_argument("--weights", nargs="+", required=True, metavar="FILE",
                   help="deployed chips: weights.npz files of one config (e.g. weights_seed0.npz weights_seed1.npz)")
    a.add_argument("--shift", default="none", metavar="SPEC", help=SHIFT_HELP + " (default none)")
    a.add_argument("--shift-data", metavar="DIR|NAME",
                   help="the pool and shifted test set from another IDX folder or named dataset (new writers, "
                        "a new task such as 'fashion'); --shift applies on top")
    a.add_argument("--shift-n-train", type=checks.count, default=None, metavar="N",
                   help="the first N training images of --shift-data as the pool (default all)")
    a.add_argument("--shift-n-test", type=checks.count, default=None, metavar="N",
                   help="the first N test images of --shift-data as the shifted test set (default all)")
    a.add_argument("--new-classes", type=class_list, default=None, metavar="LIST",
                   help="class-incremental: the classes the deployed chips never saw (default: the classes their "
                        "weights files record from train --withhold-classes); the pool and the shifted test set "
                        "hold every class, the original test set the others; rows add the accuracy on the new "
                        "and on the old classes")
    a.add_argument("--labels", type=_labels, default=list(DEFAULT_LABELS), metavar="LIST",
                   help="label budgets N (comma-separated integers >= 0; default "
                        + ",".join(map(str, DEFAULT_LABELS)) + ")")
    a.add_argument("--scope", type=_scopes, default=list(SCOPES), metavar="LIST",
                   help="learning scopes: all (every layer learns), output (hidden layers frozen); default all,output")
    a.add_argument("--seeds", type=checks.seed_list, default=[0, 1, 2], metavar="LIST",
                   help="adaptation seeds (which labelled samples, their order, the shift's noise); default 0,1,2")
    a.add_argument("--passes", type=checks.count, default=1, metavar="P",
                   help="passes over each budget's samples (default 1: one online pass, as in the field)")
    a.add_argument("--ceiling-epochs", type=checks.nonneg, default=10, metavar="E",
                   help="epochs of the ceiling chip on the whole shifted pool (0: no ceiling; default 10)")
    a.add_argument("--no-fresh", action="store_true", help="skip the fresh chip learning from the same samples")
    a.add_argument("--data", metavar="DIR|NAME", help="the deployment data (original test set; pool unless "
                                                       "--shift-data): " + DATA_HELP)
    a.add_argument("--n-train", type=checks.count, default=None, metavar="N",
                   help="training images of the deployment data (embedded default 4000)")
    a.add_argument("--n-test", type=checks.count, default=None, metavar="N",
                   help="test images of the deployment data (embedded default 1000)")
    a.add_argument("--split-seed", type=checks.nonneg, default=0, metavar="S", help="embedded split seed (default 0)")
    a.add_argument("--plot", metavar="DIR", help=f"write DIR/{ADAPT_PNG}: accuracy against labels and against µJ")
    a.add_argument("--no-progress", action="store_true", help="no progress lines")
    a.add_argument("--json", action="store_true",
                   help="print one JSON object: curves (one row per scope and budget), references, energies")
    a.set_defaults(func=cmd_adapt)


def _labels(text: str) -> list[int]:
    import argparse
    try:
        vals = sorted({int(t) for t in text.split(",") if t.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected comma-separated integers, e.g. 0,100,1000") from None
    if not vals or vals[0] < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: budgets are integers >= 0")
    return vals


def _scopes(text: str) -> list[str]:
    import argparse
    from hwmodel.train.adapt import SCOPES
    vals = [t.strip() for t in text.split(",") if t.strip()]
    bad = [v for v in vals if v not in SCOPES]
    if not vals or bad:
        raise argparse.ArgumentTypeError(f"{text!r}: scopes are {', '.join(SCOPES)}")
    return list(dict.fromkeys(vals))


def _load(args):
    """Everything read and checked before any work: the chips (one config), the shift, the data."""
    from hwmodel.data.mnist import embedded_split, load_idx_folder
    from hwmodel.data.select import named_data_folder
    from hwmodel.data.shifts import parse_shift
    from hwmodel.engine.processor import Processor
    chips = [Processor.load(w) for w in args.weights]
    cfg0 = chips[0].cfg
    for w, c in zip(args.weights[1:], chips[1:]):
        if c.cfg.replace(seed=cfg0.seed).to_toml() != cfg0.to_toml():
            raise DataError(f"--weights: {w} holds config '{c.cfg.name}', not the config of {args.weights[0]} "
                            f"('{cfg0.name}'); give chips of one config")
    new_classes = _new_classes(args, chips, cfg0)
    shift = parse_shift(args.shift, cfg0.input.width)
    names = {t.name for t in shift}
    if "polarity" in names and cfg0.input.channels != 2:
        raise DataError(f"--shift polarity: config '{cfg0.name}' has {cfg0.input.channels} input channel(s); "
                        f"a polarity flip is invisible to it (2-channel inputs only)")
    if "timescale" in names:
        raise DataError("--shift timescale: the chip processes events in order and adapt applies no stopping "
                        "rule, so a time scaling changes nothing")
    if args.plot:
        checks.check_out_dir(args.plot, ["*"], what="--plot")
    folder = named_data_folder(args.data)
    split = (load_idx_folder(folder, args.n_train, args.n_test) if folder else
             embedded_split(4000 if args.n_train is None else args.n_train,
                            1000 if args.n_test is None else args.n_test, args.split_seed))
    new = None
    if args.shift_data:
        new = load_idx_folder(named_data_folder(args.shift_data), args.shift_n_train, args.shift_n_test)
    elif args.shift_n_train or args.shift_n_test:
        raise DataError("--shift-n-train / --shift-n-test: give --shift-data")
    src = new or split
    if src.x_train.shape[1:] != (cfg0.input.height, cfg0.input.width):
        raise DataError(f"the images are {src.x_train.shape[2]}x{src.x_train.shape[1]}; config '{cfg0.name}' takes "
                        f"{cfg0.input.width}x{cfg0.input.height}")
    if new_classes:
        import numpy as np
        if not np.isin(split.y_test, new_classes, invert=True).any():
            raise DataError("--new-classes: the deployment test set has no sample of another class")
        if not np.isin(src.y_train, new_classes).any():
            raise DataError(f"--new-classes {','.join(map(str, new_classes))}: the pool has no sample of them")
    if args.labels[-1] > len(src.y_train):
        raise DataError(f"--labels: a budget of {args.labels[-1]} is beyond the shifted pool's {len(src.y_train)} "
                        f"samples")
    from hwmodel.train.adapt import scope_config
    for s in args.scope:
        c = scope_config(cfg0, s)
        if not any(layer.learn for layer in (*c.hidden, c.output)):
            raise DataError(f"--scope {s}: no layer of config '{cfg0.name}' learns in this scope (learn = false "
                            f"everywhere): the chip cannot adapt")
    if cfg0.depth == 0 and args.scope == ["output"]:
        log("note: this chip has no hidden layer: scope output is scope all")
    return chips, shift, split, new, new_classes


def _new_classes(args, chips, cfg0) -> tuple[int, ...]:
    """--new-classes, or the withheld classes the weights files record (they must agree)."""
    rec = {tuple(c.provenance.get("withheld_classes", ())) for c in chips}
    if len(rec) > 1:
        raise DataError("--weights: the files record different withheld classes (train --withhold-classes); "
                        "give chips deployed alike")
    recorded = rec.pop()
    if args.new_classes is None:
        new = recorded
    else:
        new = tuple(args.new_classes)
        if recorded and new != recorded:
            raise DataError(f"--new-classes {','.join(map(str, new))}: the chips were deployed without classes "
                            f"{','.join(map(str, recorded))} (recorded in {args.weights[0]})")
        if not recorded:
            log(f"note: the weights files record no withheld classes; classes {','.join(map(str, new))} are "
                f"reported as new all the same")
    bad = [c for c in new if c >= cfg0.output.neurons]
    if bad:
        raise DataError(f"--new-classes {bad[0]}: config '{cfg0.name}' has {cfg0.output.neurons} outputs "
                        f"(classes 0..{cfg0.output.neurons - 1})")
    return new


def cmd_adapt(args) -> int:
    from hwmodel.data.shifts import describe
    from hwmodel.train.adapt import adapt_data, adapt_run, estimator_energy, summarize
    from hwmodel.util.provenance import version_info
    chips, shift, split, new, new_classes = _load(args)
    runs = []
    quiet = args.no_progress or args.json
    data_by_seed: dict[int, object] = {}
    for i, chip in enumerate(chips):
        for s in args.seeds:
            if s not in data_by_seed:
                data_by_seed[s] = adapt_data(chip.cfg, split, shift, s, new, new_classes)
            if not quiet:
                log(f"adapt: chip {i + 1}/{len(chips)} ({args.weights[i]}), seed {s}")
            runs.append(adapt_run(chip, data_by_seed[s], args.labels, args.scope, s, passes=args.passes,
                                  fresh=not args.no_fresh, ceiling_epochs=args.ceiling_epochs,
                                  energy=estimator_energy))
    res = summarize(runs, args.labels, args.scope, not args.no_fresh)
    res.update(config=chips[0].cfg.name, weights=[str(w) for w in args.weights], seeds=args.seeds,
               shift=describe(shift), shift_data=args.shift_data, new_classes=list(new_classes), labels=args.labels, scopes=args.scope,
               passes=args.passes, n_runs=len(runs), code_version=version_info(), per_run=runs)
    if args.plot:
        checks.atomic_write_bytes(Path(args.plot) / ADAPT_PNG, adaptation_png(res))
    if args.json:
        print(to_json(res, sort_keys=True))
    else:
        print_adapt(res)
        if args.plot:
            print(f"wrote {Path(args.plot) / ADAPT_PNG}")
    return 0


def _pm(m, s, k=100.0) -> str:
    return "-" if m is None else (f"{k * m:.1f}" + (f" ± {k * s:.1f}" if s is not None else ""))


def print_adapt(res: dict) -> None:
    ref = res["references"]
    d = ref["deployed"]
    print(f"config {res['config']}  shift {res['shift']}" + (f" on {res['shift_data']}" if res["shift_data"] else "")
          + f"  {res['n_runs']} run(s) ({len(res['weights'])} chip(s) x seeds {','.join(map(str, res['seeds']))})"
          + (f"  {res['passes']} passes" if res["passes"] > 1 else ""))
    print(f"deployed chip, no learning: shifted test {_pm(d['shifted_test_accuracy_mean'], d['shifted_test_accuracy_std'])} %, "
          f"original test {_pm(d['original_test_accuracy_mean'], d['original_test_accuracy_std'])} %"
          + _parts(d))
    if res.get("new_classes"):
        print(f"new classes {','.join(map(str, res['new_classes']))} (never seen at deployment): the shifted test "
              f"set holds every class, the original test set the old ones")
    if "ceiling" in ref:
        c = ref["ceiling"]
        print(f"ceiling (fresh chip, {c['epochs']} epochs on {c['samples']} shifted samples): "
              f"{_pm(c['shifted_test_accuracy_mean'], c['shifted_test_accuracy_std'])} %" + _parts(c))
    e = res["energy_per_learning_sample_nj"]
    if e:
        print("energy per learning sample (estimator, the run's counters): "
              + ", ".join(f"{k} {v:.1f} nJ" for k, v in e.items()))
    inc = bool(res.get("new_classes"))
    print(f"{'scope':8s} {'labels':>6s} {'shifted test %':>14s} {'recovered pp':>13s} {'original %':>12s} "
          f"{'forgotten pp':>13s} {'µJ':>8s} {'µJ/pp':>7s}" + (f" {'new cl. %':>12s} {'old cl. %':>12s}" if inc else ""))
    for r in res["curves"] + ref.get("fresh", []):
        uj = "-" if r["learning_energy_uj"] is None else f"{r['learning_energy_uj']:.2f}"
        upp = "-" if r["uj_per_recovered_pp"] is None else f"{r['uj_per_recovered_pp']:.3f}"
        print(f"{r['scope']:8s} {r['labels']:6d} {_pm(r['shifted_test_accuracy_mean'], r['shifted_test_accuracy_std']):>14s} "
              f"{_pm(r['recovered_pp_mean'], r['recovered_pp_std'], 1.0):>13s} "
              f"{_pm(r['original_test_accuracy_mean'], r['original_test_accuracy_std']):>12s} "
              f"{_pm(r['forgotten_pp_mean'], r['forgotten_pp_std'], 1.0):>13s} {uj:>8s} {upp:>7s}"
              + (f" {_pm(r.get('new_classes_accuracy_mean'), r.get('new_classes_accuracy_std')):>12s} "
                 f"{_pm(r.get('old_classes_accuracy_mean'), r.get('old_classes_accuracy_std')):>12s}" if inc else ""))


def _parts(r: dict) -> str:
    if "new_classes_accuracy_mean" not in r:
        return ""
    return (f" (new classes {_pm(r['new_classes_accuracy_mean'], r['new_classes_accuracy_std'])} %, old "
            f"{_pm(r['old_classes_accuracy_mean'], r['old_classes_accuracy_std'])} %)")


STYLE = {"all": ("tab:blue", "-", "on-chip DRTP, every layer learns"),
         "output": ("tab:orange", "-", "output layer only (hidden frozen)"),
         "fresh": ("tab:gray", "--", "fresh chip, same samples")}


def adaptation_png(res: dict) -> bytes:
    """Shifted test accuracy against labels (left) and against learning energy (right), mean ± std
    bands, the deployed chip and the ceiling as horizontal lines."""
    import numpy as np
    from hwmodel.util.plots import png_bytes, pyplot
    plt = pyplot()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    rows = res["curves"] + res["references"].get("fresh", [])
    for scope in dict.fromkeys(r["scope"] for r in rows):
        rs = [r for r in rows if r["scope"] == scope]
        color, ls, label = STYLE.get(scope, ("k", "-", scope))
        x = np.array([r["labels"] for r in rs], float)
        m = np.array([100 * r["shifted_test_accuracy_mean"] for r in rs])
        s = np.array([100 * (r["shifted_test_accuracy_std"] or 0.0) for r in rs])
        ax1.plot(x, m, ls, color=color, marker="o", ms=3, label=label)
        ax1.fill_between(x, m - s, m + s, color=color, alpha=0.15, lw=0)
        if all("new_classes_accuracy_mean" in r for r in rs):
            ax1.plot(x, [100 * r["new_classes_accuracy_mean"] for r in rs], ":", color=color, marker="x", ms=3,
                     label=label + ": new classes only")
        uj = [r["learning_energy_uj"] for r in rs]
        if all(u is not None for u in uj):
            ax2.plot(uj, m, ls, color=color, marker="o", ms=3, label=label)
    ref = res["references"]
    for ax in (ax1, ax2):
        ax.axhline(100 * ref["deployed"]["shifted_test_accuracy_mean"], color="k", ls=":", lw=1,
                   label="deployed chip, no learning")
        if "ceiling" in ref:
            ax.axhline(100 * ref["ceiling"]["shifted_test_accuracy_mean"], color="tab:green", ls="-.", lw=1,
                       label=f"ceiling ({ref['ceiling']['epochs']} epochs on the shifted pool)")
        ax.set_ylabel("shifted test accuracy (%)")
        ax.grid(alpha=0.3)
    ax1.set_xscale("symlog", linthresh=max(1, min([r["labels"] for r in rows if r["labels"]] or [1])))
    ax1.set_xlabel("labelled shifted samples learned (one online pass)" if res["passes"] == 1 else
                   f"labelled shifted samples ({res['passes']} passes)")
    ax1.set_xlim(left=0)
    ax2.set_xscale("symlog", linthresh=1.0)
    ax2.set_xlim(left=0)
    ax2.set_xlabel("learning energy (µJ, estimator)")
    ax1.legend(fontsize=7)
    fig.suptitle(f"{res['config']}: shift {res['shift']}" + (f" on {res['shift_data']}" if res["shift_data"] else "")
                 + f", {res['n_runs']} run(s), mean ± std", fontsize=9)
    fig.tight_layout()
    return png_bytes(fig)
