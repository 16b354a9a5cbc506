"""SRAM macros costed by the real CACTI 7 binary (instead of a log-linear fit of CACTI results).

Where CACTI comes from: ``cacti_build.py`` (the package's binary, or a copy compiled from its source).

One run
    The organisation is written as a cfg file into a fresh temporary folder and run as
    ``cacti -infile <that file>``; CACTI appends its CSV result to ``<infile>.out`` next to it
    (nothing is written into site-packages). Timeout ``TIMEOUT_S`` -> ``CactiError``. A run takes
    0.03-0.7 s with the -O2 build. Results are cached as JSON, one file per run, in
    ``$HWMODEL_CACHE_DIR/cacti`` (else ``${XDG_CACHE_HOME:-~/.cache}/hwmodel/cacti``, the
    convention of ``area.default_cache_dir``), keyed by the SHA-256 of the full cfg text and the
    executable's size and mtime; written atomically (temp file + ``os.replace``); an unreadable
    entry is ignored and rewritten.

The cfg (``cfg_text``) and what matters in it
    A plain RAM (``cache type "ram"``), one CACTI bank, data array cell and peripheral of the same
    ITRS flavour, 300 K, no ECC, ``Optimize ED^2`` (which overrides the design-objective weights),
    wire signalling ``Global_30``, semi-global wires inside and outside the mat. With these,
    all 120 rows of ``cacti7_28nm_sram_sweep.csv`` and the 60 rows of
    ``cacti7_22_28_32_45nm_sram.csv`` (8-128-bit words, 0.5-64 KB, hp/lstp/lop, 22-45 nm) are
    reproduced to their printed precision (tests/estimate/test_cacti.py). Measured sensitivity (20 sweep
    rows): temperature 360 K multiplies lstp leakage up to ~10x; ``ED`` or ``NONE`` instead of
    ``ED^2`` changes the chosen organisation (energy/delay off by up to 75-85 %); ECC adds ~11 %
    area; ``fullswing`` wires change read energy up to 33 %; global wires change area up to 41 %.
    Access mode and interconnect projection make no difference for a RAM. CACTI also needs the
    CACTI-IO/memcad lines at the end of the cfg even for an SRAM (without them it dies with
    SIGFPE/SIGSEGV); they do not affect the SRAM results.

Technology
    ``-technology (u)`` is the node itself. CACTI 7 has tables for 22, 32, 45, 65, 90 nm and
    interpolates every device and wire parameter linearly between the two bracketing tables
    (parameter.cc ``find_upper_and_lower_tech``/``init``: at 28 nm, 0.6 x 32 nm + 0.4 x 22 nm);
    geometry (cell area = 146 F^2) uses the node itself. Within +-1 nm of a table node that table
    is used alone. Accepted here: 22-90 nm. No extra node scaling is applied.

Supply voltage
    CACTI does not print the Vdd it used. ``vdd`` is computed the way CACTI computes it: the
    ``-Vdd`` row of the bracketing ``tech_params`` files for the cell flavour, interpolated with
    the same weight (28 nm: lstp 0.92 V, hp 0.86 V, lop 0.60 V). Results are at that Vdd; the
    caller scales to its own supply.

CACTI's limits and the scaling rule
    Measured (all three cells, 1rw and 1r1w, 22-65 nm): CACTI accepts a RAM iff the word is a
    whole number of bytes, rows >= 31 (a subarray needs >= 16 rows, const.h MINSUBARRAYROWS, and
    the array is split in >= 2) and rows x width >= 512 bits ("Cache size must >=64" bytes);
    rows need not be powers of two. Outside, ``sram_macro`` costs the nearest legal organisation,
    width_c = 8*ceil(width/8), rows_c = max(rows, 31, ceil(512/width_c)), and scales:
    area and leakage by the bit ratio (rows*width)/(rows_c*width_c); read and write energy by
    width/width_c only (CACTI's energy is ~proportional to the word width at fixed rows, within
    ~5 % near the limit, and nearly flat in rows there: 32 -> 64 rows +11 %, so not scaling rows
    overestimates slightly); access and cycle time unchanged. The result records it in
    ``scaled`` (``None`` when CACTI costed the organisation itself).
"""
from __future__ import annotations

