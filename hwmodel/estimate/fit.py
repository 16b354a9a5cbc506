"""The SRAM models of the technology table, fitted to CACTI 7 at 28 nm.

``python -m hwmodel.estimate.fit [CSV]`` re-derives the ``sram_read``, ``sram_write``,
``sram_area`` and ``sram_leakage`` numbers of ``hwmodel/tech/default_28nm_0v6.toml`` from a sweep
of CACTI-7 SRAM macros at 28 nm (docs/sources.md §2b): by default the sweep is made here, by the
project's own CACTI build (``cacti.sram_macro``, cached: 40 runs, about 3 s the first time after
CACTI's one-time compile of about 20 s),
over the grid ``SIZES_BYTES`` x ``WORD_BITS`` (one read-write port, one bank); a CSV with the
columns ``cell_periph, size_bytes, word_bits, read_pJ, write_pJ, leak_uW, area_mm2`` may be given
instead. Only the ``itrs-lstp`` device is used: lop leakage is unrealistic and hp is a
high-performance device (docs/sources.md §2b).

Models (bytes = macro size, w = word bits, bits = 8·bytes):

* energy per access  E = k · (bytes/1024)^a · (w/32)^b   (log-linear least squares), then
  scaled from CACTI's lstp supply (about 0.92 V at 28 nm, docs/sources.md §2b) to VDD by (VDD/0.92)²;
* area  A = c_bit · bits + c_col · w   (µm², least squares on relative error; the periphery
  that grows with the word width is the column term);
* leakage per bit: median over the sweep, scaled by VDD/0.92 (current held constant).
"""
from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np

CACTI_LSTP_VDD = 0.92  # docs/sources.md §2b: lstp 1.0 V at 32 nm, 0.8 V at 22 nm -> ~0.92 V at 28 nm
SIZES_BYTES = tuple(512 << k for k in range(8))        # 0.5 ... 64 KB
WORD_BITS = (8, 16, 32, 64, 128)


def load_rows(path: str | Path, cell: str = "itrs-lstp") -> list[dict[str, float]]:
    """The rows of a CSV sweep for ``cell`` (see module doc for the columns)."""
    with open(path, newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["cell_periph"] == cell]
    return [{k: float(v) for k, v in r.items() if k != "cell_periph"} for r in rows]


def cacti_rows(cell: str = "itrs-lstp", node_nm: float = 28, *, cache: bool = True) -> list[dict[str, float]]:
    """The sweep made by the project's CACTI: one macro per (size, word) of the grid, in CACTI's
    units at its own supply (pJ, µW, mm²), like a CSV's rows."""
    from .cacti import sram_macro
    out = []
    for w in WORD_BITS:
        for size in SIZES_BYTES:
            m = sram_macro(size * 8 // w, w, "1rw", node_nm, cell, cache=cache)
            out.append({"size_bytes": float(size), "word_bits": float(w), "read_pJ": m.read_pj,
                        "write_pJ": m.write_pj, "leak_uW": m.leak_uw, "area_mm2": m.area_um2 * 1e-6})
    return out


def fit(rows: list[dict[str, float]] | None = None, vdd: float = 0.6) -> dict[str, dict[str, float]]:
    """The table's SRAM entries fitted to ``rows`` (default: ``cacti_rows()``)."""
    rows = cacti_rows() if rows is None else rows
    size = np.array([r["size_bytes"] for r in rows])
    w = np.array([r["word_bits"] for r in rows])
    bits = 8 * size
    vscale = (vdd / CACTI_LSTP_VDD) ** 2
    out: dict[str, dict[str, float]] = {}
    X = np.c_[np.ones_like(size), np.log(size / 1024), np.log(w / 32)]
    for name, key in (("sram_read", "read_pJ"), ("sram_write", "write_pJ")):
        e = np.array([r[key] for r in rows])
        c, *_ = np.linalg.lstsq(X, np.log(e), rcond=None)
        rel = np.exp(X @ c) / e - 1
        out[name] = {"energy_pj": float(np.exp(c[0]) * vscale), "size_exp": float(c[1]),
                     "word_exp": float(c[2]), "rms_err": float(np.sqrt(np.mean(rel ** 2))),
                     "max_err": float(np.abs(rel).max())}
    area = np.array([r["area_mm2"] for r in rows]) * 1e6
    A = np.c_[bits, w]
    c, *_ = np.linalg.lstsq(A / area[:, None], np.ones_like(area), rcond=None)
    rel = (A @ c) / area - 1
    out["sram_area"] = {"um2_per_bit": float(c[0]), "um2_per_column": float(c[1]),
                        "rms_err": float(np.sqrt(np.mean(rel ** 2))), "max_err": float(np.abs(rel).max())}
    leak = np.array([r["leak_uW"] for r in rows]) * 1e6 / bits  # pW per bit
    out["sram_leakage"] = {"pw_per_bit": float(np.median(leak) * vdd / CACTI_LSTP_VDD)}
    return out


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        if argv:
            if not Path(argv[0]).exists():
                print(f"error: CACTI sweep '{argv[0]}' not found", file=sys.stderr)
                return 2
            rows = load_rows(argv[0])
        else:
            rows = cacti_rows()
        res = fit(rows)
    except (OSError, ValueError, KeyError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    for name, vals in res.items():
        print(f"[{name}] " + ", ".join(f"{k} = {v:.6g}" for k, v in vals.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
