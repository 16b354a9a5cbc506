"""The RTL the estimate costs: its files, the synthesis, critical path and static timing of one
design (LEARNING = 1 or 0), both chips' timing against the clock (``chip_timing``, the estimate's
``--timing``), and the memories synthesis finds compared with the organisation the estimate costs
(hwmodel.spec.layers.organisation)."""
from __future__ import annotations

from pathlib import Path

from hwmodel.hw.rtlgen import top_parameters
from hwmodel.spec.config import Config
from hwmodel.spec.layers import b_name, organisation
from .area import TOP, AreaError, SynthResult, default_cache_dir, synthesize

REPO_RTL = Path(__file__).resolve().parents[2] / "rtl"


def rtl_files(rtl_dir: str | Path | None) -> list[Path]:
    d = Path(rtl_dir) if rtl_dir is not None else REPO_RTL
    if not d.is_dir():
        raise AreaError(f"RTL folder '{d}' not found (use --rtl DIR or --no-synth)")
    files = sorted(d.glob("*.v"))
    if not files:
        raise AreaError(f"RTL folder '{d}': no *.v files (use --no-synth)")
    return files


def synthesize_design(cfg: Config, learning: bool, *, rtl_dir=None, liberty=None,
                      cache: bool = True) -> SynthResult:
    """Synthesize spoon_top for ``cfg`` with LEARNING = 0/1 (top parameters from
    hwmodel.hw.rtlgen; the RTL derives the rest)."""
    files = rtl_files(rtl_dir)
    return synthesize(files, TOP, top_parameters(cfg, learning), liberty=liberty,
                      cache_dir=default_cache_dir() if cache else None)


def critical_path_design(cfg: Config, learning: bool, liberty, *, rtl_dir=None, cache: bool = True) -> dict:
    """The flattened chip's critical path (``timing.critical_path``) with LEARNING = 0/1."""
    from .timing import critical_path
    return critical_path(rtl_files(rtl_dir), TOP, top_parameters(cfg, learning), liberty,
                         cache_dir=default_cache_dir() if cache else None)


def sta_design(cfg: Config, learning: bool, liberty, *, access_ns, setup_ns: float, period_ns: float,
               rtl_dir=None, cache: bool = True) -> dict:
    """OpenSTA's worst path of the flattened chip with LEARNING = 0/1 (``sta.sta_timing``)."""
    from .sta import sta_timing
    return sta_timing(rtl_files(rtl_dir), TOP, top_parameters(cfg, learning), liberty, access_ns=access_ns,
                      setup_ns=setup_ns, period_ns=period_ns, cache_dir=default_cache_dir() if cache else None)


def rtl_memory_name(instance: str, cfg: Config) -> str | None:
    """The memory of ``hwmodel.spec.layers.organisation`` an ``sram`` instance of rtl/spoon_top.v
    implements (one bank of it for a banked weight memory), from its instance path."""
    parts = instance.split(".")
    leaf = parts[-1]
    k = next((int(p[5:-1]) + 1 for p in parts if p.startswith("g_fc[") and p.endswith("]")), None)
    if k is None:
        return {"u_conv_kernel": "conv_kernel", "u_conv_pot": "conv_pot", "u_conv_spk": "conv_spk"}.get(leaf)
    if "u_w" in parts:
        return f"fc{k}_w"
    if leaf == "u_b_lut":
        return b_name(k)
    return {"u_acc": f"fc{k}_acc", "u_act": f"fc{k}_act", "u_dact": f"fc{k}_dact", "u_out": f"fc{k}_out",
            "u_sig_lut": "sig_lut"}.get(leaf)


SRAM_PORTS = {0: "1r1w", 1: "1rw"}   # rtl/sram.v PORTS (default 0)


