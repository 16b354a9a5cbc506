"""Command line: ``python -m hwmodel train|eval|adapt|info``.

Errors in the input (options, config, data, events, weight files, output folders) are found
before any work starts and print one line ``error: ...`` on stderr with exit status 2; no
traceback. Ctrl-C (or SIGTERM) prints one line and exits with 130; ``train`` then keeps what
finished (see ``hwmodel.train.runs.run_training``) and still writes ``--out``.
"""
from __future__ import annotations

import signal
import sys

from hwmodel.util import checks
from hwmodel.util.checks import EXIT_INPUT, EXIT_INTERRUPTED, OutputError
from hwmodel.spec.config import ConfigError, list_presets
from hwmodel.data.mnist import DataError
from hwmodel.data.eventio import EventFormatError
from hwmodel.engine.processor import ModelError
from hwmodel.cli.args import add_data_options, class_list, seed_list
from hwmodel.cli.evaluate import cmd_eval, cmd_info
from hwmodel.cli.train import CURVES_PNG, cmd_train


def build_parser() -> checks.Parser:
    p = checks.Parser(prog="python -m hwmodel",
                      description="Bit-accurate model of an event-driven CNN processor with on-chip DRTP learning.",
                      epilog="Bad input: one line 'error: ...', exit 2. Ctrl-C: exit 130 (train keeps what finished).")
    checks.add_version(p, "hwmodel")
    sub = p.add_subparsers(dest="cmd", required=True, metavar="{train,eval,adapt,info}")

    _train_parser(sub)
    _eval_parser(sub)
    from hwmodel.cli.adapt import add_parser as _adapt_parser
    _adapt_parser(sub)
    _info_parser(sub)
    return p


def _config_opts(sp, seed=True, events=True):
    sp.add_argument("--config", default=None,
                    help="preset name (" + ", ".join(list_presets()) + ") or TOML file (default: spoon"
                         + ("; spoon_dvs with --events dvs or aer; nmnist with --events nmnist)" if events else ")"))
    sp.add_argument("--set", action="append", metavar="KEY=VALUE",
                    help="override a config field by dotted name, e.g. --set fc1.weight=s6 (repeatable)")
    if seed:
        sp.add_argument("--seed", type=checks.seed, default=None,
                        help="chip seed, 0..2^32-1 (random contents, LFSRs, sample order; default: the config's)")


def _train_parser(sub) -> None:
    t = sub.add_parser("train", help="train on chip (integer DRTP) and/or off chip (float BP), with the float reference",
                       description="Train on chip (integer DRTP) and/or off chip (float BP, quantized), with the "
                                   "float DRTP reference. Ctrl-C keeps what finished (the on-chip result) and "
                                   "exits with 130.")
    _config_opts(t)
    t.add_argument("--seeds", type=seed_list, default=None, metavar="LIST",
                   help="run every chip seed of LIST and report every accuracy as mean, std and 95 %% interval "
                        "over the seeds (replaces --seed); " + checks.SEEDS_HELP.replace("%", "%%"))
    add_data_options(t)
    t.add_argument("--val-size", type=checks.nonneg, default=None, metavar="N",
                   help="training samples set aside as the validation split on which every choice is made "
                        "(stratified, fixed seed; default 1000, or a quarter of a smaller training set); "
                        "the models train on the rest. 0: none (only with --no-float --mode on-chip)")
    t.add_argument("--withhold-classes", type=class_list, default=None, metavar="LIST",
                   help="leave the classes of LIST (e.g. 8,9) out of the training, validation and test sets: a "
                        "chip deployed without them, for class-incremental adaptation (adapt --new-classes); "
                        "the weights files record them")
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
    t.add_argument("--tune", action="store_true",
                   help="first choose the chip's integer learning knobs (learning-rate shifts of every layer, "
                        "the sigmoid shift, initial-weight bounds) on the validation split by coordinate descent "
                        "from the config's values, then train and report the chosen chip as usual; the knobs and "
                        "the search in the JSON as chip_tune_search (docs/spec.md §12). Needs --mode on-chip "
                        "or both")
    t.add_argument("--init-weights", metavar="FILE",
                   help="continue on-chip training from the whole state in FILE (weights.npz of the same config, "
                        "e.g. a deployed chip) instead of the reset state; with --mode on-chip --no-float "
                        "--no-baselines")
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


def _eval_parser(sub) -> None:
    e = sub.add_parser("eval", help="evaluate a saved weights file in the integer model",
                       description="Evaluate a weights.npz written by train --out on the test samples.")
    e.add_argument("--weights", required=True, metavar="FILE", help="weights.npz written by train --out")
    add_data_options(e)
    e.add_argument("--json", action="store_true",
                   help="print one JSON object (test_accuracy, n_test, config, data, counters_per_sample)")
    e.set_defaults(func=cmd_eval)


def _info_parser(sub) -> None:
    i = sub.add_parser("info", help="show a configuration, its derived sizes and memories",
                       description="Show a configuration, its derived sizes and every memory's words and bits.")
    _config_opts(i, events=False)
    i.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    i.set_defaults(func=cmd_info, events="image")


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
