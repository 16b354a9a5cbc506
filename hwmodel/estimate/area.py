"""Area: logic from Yosys synthesis of ``rtl/``, memories from the SRAM / register-file models.

Logic flow (generic, no library): ``read_verilog`` all ``rtl/*.v``, blackbox the memory modules
(``sram*``), ``chparam`` the top with ``rtlgen.top_parameters(cfg, learning)`` (the RTL derives
every other size and width), ``hierarchy; synth -top spoon_top; abc -g cmos;
opt_clean; write_json``; every generic cell is converted to NAND2 equivalents with ``GE_TABLE``
(calibrated against ``stat -liberty`` on Nangate45, tests/estimate/test_estimate_area.py), then to µm² with
the technology's NAND2 area. ``abc -g cmos2`` (NAND/NOR only) overestimates the liberty area by
about 30 % on the calibration RTL, the full ``cmos`` gate set is within a few percent, which is why
the flow uses it. With ``liberty=FILE``: ``dfflibmap -liberty; abc -liberty`` and the cell areas of
that library (µm² of that library, no 28-nm conversion; GE = area / its NAND2 area).

Hierarchy is kept (no flatten): each module instance is attributed to a block by its module name
(``MODULE_BLOCKS``); modules not listed inherit their parent's block. The blackboxed memories are
returned with their DEPTH/WIDTH so that their area comes from the memory model.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from hwmodel.util.checks import atomic_write_text
from .libs import decode

FLOW_VERSION = "4"   # 2: fc_layer / wmem / fc_update attributed to their blocks; 3: GE by FC layer; 4: enable groups
TOP = "spoon_top"
YOSYS_TIMEOUT_S = 1800

# NAND2 equivalents of Yosys' generic cells: Nangate45 cell area / NAND2_X1 area (docs/sources.md §3a:
# INV 0.67, NAND2/NOR2 1.0, AND2/OR2 1.33, XOR2/XNOR2 2.0, MUX2 2.33, AOI21/OAI21 1.33,
# AOI22/OAI22 1.67, DFF_X1 5.67, DFFR_X1 6.67, DLH_X1 3.33).
GE_TABLE: dict[str, float] = {
    "$_BUF_": 0.0, "$_NOT_": 0.67, "$_NAND_": 1.0, "$_NOR_": 1.0, "$_AND_": 1.33, "$_OR_": 1.33,
    "$_ANDNOT_": 1.33, "$_ORNOT_": 1.33, "$_XOR_": 2.0, "$_XNOR_": 2.0, "$_MUX_": 2.33,
    "$_NMUX_": 2.33, "$_AOI3_": 1.33, "$_OAI3_": 1.33, "$_AOI4_": 1.67, "$_OAI4_": 1.67,
    "$_MUX4_": 7.0, "$_MUX8_": 16.33, "$_MUX16_": 35.0,
}
GE_DFF = 5.67       # DFF_X1
GE_DFF_ARST = 6.67  # DFFR_X1 (asynchronous set or reset)
GE_DFF_SR = 7.67    # set and reset
GE_ENABLE = 2.33    # a MUX2 in front of the D input (Nangate45 has no enable flip-flop)
GE_SRST = 1.33      # an AND2/OR2 in front of the D input (no synchronous-reset flip-flop)
GE_LATCH = 3.33     # DLH_X1

# module base name -> block (docs/estimate.md §4); others inherit the parent's block
MODULE_BLOCKS = {
    "spoon_top": "control", "controller": "control", "aer_in": "control",
    "conv_core": "conv_core", "fc1_core": "fc_core", "fc2_core": "fc_core",
    "tanh_unit": "activation", "sigmoid_unit": "activation",
    "drtp_update": "drtp_unit", "out_update": "drtp_unit", "round_shift": "drtp_unit",
    "lfsr32": "drtp_unit",
    # the layer-stack RTL: one fc_layer per FC layer (datapath, sequencer), its banked weight
    # memory wrapper, and one fc_update per lane (the DRTP / output weight update)
    "fc_layer": "fc_core", "wmem": "fc_core", "fc_update": "drtp_unit",
}
MEMORY_MODULE = re.compile(r"^(sram|SRAM)")


class AreaError(ValueError):
    """Synthesis or library problem; one-line message naming the file or cell."""


def cell_ge(cell_type: str) -> float:
    """NAND2 equivalents of one generic Yosys cell."""
    if cell_type in GE_TABLE:
        return GE_TABLE[cell_type]
    m = re.fullmatch(r"\$_(DFF|DFFE|DFFSR|DFFSRE|ALDFF|ALDFFE|SDFF|SDFFE|SDFFCE|DLATCH|DLATCHSR|SR)_([PN01]+)_", cell_type)
    if m:
        kind = m.group(1)
        if kind.startswith("DLATCH"):
            return GE_LATCH + (1.33 if "SR" in kind else 0.0)
        if kind == "SR":
            return GE_LATCH
        pol = m.group(2)
        ge = GE_DFF
        if kind in ("DFFSR", "DFFSRE"):
            ge = GE_DFF_SR
        elif kind in ("DFF", "DFFE") and len(pol) >= 3:  # $_DFF_PN0_: async reset
            ge = GE_DFF_ARST
        elif kind.startswith("ALDFF"):
            ge = GE_DFF_SR
        if kind.startswith("SDFF"):
            ge += GE_SRST
        if kind.endswith("E"):
            ge += GE_ENABLE
        return ge
    raise AreaError(f"no GE value for generic cell {cell_type} (add it to hwmodel.estimate.area.GE_TABLE)")


# ---- liberty files -----------------------------------------------------------------------------------
@dataclass
class Liberty:
    path: Path        # readable by yosys (decompressed if the input was .gz)
    source: str       # what the user gave
    areas: dict[str, float]
    nand2_cell: str
    nand2_area: float


def read_liberty(path: str | Path, workdir: Path) -> Liberty:
    """Parse cell areas; reject files that are not a usable liberty library (one-line error)."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise AreaError(f"liberty file '{p}': cannot read: {e.strerror or e}") from None
    try:
        text = decode(raw)
    except (OSError, EOFError) as e:
        raise AreaError(f"liberty file '{p}': bad gzip data: {e}") from None
    if not re.search(r"\blibrary\s*\(", text):
        raise AreaError(f"liberty file '{p}': no 'library (...)' group: not a liberty file")
    areas: dict[str, float] = {}
    starts = [(m.start(), m.group(1)) for m in re.finditer(r"\bcell\s*\(\s*\"?([\w$.\-]+)\"?\s*\)\s*\{", text)]
    for k, (pos, name) in enumerate(starts):
        end = starts[k + 1][0] if k + 1 < len(starts) else len(text)
        m = re.search(r"\barea\s*:\s*([-+0-9.eE]+)\s*;", text[pos:end])
        if m:
            try:
                areas[name] = float(m.group(1))
            except ValueError:
                raise AreaError(f"liberty file '{p}': cell {name}: bad area '{m.group(1)}'") from None
            if areas[name] < 0:
                raise AreaError(f"liberty file '{p}': cell {name}: negative area {areas[name]}")
    if not areas:
        raise AreaError(f"liberty file '{p}': no cell with an 'area' attribute")
    nands = {n: a for n, a in areas.items() if re.match(r"(?i)^(.*_)?nand2", n) and a > 0}
    if not nands:
        raise AreaError(f"liberty file '{p}': no NAND2 cell to define the gate equivalent")
    nand = min(nands, key=lambda n: (nands[n], n))
    out = workdir / "lib.lib"
    out.write_text(text)
    return Liberty(out, str(p), areas, nand, nands[nand])