def check_memories(syn: SynthResult, cfg: Config, learning: bool) -> list[str]:
    """Compare the RTL's ``sram`` instances with the organisation the estimate costs: every
    memory present exactly when it should be (learning-only ones only with LEARNING = 1), with
    its banks, rows per bank, width and ports. Returns one line per difference (none: the
    estimate describes the RTL)."""
    full = organisation(cfg)
    org = {n: m for n, m in full.items() if m["ports"] != "register" and (learning or not m["learning_only"])}
    seen: dict[str, list[dict]] = {}
    notes = []
    for m in syn.memories:
        name = rtl_memory_name(m["instance"], cfg)
        if name is None or name not in full:
            notes.append(f"RTL memory {m['instance']} ({m['DEPTH']}x{m['WIDTH']}) is not a memory of the "
                         f"organisation: not in the estimate")
            continue
        seen.setdefault(name, []).append(m)
    for name, want in org.items():
        got = seen.pop(name, [])
        if not got:
            notes.append(f"memory {name} has no sram instance in the RTL (LEARNING = {int(learning)})")
            continue
        rows = -(-want["words"] // want["banks"])
        shape = {(g["DEPTH"], g["WIDTH"], SRAM_PORTS.get(g["PORTS"] if g["PORTS"] is not None else 0))
                 for g in got}
        if len(got) != want["banks"] or shape != {(rows, want["width"], want["ports"])}:
            notes.append(f"RTL memory {name}: {len(got)} bank(s) of {sorted(shape)}, the estimate costs "
                         f"{want['banks']} of {rows}x{want['width']} {want['ports']}")
    for name, got in seen.items():
        notes.append(f"RTL memory {name} exists with LEARNING = {int(learning)}, the estimate treats it as "
                     f"learning-only")
    return notes


def chip_timing(cfg: Config, tech, L: dict, timing_lib, ff, liberty_node_nm, clock_mhz: float, rtl_dir,
            cache: bool, notes: list[str]) -> dict:
    """The estimate's ``timing`` (``--timing``): both chips' critical paths against the clock
    (``timing.py``), with a note when it is missed, and OpenSTA's worst path with the macros'
    access times (``sta.py``; key ``sta``, None without OpenSTA). ``L``: the learning chip's
    design summary (its memories' access times), ``ff``: the library flip-flop's timing."""
    from .sta import find_sta
    from .timing import check
    access = [m["access_ns"] for m in L["memories"].values() if m.get("access_ns") is not None]
    have_sta = find_sta() is not None
    timing_res = {}
    for learning in (True, False):
        k = "learning" if learning else "inference_only"
        path = critical_path_design(cfg, learning, timing_lib, rtl_dir=rtl_dir, cache=cache)
        timing_res[k] = check(path, ff, liberty_node_nm, tech.node_nm, tech.vdd, clock_mhz,
                              max(access) if access else None)
        timing_res[k].update(liberty=str(timing_lib), liberty_node_nm=liberty_node_nm, sta=None)
        if not have_sta:
            continue
        f = timing_res[k]["delay_factor"]
        period = 1e3 / clock_mhz
        # each macro's access time (CACTI's, by its rows and width; a register file: the library
        # flip-flop's clock-to-Q), in the library's time at its node and supply
        acc = {}
        for m in L["memories"].values():
            key = (-(-m["depth"] // m["banks"]), m["word_bits"])
            acc[key] = max(acc.get(key, 0.0), m["access_ns"] / f if m.get("access_ns") is not None
                           else ff["clk_to_q_ns"])
        s = sta_design(cfg, learning, timing_lib, access_ns=acc, setup_ns=ff["setup_ns"], period_ns=period / f,
                       rtl_dir=rtl_dir, cache=cache)
        need = s["min_period_ns"] * f
        timing_res[k]["sta"] = {"min_period_ns": need, "slack_ns": period - need, "max_clock_mhz": 1e3 / need,
                                "library_arrival_ns": s["arrival_ns"], "start": s["start"], "end": s["end"],
                                "memory_access_ns": max(access) if access else None}
    if not have_sta:
        notes.append("--timing: OpenSTA ('sta') is not installed: the static timing with the memories' access "
                     "times is left out (scripts/install-sysdeps.sh installs Debian's opensta)")
    else:
        S = timing_res["learning"]["sta"]
        if S["slack_ns"] < 0:
            notes.append(f"clock {clock_mhz:g} MHz cannot be met by OpenSTA's worst path ({S['start']} -> "
                         f"{S['end']}, memory access times included): it needs {S['min_period_ns']:.2f} ns "
                         f"(at most {S['max_clock_mhz']:.0f} MHz)")
    T = timing_res["learning"]
    if T["slack_ns"] < 0:
        notes.append(f"clock {clock_mhz:g} MHz cannot be met: the learning chip's register paths need "
                     f"{T['register_path_ns']:.2f} ns, {-T['slack_ns']:.2f} ns more than the "
                     f"{T['period_ns']:.2f} ns period (at most {T['max_clock_mhz']:.0f} MHz)")
    elif T["slack_memory_bound_ns"] is not None and T["slack_memory_bound_ns"] < 0:
        notes.append(f"clock {clock_mhz:g} MHz may not be met: a path from an SRAM output could need up to "
                     f"{T['memory_path_bound_ns']:.2f} ns, {-T['slack_memory_bound_ns']:.2f} ns more than the "
                     f"{T['period_ns']:.2f} ns period (register paths: {T['register_path_ns']:.2f} ns)")
    return timing_res
