"""The command line ``python -m hwmodel.report --db runs/sweep.sqlite --out DIR`` (docs/sweep.md)."""
from __future__ import annotations

import sys
from pathlib import Path

from hwmodel.util import checks
from hwmodel.report.load import ReportError
from hwmodel.report.render import write_report
from hwmodel.report.sections import fmt_ci, fmt_ms


EXIT_INPUT = 2


def main(argv=None) -> int:
    from hwmodel.util.checks import ctrl_c_raises
    ctrl_c_raises()
    from hwmodel.util.checks import EXIT_INTERRUPTED, OutputError, Parser, add_version
    p = Parser(prog="python -m hwmodel.report",
               description="Report of a sweep database (docs/sweep.md): report.md (with PNG plots), "
                           "report.html, results.csv, results.json.")
    add_version(p, "hwmodel.report")
    p.add_argument("--db", default="runs/sweep.sqlite",
                   help="SQLite database written by hwmodel.sweep (default: runs/sweep.sqlite)")
    p.add_argument("--out", required=True, metavar="DIR",
                   help="output folder: new, or one holding only a previous report's files (replaced as a set)")
    p.add_argument("--json", action="store_true", help="print results.json's summary on stdout")
    try:
        args = p.parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0)
    try:
        doc = write_report(args.db, args.out)
    except (ReportError, OutputError) as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_INPUT
    except OSError as e:
        print(f"error: --out '{args.out}': cannot write: {e.strerror or e}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("interrupted: no report written", file=sys.stderr)
        return EXIT_INTERRUPTED
    for e in doc["experiments"]:
        for u in e["incomplete"]:
            print(f"warning: {e['base']}, {e['epochs']} epochs: incomplete: {u}", file=sys.stderr)
        if e["skipped_rows"]:
            n = len(e["skipped_rows"])
            print(f"warning: {e['base']}, {e['epochs']} epochs: {n} corrupt row{'s' * (n != 1)} left out of the "
                  f"report ({e['skipped_rows'][0]}{', ...' if n > 1 else ''})", file=sys.stderr)
    if args.json:
        print(checks.to_json({"out": args.out, "code_version": doc["code_version"], "experiments": [
            {k: e[k] for k in ("base", "epochs", "data", "axes", "float_test_accuracy", "cheapest_within",
                               "code_versions")}
            for e in doc["experiments"]]}, sort_keys=True))
    else:
        for e in doc["experiments"]:
            fa = e["float_test_accuracy"]
            cv = e["code_versions"]
            print(f"{e['base']}, {e['epochs']} epochs, {e['data']}: {len(e['points'])} points"
                  + (f", float reference {100 * fa:.2f} %" if fa is not None else "")
                  + (f"; code {next(iter(cv))}" if len(cv) == 1 else f"; MIXED code versions: {', '.join(sorted(cv))}"))
            for r in e["cheapest_within"]:
                if "point" in r:
                    unclear = r["cannot_tell_apart_from"]
                    print(f"  within {r['tolerance_pp']} pp of float on validation: {r['point']}  "
                          f"{r['memory_bits']:,} bits, val {fmt_ms(r['val_accuracy'], r['val_std'])} % "
                          f"{fmt_ci(r['val_ci95'])}, test {fmt_ms(r['test_accuracy'], r['std'])} %"
                          + (f"; cannot be told apart from {len(unclear)} cheaper point(s)" if unclear else ""))
                elif "note" in r:
                    print(f"  within {r['tolerance_pp']} pp: {r['note']}")
        print(f"wrote {Path(args.out) / 'report.md'}, report.html, results.csv, results.json")
    return 0
