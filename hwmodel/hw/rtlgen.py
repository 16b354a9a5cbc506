"""RTL parameter and memory-file generator: one source of parameters for the RTL flow, for a
layer stack of any depth (docs/spec.md §15, docs/rtl.md).

From a validated ``Config`` (and a ``Processor`` for the ROM and initial memory contents) this
module writes, into a build folder:

* the top-level parameters of ``spoon_top`` (``top_parameters``): only the primary ones, as
  integers; the FC layers are packed vectors (``FC_N``, ``FC_WB``, ... one 16-bit field per FC
  layer, field k-1 = layer k; ``FC_LANES``, ``FC_BANKS``, ``FC_PORTS``: the organisation of spec
  §16). The RTL derives O, Q, N_IN, the LFSR seeds and every width itself
  and stops elaboration on an illegal set (rtl/spoon_top.v, g_bad_* blocks).
  ``verilog_parameters`` writes the vectors as sized hexadecimal literals (Verilator reads an
  unsized decimal wider than 32 bits as 32 bits);
* ``$readmemh`` files, one word a line in the spec's bit layout (field k at bits k*w; a layer
  with P lanes has P weights per ``fc{k}_w`` word, spec §16): ``conv_kernel.hex``,
  ``sig_lut.hex``, per FC layer k ``fcKK_w.hex`` (initial weights, logical word order) and per
  hidden layer ``bKK_lut.hex`` (its B LUT), KK = k on two digits; a weight memory of B >= 2
  banks is read by the RTL from one file per bank, ``fcKK_w_bNN.hex`` (bank NN: the words
  a = NN mod B in row order, padded with zero rows to ceil(words / B)); the top reads them from
  the folder given as its ``MEM_DIR`` parameter;
* ``config.toml``: the configuration the folder was generated from.

The folder name used by the simulation flow is ``config_hash(cfg, learning)`` so that every
parameter set gets its own Verilator build.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from hwmodel.engine.arith import ROUNDING_CODES
from hwmodel.spec.config import Config
from hwmodel.spec.ids import CONV_IDS, HIDDEN_ROLES, OUTPUT_IDS, hidden_ids, include_text
from hwmodel.spec.layers import b_name, memories

# access-port memory ids of the one-hidden-layer stack (docs/rtl.md); ``mem_ids`` for any depth
MEM_IDS = {
    "conv_kernel": 0, "conv_pot": 1, "conv_spk": 2, "fc1_w": 3, "fc1_acc": 4, "fc1_act": 5,
    "fc1_dact": 6, "b_lut": 7, "fc2_w": 8, "fc2_acc": 9, "fc2_out": 10, "sig_lut": 11,
    "lfsr_fc1": 12, "lfsr_fc2": 13, "pred": 14,
}
FIELD_BITS = 16                       # bits per layer field of the FC_* vectors
VECTOR_PARAMS = ("FC_N", "FC_WB", "FC_AB", "FC_YB", "FC_AS", "FC_BB", "FC_LR", "FC_LANES",
                 "FC_BANKS", "FC_PORTS", "FC_LEARN")
# FC_PORTS field values: the weight memory's macro kind (spec §16, config weight_ports)
PORT_CODES = {"1r1w": 0, "1rw": 1}
# the primary parameters passed to spoon_top (the rest is derived inside the RTL)
TOP_PARAMS = ("W", "CIN", "C", "K", "S", "PAD", "POOL", "WC", "PB", "THETA", "NH") + VECTOR_PARAMS + \
             ("SS", "L", "OB", "RMODE", "SEED")


def clog2(n: int) -> int:
    """Address bits for ``n`` words (at least 1)."""
    return max(1, (n - 1).bit_length())


def mem_ids(cfg: Config) -> dict[str, int]:
    """Access-port id of every memory and register of ``cfg`` (pred included), by spec name, from
    the one table of ``hwmodel.spec.ids`` (which rtl/spoon_ids.vh repeats). For one hidden layer
    this is ``MEM_IDS``."""
    ids = {f"conv_{r if r != 'kern' else 'kernel'}": v for r, v in CONV_IDS.items()}
    for k in range(1, cfg.depth + 1):
        f, h = f"fc{k}", hidden_ids(k)
        names = {"w": f"{f}_w", "acc": f"{f}_acc", "act": f"{f}_act", "dact": f"{f}_dact", "b": b_name(k),
                 "lfsr": f"lfsr_{f}"}
        ids.update({names[r]: h[r] for r in HIDDEN_ROLES})
    f = f"fc{cfg.depth + 1}"
    names = {"w": f"{f}_w", "acc": f"{f}_acc", "out": f"{f}_out", "sig_lut": "sig_lut", "lfsr": f"lfsr_{f}",
             "pred": "pred"}
    ids.update({names[r]: v for r, v in OUTPUT_IDS.items()})
    return ids


def layer_fields(cfg: Config) -> dict[str, list[int]]:
    """Per FC layer k = 1..K+1 (list index k-1) the values of the FC_* vectors; the hidden-only
    fields of the output layer are 0."""
    out: dict[str, list[int]] = {p: [] for p in VECTOR_PARAMS}
    for layer in (*cfg.hidden, cfg.output):
        hidden = layer is not cfg.output
        out["FC_N"].append(layer.neurons)
        out["FC_WB"].append(layer.wb)
        out["FC_AB"].append(layer.ab)
        out["FC_YB"].append(layer.yb if hidden else 0)
        out["FC_AS"].append(layer.act_shift if hidden else 0)
        out["FC_BB"].append(layer.bb if hidden else 0)
        out["FC_LR"].append(layer.lr_shift)
        out["FC_LANES"].append(layer.lanes)
        out["FC_BANKS"].append(layer.weight_banks)
        out["FC_PORTS"].append(PORT_CODES[layer.weight_ports])
        out["FC_LEARN"].append(1 if layer.learn else 0)
    return out


def pack(fields: list[int]) -> int:
    """Fields (layer order) as one integer, field g at bits [16g, 16g+16)."""
    v = 0
    for g, x in enumerate(fields):
        if not 0 <= x < 1 << FIELD_BITS:
            raise ValueError(f"layer field {x} does not fit {FIELD_BITS} bits")
        v |= x << (FIELD_BITS * g)
    return v


def unpack(value: int, n_layers: int) -> list[int]:
    mask = (1 << FIELD_BITS) - 1
    return [(value >> (FIELD_BITS * g)) & mask for g in range(n_layers)]


# spoon_top's build options that are not part of the chip's config (their RTL defaults): the
# flip-flop memories' clock gating (rtl/sram.v; 0 none, 1 per word, 2 per memory), which changes
# the clocking and not one bit or cycle of the behaviour (tests/rtl/test_rtl_system.py)
BUILD_PARAMS = {"CLOCK_GATE": 0}


def top_parameters(cfg: Config, learning: bool = True) -> dict[str, int]:
    """The primary parameters of spoon_top for ``cfg``, every value an integer."""
    c = cfg.conv
    out = cfg.output
    p = {"W": cfg.input.width, "CIN": cfg.input.channels, "C": c.channels, "K": c.kernel,
         "S": c.stride, "PAD": c.padding, "POOL": c.pool, "WC": cfg.bits["WC"], "PB": cfg.bits["PB"],
         "THETA": c.threshold, "NH": cfg.depth}
    for name, vals in layer_fields(cfg).items():
        p[name] = pack(vals)
    p.update({"SS": out.sig_shift, "L": out.lut_bits, "OB": out.ob,
              "RMODE": ROUNDING_CODES[cfg.drtp.rounding], "SEED": cfg.seed,
              "LEARNING": 1 if learning else 0})
    assert tuple(p)[:-1] == TOP_PARAMS
    return p


def verilog_parameters(params: dict) -> dict[str, object]:
    """``params`` for the simulators' command lines (-G / -P): the FC_* vectors as sized
    hexadecimal literals of 16·(NH+1) bits (an unsized decimal wider than 32 bits is read as 32
    bits by Verilator); strings and the other integers unchanged."""
    out: dict[str, object] = dict(params)
    width = FIELD_BITS * (int(params.get("NH", 1)) + 1)
    for name in VECTOR_PARAMS:
        if name in out and not isinstance(out[name], str):
            out[name] = f"{width}'h{int(out[name]):x}"
    return out


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
    """Word width of every memory / register of spec §10 / §15 (access-port layout), pred included."""
    return {**{n: m["word_bits"] for n, m in memories(cfg).items()}, "pred": clog2(cfg.output.neurons)}


def mem_depths(cfg: Config) -> dict[str, int]:
    """Words of every memory / register of spec §10 / §15, pred included."""
    return {**{n: m["words"] for n, m in memories(cfg).items()}, "pred": 1}


def rom_files(cfg: Config, learning: bool = True) -> dict[str, str]:
    """Memory name -> the file name the RTL reads it from (in MEM_DIR): the ROMs and the
    initial weights. B LUTs only with learning (LEARNING = 0 has none), of the layers that learn."""
    files = {"conv_kernel": "conv_kernel.hex"}
    for k in range(1, cfg.depth + 2):
        files[f"fc{k}_w"] = f"fc{k:02d}_w.hex"
        if k <= cfg.depth and learning and cfg.hidden[k - 1].learn:
            files[b_name(k)] = f"b{k:02d}_lut.hex"
    files["sig_lut"] = "sig_lut.hex"
    return files


def fc_layers(cfg: Config) -> list:
    """The FC layers k = 1..K+1 (list index k-1): the hidden layers, then the output layer."""
    return [*cfg.hidden, cfg.output]


def bank_words(words: list[int], banks: int) -> list[list[int]]:
    """A weight memory's words split over ``banks`` banks (spec §16): bank b holds the words
    a = b mod banks at rows a div banks; every bank has ceil(len / banks) rows (missing rows 0)."""
    rows = -(-len(words) // banks)
    return [[words[r * banks + b] if r * banks + b < len(words) else 0 for r in range(rows)]
            for b in range(banks)]


def generate(cfg: Config, out_dir: str | Path, proc=None, learning: bool = True) -> dict:
    """Write the memory files and the config into ``out_dir``.

    Returns {"dir", "files": {memory: path}, "bank_files": {memory: [path per bank]} (weight
    memories of two or more banks), "parameters": the top parameters for the simulators
    (``verilog_parameters``) with ``MEM_DIR`` (the absolute folder, quoted)}.
    """
    from hwmodel.engine.processor import Processor  # local: the model imports numba

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    p = proc if proc is not None else Processor.from_config(cfg)
    widths = mem_widths(cfg)
    (out / "config.toml").write_text(cfg.to_toml())
    files, bank_files = {}, {}
    banks = {f"fc{k}_w": layer.weight_banks for k, layer in enumerate(fc_layers(cfg), 1)}
    for name, fname in rom_files(cfg, learning).items():
        f = out / fname
        words = p.packed_words(name)
        f.write_text(hex_lines(words, widths[name]))
        files[name] = f.resolve()
        if banks.get(name, 1) > 1:
            bank_files[name] = []
            for b, bw in enumerate(bank_words(words, banks[name])):
                fb = out / f"{fname[:-len('.hex')]}_b{b:02d}.hex"
                fb.write_text(hex_lines(bw, widths[name]))
                bank_files[name].append(fb.resolve())
    params = verilog_parameters(top_parameters(cfg, learning))
    params["MEM_DIR"] = f'"{out.resolve()}"'
    return {"dir": out.resolve(), "files": files, "bank_files": bank_files, "parameters": params}


if __name__ == "__main__":
    import sys
    if sys.argv[1:] != ["ids"]:
        sys.exit("usage: python -m hwmodel.hw.rtlgen ids > rtl/spoon_ids.vh")
    sys.stdout.write(include_text())
