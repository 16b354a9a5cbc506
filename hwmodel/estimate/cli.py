"""Command line: ``python -m hwmodel.estimate`` (docs/estimate.md §5).

Errors in the input (options, config, technology table, liberty file, RTL, synthesis, output
folder) print one line ``error: ...`` on stderr and exit with status 2; no traceback. The
output folder is checked before any work. Progress (the model run, then Yosys, ~25 s the first
time) goes to stderr.
"""
from __future__ import annotations

import sys
import time
from contextlib import contextmanager

from hwmodel.cli.args import add_data_options, data_spec_from_args
from hwmodel.util import checks
from hwmodel.util.checks import EXIT_INPUT, EXIT_INTERRUPTED, OutputError
from hwmodel.spec.config import Config, ConfigError
from hwmodel.data.mnist import DataError
from hwmodel.data.eventio import EventFormatError
from hwmodel.engine.processor import ModelError, Processor
from .area import AreaError
from .cacti import CactiError, CactiUnavailable
from .core import CLOCK_GATING, DEFAULT_CLOCK_MHZ, estimate
from .rate import DEFAULT_RATE_HZ
from .energy import describe_measurement
from .memories import SRAM_MODELS
from .tech import TechError

OUT_FILES = ("report.md", "report.html", "estimate.json", "*.png")


def build_parser() -> checks.Parser:
    p = checks.Parser(
        prog="python -m hwmodel.estimate",
        description="Memory traffic, energy, power, area and learning overhead of the processor "
                    "(model counters x technology table; logic area from Yosys).")
    checks.add_version(p, "hwmodel.estimate")
    p.add_argument("--config", default=None, help="preset name or TOML file (default: spoon)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override a config field by dotted name, e.g. --set fc1.weight=s4 (repeatable)")
    p.add_argument("--tech", metavar="NAME|FILE",
                   help="technology table: default (hwmodel/tech/default_28nm_0v6.toml), calibrated (the default "
                        "table calibrated per component on a measured 28-nm chip, ODIN: docs/estimate.md §2), "
                        "silicon_sram (SRAM energies x3.19), or a TOML file")
    p.add_argument("--liberty", metavar="FILE", help="map the logic to this liberty library and take its cell areas")
    p.add_argument("--samples", type=checks.count, default=None, metavar="N",
                   help="held-out digits measured, >= 1 (default 100; not with --weights)")
    p.add_argument("--train-samples", type=checks.nonneg, default=None, metavar="N",
                   help="digits of brief on-chip training before measuring (0 = fresh chip; default 500; "
                        "not with --weights)")
    p.add_argument("--rate", type=checks.positive_float, default=None, metavar="HZ",
                   help=f"classifications per second for power and leakage, > 0 (default: {DEFAULT_RATE_HZ:.0f}, "
                        f"one per SPOON's 0.12 ms latency, or the processor's own throughput at --clock if "
                        f"that is lower; the summary says which)")
    p.add_argument("--clock", type=checks.positive_float, default=DEFAULT_CLOCK_MHZ, metavar="MHZ",
                   help=f"processor clock in MHz, > 0 (default {DEFAULT_CLOCK_MHZ:g}): the model's cycles per "
                        f"sample / clock = latency; leakage is charged over each sample's own duration")
    p.add_argument("--clock-gating", choices=CLOCK_GATING, default="none",
                   help="clock energy of every storage bit (logic flip-flops and register files): none = every "
                        "bit on every busy cycle, as the RTL is (default); enable = one clock gate per enable net "
                        "and per register-file word, a word clocked when written; memory = one gate per "
                        "register-file bank, the bank clocked on a write (the ranges cover all three)")
    p.add_argument("--learn-every", type=checks.count, default=1, metavar="N",
                   help="learning duty cycle: one sample in N learns (N >= 1; default 1, every sample learns); "
                        "sets the training power and the learning overheads in both conventions (beside the "
                        "inference-only chip, and SPOON's: the same chip learning vs classifying)")
    p.add_argument("--sram", choices=SRAM_MODELS, default=None,
                   help="SRAM macro model: cacti (CACTI 7 per bank macro, as organised), fit (the technology "
                        "table's fit), auto (CACTI if installed, else the fit; the default)")
    p.add_argument("--timing", action="store_true",
                   help="check the clock against the critical path: both chips synthesized flattened and mapped to "
                        "--liberty (default: the open OSU 0.18 um library the set-up installs), the delays scaled to "
                        "the table's node and supply; a clock that cannot be met is a note with the shortfall")
    p.add_argument("--liberty-node", type=checks.positive_float, default=None, metavar="NM",
                   help="technology node of the --liberty file, to scale its delays with --timing (default 45, "
                        "e.g. Nangate45; the default library is 180 nm); needs --liberty")
    w = p.add_argument_group(
        "a trained chip", "cost the chip a run wrote (train --out DIR) on its own data: its counters on the "
        "test samples (the accuracy train reported, with the same data options) and the learning counters of "
        "its first 200 training samples; the config is the file's (no --config, --set, --samples, "
        "--train-samples)")
    w.add_argument("--weights", metavar="FILE", help="weights.npz written by train --out")
    add_data_options(w)
    p.add_argument("--rtl", metavar="DIR", help="RTL folder to synthesize (default: the repository's rtl/)")
    p.add_argument("--no-synth", action="store_true", help="skip Yosys: memories only, no logic area/leakage")
    p.add_argument("--no-cache", action="store_true", help="re-run Yosys even if a cached result exists")
    p.add_argument("--no-progress", action="store_true", help="no progress lines on stderr")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.add_argument("--out", metavar="DIR",
                   help="write report.md, report.html (with plots) and estimate.json, as one set (a new "
                        "folder, or one holding only a previous estimate's files, which are replaced)")
    return p


