"""Technology tables: energy per action, leakage and area per component (docs/estimate.md §2).

A table is a TOML file with a ``[meta]`` section and one ``[components.<name>]`` table per
component of ``SCHEMA``; every component is required, no other is accepted, every numeric field
is required and every entry carries a non-empty ``source`` and ``scaling``. ``load_tech`` raises
``TechError`` with a one-line message naming the file and the entry. The component models
(SRAM energy/area, adders, multipliers, ...) are the methods of ``Tech``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hwmodel.spec.config import read_toml

TECH_DIR = Path(__file__).resolve().parent.parent / "tech"
DEFAULT_TECH = TECH_DIR / "default_28nm_0v6.toml"

# component -> {field: kind}; kinds: "energy" (>= 0), "positive" (> 0), "exp" (any finite),
# "ge" (>= 0), "int" (integer >= 0), "fraction" (0 < v <= 1)
SCHEMA: dict[str, dict[str, str]] = {
    "sram_read": {"energy_pj": "energy", "size_exp": "exp", "word_exp": "exp"},
    "sram_write": {"energy_pj": "energy", "size_exp": "exp", "word_exp": "exp"},
    "sram_leakage": {"pw_per_bit": "energy"},
    "sram_area": {"um2_per_bit": "positive", "um2_per_column": "ge"},
    "regfile": {"max_bits": "int", "read_pj_per_bit": "energy", "write_pj_per_bit": "energy",
                "ge_per_bit": "positive"},
    "add": {"pj_fixed": "energy", "pj_per_bit": "energy"},
    "compare": {"pj_per_bit": "energy"},
    "multiply": {"pj_per_bit2": "energy"},
    "register_update": {"pj_per_bit": "energy"},
    "lfsr_step": {"energy_pj": "energy"},
    "flipflop_clock": {"pj_per_cycle": "energy"},
    "clock_gate": {"disabled_pj_per_cycle": "energy", "enabled_pj_per_cycle": "energy"},
    "clock_tree": {"fraction": "energy", "fraction_high": "energy"},
    "gate_leakage": {"nw_per_ge": "energy", "nw_per_ge_high": "energy"},
    "nand2_area": {"um2": "positive"},
    "placement": {"utilisation": "fraction", "utilisation_low": "fraction"},
}
# components of older tables that are accepted and ignored: every memory of the RTL is
# host-writable (docs/rtl.md), so none is costed as a ROM any more
IGNORED_COMPONENTS = ("rom_read", "rom_area")
TEXT_FIELDS = ("source", "scaling")
META_FIELDS = {"name": str, "node_nm": (int, float), "vdd": (int, float)}
# optional [meta] keys: the CACTI cell flavour of the SRAM macros, and a factor on CACTI's SRAM
# energies (a calibration to silicon; the fit's entries carry their own)
SRAM_CELLS = ("itrs-lstp", "itrs-hp", "itrs-lop")
META_OPTIONAL = {"sram_cell": (str, "itrs-lstp"), "sram_energy_factor": ((int, float), 1.0),
                 "sram_leakage_factor": ((int, float), 1.0), "sram_area_factor": ((int, float), 1.0),
                 "description": (str, "")}


class TechError(ValueError):
    """A malformed technology table; the message names the file and the entry."""


@dataclass(frozen=True)
class Tech:
    name: str
    path: str
    node_nm: float
    vdd: float
    c: dict[str, dict[str, Any]]  # component -> fields
    sram_cell: str = "itrs-lstp"      # CACTI cell and peripheral flavour of the SRAM macros
    sram_energy_factor: float = 1.0   # x CACTI's SRAM energies (calibration; 1 = CACTI as is)
    sram_leakage_factor: float = 1.0  # x CACTI's SRAM leakage (calibration)
    sram_area_factor: float = 1.0     # x CACTI's SRAM area (calibration)
    sram_model: str = "auto"          # "cacti", "fit", or "auto" (CACTI if installed, else the fit)
    sram_bracket_factor: float = 1.0  # x every SRAM access energy (the estimate's ranges only)

    # ---- SRAM macros ---------------------------------------------------------------------------
    def _sram(self, comp: str, depth: int, width: int) -> float:
        p = self.c[comp]
        size = max(depth * width / 8.0, 1e-9)
        return p["energy_pj"] * (size / 1024.0) ** p["size_exp"] * (width / 32.0) ** p["word_exp"]

    def sram_read_pj(self, depth: int, width: int) -> float:
        return self._sram("sram_read", depth, width)

    def sram_write_pj(self, depth: int, width: int) -> float:
        return self._sram("sram_write", depth, width)

    def sram_area_um2(self, depth: int, width: int) -> float:
        p = self.c["sram_area"]
        return p["um2_per_bit"] * depth * width + p["um2_per_column"] * width

    # ---- small memories --------------------------------------------------------------------------
    def is_regfile(self, depth: int, width: int) -> bool:
        return depth * width <= self.c["regfile"]["max_bits"]

    # ---- arithmetic ------------------------------------------------------------------------------
    def add_pj(self, bits: int) -> float:
        p = self.c["add"]
        return p["pj_fixed"] + p["pj_per_bit"] * bits

    def compare_pj(self, bits: int) -> float:
        return self.c["compare"]["pj_per_bit"] * bits

    def multiply_pj(self, a_bits: int, b_bits: int) -> float:
        return self.c["multiply"]["pj_per_bit2"] * a_bits * b_bits

    def register_pj(self, bits: int) -> float:
        return self.c["register_update"]["pj_per_bit"] * bits

    @property
    def ge_um2(self) -> float:
        return self.c["nand2_area"]["um2"]

    @property
    def utilisation(self) -> float:
        return self.c["placement"]["utilisation"]

    def placed_um2(self, ge: float) -> float:
        """Placed area (µm²) of ``ge`` NAND2 equivalents of standard cells (logic, register
        files): cell area over the placement utilisation."""
        return ge * self.ge_um2 / self.utilisation

    def sources(self) -> dict[str, dict[str, str]]:
        return {k: {"source": v["source"], "scaling": v["scaling"]} for k, v in self.c.items()}


def _num_ok(kind: str, v: Any) -> str | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return "must be a number"
    if not math.isfinite(v):
        return "must be finite"
    if kind == "int" and (not isinstance(v, int) or v < 0):
        return "must be an integer >= 0"
    if kind == "energy" and v < 0:
        return f"negative energy/leakage {v}"
    if kind == "ge" and v < 0:
        return f"must be >= 0, got {v}"
    if kind == "positive" and v <= 0:
        return f"must be > 0, got {v}"
    if kind == "fraction" and not 0 < v <= 1:
        return f"must be in (0, 1], got {v}"
    return None


def validate(data: dict[str, Any], where: str) -> Tech:
    """Check a parsed table against ``SCHEMA``; ``where`` prefixes every error."""
    unknown_top = set(data) - {"meta", "components"}
    if unknown_top:
        raise TechError(f"{where}: unknown section [{sorted(unknown_top)[0]}] (expected [meta] and [components.*])")
    meta = data.get("meta")
    if not isinstance(meta, dict):
        raise TechError(f"{where}: missing [meta] section")
    for k, typ in META_FIELDS.items():
        if k not in meta:
            raise TechError(f"{where}: meta.{k}: missing")
        if isinstance(meta[k], bool) or not isinstance(meta[k], typ):
            raise TechError(f"{where}: meta.{k}: wrong type {type(meta[k]).__name__}")
    if meta["vdd"] <= 0 or meta["node_nm"] <= 0:
        raise TechError(f"{where}: meta.vdd and meta.node_nm must be > 0")
    for k in meta:
        if k not in META_FIELDS and k not in META_OPTIONAL:
            raise TechError(f"{where}: meta.{k}: unknown key (expected {', '.join([*META_FIELDS, *META_OPTIONAL])})")
    opt = {}
    for k, (typ, default) in META_OPTIONAL.items():
        v = meta.get(k, default)
        if isinstance(v, bool) or not isinstance(v, typ):
            raise TechError(f"{where}: meta.{k}: wrong type {type(v).__name__}")
        opt[k] = v
    if opt["sram_cell"] not in SRAM_CELLS:
        raise TechError(f"{where}: meta.sram_cell: '{opt['sram_cell']}' is not one of {', '.join(SRAM_CELLS)}")
    for k in ("sram_energy_factor", "sram_leakage_factor", "sram_area_factor"):
        if not (math.isfinite(opt[k]) and opt[k] > 0):
            raise TechError(f"{where}: meta.{k}: must be > 0")
    comps = data.get("components")
    if not isinstance(comps, dict):
        raise TechError(f"{where}: missing [components.*] tables")
    for name in comps:
        if name not in SCHEMA and name not in IGNORED_COMPONENTS:
            raise TechError(f"{where}: components.{name}: unknown component (known: {', '.join(SCHEMA)})")
    out: dict[str, dict[str, Any]] = {}
    for name, fields in SCHEMA.items():
        entry = comps.get(name)
        if entry is None:
            raise TechError(f"{where}: components.{name}: missing component")
        if not isinstance(entry, dict):
            raise TechError(f"{where}: components.{name}: must be a table")
        for f in entry:
            if f not in fields and f not in TEXT_FIELDS:
                raise TechError(f"{where}: components.{name}.{f}: unknown field (expected {', '.join([*fields, *TEXT_FIELDS])})")
        for f, kind in fields.items():
            if f not in entry:
                raise TechError(f"{where}: components.{name}.{f}: missing field")
            err = _num_ok(kind, entry[f])
            if err:
                raise TechError(f"{where}: components.{name}.{f}: {err}")
        for f in TEXT_FIELDS:
            if not isinstance(entry.get(f), str) or not entry[f].strip():
                raise TechError(f"{where}: components.{name}.{f}: missing (every entry needs a source and a scaling rule)")
        out[name] = dict(entry)
    return Tech(str(meta["name"]), where, float(meta["node_nm"]), float(meta["vdd"]), out,
                opt["sram_cell"], float(opt["sram_energy_factor"]), float(opt["sram_leakage_factor"]),
                float(opt["sram_area_factor"]))


# --tech NAME: the bundled tables by name (a file of the same name is given as ./NAME)
TECH_NAMES = {"default": "default_28nm_0v6.toml", "silicon_sram": "silicon_sram_28nm_0v6.toml",
              "calibrated": "calibrated_28nm_0v6.toml"}


def tech_path(path: str | Path | None) -> Path:
    """The table a ``--tech`` value names: a bundled table's name (``TECH_NAMES``), or a file."""
    if path is None:
        return DEFAULT_TECH
    if isinstance(path, str) and path in TECH_NAMES:
        return TECH_DIR / TECH_NAMES[path]
    return Path(path)


def load_tech(path: str | Path | None = None) -> Tech:
    """Load and validate a technology table (default: the bundled 28-nm / 0.6-V table; a name of
    ``TECH_NAMES`` selects a bundled one)."""
    p = tech_path(path)
    return validate(read_toml(p, "tech table", TechError), f"tech table '{p}'")
