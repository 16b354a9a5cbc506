"""RTL coverage of the default test suite: Verilator line and toggle counts merged into one report.

    make coverage                       # RTL_COVERAGE=1 pytest tests/rtl, then this report
    python -m sim.coverage [--dir D] [--out F] [--min-lines 95]

``RTL_COVERAGE=1`` makes ``sim/runner.py`` build every design with ``--coverage-line
--coverage-toggle`` and each run write its counts to ``sim/sim_build/coverage/*.dat``
(``$RTL_COVERAGE_DIR``). This module reads those files (Verilator's ``SystemC::Coverage-3`` text
format: one ``C '<key/value pairs>' <count>`` line per coverage point) and merges them:

* a **line point** is one statement block or branch arm Verilator instruments (its ``v_line`` and
  ``v_branch`` pages: ``if``, ``else``, ``elsif``, ``case`` items, blocks); a **toggle point** is one
  direction (0->1 or 1->0) of one bit of one signal (``v_toggle``);
* points are merged over runs *and instances*: the question is whether the suite ever exercises that
  line of ``rtl/`` (every lane, bank and layer instance shares its source), so a point counts as
  covered when any run hit it in any instance;
* only ``rtl/*.v`` is reported (the unit harness' test-only wrappers in ``sim/units/`` are not the
  design).

Uncovered line points are listed by module with their source line and, when
``sim/coverage_waivers.toml`` explains them (a table per file, the line's text as key, the reason as
value: unreachable by design, simulation-only), the reason. Elaboration-time constant functions
are not hardware and are kept out of the count in the RTL itself (``verilator coverage_off``). The last line of the report reads
``total: lines X %, toggles Y %``. Exit status: 0, or 1 when ``--min-lines`` is given and line
coverage is below it or an uncovered line is not explained; 2 for bad input (no counts found).
"""
from __future__ import annotations

import argparse
import re
import sys
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from sim.runner import RTL_DIR, coverage_dir

WAIVERS = Path(__file__).resolve().parent / "coverage_waivers.toml"


@dataclass
class Module:
    """The merged points of one RTL file: {point: hit} for lines and toggles."""
    lines: dict = field(default_factory=dict)     # (line, col, kind, span) -> covered
    toggles: dict = field(default_factory=dict)   # (signal bit and direction) -> covered

    @staticmethod
    def pct(d: dict) -> float | None:
        return 100.0 * sum(d.values()) / len(d) if d else None


def parse_point(line: str) -> tuple[dict[str, str], int] | None:
    """One ``C '...' count`` line of a coverage file: its key/value pairs and count (None: not a point)."""
    if not line.startswith("C '"):
        return None
    body, _, count = line[3:].rstrip("\n").rpartition("' ")
    kv = dict(p.split("\x02", 1) for p in body.split("\x01") if "\x02" in p)
    return kv, int(count)


def merge(files: list[Path]) -> dict[str, Module]:
    """{rtl file name: Module} over every counts file (points merged over runs and instances)."""
    mods: dict[str, Module] = defaultdict(Module)
    rtl = RTL_DIR.resolve()
    for f in files:
        with open(f, encoding="latin-1") as fh:
            for ln in fh:
                pt = parse_point(ln)
                if pt is None:
                    continue
                kv, n = pt
                src = Path(kv.get("f", ""))
                if src.parent.resolve() != rtl:        # the unit harness' wrappers are not the design
                    continue
                page = kv.get("page", "").split("/")[0]
                m = mods[src.name]
                if page in ("v_line", "v_branch"):
                    key = (int(kv["l"]), int(kv.get("n", 0)), kv.get("o", ""), kv.get("S", kv["l"]))
                    m.lines[key] = m.lines.get(key, False) or n > 0
                elif page == "v_toggle":
                    key = kv.get("o", "")
                    m.toggles[key] = m.toggles.get(key, False) or n > 0
    return dict(mods)


def load_waivers(path: Path | None = None) -> dict[str, str]:
    """{"file.v: source line": reason} of the uncovered lines explained rather than tested
    (keyed by the line's text, not its number, so that edits above it do not move the waiver)."""
    path = WAIVERS if path is None else path
    if not path.exists():
        return {}
    return {f + ": " + " ".join(str(t).split()): str(why)
            for f, tab in tomllib.loads(path.read_text()).items() for t, why in tab.items()}