@contextmanager
def _stages(enabled: bool):
    """Progress lines on stderr around the two slow steps (the model run and each synthesis):
    wraps ``core.measure_counters``, ``core.synthesize_design`` and the timing flows
    ``design.critical_path_design`` / ``design.sta_design`` for the duration."""
    from . import core, design
    if not enabled:
        yield
        return
    orig_m, orig_s = core.measure_counters, core.synthesize_design

    def timed(what, fn):
        def run(*a, **kw):
            print(f"estimate: {what} ...", file=sys.stderr, flush=True)
            t0 = time.perf_counter()
            r = fn(*a, **kw)
            print(f"estimate: {what}: done in {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
            return r
        return run

    def synth(cfg, learning, **kw):
        what = (f"synthesizing the {'learning' if learning else 'inference-only'} design with Yosys"
                + ("" if kw.get("cache", True) else " (no cache)"))
        return timed(what + " (~30 s each the first time for spoon, cached afterwards)", orig_s)(cfg, learning, **kw)

    orig_t = design.critical_path_design

    def timing(cfg, learning, liberty, **kw):
        what = f"timing the flattened {'learning' if learning else 'inference-only'} design (Yosys, ABC)"
        return timed(what + " (~40 s each the first time, cached afterwards)", orig_t)(cfg, learning, liberty, **kw)

    orig_a = design.sta_design

    def sta(cfg, learning, liberty, **kw):
        what = f"static timing of the {'learning' if learning else 'inference-only'} design (Yosys, OpenSTA)"
        return timed(what + " (~40 s each the first time, cached afterwards)", orig_a)(cfg, learning, liberty, **kw)

    core.measure_counters = timed("running the model (brief training, then the measured digits)", orig_m)
    core.synthesize_design = synth
    design.critical_path_design, design.sta_design = timing, sta
    try:
        yield
    finally:
        core.measure_counters, core.synthesize_design = orig_m, orig_s
        design.critical_path_design, design.sta_design = orig_t, orig_a


def _config(args) -> Config:
    return Config.load(args.config or "spoon").with_sets(args.set)


DATA_OPTIONS = (("--events", "events", "image"), ("--data", "data", None), ("--n-train", "n_train", None),
                ("--n-test", "n_test", None), ("--split-seed", "split_seed", 0), ("--window-us", "window_us", None),
                ("--max-events", "max_events", None))


def _check_weights_options(args) -> None:
    """--weights brings its own config and data; the brief-training options do not apply to it."""
    if args.weights:
        clash = [o for o, v in (("--config", args.config), ("--set", args.set), ("--samples", args.samples),
                                ("--train-samples", args.train_samples)) if v is not None]
        if clash:
            raise ValueError(f"--weights costs the chip in the file, with the file's config on its own data: "
                             f"drop {', '.join(clash)}")
    else:
        given = [o for o, k, d in DATA_OPTIONS if getattr(args, k) != d]
        if given:
            raise ValueError(f"{' and '.join(given)} choose{'s' if len(given) == 1 else ''} the data of a trained "
                             f"chip: give --weights FILE "
                             f"(without it the estimate trains a fresh chip on embedded digits: --samples, "
                             f"--train-samples)")


def _chip(args):
    """The chip in --weights and its data, read and checked now: (its config, a function that
    measures its counters, called by ``estimate`` once the other options are checked)."""
    from hwmodel.cli.args import log
    from hwmodel.data.select import check_spec, load_data, warn_data
    from .energy import chip_counters
    spec = data_spec_from_args(args)
    check_spec(spec)
    proc = Processor.load(args.weights)
    prep, source = load_data(proc.cfg, spec)
    warn_data(prep, log)

    def measure():
        if not args.no_progress:
            print(f"estimate: measuring the chip in {args.weights} on {len(prep.y_test):,} test samples ...",
                  file=sys.stderr, flush=True)
        inf, lrn, info = chip_counters(proc, prep)
        info.update(weights=str(args.weights), data=source)
        return inf, lrn, info
    return proc.cfg, measure


def _f(v, fmt="{:.1f}") -> str:
    return "-" if v is None else fmt.format(v)


def print_summary(r: dict) -> None:
    s = r["spoon_reference"]
    m = r["measurement"]
    rate = {"spoon_latency": " (SPOON's)", "throughput": " (the chip's own throughput)"}.get(r.get("rate_source"), "")
    print(f"config {r['config']}, tech {r['tech']['name']} ({r['tech']['node_nm']:g} nm, {r['tech']['vdd']:g} V), "
          f"rate {r['rate_hz']:,.0f} /s{rate}, clock {r['clock_mhz']:g} MHz")
    print(f"measured on {describe_measurement(m)}")
    ck = (r.get("clocking") or {}).get("learning")
    if ck:
        print(f"clock ({r['clock_gating']}): {ck['flipflops']:,.0f} flip-flops + {ck['register_file_bits']:,.0f} "
              f"register-file bits, {ck['clock_gates']:,.0f} clock gates, tree +{100 * ck['clock_tree_fraction']:.1f} %: "
              f"{ck['pj_per_busy_cycle']:.2f} pJ per busy cycle (--clock-gating none|enable|memory)")
    rows = [
        ("energy per classification (nJ)", _f(r["energy_per_classification_nj"]), _f(s["energy_per_classification_nj"])),
        ("  of which dynamic (nJ)", _f(r["energy_per_classification_dynamic_nj"]), ""),
        ("energy per learning sample (nJ)", _f(r["energy_per_learning_sample_nj"]), ""),
        ("  of which extra to a classification (nJ)", _f(r["learning_extra_energy_nj"]), ""),
        ("latency per classification (µs)", _f(r["latency_per_classification_us"]), _f(1e3 * s["latency_ms"], "{:.0f}")),
        ("latency per learning sample (µs)", _f(r["latency_per_learning_sample_us"]), ""),
        ("power at the rate, classifying (mW)", _f(r["power_mw"], "{:.4f}"), ""),
        ("area (mm²)" + ("" if r["area_includes_logic"] else ", memories only"), _f(r["area_mm2"], "{:.4f}"), _f(s["area_mm2"], "{:.2f}")),
        ("learning power overhead, % of inference-only", _f(r["learning_overhead_power_pct"]), ""),
        ("learning power overhead, % of total", _f(r["learning_overhead_power_pct_of_total"]), ""),
        ("learning power overhead, same chip (SPOON's), %", _f(r["learning_overhead_power_same_chip_pct"]),
         _f(s["learning_overhead_power_pct"])),
        ("energy per learning sample / classification, %", _f(r["learning_overhead_energy_same_chip_pct"]),
         _f(100 * (s["energy_per_learning_sample_nj"] / s["energy_per_classification_nj"] - 1))),
        ("learning increment per learning sample (nJ)", _f(r["learning_increment_nj"]), _f(s["learning_increment_nj"])),
        ("learning increment over the inference-only chip (nJ)", _f(r["learning_increment_over_inference_only_chip_nj"]), ""),
        ("learning area increment (mm²)", _f(r["learning_increment_area_mm2"], "{:.4f}"), ""),
        ("learning area overhead, % of inference-only", _f(r["learning_overhead_area_pct"], "{:.2f}"), ""),
        ("learning area overhead, % of total", _f(r["learning_overhead_area_pct_of_total"], "{:.2f}"), _f(s["learning_overhead_area_pct"])),
    ]
    if r.get("learn_every", 1) > 1:
        print(f"learning duty cycle: one sample in {r['learn_every']} learns (--learn-every)")
    print(f"{'':54s} {'this model':>12s} {'SPOON':>8s}")
    for a, b, c in rows:
        print(f"{a:54s} {b:>12s} {c:>8s}")
    print(f"\n{'block':12s} {'E infer nJ':>11s} {'E learn nJ':>11s} {'area mm²':>10s} {'Δarea mm²':>10s} {'Δpower µW':>10s}")
    for b, o in r["learning_overhead_by_block"].items():
        print(f"{b:12s} {r['energy_nj_by_block']['inference'][b]:11.3f} {r['energy_nj_by_block']['learning'][b]:11.3f} "
              f"{r['designs']['learning']['area_mm2_by_block'][b]:10.5f} {o['area_mm2']:10.5f} {o['power_uw']:10.2f}")
    print(f"\n{'memory':12s} {'kind':8s} {'bits':>9s} {'rd/class':>10s} {'rd/learn':>10s} {'wr/learn':>10s}")
    for n, t in r["traffic"].items():
        print(f"{n:12s} {t['kind']:8s} {t['depth'] * t['word_bits']:9d} {t['per_classification']['reads']:10.1f} "
              f"{t['per_learning_sample']['reads']:10.1f} {t['per_learning_sample']['writes']:10.1f}")
    T = r.get("timing")
    if T:
        for k, t in T.items():
            mem = "" if t["memory_path_bound_ns"] is None else (
                f"; from an SRAM output at most {t['memory_path_bound_ns']:.2f} ns")
            print(f"timing, {k.replace('_', '-')} chip: critical path {t['critical_path_ns']:.2f} ns "
                  f"({t['library_delay_ns']:.2f} ns in the liberty x{t['delay_factor']:.2f}), register paths "
                  f"{t['register_path_ns']:.2f} ns{mem}; period {t['period_ns']:.2f} ns")
    for n in r["notes"]:
        print(f"note: {n}")


def main(argv=None) -> int:
    from hwmodel.util.checks import ctrl_c_raises
    ctrl_c_raises()
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0)
    try:
        if args.liberty_node is not None and args.liberty is None:
            raise ValueError("--liberty-node is the node of the --liberty file: give --liberty FILE with it "
                             "(the default library's node, 180 nm, is known)")
        _check_weights_options(args)
        if args.out:
            checks.check_out_dir(args.out, OUT_FILES)
        with checks.out_lock(args.out):    # no other command writes the same --out meanwhile
            counters = None
            samples = 100 if args.samples is None else args.samples
            train_samples = 500 if args.train_samples is None else args.train_samples
            if args.weights:
                cfg, counters = _chip(args)
            else:
                n_test = -(-samples // 10) * 10  # what measure_counters takes from the embedded split
                if max(train_samples, 1) + n_test > 5000:
                    raise DataError(f"--samples {samples} + --train-samples {train_samples}: the embedded "
                                    f"MNIST has 5000 digits")
                cfg = _config(args)
            with _stages(not args.no_progress):
                r = estimate(cfg, args.tech, samples=samples, train_samples=train_samples, counters=counters,
                             rate=args.rate, synth=not args.no_synth, liberty=args.liberty, rtl_dir=args.rtl,
                             cache=not args.no_cache, clock_mhz=args.clock, sram_model=args.sram,
                             clock_gating=args.clock_gating, timing=args.timing, liberty_node_nm=args.liberty_node,
                             learn_every=args.learn_every)
            from hwmodel.util.provenance import version_info
            r["code_version"] = version_info(args.rtl, rtl=not args.no_synth)
            unsaved = None
            if args.out:
                from .report import write_report
                try:
                    write_report(r, args.out)
                except OutputError as e:   # a full disk after the work: the figures go to stdout all the same
                    unsaved = e
    except (ConfigError, DataError, EventFormatError, ModelError, TechError, AreaError, OutputError,
            ValueError, FileNotFoundError, CactiError, CactiUnavailable) as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("interrupted: nothing written", file=sys.stderr)
        return EXIT_INTERRUPTED
    if args.json:
        print(checks.to_json(r, sort_keys=True))
    else:
        print_summary(r)
        if args.out and unsaved is None:
            print(f"report written to {args.out}/report.md and report.html")
    if unsaved is not None:
        print(f"error: {unsaved}; the figures are printed above, the report is not saved", file=sys.stderr)
        return checks.EXIT_WRITE
    return 0


if __name__ == "__main__":
    sys.exit(main())