import csv
import hashlib
import json
import math
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass

from hwmodel.util.checks import atomic_write_text
from .cacti_build import INSTALL, CactiUnavailable, find_cacti
from pathlib import Path

TIMEOUT_S = 120
CACHE_VERSION = "1"

PORTS = {"1rw": (1, 0, 0), "1r1w": (0, 1, 1)}   # (read-write, exclusive read, exclusive write)
CELLS = ("itrs-lstp", "itrs-hp", "itrs-lop")
TEMPERATURE_K = 300
MIN_ROWS = 31            # measured; 2 x MINSUBARRAYROWS(16) - 1
MIN_BITS = 512           # CACTI: size >= 64 bytes
NODE_RANGE_NM = (22.0, 90.0)
TECH_TABLES_NM = (22, 32, 45, 65, 90)


class CactiError(RuntimeError):
    """CACTI ran but gave no result (or timed out); the message names the organisation."""


@dataclass(frozen=True)
class Macro:
    """CACTI's result for one bank macro, in the project's units, at CACTI's own Vdd."""
    read_pj: float
    write_pj: float
    leak_uw: float
    area_um2: float
    access_ns: float
    cycle_ns: float
    vdd: float | None        # from CACTI's tech tables (CACTI does not print it); None if unknown
    array_eff_pct: float     # CACTI's data-array area efficiency (of the costed organisation)
    cfg: dict                # organisation given to CACTI: rows, width, ports, cell, node_nm, ...
    scaled: dict | None      # the scaling rule's record, None if CACTI costed it as asked


# ---- cfg text, running, parsing ---------------------------------------------------------------

def _legal(rows: int, width: int) -> tuple[int, int]:
    w = 8 * math.ceil(width / 8)
    return max(rows, MIN_ROWS, math.ceil(MIN_BITS / w)), w


def cfg_text(rows: int, width: int, ports: str, node_nm: float, cell: str) -> str:
    """CACTI input for a RAM of ``rows`` words of ``width`` bits (a legal organisation)."""
    rw, er, ew = PORTS[ports]
    return "\n".join([
        "# hwmodel.estimate.cacti: one SRAM macro (plain RAM, one CACTI bank)",
        f"-size (bytes) {rows * width // 8}",
        f"-block size (bytes) {width // 8}",
        f"-output/input bus width {width}",
        "-associativity 1",
        f"-read-write port {rw}",
        f"-exclusive read port {er}",
        f"-exclusive write port {ew}",
        "-single ended read ports 0",
        "-UCA bank count 1",
        f"-technology (u) {format(node_nm / 1000, '.6g')}",
        *(f'-{a} array {b} type - "{cell}"' for a in ("Data", "Tag") for b in ("cell", "peripheral")),
        f"-operating temperature (K) {TEMPERATURE_K}",
        '-cache type "ram"',
        '-tag size (b) "default"',
        '-access mode (normal, sequential, fast) - "normal"',
        "-page size (bits) 0",
        "-burst length 8",
        "-internal prefetch width 8",
        # ED^2 overrides the weights below (kept because CACTI reads them)
        '-Optimize ED or ED^2 (ED, ED^2, NONE): "ED^2"',
        "-design objective (weight delay, dynamic power, leakage power, cycle time, area) 0:0:0:100:0",
        "-deviate (delay, dynamic power, leakage power, cycle time, area) 20:100000:100000:100000:100000",
        "-NUCAdesign objective (weight delay, dynamic power, leakage power, cycle time, area) 100:100:0:0:100",
        "-NUCAdeviate (delay, dynamic power, leakage power, cycle time, area) 10:10000:10000:10000:10000",
        '-Cache model (NUCA, UCA)  - "UCA"',
        "-NUCA bank count 0",
        '-Wire signaling (fullswing, lowswing, default) - "Global_30"',
        '-Wire inside mat - "semi-global"',
        '-Wire outside mat - "semi-global"',
        '-Interconnect projection - "conservative"',
        "-Core count 1",
        '-Cache level (L2/L3) - "L3"',
        '-Add ECC - "false"',
        '-Print level (DETAILED, CONCISE) - "CONCISE"',
        '-Print input parameters - "false"',
        '-Force cache config - "false"',
        *(f'-{g} - "false"' for g in ("Array Power Gating", "WL Power Gating", "CL Power Gating",
                                      "Bitline floating", "Interconnect Power Gating")),
        "-Power Gating Performance Loss 0.01",
        # CACTI-IO / memcad inputs: unused for an SRAM, but CACTI crashes without them
        '-dram_type "DDR3"', '-io state "WRITE"', "-addr_timing 1.0", "-mem_density 4 Gb",
        "-bus_freq 800 MHz", "-duty_cycle 1.0", "-activity_dq 1.0", "-activity_ca 0.5",
        "-num_dq 72", "-num_dqs 18", "-num_ca 25", "-num_clk 2", "-num_mem_dq 2",
        "-mem_data_width 8", "-rtt_value 10000", "-ron_value 34", "-tflight_value",
        "-num_bobs 1", "-capacity 80", "-num_channels_per_bob 1", '-first metric "Cost"',
        '-second metric "Bandwidth"', '-third metric "Energy"', '-DIMM model "ALL"',
        '-mirror_in_bob "F"', ""])


