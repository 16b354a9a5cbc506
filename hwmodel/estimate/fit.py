"""The SRAM models of the technology table, fitted to the CACTI-7 28-nm sweep.

``python -m hwmodel.estimate.fit [CSV]`` re-derives the ``sram_read``, ``sram_write``,
``sram_area`` and ``sram_leakage`` numbers of ``hwmodel/tech/default_28nm_0v6.toml`` from
``cacti7_28nm_sram_sweep.csv`` (COST_REFS §2b; by default ``../shared/data/`` beside the
repository; the project does not ship the data). Only the ``itrs-lstp`` rows are used: lop
leakage is unrealistic and hp is a high-performance device (COST_REFS §2b).

Models (bytes = macro size, w = word bits, bits = 8·bytes):

* energy per access  E = k · (bytes/1024)^a · (w/32)^b   (log-linear least squares), then
  scaled from CACTI's lstp supply (about 0.92 V at 28 nm, COST_REFS §2b) to VDD by (VDD/0.92)²;
* area  A = c_bit · bits + c_col · w   (µm², least squares on relative error; the periphery
  that grows with the word width is the column term);
* leakage per bit: median over the sweep, scaled by VDD/0.92 (current held constant).
"""
from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np

CACTI_LSTP_VDD = 0.92  # COST_REFS §2b: lstp 1.0 V at 32 nm, 0.8 V at 22 nm -> ~0.92 V at 28 nm
DEFAULT_CSV = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "cacti7_28nm_sram_sweep.csv"


def load_rows(path: str | Path = DEFAULT_CSV, cell: str = "itrs-lstp") -> list[dict[str, float]]:
    with open(path, newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["cell_periph"] == cell]
    return [{k: float(v) for k, v in r.items() if k != "cell_periph"} for r in rows]


def fit(path: str | Path = DEFAULT_CSV, vdd: float = 0.6) -> dict[str, dict[str, float]]:
    rows = load_rows(path)
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
    path = Path(argv[0]) if argv else DEFAULT_CSV
    if not path.exists():
        print(f"error: CACTI sweep '{path}' not found", file=sys.stderr)
        return 2
    for name, vals in fit(path).items():
        print(f"[{name}] " + ", ".join(f"{k} = {v:.6g}" for k, v in vals.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
