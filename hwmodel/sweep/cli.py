"""The command line ``python -m hwmodel.sweep`` (docs/sweep.md)."""
from __future__ import annotations

import sys

from hwmodel.util import checks
from hwmodel.spec.config import Config, ConfigError
from hwmodel.util.provenance import code_version
from hwmodel.sweep.executors import SchedulerError
from hwmodel.sweep.grid import Grid, GridError, check_grid_scalars, list_grids, load_grid, parse_seeds
from hwmodel.sweep.plan import Plan, check_data, data_spec, make_plan
from hwmodel.sweep.run import EXIT_FAILED, EXIT_INPUT, run_sweep
from hwmodel.sweep.store import StoreError, check_db


def build_parser() -> checks.Parser:
    p = checks.Parser(prog="python -m hwmodel.sweep",
                      description="Sweeps of the configuration, with results in SQLite (docs/sweep.md).",
                      epilog="Exit status: 0 all runs done, 1 a run failed, 2 input error (nothing run), "
                             "130 interrupted (rerun to resume).")
    checks.add_version(p, "hwmodel.sweep")
    sub = p.add_subparsers(dest="cmd", required=True, metavar="{bitwidths}")
    b = sub.add_parser("bitwidths", help="train every point of a grid of config overrides on chip",
                       description="Train every point x seed of a grid on chip and store one row per run "
                                   "(docs/sweep.md).")
    b.add_argument("--grid", default="quick",
                   help=f"grid preset ({', '.join(list_grids()) or 'none'}) or TOML file (default: quick)")
    b.add_argument("--config", default=None, help="base preset or TOML file (default: the grid's base, else spoon)")
    b.add_argument("--db", default="runs/sweep.sqlite",
                   help="SQLite sweep database, created with its folder (default: runs/sweep.sqlite); one "
                        "sweep at a time per database")
    b.add_argument("--jobs", type=checks.count, default=None, metavar="N",
                   help="local worker processes, >= 1 (default: all cores)")
    b.add_argument("--epochs", type=checks.count, default=None, metavar="E",
                   help="epochs per run, >= 1 (default: the grid's)")
    b.add_argument("--seeds", default=None, metavar="LIST", help=checks.SEEDS_HELP + " (default: the grid's)")
    from hwmodel.data.select import DATA_HELP
    b.add_argument("--data", metavar="DIR|NAME", help=DATA_HELP + "; checked once before any work")
    b.add_argument("--events", choices=["image", "dvs", "nmnist", "aer"], default="image",
                   help="input: images through the config's encoder, DVS-emulated images, N-MNIST streams "
                        "or .aer files")
    b.add_argument("--window-us", type=checks.positive, default=None, metavar="T",
                   help="keep the events with t < t_first + T of each sample (T > 0)")
    b.add_argument("--max-events", type=checks.count, default=None, metavar="N",
                   help="keep at most the first N >= 1 events of each sample")
    b.add_argument("--n-train", type=checks.count, default=None, metavar="N",
                   help="training samples, >= 1 and at most what the data has (embedded default 4000)")
    b.add_argument("--n-test", type=checks.count, default=None, metavar="N",
                   help="test samples, >= 1 and at most what the data has (embedded default 1000)")
    b.add_argument("--split-seed", type=checks.nonneg, default=0, metavar="S",
                   help="seed >= 0 of the embedded stratified split (default 0)")
    b.add_argument("--val-size", type=checks.nonneg, default=None, metavar="N",
                   help="training samples set aside as the validation split on which the float reference's "
                        "gains and the report's recommendations are chosen, >= 1 (stratified, fixed seed; "
                        "default 1000, or a quarter of a smaller training set)")
    b.add_argument("--executor", choices=["local", "dask"], default="local",
                   help="local process pool (default) or Dask")
    b.add_argument("--scheduler", metavar="ADDRESS",
                   help="Dask scheduler address (tcp://host:port); without it --executor dask starts a LocalCluster")
    b.add_argument("--connect-timeout", type=checks.positive_float, default=10.0, metavar="S",
                   help="seconds to wait for the Dask scheduler before giving up (default 10)")
    b.add_argument("--synth", action="store_true",
                   help="cost every point from its synthesized RTL (Yosys; both chips, about a minute per new "
                        "design, cached): logic area and leakage, clock energy, area overhead. Without it the "
                        "costs are memories and datapath actions only (the grid key synth = true does the same)")
    b.add_argument("--offchip", action="store_true",
                   help="also train every point off chip (float BP, then quantized): the accuracy of the point's "
                        "inference-only chip, for the report's fair overhead comparison (grid key offchip = true)")
    b.add_argument("--tune", action="store_true",
                   help="choose every chip's learning knobs (LR shifts, sigmoid shift, initial bounds) that are not "
                        "axes of the grid on the validation split before it trains, as train --tune does (about 10-20 "
                        "chip trainings per run); the chosen knobs in the column tune_knobs (grid key tune = true)")
    b.add_argument("--allow-mixed", action="store_true",
                   help="resume even if the database holds rows of this sweep made by another code version or "
                        "with other cost or tuning options (--synth, --offchip, --tune)")
    b.add_argument("--dry-run", action="store_true", help="validate and list the work, run nothing")
    b.add_argument("--no-progress", action="store_true", help="no progress bar")
    b.add_argument("--json", action="store_true", help="print one JSON summary on stdout")
    return p