def _what(rows: int, width: int, ports: str, cell: str, node_nm: float,
          legal: tuple[int, int] | None = None) -> str:
    s = f"{rows} x {width} b SRAM ({ports}, {cell}, {node_nm:g} nm)"
    if legal is not None and legal != (rows, width):
        s += f", costed as {legal[0]} x {legal[1]} b"
    return s


_FIELDS = {  # CACTI CSV column -> our key (raw CACTI units)
    "Access time (ns)": "access_ns", "Random cycle time (ns)": "cycle_ns",
    "Dynamic read energy (nJ)": "read_nj", "Dynamic write energy (nJ)": "write_nj",
    "Standby leakage per bank(mW)": "leak_mw", "Area (mm2)": "area_mm2",
    "Data arrary area efficiency %": "array_eff_pct",
    "Ndwl": "Ndwl", "Ndbl": "Ndbl", "Nspd": "Nspd", "Ndcm": "Ndcm"}


def _run_cacti(exe: Path, text: str, what: str) -> dict:
    """Run CACTI on ``text`` in a temporary folder; CACTI's numbers in its own units."""
    with tempfile.TemporaryDirectory(prefix="hwmodel-cacti-") as td:
        infile = Path(td) / "sram.cfg"
        infile.write_text(text)
        out = Path(str(infile) + ".out")
        out.unlink(missing_ok=True)          # CACTI appends to it
        try:
            r = subprocess.run([str(exe), "-infile", str(infile)], cwd=exe.parent,
                               capture_output=True, text=True, timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise CactiError(f"CACTI timed out after {TIMEOUT_S} s on {what}") from None
        except OSError as e:
            raise CactiUnavailable(f"cannot run {exe}: {e.strerror or e}; {INSTALL} "
                                   f"or set HWMODEL_CACTI") from None
        log = (r.stderr or "") + (r.stdout or "")
        if r.returncode == 127 or "error while loading shared libraries" in log \
                or "GLIBC" in log:
            first = next((ln for ln in log.splitlines() if ln.strip()), "")
            raise CactiUnavailable(f"{exe} does not run here ({first.strip()[:120]}); "
                                   f"unset HWMODEL_CACTI or point it to a working CACTI")
        if r.returncode != 0 or not out.exists():
            lines = [ln.strip() for ln in log.splitlines() if ln.strip()]
            why = next((ln for ln in reversed(lines) if "ERROR" in ln.upper() or "must" in ln
                        or "Invalid" in ln), None)
            if why is None:
                why = f"killed by signal {-r.returncode}" if r.returncode < 0 else \
                    f"exit {r.returncode}" + ("" if r.returncode else ", no result written")
            raise CactiError(f"CACTI failed on {what}: {why}")
        rows = list(csv.reader(out.read_text().splitlines(), skipinitialspace=True))
    try:
        row = dict(zip((h.strip() for h in rows[0]), (v.strip() for v in rows[-1])))
        res = {k: float(row[c]) for c, k in _FIELDS.items()}
    except (IndexError, KeyError, ValueError):
        raise CactiError(f"CACTI wrote an unreadable result on {what}") from None
    return res


def cache_dir() -> Path:
    env = os.environ.get("HWMODEL_CACHE_DIR")
    if env:
        return Path(env) / "cacti"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hwmodel" / "cacti"


def _cached_run(exe: Path, text: str, what: str, use_cache: bool) -> dict:
    st = exe.stat()
    key = hashlib.sha256(f"{CACHE_VERSION}\0{st.st_size}\0{st.st_mtime_ns}\0{text}".encode())
    path = cache_dir() / f"{key.hexdigest()[:32]}.json"
    if use_cache:
        try:
            res = json.loads(path.read_text())
            if isinstance(res, dict) and all(isinstance(res.get(k), (int, float))
                                             for k in _FIELDS.values()):
                return res
        except (OSError, ValueError):
            pass
    res = _run_cacti(exe, text, what)
    if use_cache:
        try:
            atomic_write_text(path, json.dumps(res))
        except OSError:
            pass                              # a cache that cannot be written is not an error
    return res


# ---- supply voltage as CACTI derives it -------------------------------------------------------

def _tables(node_nm: float) -> tuple[int, int, float]:
    """(table_lo, table_hi, alpha): CACTI uses alpha*table_lo + (1-alpha)*table_hi."""
    for t in TECH_TABLES_NM:
        if t - 1 < node_nm < t + 1:
            return t, t, 1.0
    lo = min(t for t in TECH_TABLES_NM if t > node_nm)
    hi = max(t for t in TECH_TABLES_NM if t < node_nm)
    return lo, hi, (node_nm - hi) / (lo - hi)


def cacti_vdd(exe: Path, node_nm: float, cell: str) -> float | None:
    """The supply CACTI uses for ``cell`` at ``node_nm`` (from its tech_params, interpolated as
    CACTI does); None if the tables are not next to the executable."""
    lo, hi, a = _tables(node_nm)
    col = {"itrs-hp": 0, "itrs-lstp": 1, "itrs-lop": 2}[cell]

    def vdd(t: int) -> float | None:
        try:
            for ln in (exe.parent / "tech_params" / f"{t}nm.dat").read_text().splitlines():
                if ln.startswith("-Vdd "):
                    return float(ln.split()[2 + col])
        except (OSError, ValueError, IndexError):
            return None
        return None
    v_lo, v_hi = vdd(lo), vdd(hi)
    return None if v_lo is None or v_hi is None else round(a * v_lo + (1 - a) * v_hi, 6)


# ---- public API -------------------------------------------------------------------------------

def _check(ports: str, node_nm: float, cell: str) -> None:
    if ports not in PORTS:
        raise ValueError(f"ports '{ports}': expected one of {', '.join(PORTS)}")
    if cell not in CELLS:
        raise ValueError(f"cell '{cell}': expected one of {', '.join(CELLS)}")
    if not NODE_RANGE_NM[0] <= node_nm <= NODE_RANGE_NM[1]:
        raise ValueError(f"node {node_nm} nm: CACTI 7 covers {NODE_RANGE_NM[0]:g}-"
                         f"{NODE_RANGE_NM[1]:g} nm")


def sram_macro(rows: int, width: int, ports: str = "1rw", node_nm: float = 28,
               cell: str = "itrs-lstp", *, cache: bool = True) -> Macro:
    """One SRAM macro of ``rows`` words of ``width`` bits costed by CACTI 7 (module doc: units,
    Vdd, and the scaling rule outside CACTI's limits)."""
    if int(rows) != rows or int(width) != width or rows < 1 or width < 1:
        raise ValueError(f"SRAM {rows} x {width}: rows and width must be positive integers")
    rows, width, node_nm = int(rows), int(width), float(node_nm)
    _check(ports, node_nm, cell)
    rows_c, width_c = _legal(rows, width)
    if rows_c * width_c // 8 >= 2 ** 32:
        raise ValueError(f"SRAM {rows} x {width}: too large for CACTI (>= 4 GiB)")
    exe = find_cacti()
    what = _what(rows, width, ports, cell, node_nm, (rows_c, width_c))
    text = cfg_text(rows_c, width_c, ports, node_nm, cell)
    r = _cached_run(exe, text, what, cache)
    bit_ratio = rows * width / (rows_c * width_c)
    e_ratio = width / width_c
    scaled = None
    if (rows_c, width_c) != (rows, width):
        scaled = {"requested": {"rows": rows, "width": width},
                  "costed": {"rows": rows_c, "width": width_c},
                  "area_leak_factor": bit_ratio, "energy_factor": e_ratio,
                  "rule": "area, leakage x bit ratio; energy x width ratio; times unchanged"}
    cfg = {"rows": rows_c, "width": width_c, "ports": ports, "cell": cell, "node_nm": node_nm,
           "size_bytes": rows_c * width_c // 8, "block_bytes": width_c // 8,
           "temperature_k": TEMPERATURE_K, "cacti_org": {k: int(r[k]) for k in
                                                       ("Ndwl", "Ndbl", "Nspd", "Ndcm")},
           "cfg_sha256": hashlib.sha256(text.encode()).hexdigest()[:16]}
    return Macro(read_pj=r["read_nj"] * 1e3 * e_ratio, write_pj=r["write_nj"] * 1e3 * e_ratio,
                 leak_uw=r["leak_mw"] * 1e3 * bit_ratio, area_um2=r["area_mm2"] * 1e6 * bit_ratio,
                 access_ns=r["access_ns"], cycle_ns=r["cycle_ns"],
                 vdd=cacti_vdd(exe, node_nm, cell), array_eff_pct=r["array_eff_pct"],
                 cfg=cfg, scaled=scaled)


def sram(words: int, width: int, banks: int = 1, ports: str = "1rw", node_nm: float = 28,
         cell: str = "itrs-lstp", *, cache: bool = True) -> dict:
    """A memory of ``words`` x ``width`` bits in ``banks`` independent macros of
    ceil(words/banks) rows (word a in bank a mod banks). Energy per access and times are one
    bank macro's; area and leakage are ``banks`` x one macro's. Units: pJ, µW, µm², ns, at
    CACTI's ``vdd``."""
    if int(banks) != banks or banks < 1:
        raise ValueError(f"banks {banks}: must be a positive integer")
    if int(words) != words or words < 1:
        raise ValueError(f"SRAM {words} x {width}: words must be a positive integer")
    banks = int(banks)
    rows = -(-int(words) // banks)
    m = sram_macro(rows, width, ports, node_nm, cell, cache=cache)
    return {"read_pj": m.read_pj, "write_pj": m.write_pj, "leak_uw": banks * m.leak_uw,
            "area_um2": banks * m.area_um2, "access_ns": m.access_ns, "cycle_ns": m.cycle_ns,
            "vdd": m.vdd, "words": int(words), "width": int(width), "banks": banks,
            "rows_per_bank": rows, "array_eff_pct": m.array_eff_pct, "macro": m.cfg,
            "scaled": m.scaled}


def main(argv: list[str] | None = None) -> int:
    """``python -m hwmodel.estimate.cacti [WORDS WIDTH [BANKS]] [--ports P] [--cell C]
    [--node NM]``: print the executable (compiling it if needed) or one memory's cost as JSON."""
    import argparse
    ap = argparse.ArgumentParser(prog="python -m hwmodel.estimate.cacti", description=main.__doc__)
    ap.add_argument("size", nargs="*", type=int, metavar="WORDS WIDTH [BANKS]")
    ap.add_argument("--ports", default="1rw", choices=list(PORTS))
    ap.add_argument("--cell", default="itrs-lstp", choices=list(CELLS))
    ap.add_argument("--node", type=float, default=28.0)
    a = ap.parse_args(argv)
    try:
        if not a.size:
            print(find_cacti())
        elif len(a.size) in (2, 3):
            print(json.dumps(sram(*a.size, ports=a.ports, node_nm=a.node, cell=a.cell), indent=1))
        else:
            ap.error("give WORDS WIDTH [BANKS]")
    except (CactiUnavailable, CactiError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
