"""Quality gates of the RTL: Verilator lint (-Wall) and Yosys synthesis without latches.

    python -m sim.quality [preset]      # lint + synth, LEARNING = 1 and 0, prints cell counts

Synthesis treats ``sram`` as a black box (the memory macro that replaces it), reads every other
file with SYNTHESIS defined (Yosys default: the simulation-only counters drop out), sets the
top-level parameters from the configuration with ``chparam`` and runs ``synth -top spoon_top``,
``check -assert`` and a no-latch assertion.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from sim import runner

RTL = runner.RTL_DIR


def lint(params: dict | None = None) -> tuple[bool, str]:
    """verilator --lint-only -Wall on spoon_top with ``params`` (numeric ones); (ok, output)."""
    why = runner.setup_verilator()
    if why:
        raise RuntimeError(why)
    from hwmodel.hw.rtlgen import verilog_parameters
    cmd = ["verilator", "--lint-only", "-Wall", f"-I{RTL}", "--top-module", "spoon_top"]
    for k, v in verilog_parameters(params or {}).items():
        if not (isinstance(v, str) and v.startswith('"')):     # numbers and sized literals
            cmd.append(f"-G{k}={v}")
    cmd += [str(RTL / f) for f in runner.RTL_FILES]
    r = subprocess.run(cmd, capture_output=True, text=True)
    out = r.stdout + r.stderr
    return r.returncode == 0 and "%Warning" not in out and "%Error" not in out, out


def synth(params: dict, log: Path | None = None) -> tuple[bool, dict, str]:
    """Yosys synthesis of spoon_top; (ok, {module: cells}, log text)."""
    if not shutil.which("yosys"):
        raise RuntimeError("yosys is not installed")
    files = " ".join(str(RTL / f) for f in runner.RTL_FILES if f != "sram.v")
    cp = " ".join(f"-set {k} {v}" for k, v in params.items() if not isinstance(v, str))
    script = (f"read_verilog -lib {RTL / 'sram.v'}\nread_verilog -I{RTL} {files}\n"
              f"chparam {cp} spoon_top\nsynth -top spoon_top\ncheck -assert\n"
              "select -assert-none t:$dlatch t:$adlatch t:$dlatchsr t:$_DLATCH* t:$_DLATCHSR*\n"
              "stat\n")
    import tempfile
    with tempfile.TemporaryDirectory() as td:
        lf = Path(td) / "yosys.log"
        r = subprocess.run(["yosys", "-q", "-l", str(lf), "-p", script.replace("\n", "; ")],
                           capture_output=True, text=True)
        text = (lf.read_text() if lf.exists() else "") + r.stdout + r.stderr
    if log:
        log.write_text(script + "\n" + text)
    cells = {}
    # the last "stat" block: per-module cell counts, then the design-hierarchy total
    last = text[text.rfind("Printing statistics"):] if "Printing statistics" in text else text
    mod = None
    for line in last.splitlines():
        m = re.match(r"\s*=== (.*) ===", line)
        if m:
            mod = "design" if m.group(1).startswith("design hierarchy") else m.group(1)
            continue
        m = re.match(r"\s*Number of cells:\s+(\d+)", line)
        if m and mod and mod not in cells:
            cells[mod] = int(m.group(1))
    latches = [ln for ln in text.splitlines() if re.search(r"Latch inferred", ln)]
    return r.returncode == 0 and not latches, cells, text


def main(argv: list[str]) -> int:
    from hwmodel.hw import rtlgen
    from hwmodel.spec.config import Config, ConfigError
    if len(argv) > 1 and argv[1] in ("-h", "--help"):
        print(__doc__)
        return 0
    try:
        cfg = Config.load(argv[1] if len(argv) > 1 else "tiny")
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    ok_all = True
    for learning in (True, False):
        p = rtlgen.top_parameters(cfg, learning)
        ok, out = lint(p)
        print(f"lint  {cfg.name} LEARNING={int(learning)}: {'clean' if ok else 'FAIL'}")
        if not ok:
            print(out)
        ok_all &= ok
        ok, cells, text = synth(p)
        total = cells.get("design", 0)
        print(f"synth {cfg.name} LEARNING={int(learning)}: {'ok, no latches' if ok else 'FAIL'}; "
              f"{total} cells (memories as sram black boxes)")
        for mod, n in sorted(cells.items()):
            if mod != "design":
                short = re.sub(r"^\$paramod\$?[0-9a-f]*\\?", "", mod).split("\\")[0]
                print(f"      {short:24s} {n:7d}")
        if not ok:
            print(text[-3000:])
        ok_all &= ok
    return 0 if ok_all else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