def plan_from_args(args) -> Plan:
    grid = load_grid(args.grid)
    base = Config.load(args.config or grid.base)
    epochs = args.epochs if args.epochs is not None else grid.epochs
    if epochs < 1:
        raise GridError("--epochs must be >= 1")
    seeds = parse_seeds(args.seeds) if args.seeds is not None else grid.seeds
    g = Grid(grid.name, grid.axes, epochs, seeds, grid.base, grid.mode, grid.clamp_init,
             synth=grid.synth or args.synth, offchip=grid.offchip or args.offchip,
             tune=grid.tune or args.tune)
    check_grid_scalars(g)
    if g.synth:  # before any work: a sweep that cannot synthesize fails once, not once per run
        from hwmodel.estimate.area import AreaError, find_yosys
        from hwmodel.estimate.core import rtl_files
        if find_yosys() is None:
            raise GridError("--synth needs yosys on PATH (or YOSYS=...); scripts/install-sysdeps.sh installs it")
        try:
            rtl_files(None)
        except AreaError as e:
            raise GridError(f"--synth: {e}") from None
    data = data_spec(args.data, args.n_train, args.n_test, args.split_seed, args.events,
                     args.window_us, args.max_events, args.val_size)
    check_data(data, base)
    n = g.size()
    if n < LARGE_GRID:
        return make_plan(g, base, epochs, seeds, data)
    # a large grid: say its size at once, and show the check of its points (seconds per 10,000)
    print(f"grid {g.name}: {n:,} points x {len(seeds)} seed(s) = {n * len(seeds):,} runs; checking every point "
          f"before any work", file=sys.stderr, flush=True)
    bar = None
    if not args.no_progress:
        from tqdm import tqdm
        bar = tqdm(total=n, desc="checking the grid's points", unit="point", file=sys.stderr, leave=False,
                   dynamic_ncols=True, mininterval=0.5)
    try:
        return make_plan(g, base, epochs, seeds, data, progress=None if bar is None else bar.update)
    finally:
        if bar is not None:
            bar.close()


LARGE_GRID = 2000      # points: above this the size is said before the points are checked


def main(argv=None) -> int:
    from hwmodel.util.checks import ctrl_c_raises
    ctrl_c_raises()
    from hwmodel.data.mnist import DataError
    from hwmodel.data.eventio import EventFormatError
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as e:  # --help, --version, or a one-line argument error (exit 2)
        return int(e.code or 0)
    if args.scheduler and args.executor != "dask":
        print("error: --scheduler needs --executor dask", file=sys.stderr)
        return EXIT_INPUT
    import signal

    def on_term(signum, frame):
        raise KeyboardInterrupt

    try:
        old_term = signal.signal(signal.SIGTERM, on_term)
    except ValueError:  # not the main thread
        old_term = None
    try:
        try:
            plan = plan_from_args(args)
            had_db = check_db(args.db)
        except (GridError, ConfigError, DataError, EventFormatError, StoreError) as e:
            print(f"error: {e}", file=sys.stderr)
            return EXIT_INPUT
        if args.dry_run:
            info = {"grid": plan.grid.name, "base": plan.base_id, "points": len(plan.points),
                    "seeds": plan.seeds, "epochs": plan.epochs, "runs": len(plan.points) * len(plan.seeds),
                    "data": plan.data_key, "overrides": [o for _, o, _ in plan.points],
                    "db_exists": had_db, "code_version": code_version(),
                    "synth": plan.grid.synth, "offchip": plan.grid.offchip}
            print(checks.to_json(info, sort_keys=True) if args.json else
                  f"grid {info['grid']}: {info['points']} points x {len(plan.seeds)} seeds = {info['runs']} runs, "
                  f"{plan.epochs} epochs, base {plan.base_id}, data {plan.data_key}"
                  + (", synthesized costs" if plan.grid.synth else "") + (", off-chip accuracy" if plan.grid.offchip else ""))
            return 0
        try:
            summary = run_sweep(plan, args.db, executor=args.executor, jobs=args.jobs,
                                scheduler=args.scheduler, progress=not args.no_progress and not args.json,
                                argv=argv, allow_mixed=args.allow_mixed, connect_timeout=args.connect_timeout)
        except (StoreError, SchedulerError) as e:
            print(f"error: {e}", file=sys.stderr)
            return EXIT_INPUT
    except KeyboardInterrupt:
        print("interrupted before any run started; rerun the same command to start", file=sys.stderr)
        return checks.EXIT_INTERRUPTED
    finally:
        if old_term is not None:
            signal.signal(signal.SIGTERM, old_term)
    by_error: dict[str, list[str]] = {}
    for f in summary["failures"]:  # "{run}: {Type}: {message}"; the same error once, with its count
        run, _, what = f.partition(": ")
        by_error.setdefault(what, []).append(run)
    for what, runs in by_error.items():
        print(f"error: {runs[0]}: {what}" if len(runs) == 1 else
              f"error: {len(runs)} runs failed with {what} (first: {runs[0]})", file=sys.stderr)
    if args.json:
        print(checks.to_json(summary, sort_keys=True))
    else:
        print(f"sweep {summary['grid']} ({summary['base']}, {summary['epochs']} epochs, {summary['data']}): "
              f"{summary['points']} points x {len(summary['seeds'])} seed(s) = {summary['runs']} runs; "
              f"{summary['skipped']} already in {summary['db']}, {summary['done']} done, "
              f"{summary['failed']} failed in {summary['wall_time']:.1f} s"
              + (f"; float reference computed for {summary['references_computed']} seed(s)"
                 if summary["reference_computed"] else ""))
    if summary["interrupted"]:
        print(f"interrupted: {summary['remaining']} run(s) left; rerun the same command to resume",
              file=sys.stderr)
        return checks.EXIT_INTERRUPTED
    return EXIT_FAILED if summary["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
