"""Access-port memory ids and LFSR stream numbers (docs/rtl.md, docs/spec.md §3, §15): one table.

The model (``hwmodel.spec.roms``), the access-port map of the testbenches (``hwmodel.hw.rtlgen.mem_ids``)
and the RTL read these numbers from here; the RTL through ``rtl/spoon_ids.vh``, which
``include_text`` writes (``python -m hwmodel.hw.rtlgen ids > rtl/spoon_ids.vh``; a test checks
that the file in the repository is exactly that text).

Ids and streams belong to roles, not to depths: the conv memories and the first hidden layer keep
their numbers whatever the depth, the output layer too, and hidden layer h >= 2 gets a block of
its own (ids ``DEEP_ID_BASE + DEEP_ID_STRIDE * (h - 2) + offset``, streams ``DEEP_STREAM_BASE +
DEEP_STREAM_STRIDE * h + offset``).
"""
from __future__ import annotations

# roles of an FC layer's memories and registers, in id-offset order
HIDDEN_ROLES = ("w", "acc", "act", "dact", "b", "lfsr")
CONV_IDS = {"kern": 0, "pot": 1, "spk": 2}
FIRST_HIDDEN_IDS = {"w": 3, "acc": 4, "act": 5, "dact": 6, "b": 7, "lfsr": 12}
OUTPUT_IDS = {"w": 8, "acc": 9, "out": 10, "sig_lut": 11, "lfsr": 13, "pred": 14}
DEEP_ID_BASE, DEEP_ID_STRIDE = 16, 8          # hidden layer h >= 2: base + stride * (h - 2) + offset
DEEP_ID_OFFSETS = {r: i for i, r in enumerate(HIDDEN_ROLES)}

# LFSR / ROM streams (spec §3): the conv kernels, the first hidden layer's B LUT, initial weights
# and LFSR, the output layer's initial weights and LFSR
STREAM_CONV, STREAM_B, STREAM_FC1, STREAM_FC2, STREAM_LFSR1, STREAM_LFSR2 = 1, 2, 3, 4, 5, 6
DEEP_STREAM_BASE, DEEP_STREAM_STRIDE = 16, 4  # hidden layer h >= 2: base + stride * h + offset
DEEP_STREAM_OFFSETS = {"b": 0, "init": 1, "lfsr": 2}


def hidden_ids(h: int) -> dict[str, int]:
    """{role: id} of hidden layer h = 1..K."""
    if h == 1:
        return dict(FIRST_HIDDEN_IDS)
    return {r: DEEP_ID_BASE + DEEP_ID_STRIDE * (h - 2) + i for r, i in DEEP_ID_OFFSETS.items()}


def hidden_streams(h: int) -> tuple[int, int, int]:
    """(B, initial weights, LFSR) stream numbers of hidden layer h = 1..K (spec §15)."""
    if h < 1:
        raise ValueError(f"hidden layers are numbered from 1, got {h}")
    if h == 1:
        return STREAM_B, STREAM_FC1, STREAM_LFSR1
    b = DEEP_STREAM_BASE + DEEP_STREAM_STRIDE * h
    return tuple(b + DEEP_STREAM_OFFSETS[r] for r in ("b", "init", "lfsr"))


def include_text() -> str:
    """``rtl/spoon_ids.vh``: the same numbers as Verilog localparams of spoon_top."""
    def lp(kind, items):
        return f"localparam {kind} " + ",\n    ".join(f"{n} = {v}" for n, v in items) + ";\n"
    lines = [
        "// Access-port memory ids and LFSR stream numbers of spoon_top (docs/rtl.md, spec §3, §15).\n",
        "// Generated from hwmodel/spec/ids.py (python -m hwmodel.hw.rtlgen ids > rtl/spoon_ids.vh); do not\n",
        "// edit: tests/rtl/test_rtl_lint.py checks that this file is what the generator writes.\n",
        lp("[7:0]", [(f"ID_{r.upper()}", f"8'd{v}") for r, v in CONV_IDS.items()]),
        lp("[7:0]", [(f"ID_H1_{r.upper()}", f"8'd{v}") for r, v in FIRST_HIDDEN_IDS.items()]),
        lp("[7:0]", [(f"ID_OUT_{r.upper()}", f"8'd{v}") for r, v in OUTPUT_IDS.items()]),
        lp("integer", [("ID_DEEP_BASE", DEEP_ID_BASE), ("ID_DEEP_STRIDE", DEEP_ID_STRIDE)]
           + [(f"ID_OFF_{r.upper()}", v) for r, v in DEEP_ID_OFFSETS.items()]),
        lp("integer", [("STREAM_H1_LFSR", STREAM_LFSR1), ("STREAM_OUT_LFSR", STREAM_LFSR2),
                       ("STREAM_DEEP_BASE", DEEP_STREAM_BASE), ("STREAM_DEEP_STRIDE", DEEP_STREAM_STRIDE),
                       ("STREAM_OFF_LFSR", DEEP_STREAM_OFFSETS["lfsr"])]),
    ]
    return "".join(lines)