# ---- synthesis ------------------------------------------------------------------------------------------
@dataclass
class SynthResult:
    top: str
    mode: str                                   # "generic" or "liberty"
    ge_by_block: dict[str, float] = field(default_factory=dict)
    ge_by_layer: dict[str, dict[str, float]] = field(default_factory=dict)  # {"fc1"|...|"shared": {block: GE}}
    area_um2_by_block: dict[str, float] | None = None   # liberty mode only
    cells: dict[str, int] = field(default_factory=dict)
    memories: list[dict] = field(default_factory=list)  # [{instance, module, DEPTH, WIDTH}]
    nand2_area_um2: float | None = None          # liberty mode: the library's NAND2
    enable_groups: int = 0   # distinct enable nets of the enable flip-flops, per module instance (one clock gate each)

    @property
    def total_ge(self) -> float:
        return float(sum(self.ge_by_block.values()))

    def to_dict(self) -> dict:
        return {"top": self.top, "mode": self.mode, "ge_by_block": self.ge_by_block, "ge_by_layer": self.ge_by_layer,
                "area_um2_by_block": self.area_um2_by_block, "cells": self.cells,
                "memories": self.memories, "nand2_area_um2": self.nand2_area_um2, "enable_groups": self.enable_groups}

    @classmethod
    def from_dict(cls, d: dict) -> "SynthResult":
        return cls(**d)


