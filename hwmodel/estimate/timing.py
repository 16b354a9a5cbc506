"""The synthesized critical path against the clock (docs/estimate.md §2, "Timing").

``critical_path(files, top, params, liberty)`` synthesizes ``top`` with Yosys, **flattens** it (so
paths cross module boundaries; the SRAM models stay black boxes, as foundry macros would), maps
the flip-flops and the logic to the liberty (``dfflibmap``; ``abc -liberty -constr -D``) and
reads the delay ABC's ``stime`` prints: the worst combinational path of the whole chip, from a
flip-flop output, a memory output or an input port to a flip-flop input, a memory input or an
output port, with every input driven by the library's smallest buffer (``driver_cell``) and every output loaded by
``LOAD_FF``, and no wire load. Yosys 0.23's ``sta`` cannot read liberty cells, and without
``-constr`` ABC reports no delay. ABC's mapping is heuristic: the same netlist moves by about
±2.5 % with incidental script differences.

``flipflop_timing(liberty)``: clock-to-Q and setup of the library's smallest plain D flip-flop
from its tables (smallest input transition; the load index at or above ``LOAD_FF``, in the
library's own capacitance unit and either order of the table's variables).

``check(...)`` scales the library's delays to the technology table's node and supply with
``scaling.delay_factor`` and compares two requirements with the clock period:

- register paths: clock-to-Q + the critical path + setup (the lower end: memory paths shorter);
- a path that also starts at an SRAM output: the slowest macro's access time (CACTI, scaled to
  the supply) + the critical path + setup (the upper end: ABC names only the worst path's start,
  so the memory paths are bounded by the worst path).
"""
from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

from hwmodel.util.checks import atomic_write_text
from .area import (FLOW_VERSION, MEMORY_MODULE, AreaError, _modules_in, find_yosys, cached_flow, read_liberty,
                   run_yosys, synth_front, top_parameter_names)
from .libs import block, flipflop, pin_group, table, templates, units
from .scaling import delay_factor

LOAD_FF = 3.0          # fF on every output of the flattened netlist (set_load)
TIMING_VERSION = "2"
_DELAY = re.compile(r'WireLoad = "[^"]*".*?Delay =\s*([\d.]+) ps')
_POINTS = re.compile(r"Start-point = \S+?(?: \((.*?)\))?\.\s+End-point = \S+?(?: \((.*)\))?\.\s*$")


class TimingError(AreaError):
    """A liberty without the cells timing needs, or a synthesis that reports no delay."""


def _delay_at(group: str, kind: str, tpl: dict, load: float) -> float:
    """The ``kind`` delay at the smallest input transition and the first load index >= ``load``
    (the last if none), whichever order the template declares its two variables in."""
    var, idx, rows = table(group, kind, tpl)
    if len(var) == 2 and var[0] == "total_output_net_capacitance":
        j = next((k for k, c in enumerate(idx[0]) if c >= load), len(idx[0]) - 1)
        return rows[j][0]
    j = next((k for k, c in enumerate(idx[1]) if c >= load), len(idx[1]) - 1)
    return rows[0][j]


def flipflop_timing(liberty: str | Path) -> dict[str, float | str]:
    """Clock-to-Q (the slower of rise and fall, at ``LOAD_FF``) and setup (the larger of the rise
    and fall constraints at the smallest transitions) of the library's smallest plain D flip-flop
    (``libs.plain_dff``), in ns, with its name and the library's nominal voltage."""
    try:
        text, vnom, (name, cell, _, d_pin) = flipflop(liberty, " for timing")
    except ValueError as e:
        raise TimingError(str(e)) from None
    try:
        u = units(text)
        tpl = templates(text)
        load = LOAD_FF / u["cap_ff"]
        outs = [m for m in re.finditer(r"\bpin\s*\(\s*\"?(\w+)\"?\s*\)", cell)
                if re.search(r"\bdirection\s*:\s*\"?output", block(cell, m.end()))]
        q = block(cell, next(m for m in outs if re.search(r"cell_rise", block(cell, m.end()))).end())
        cq = max(_delay_at(q, "cell_rise", tpl, load), _delay_at(q, "cell_fall", tpl, load))
        d = pin_group(cell, d_pin)
        k = d.index("setup_rising")
        setup_group = d[d.rindex("timing", 0, k):]
        setup = max(table(setup_group, "rise_constraint", tpl)[2][0][0],
                    table(setup_group, "fall_constraint", tpl)[2][0][0])
    except (AttributeError, ValueError, IndexError, StopIteration):
        raise TimingError(f"liberty file '{liberty}': cell {name}: no clock-to-Q or setup table") from None
    return {"cell": name, "clk_to_q_ns": cq * u["time_ns"], "setup_ns": setup * u["time_ns"],
            "nom_voltage": vnom}


