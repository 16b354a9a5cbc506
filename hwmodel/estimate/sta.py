"""Static timing of the mapped chip with OpenSTA (docs/estimate.md §2, "Timing"), memory paths
included with each SRAM macro's access time.

``sta_timing(files, top, params, liberty, access_ns, setup_ns, period_ns)``: Yosys synthesizes
``top`` flattened and maps it to ``liberty`` as the timing flow does (``dfflibmap``; ``abc
-liberty -constr -D``: ABC buffers and sizes the high-fanout nets), the memories kept as black
boxes, and writes the netlist. Every ``sram`` instance becomes a cell of its shape
(``sram_<DEPTH>x<WIDTH>_a<AW>``) described by a generated liberty (``macro_liberty``): a clock pin,
a ``rising_edge`` arc from the clock to ``rdata`` of ``access_ns`` and a ``setup_rising``
constraint of ``setup_ns`` on every input (addresses, data, enables), all in the library's time
unit. OpenSTA (Debian's ``opensta``, ``sta``) then reads both libraries and the netlist, a clock
of ``period_ns`` on ``clk``, every other input and output constrained at the clock edge with a
load of ``LOAD_FF``, and ``report_checks`` gives the worst path of the chip (register or memory
start, register or memory end) with its arrival, required time and slack. The estimator scales
the library's delays to the technology table with ``scaling.delay_factor`` (``design.chip_timing``).
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from hwmodel.util.checks import atomic_write_text
from .area import FLOW_VERSION, AreaError, find_yosys, cached_flow, read_liberty, run_yosys
from .libs import liberty_text, units
from .timing import LOAD_FF, TimingError, design_sources, mapped_flow

STA_VERSION = "2"
STA_TIMEOUT_S = 600
_SRAM_INST = re.compile(r"\bsram\s+#\((.*?)\)\s*(\\\S+|\w+)\s*\(", re.S)


def find_sta() -> str | None:
    return shutil.which("sta")


def macro_cells(netlist: str) -> tuple[str, dict[str, dict[str, int]]]:
    """The netlist with every ``sram #(...)`` instance renamed to the cell of its shape, and the
    shapes {cell: {DEPTH, WIDTH, AW}}."""
    cells: dict[str, dict[str, int]] = {}

    def rename(m: re.Match) -> str:
        prm = {k: int(v) for k, v in re.findall(r"\.(\w+)\(\s*(?:32'sd|32'd)?(\d+)\s*\)", m.group(1))}
        name = f"sram_{prm['DEPTH']}x{prm['WIDTH']}_a{prm['AW']}"
        cells[name] = {k: prm[k] for k in ("DEPTH", "WIDTH", "AW")}
        return f"{name} {m.group(2)} ("
    return _SRAM_INST.sub(rename, netlist), cells


def macro_liberty(cells: dict[str, dict[str, int]], access: float | dict[str, float], setup: float,
                  time_unit: str = "1ns") -> str:
    """A liberty of the memory macros (see module doc): ``access`` (one for all, or per cell) and
    ``setup`` in ``time_unit``."""
    out = ["library (hwmodel_macros) {", "  delay_model : table_lookup;", f'  time_unit : "{time_unit}";',
           '  voltage_unit : "1V";', '  current_unit : "1mA";', "  capacitive_load_unit (1,pf);",
           '  pulling_resistance_unit : "1kohm";', '  leakage_power_unit : "1nW";', "  nom_voltage : 1.0;",
           "  input_threshold_pct_rise : 50; input_threshold_pct_fall : 50;",
           "  output_threshold_pct_rise : 50; output_threshold_pct_fall : 50;",
           "  slew_lower_threshold_pct_rise : 20; slew_lower_threshold_pct_fall : 20;",
           "  slew_upper_threshold_pct_rise : 80; slew_upper_threshold_pct_fall : 80;"]
    widths = sorted({w for c in cells.values() for w in (c["WIDTH"], c["AW"]) if w > 1})
    out += [f"  type (bus{w}) {{ base_type : array; data_type : bit; bit_width : {w}; bit_from : {w - 1}; "
            f"bit_to : 0; downto : true; }}" for w in widths]
    setup_arc = (f'timing () {{ related_pin : "clk"; timing_type : setup_rising; rise_constraint (scalar) '
                 f'{{ values ("{setup:.6g}"); }} fall_constraint (scalar) {{ values ("{setup:.6g}"); }} }}')

    def read_arc(a: float) -> str:
        return (f'timing () {{ related_pin : "clk"; timing_type : rising_edge; cell_rise (scalar) '
                f'{{ values ("{a:.6g}"); }} cell_fall (scalar) {{ values ("{a:.6g}"); }} '
                f'rise_transition (scalar) {{ values ("0"); }} fall_transition (scalar) {{ values ("0"); }} }}')

    def port(name: str, width: int, body: str) -> str:
        if width > 1:
            return f"    bus ({name}) {{ bus_type : bus{width}; {body} }}"
        return f"    pin ({name}) {{ {body} }}"
    for name, c in sorted(cells.items()):
        out.append(f"  cell ({name}) {{ area : 0;")
        out.append("    pin (clk) { direction : input; clock : true; capacitance : 0; }")
        for p, w in (("raddr", c["AW"]), ("waddr", c["AW"]), ("wdata", c["WIDTH"]), ("re", 1), ("we", 1)):
            out.append(port(p, w, f"direction : input; capacitance : 0; {setup_arc}"))
        a = access[name] if isinstance(access, dict) else access
        out.append(port("rdata", c["WIDTH"], f"direction : output; {read_arc(a)}"))
        out.append("  }")
    out.append("}")
    return "\n".join(out) + "\n"


_POINT = re.compile(r"^(Startpoint|Endpoint):\s*(\S+)", re.M)


def parse_report(text: str) -> dict:
    """Arrival, required time, slack, start and end of the first path ``report_checks`` prints."""
    arr = re.search(r"^\s*(-?[\d.]+)\s+data arrival time", text, re.M)
    req = re.search(r"^\s*(-?[\d.]+)\s+data required time", text, re.M)
    slack = re.search(r"^\s*(-?[\d.]+)\s+slack \((MET|VIOLATED)\)", text, re.M)
    if not (arr and req and slack):
        raise TimingError("OpenSTA reported no path (report_checks printed no slack)")
    pts = dict(_POINT.findall(text))
    return {"arrival": float(arr.group(1)), "required": float(req.group(1)), "slack": float(slack.group(1)),
            "start": pts.get("Startpoint"), "end": pts.get("Endpoint")}


def sta_timing(files: list[str | Path], top: str, params: dict[str, int], liberty: str | Path, *,
               access_ns: float | dict[tuple[int, int], float], setup_ns: float, period_ns: float,
               cache_dir: Path | None = None) -> dict:
    """The worst path of the mapped chip by OpenSTA (module doc), all times in ns at the
    library's node and supply: ``access_ns`` one for every macro, or by (rows, width) of a macro
    with the largest for a shape it does not name; ``arrival_ns``, ``required_ns``, ``slack_ns``,
    ``min_period_ns`` (= period - slack), ``start``, ``end``, ``macros`` (the memory shapes)."""
    yosys, sta = find_yosys(), find_sta()
    if yosys is None:
        raise AreaError("yosys not found on PATH (install it, or leave out --timing)")
    if sta is None:
        raise TimingError("OpenSTA ('sta') not found on PATH: scripts/install-sysdeps.sh installs Debian's opensta")
    paths, bbs, prm = design_sources(files, top, params)
    acc_key = sorted((list(k), round(v, 9)) for k, v in access_ns.items()) if isinstance(access_ns, dict) \
        else round(access_ns, 9)
    key, cached = cached_flow(cache_dir, f"{top}-sta", paths,
                              [top, sorted(prm.items()), FLOW_VERSION, STA_VERSION, LOAD_FF, acc_key,
                               round(setup_ns, 9), round(period_ns, 9)], liberty)
    if cached is not None:
        return cached
    u = units(liberty_text(liberty))
    with tempfile.TemporaryDirectory(prefix="hwmodel-sta-") as td:
        tdp = Path(td)
        lib = read_liberty(liberty, tdp)
        # the mapping of the timing flow: ABC with a delay target buffers and sizes the
        # high-fanout nets, as a physical flow would before timing sign-off
        lines = mapped_flow(paths, top, bbs, prm, lib, tdp) + [
            f'write_verilog -noattr -noexpr -simple-lhs "{tdp / "net.v"}"']
        run_yosys(yosys, lines, tdp, f"{top} (STA netlist)", liberty, expect=tdp / "net.v")
        net, cells = macro_cells((tdp / "net.v").read_text())
        (tdp / "net_macros.v").write_text(net)
        tu = u["time_ns"]
        if isinstance(access_ns, dict):
            worst = max(access_ns.values(), default=0.0)
            acc = {n: access_ns.get((c["DEPTH"], c["WIDTH"]), worst) / tu for n, c in cells.items()}
        else:
            acc = access_ns / tu
        (tdp / "macros.lib").write_text(macro_liberty(cells, acc, setup_ns / tu,
                                                      {1.0: "1ns", 1e-3: "1ps"}.get(tu, "1ns")))
        script = "\n".join([
            f'read_liberty "{lib.path}"', f'read_liberty "{tdp / "macros.lib"}"', f'read_verilog "{tdp / "net_macros.v"}"',
            f"link_design {top}", f"create_clock -name clk -period {period_ns / tu:.6g} [get_ports clk]",
            "set_input_delay 0 -clock clk [delete_from_list [all_inputs] [get_ports clk]]",
            "set_output_delay 0 -clock clk [all_outputs]", f"set_load {LOAD_FF / u['cap_ff']:.6g} [all_outputs]",
            "report_checks -path_delay max -digits 4", "exit", ""])
        (tdp / "run.tcl").write_text(script)
        try:
            r = subprocess.run([sta, "-no_splash", "-exit", str(tdp / "run.tcl")], capture_output=True, text=True,
                               timeout=STA_TIMEOUT_S, cwd=tdp)
        except subprocess.TimeoutExpired:
            raise TimingError(f"OpenSTA timed out after {STA_TIMEOUT_S} s on {top}") from None
        text = r.stdout + r.stderr
        err = [ln for ln in text.splitlines()
               if re.match(r"^Error", ln) or re.match(r"^Warning: .*\b(module|cell|instance)\b.*not found", ln)]
        if r.returncode != 0 or err:
            msg = err[0] if err else (text.strip().splitlines() or [f"exit {r.returncode}"])[-1]
            raise TimingError(f"OpenSTA failed on {top}: {msg}")
    p = parse_report(text)
    res = {"arrival_ns": p["arrival"] * tu, "required_ns": p["required"] * tu, "slack_ns": p["slack"] * tu,
           "min_period_ns": period_ns - p["slack"] * tu, "start": p["start"], "end": p["end"],
           "macros": sorted(cells)}
    if key is not None:
        atomic_write_text(key, json.dumps(res))
    return res