def find_yosys() -> str | None:
    return shutil.which(os.environ.get("YOSYS", "yosys"))


def _modules_in(files: list[Path]) -> dict[str, str]:
    """module name -> source text of its file (first definition wins)."""
    out: dict[str, str] = {}
    for f in files:
        txt = f.read_text(errors="replace")
        for m in re.finditer(r"^\s*module\s+([A-Za-z_]\w*)", txt, re.M):
            out.setdefault(m.group(1), txt)
    return out


def top_parameter_names(src: str, top: str) -> set[str]:
    m = re.search(rf"\bmodule\s+{top}\b(.*?)\bendmodule\b", src, re.S)
    body = m.group(1) if m else ""
    return set(re.findall(r"\bparameter\s+(?:integer\s+|signed\s+)?(?:\[[^\]]*\]\s*)?([A-Za-z_]\w*)\s*=", body))


def _const(v) -> int | None:
    if isinstance(v, int):
        return v
    if isinstance(v, str) and v and set(v) <= set("01"):
        return int(v, 2)
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


def _base(modname: str) -> str:
    parts = modname.split("\\")
    if modname.startswith("$paramod") and len(parts) >= 2:
        return parts[1]
    return parts[-1].lstrip("\\")


LAYER_SCOPE = re.compile(r"g_fc\[(\d+)\]")


ENABLE_FF = re.compile(r"^\$_(S?DFF|DFFSR|SDFFC)E_")


def _walk(netlist: dict, top: str, cost, blackboxes: set[str]) -> tuple[dict, dict, list, dict, int]:
    """Cost of every leaf cell by block, cell counts, the black-boxed memories, the cost by FC
    layer and block ({"fc1": {block: cost}, ..., "shared": {...}}: a cell belongs to layer k when
    its instance path is inside spoon_top's generate scope g_fc[k-1]), and the enable groups:
    the distinct enable nets of the enable flip-flops of every module instance (the clock gates a
    gating tool would insert, one per enable)."""
    mods = netlist["modules"]
    groups = [0]
    by_block: dict[str, float] = {}
    by_layer: dict[str, dict[str, float]] = {}
    cells: dict[str, int] = {}
    memories: list[dict] = []

    def visit(mname: str, block: str, path: str, depth: int, layer: str) -> None:
        if depth > 64:
            raise AreaError(f"module hierarchy too deep at {path}")
        block = MODULE_BLOCKS.get(_base(mname), block)
        enables = set()
        for cname, c in mods[mname].get("cells", {}).items():
            t = c["type"]
            m = LAYER_SCOPE.search(cname) if layer == "shared" else None
            lay = f"fc{int(m.group(1)) + 1}" if m else layer
            if t in mods and _base(t) not in blackboxes and not _is_bb(mods[t]):
                visit(t, block, f"{path}.{cname}", depth + 1, lay)
            elif t in mods or _base(t) in blackboxes:
                prm = {k: _const(v) for k, v in c.get("parameters", {}).items()}
                memories.append({"instance": f"{path}.{cname}", "module": _base(t),
                                 "DEPTH": prm.get("DEPTH"), "WIDTH": prm.get("WIDTH"),
                                 "PORTS": prm.get("PORTS")})
            else:
                cells[t] = cells.get(t, 0) + 1
                if ENABLE_FF.match(t):
                    enables.add(tuple(map(str, c.get("connections", {}).get("E", ()))))
                v = cost(t)
                by_block[block] = by_block.get(block, 0.0) + v
                d = by_layer.setdefault(lay, {})
                d[block] = d.get(block, 0.0) + v
        groups[0] += len(enables)

    visit(top, "control", top, 0, "shared")
    return by_block, cells, memories, by_layer, groups[0]


