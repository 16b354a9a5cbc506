"""The RTL the estimate costs: its files, the synthesis and the critical path of one design
(LEARNING = 1 or 0), and the memories synthesis finds compared with the organisation the estimate
costs (hwmodel.spec.layers.organisation)."""
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
