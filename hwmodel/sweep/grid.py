"""Sweep grids: dotted config keys to lists of values, from TOML files or the presets' grids
(docs/sweep.md)."""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hwmodel.spec.config import flat_keys, read_toml


GRID_DIR = Path(__file__).resolve().parents[1] / "presets" / "grids"
MODES = ("product", "one-at-a-time")


class GridError(ValueError):
    """An invalid sweep grid; the message names the grid and the offending axis."""


@dataclass
class Grid:
    name: str
    axes: dict[str, list[Any]]
    epochs: int = 3
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2])
    base: str = "spoon"
    mode: str = "product"
    clamp_init: bool = True
    synth: bool = False       # cost every point from its synthesized RTL (logic area, leakage, clock)
    offchip: bool = False     # also train every point off chip: the accuracy of its inference-only chip
    tune: bool = False        # choose every chip's learning knobs that are not axes on validation (train --tune)

    def size(self) -> int:
        """How many points ``points`` gives (before duplicates are merged), without listing them."""
        if self.mode == "product":
            return math.prod(len(v) for v in self.axes.values())
        return sum(len(v) for v in self.axes.values())

    def points(self) -> list[dict[str, Any]]:
        """The declared overrides of every point, in a stable order."""
        keys = list(self.axes)
        if self.mode == "product":
            return [dict(zip(keys, vals)) for vals in itertools.product(*(self.axes[k] for k in keys))]
        return [{k: v} for k in keys for v in self.axes[k]]


def list_grids() -> list[str]:
    return sorted(p.stem for p in GRID_DIR.glob("*.toml"))


def _flatten(prefix: str, d: dict) -> dict[str, Any]:
    out = {}
    for k, v in d.items():
        key = f"{prefix}.{k}" if prefix else k
        if isinstance(v, dict):
            out.update(_flatten(key, v))
        else:
            out[key] = v
    return out


def grid_from_dict(d: dict, name: str) -> Grid:
    d = dict(d)
    known = {"axes", "epochs", "seeds", "base", "mode", "clamp_init", "description", "synth", "offchip", "tune"}
    for k in d:
        if k not in known:
            raise GridError(f"grid '{name}': unknown key '{k}' (known: {', '.join(sorted(known))})")
    if "axes" not in d or not isinstance(d["axes"], dict):
        raise GridError(f"grid '{name}': missing [axes] table")
    axes = _flatten("", d["axes"])
    if not axes:
        raise GridError(f"grid '{name}': [axes] is empty")
    keys = set(flat_keys())
    for k, vals in axes.items():
        if k in ("seed", "name"):
            raise GridError(f"grid '{name}': axis '{k}' is not allowed (use seeds = [...] / --seeds)")
        if k not in keys:
            raise GridError(f"grid '{name}': unknown field '{k}'")
        if not isinstance(vals, list):
            raise GridError(f"grid '{name}': axis '{k}' must be a list of values, got {vals!r}")
        if not vals:
            raise GridError(f"grid '{name}': axis '{k}' is empty")
        for v in vals:
            if isinstance(v, bool) or not isinstance(v, (int, str)):
                raise GridError(f"grid '{name}': axis '{k}': value {v!r} must be a string or an integer")
        if len(set(map(repr, vals))) != len(vals):
            raise GridError(f"grid '{name}': axis '{k}' lists a value twice")
    g = Grid(name=name, axes=axes)
    if "epochs" in d:
        g.epochs = d["epochs"]
    if "seeds" in d:
        g.seeds = d["seeds"]
    if "base" in d:
        g.base = d["base"]
    if "mode" in d:
        g.mode = d["mode"]
    if "clamp_init" in d:
        g.clamp_init = d["clamp_init"]
    for k in ("synth", "offchip", "tune"):
        if k in d:
            if not isinstance(d[k], bool):
                raise GridError(f"grid '{name}': {k} must be true or false, got {d[k]!r}")
            setattr(g, k, d[k])
    check_grid_scalars(g)
    return g


def check_grid_scalars(g: Grid) -> None:
    if isinstance(g.epochs, bool) or not isinstance(g.epochs, int) or g.epochs < 1:
        raise GridError(f"grid '{g.name}': epochs must be an integer >= 1, got {g.epochs!r}")
    if not isinstance(g.seeds, list) or not g.seeds:
        raise GridError(f"grid '{g.name}': seeds must be a non-empty list of integers")
    for s in g.seeds:
        if isinstance(s, bool) or not isinstance(s, int) or not 0 <= s < 2**32:
            raise GridError(f"grid '{g.name}': seed {s!r} must be an integer in 0..2^32-1")
    if len(set(g.seeds)) != len(g.seeds):
        raise GridError(f"grid '{g.name}': seeds list a seed twice")
    if not isinstance(g.base, str):
        raise GridError(f"grid '{g.name}': base must be a preset name or TOML path")
    if g.mode not in MODES:
        raise GridError(f"grid '{g.name}': mode {g.mode!r} must be one of {', '.join(MODES)}")
    if not isinstance(g.clamp_init, bool):
        raise GridError(f"grid '{g.name}': clamp_init must be true or false")


def load_grid(spec: str) -> Grid:
    """A grid preset name (``hwmodel/presets/grids``) or a TOML file path."""
    p = Path(spec)
    if not (spec.endswith(".toml") or "/" in spec):
        p = GRID_DIR / f"{spec}.toml"
        if not p.is_file():
            raise GridError(f"unknown grid '{spec}' (known: {', '.join(list_grids())}, or a .toml file)")
    data = read_toml(p, "grid file", GridError)
    return grid_from_dict(data, spec if p.parent == GRID_DIR else str(p))


def parse_seeds(text: str) -> list[int]:
    """``--seeds``, read as every command line reads it (``checks.parse_seed_list``)."""
    from hwmodel.util.checks import parse_seed_list
    try:
        return parse_seed_list(text)
    except ValueError as e:
        raise GridError(f"--seeds {e}") from None