def _is_bb(mod: dict) -> bool:
    a = mod.get("attributes", {})
    return _const(a.get("blackbox", 0)) not in (None, 0)


def hash_sources(paths: list[Path], include_dirs: list[Path] | None = None):
    """SHA-256 (running) of the Verilog sources and of every ``*.vh`` include beside them or in
    ``include_dirs``: the part of a synthesis cache key that the RTL decides."""
    h = hashlib.sha256()
    for p in sorted(paths):
        h.update(p.name.encode() + b"\0" + p.read_bytes())
    for d in sorted({*(Path(d) for d in include_dirs or []), *(p.parent for p in paths)}):
        for p in sorted(d.glob("*.vh")):
            h.update(p.name.encode() + b"\0" + p.read_bytes())
    return h


def cached_flow(cache_dir: Path | None, name: str, paths: list[Path], parts: list, liberty=None,
                include_dirs: list[Path] | None = None) -> tuple[Path | None, object]:
    """A flow's result cache (synthesis, timing, STA): the file ``<name>-<hash>.json`` in
    ``cache_dir`` keyed by the sources (``hash_sources``), ``parts`` (JSON: top, parameters,
    versions, options) and the liberty's bytes; returns (that path, its parsed content or None
    when absent or unreadable). No ``cache_dir``: (None, None)."""
    if cache_dir is None:
        return None, None
    h = hash_sources(paths, include_dirs)
    h.update(json.dumps(parts).encode())
    if liberty is not None:
        h.update(Path(liberty).read_bytes() if Path(liberty).exists() else str(liberty).encode())
    key = Path(cache_dir) / f"{name}-{h.hexdigest()[:20]}.json"
    try:
        return key, json.loads(key.read_text()) if key.exists() else None
    except ValueError:
        return key, None


def synth_front(paths: list[Path], top: str, blackboxes: list[str], params: dict[str, int],
                include_dirs: list[Path] | None = None) -> list[str]:
    """The Yosys script up to ``synth``: read the RTL, black-box the memories, set the top's
    parameters, elaborate and synthesize (both the area and the timing flow start with it)."""
    inc = " ".join(f"-I{d}" for d in [*(include_dirs or []), *{p.parent for p in paths}])
    lines = [f"read_verilog -DSYNTHESIS {inc} " + " ".join(f'"{p}"' for p in paths)]
    if blackboxes:
        lines.append("blackbox " + " ".join(blackboxes))
    lines += [f"chparam -set {k} {v} {top}" for k, v in sorted(params.items())]
    return lines + [f"hierarchy -check -top {top}", f"synth -top {top}"]