def report(mods: dict[str, Module], waivers: dict[str, str]) -> tuple[list[str], dict]:
    """The report's lines and its totals (line %, toggle %, unexplained uncovered lines)."""
    out = ["# RTL coverage of the default test suite (Verilator line and toggle coverage)", "",
           "| module | line points | lines % | toggle points | toggles % |", "|---|---|---|---|---|"]
    for name in sorted(mods):
        m = mods[name]
        lp, tp = Module.pct(m.lines), Module.pct(m.toggles)
        out.append(f"| {name} | {sum(m.lines.values())}/{len(m.lines)} | {_p(lp)} | "
                   f"{sum(m.toggles.values())}/{len(m.toggles)} | {_p(tp)} |")
    out += ["", "## Signals with toggle points never hit (top 6 per module: points missed / points; a "
            "point is one direction of one bit)", ""]
    for name in sorted(mods):
        never, bits = defaultdict(int), defaultdict(int)
        for key, hit in mods[name].toggles.items():
            sig = re.sub(r"\[\d+\]", "", key.split(":")[0])
            bits[sig] += 1
            never[sig] += not hit
        top = sorted((s for s in never if never[s]), key=lambda s: -never[s])[:6]
        if top:
            out.append(f"- {name}: " + ", ".join(f"`{s}` {never[s]}/{bits[s]}" for s in top))
    unexplained, used = [], set()
    out += ["", "## Uncovered lines", ""]
    for name in sorted(mods):
        src = (RTL_DIR / name).read_text().splitlines() if (RTL_DIR / name).exists() else []
        miss = sorted({(k[0], k[2]) for k, hit in mods[name].lines.items() if not hit})
        for line, kind in miss:
            text = " ".join(src[line - 1].split()) if 0 < line <= len(src) else ""
            key = f"{name}: {text}"
            why = waivers.get(key)
            if why:
                used.add(key)
            else:
                unexplained.append(f"{name}:{line}")
            out.append(f"- `{name}:{line}` ({kind}) `{text}`" + (f": explained, {why}" if why else ": NOT EXPLAINED"))
    if not any(not h for m in mods.values() for h in m.lines.values()):
        out.append("(none)")
    stale = sorted(set(waivers) - used)
    if stale:
        out += ["", "Waivers for lines that are now covered or gone (remove them): " + ", ".join(stale)]
    lines = [h for m in mods.values() for h in m.lines.values()]
    toggles = [h for m in mods.values() for h in m.toggles.values()]
    tot = {"lines_pct": 100.0 * sum(lines) / len(lines) if lines else 0.0,
           "toggles_pct": 100.0 * sum(toggles) / len(toggles) if toggles else 0.0,
           "line_points": len(lines), "toggle_points": len(toggles), "unexplained": unexplained,
           "stale_waivers": stale}
    out += ["", f"uncovered line points not explained: {len(unexplained)}",
            f"total: lines {tot['lines_pct']:.1f} %, toggles {tot['toggles_pct']:.1f} %"]
    return out, tot


def _p(v: float | None) -> str:
    return "-" if v is None else f"{v:.1f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sim.coverage", description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", default=None, help="folder of the .dat counts (default: sim/sim_build/coverage, "
                                                "or $RTL_COVERAGE_DIR)")
    ap.add_argument("--out", default=None, help="also write the report (Markdown) to this file")
    ap.add_argument("--min-lines", type=float, default=None, metavar="PCT",
                    help="exit 1 if line coverage is below PCT or an uncovered line is not explained")
    a = ap.parse_args(argv)
    d = Path(a.dir) if a.dir else coverage_dir()
    files = sorted(d.glob("*.dat")) if d.is_dir() else []
    if not files:
        print(f"error: no coverage counts (*.dat) in {d}: run `make coverage` (RTL_COVERAGE=1 pytest tests/rtl)",
              file=sys.stderr)
        return 2
    lines, tot = report(merge(files), load_waivers())
    text = "\n".join(lines) + "\n"
    print(f"{len(files)} runs merged from {d}")
    sys.stdout.write(text)
    if a.out:
        Path(a.out).write_text(text)
    if a.min_lines is not None and (tot["lines_pct"] < a.min_lines or tot["unexplained"]):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