def driver_cell(areas: dict[str, float]) -> str | None:
    """The smallest buffer of the library (BUF_X1, BUFX2, ..._buf_1), to drive every input."""
    bufs = {n: a for n, a in areas.items() if re.match(r"(?i)^(.*_)?buf(_?x?\d+)?$", n) and a > 0}
    return min(bufs, key=lambda n: (bufs[n], n)) if bufs else None


def design_sources(files: list[str | Path], top: str, params: dict[str, int]) -> tuple[list[Path], list[str], dict]:
    """(the Verilog files, the memory modules to black-box, ``top``'s parameters that it has) of a
    timing flow; ``AreaError`` when ``top`` is not in the files."""
    paths = [Path(f).resolve() for f in files]
    mods = _modules_in(paths)
    if top not in mods:
        raise AreaError(f"top module '{top}' not found in {len(paths)} Verilog file(s)")
    bbs = sorted(m for m in mods if MEMORY_MODULE.match(m) and m != top)
    names = top_parameter_names(mods[top], top)
    return paths, bbs, {k: int(v) for k, v in params.items() if k in names}


def mapped_flow(paths: list[Path], top: str, bbs: list[str], prm: dict[str, int], lib, tdp: Path) -> list[str]:
    """The Yosys script of the timing flows (``critical_path``, ``sta.sta_timing``): synthesize,
    flatten (the memories stay black boxes), map the flip-flops and the logic to ``lib`` with ABC
    and a delay target, so that ABC buffers and sizes the high-fanout nets, every input driven by
    the library's smallest buffer and every output loaded with ``LOAD_FF`` (``tdp/io.constr``)."""
    driver = driver_cell(lib.areas)
    # ABC reads set_load in fF whatever the library's unit (measured: on OSU 0.18 µm, "300"
    # adds 0.36 ns to the worst path, as 300 fF on a BUFX2 would, not 300 pF)
    (tdp / "io.constr").write_text((f"set_driving_cell {driver}\n" if driver else "") + f"set_load {LOAD_FF:g}\n")
    return synth_front(paths, top, bbs, prm) + [
        "flatten", "opt_clean", f'dfflibmap -liberty "{lib.path}"',
        f'abc -liberty "{lib.path}" -constr "{tdp / "io.constr"}" -D 10000', "opt_clean"]


def critical_path(files: list[str | Path], top: str, params: dict[str, int], liberty: str | Path, *,
                  cache_dir: Path | None = None) -> dict:
    """The flattened chip's worst combinational path in the liberty's units (see module doc):
    ``delay_ns``, its ``start`` and ``end`` (net names ABC prints) and the mapped logic area."""
    yosys = find_yosys()
    if yosys is None:
        raise AreaError("yosys not found on PATH (install it, set YOSYS=..., or leave out --timing)")
    paths, bbs, prm = design_sources(files, top, params)
    key, cached = cached_flow(cache_dir, f"{top}-timing", paths,
                              [top, sorted(prm.items()), FLOW_VERSION, TIMING_VERSION, LOAD_FF], liberty)
    if cached is not None:
        return cached
    with tempfile.TemporaryDirectory(prefix="hwmodel-timing-") as td:
        tdp = Path(td)
        lib = read_liberty(liberty, tdp)
        log = run_yosys(yosys, mapped_flow(paths, top, bbs, prm, lib, tdp), tdp, f"{top} (timing)", liberty)
    delays = [float(m.group(1)) for m in _DELAY.finditer(log)]
    if not delays:
        raise TimingError(f"ABC reported no delay for {top} with liberty '{liberty}'")
    pts = [m for m in map(_POINTS.search, log.splitlines()) if m]
    res = {"delay_ns": delays[-1] / 1000.0,
           "start": pts[-1].group(1) if pts else None, "end": pts[-1].group(2) if pts else None}
    if key is not None:
        atomic_write_text(key, json.dumps(res))
    return res


def check(path: dict, ff: dict, lib_node_nm: float, node_nm: float, vdd: float, clock_mhz: float,
          sram_access_ns: float | None) -> dict:
    """The two requirements of the module doc at the table's node and supply, the period and
    the slack of each (negative: the clock cannot be met by that much)."""
    f = delay_factor(lib_node_nm, ff["nom_voltage"], node_nm, vdd)
    logic = path["delay_ns"] * f
    reg = (ff["clk_to_q_ns"] + path["delay_ns"] + ff["setup_ns"]) * f
    mem = None if sram_access_ns is None else sram_access_ns + (path["delay_ns"] + ff["setup_ns"]) * f
    period = 1e3 / clock_mhz
    return {"critical_path_ns": logic, "register_path_ns": reg, "memory_path_bound_ns": mem,
            "period_ns": period, "slack_ns": period - reg,
            "slack_memory_bound_ns": None if mem is None else period - mem,
            "max_clock_mhz": 1e3 / reg, "max_clock_mhz_memory_bound": None if mem is None else 1e3 / mem,
            "delay_factor": f, "library_delay_ns": path["delay_ns"], "start": path["start"], "end": path["end"],
            "flipflop": ff}