def run_yosys(yosys: str, lines: list[str], workdir: Path, what: str, liberty=None,
              expect: Path | None = None) -> str:
    """Run the script ``lines`` in ``workdir`` and return Yosys's log; a timeout, a failure or a
    missing ``expect`` file is a one-line ``AreaError`` naming ``what`` (or the liberty file when
    the error is about it)."""
    (workdir / "flow.ys").write_text("\n".join(lines) + "\n")
    try:
        r = subprocess.run([yosys, "-q", "-l", str(workdir / "yosys.log"), "-s", str(workdir / "flow.ys")],
                           capture_output=True, text=True, timeout=YOSYS_TIMEOUT_S, cwd=workdir)
    except subprocess.TimeoutExpired:
        raise AreaError(f"yosys timed out after {YOSYS_TIMEOUT_S} s on {what}") from None
    log = (workdir / "yosys.log").read_text(errors="replace") if (workdir / "yosys.log").exists() else ""
    if r.returncode != 0 or (expect is not None and not expect.exists()):
        errs = [ln.strip() for ln in ((r.stderr or "") + (r.stdout or "") + log).splitlines() if "ERROR" in ln]
        w = f"liberty file '{liberty}'" if liberty is not None and any("liberty" in e.lower() for e in errs) else what
        raise AreaError(f"yosys failed on {w}: {errs[0] if errs else 'exit ' + str(r.returncode)}")
    return log


def synthesize(files: list[str | Path], top: str, params: dict[str, int] | None = None, *,
               liberty: str | Path | None = None, include_dirs: list[Path] | None = None,
               cache_dir: Path | None = None) -> SynthResult:
    """Synthesize ``top`` from ``files`` and return its logic area by block (see module doc)."""
    yosys = find_yosys()
    if yosys is None:
        raise AreaError("yosys not found on PATH (install it, set YOSYS=..., or use --no-synth)")
    paths = [Path(f).resolve() for f in files]
    if not paths:
        raise AreaError("no Verilog files to synthesize")
    mods = _modules_in(paths)
    if top not in mods:
        raise AreaError(f"top module '{top}' not found in {len(paths)} Verilog file(s)")
    bbs = sorted(m for m in mods if MEMORY_MODULE.match(m) and m != top)
    names = top_parameter_names(mods[top], top)
    prm = {k: int(v) for k, v in (params or {}).items() if k in names}
    key, cached = cached_flow(cache_dir, f"{top}-{'lib' if liberty else 'gen'}", paths,
                              [top, sorted(prm.items()), FLOW_VERSION], liberty, include_dirs)
    if cached is not None:
        try:
            return SynthResult.from_dict(cached)
        except TypeError:
            pass
    with tempfile.TemporaryDirectory(prefix="hwmodel-synth-") as td:
        tdp = Path(td)
        lib = read_liberty(liberty, tdp) if liberty is not None else None
        lines = synth_front(paths, top, bbs, prm, include_dirs)
        if lib is None:
            lines += ["abc -g cmos", "opt_clean"]
        else:
            lines += [f'dfflibmap -liberty "{lib.path}"', f'abc -liberty "{lib.path}"', "opt_clean",
                      f'stat -liberty "{lib.path}"']
        lines.append(f'write_json "{tdp / "net.json"}"')
        run_yosys(yosys, lines, tdp, top, liberty if lib is not None else None, expect=tdp / "net.json")
        net = json.loads((tdp / "net.json").read_text())
    if lib is None:
        by_block, cells, memories, by_layer, groups = _walk(net, top, cell_ge, set(bbs))
        res = SynthResult(top, "generic", by_block, by_layer, None, cells, memories, None, groups)
    else:
        def cost(t: str) -> float:
            if t not in lib.areas:
                raise AreaError(f"liberty file '{liberty}': mapped cell {t} has no area")
            return lib.areas[t]
        area, cells, memories, area_layer, groups = _walk(net, top, cost, set(bbs))
        res = SynthResult(top, "liberty", {b: a / lib.nand2_area for b, a in area.items()},
                          {k: {b: a / lib.nand2_area for b, a in v.items()} for k, v in area_layer.items()},
                          area, cells, memories, lib.nand2_area, groups)
    if key is not None:
        # one temp file per writer: sweep workers may synthesize the same design at once
        atomic_write_text(key, json.dumps(res.to_dict()))
    return res


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hwmodel" / "estimate"
