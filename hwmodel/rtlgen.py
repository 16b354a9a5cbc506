"""RTL parameter and memory-file generator: one source of parameters for the RTL flow.

From a validated ``Config`` (and a ``Processor`` for the ROM and initial memory contents) this
module writes, into a build folder:

* the top-level parameters of ``spoon_top`` (``top_parameters``): only the primary ones; the
  RTL derives O, Q, N_IN, the LFSR seeds and every width itself and stops elaboration on an
  illegal set (rtl/spoon_top.v, g_bad_* blocks);
* ``<memory>.hex``: ``$readmemh`` files, one word a line in the spec's bit layout (field k at
  bits k*w), for the ROMs (``sig_lut``, ``b_lut``, ``conv_kernel``) and the initial weights
  (``fc1_w``, ``fc2_w``);
* ``config.toml``: the configuration the folder was generated from.

The folder name used by the simulation flow is ``config_hash(cfg, learning)`` so that every
parameter set gets its own Verilator build.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from . import roms
from .arith import ROUNDING_CODES
from .config import Config
from .counters import memory_depths, memory_word_bits

# access-port memory ids (docs/rtl.md): spec §10 order
MEM_IDS = {
    "conv_kernel": 0, "conv_pot": 1, "conv_spk": 2, "fc1_w": 3, "fc1_acc": 4, "fc1_act": 5,
    "fc1_dact": 6, "b_lut": 7, "fc2_w": 8, "fc2_acc": 9, "fc2_out": 10, "sig_lut": 11,
    "lfsr_fc1": 12, "lfsr_fc2": 13, "pred": 14,
}
ROM_FILES = {"conv_kernel": "KERNEL_FILE", "fc1_w": "FC1_W_FILE", "b_lut": "B_LUT_FILE",
             "fc2_w": "FC2_W_FILE", "sig_lut": "SIG_LUT_FILE"}


def clog2(n: int) -> int:
    """Address bits for ``n`` words (at least 1)."""
    return max(1, (n - 1).bit_length())


def spec_values(cfg: Config) -> dict[str, int]:
    """Every spec symbol as an integer (sizes, widths, shifts, constants)."""
    b = cfg.bits
    return {
        "W": cfg.input.width, "H": cfg.input.height, "CIN": cfg.input.channels,
        "C": cfg.conv.channels, "K": cfg.conv.kernel, "S": cfg.conv.stride,
        "PAD": cfg.conv.padding, "O": cfg.conv_out, "POOL": cfg.conv.pool, "Q": cfg.spk_side,
        "WC": b["WC"], "PB": b["PB"], "THETA": cfg.conv.threshold, "N_IN": cfg.n_in,
        "N1": cfg.fc1.neurons, "W1B": b["W1B"], "A1B": b["A1B"], "YB": b["YB"], "YMAX": cfg.ymax,
        "AS": cfg.fc1.act_shift, "N2": cfg.fc2.neurons, "W2B": b["W2B"], "A2B": b["A2B"],
        "SS": cfg.fc2.sig_shift, "L": cfg.fc2.lut_bits, "LF": cfg.fc2.lut_frac, "OB": b["OB"],
        "ONE": cfg.one, "BB": b["BB"], "LR1": cfg.fc1.lr_shift, "LR2": cfg.fc2.lr_shift,
        "RMODE": ROUNDING_CODES[cfg.drtp.rounding],
        "SEED": cfg.seed,
        "SEED_FC1": roms.stream_seed(cfg.seed, roms.STREAM_LFSR1),
        "SEED_FC2": roms.stream_seed(cfg.seed, roms.STREAM_LFSR2),
    }


# the primary parameters passed to spoon_top (the rest is derived inside the RTL)
TOP_PARAMS = ("W", "CIN", "C", "K", "S", "PAD", "POOL", "WC", "PB", "THETA", "N1", "W1B",
              "A1B", "YB", "AS", "N2", "W2B", "A2B", "SS", "L", "OB", "BB", "LR1", "LR2", "RMODE",
              "SEED")


def top_parameters(cfg: Config, learning: bool = True) -> dict[str, int]:
    v = spec_values(cfg)
    p = {k: v[k] for k in TOP_PARAMS}
    p["LEARNING"] = 1 if learning else 0
    return p


def config_hash(cfg: Config, learning: bool = True, extra: str = "") -> str:
    """Short stable name of a parameter set (config contents + LEARNING + extra)."""
    d = cfg.to_dict()
    d.pop("name", None)
    h = hashlib.sha1((repr(sorted(_flat(d).items())) + f"|L{int(learning)}|{extra}").encode())
    return f"{cfg.name}-{'learn' if learning else 'infer'}-{h.hexdigest()[:10]}"


def _flat(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flat(v, prefix + k + "."))
        else:
            out[prefix + k] = v
    return out


def hex_lines(words: list[int], width: int) -> str:
    nd = max(1, (width + 3) // 4)
    return "".join(f"{w:0{nd}x}\n" for w in words)


def mem_widths(cfg: Config) -> dict[str, int]:
    """Word width of every memory / register of spec §10 (access-port layout), pred included."""
    return {**memory_word_bits(cfg), "pred": clog2(cfg.fc2.neurons)}


def mem_depths(cfg: Config) -> dict[str, int]:
    """Words of every memory / register of spec §10, pred included."""
    return {**memory_depths(cfg), "pred": 1}


def generate(cfg: Config, out_dir: str | Path, proc=None, learning: bool = True) -> dict:
    """Write the memory files and the config into ``out_dir``.

    Returns {"dir", "files": {memory: path}, "parameters": top parameters including the
    ``*_FILE`` string parameters (absolute paths, quoted for the simulators)}.
    """
    from .model import Processor  # local: the model imports numba

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    p = proc if proc is not None else Processor.from_config(cfg)
    widths = mem_widths(cfg)
    (out / "config.toml").write_text(cfg.to_toml())
    files = {}
    for name in ROM_FILES:
        if name == "b_lut" and not learning:
            continue
        f = out / f"{name}.hex"
        f.write_text(hex_lines(p.packed_words(name), widths[name]))
        files[name] = f.resolve()
    params: dict[str, object] = dict(top_parameters(cfg, learning))
    for name, f in files.items():
        params[ROM_FILES[name]] = f'"{f}"'
    return {"dir": out.resolve(), "files": files,
            "parameters": params}
