"""Parameter sweeps: ``python -m hwmodel.sweep bitwidths --grid quick``.

A grid maps dotted config keys to lists of values; every point (base config + overrides) is
trained on chip (integer DRTP) for every seed, and each finished run is written as one row of a
SQLite database, in its own transaction, by the parent process. Rerunning the same command skips
the rows already present, so an interrupted sweep resumes where it stopped. The float DRTP
reference of the base configuration is computed once per seed and stored in ``reference``.
See docs/sweep.md.

Errors in the input (grid, config, data) print one line ``error: ...`` on stderr and exit with
status 2 before any work starts.
"""
from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import os
import socket
import sqlite3
import sys
import time
import tomllib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from hwmodel.util import checks
from hwmodel.spec.config import Config, ConfigError, flat_keys, read_toml
from hwmodel.spec.layers import memories as memory_sizes  # every depth (spec §15)
from hwmodel.spec.precision import Precision, PrecisionError
from hwmodel.util.provenance import code_version

GRID_DIR = Path(__file__).parent / "presets" / "grids"
EXIT_INPUT = 2
EXIT_FAILED = 1
MODES = ("product", "one-at-a-time")
SCHEMA_VERSION = 6  # 2: energy and memory-area columns; 3: code_version columns; 4: validation accuracy;
# 5: cycles per sample (spec §16); 6: the estimator's whole-sample energies, latency, area, overheads,
# cost scope and off-chip accuracy (versions 2 to 5 are migrated)
APPLICATION_ID = 0x48574D53  # "HWMS" in the SQLite header: a sweep database
SQLITE_MAGIC = b"SQLite format 3\x00"


class GridError(ValueError):
    """An invalid sweep grid; the message names the grid and the offending axis."""


class StoreError(ValueError):
    """A results database this version cannot extend (or one in use by another sweep)."""


class SchedulerError(ValueError):
    """A Dask scheduler that cannot be reached."""


# ---- grids ----------------------------------------------------------------------------------
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
    known = {"axes", "epochs", "seeds", "base", "mode", "clamp_init", "description", "synth", "offchip"}
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
    for k in ("synth", "offchip"):
        if k in d:
            if not isinstance(d[k], bool):
                raise GridError(f"grid '{name}': {k} must be true or false, got {d[k]!r}")
            setattr(g, k, d[k])
    _check_grid_scalars(g)
    return g


def _check_grid_scalars(g: Grid) -> None:
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


# ---- points ---------------------------------------------------------------------------------
def flat_config(cfg: Config, stack: bool = False) -> dict[str, Any]:
    """Every field of ``cfg`` under its dotted key. One hidden layer: the original keys (``fc1.*``,
    ``fc2.*``, ``drtp.*``), unless ``stack``; other depths (or ``stack``): ``hidden.sizes``,
    ``hidden.N.FIELD`` (neurons excluded: the sizes hold them), ``output.FIELD``, ``drtp.rounding``."""
    if stack and cfg.depth == 1:
        d = cfg.to_dict()
        d.pop("fc1"), d.pop("fc2")
        d["drtp"] = dataclasses.asdict(cfg.drtp)
        d["hidden"] = [dataclasses.asdict(h) for h in cfg.hidden]
        d["output"] = dataclasses.asdict(cfg.output)
    else:
        d = cfg.to_dict()
    out = {"name": d.pop("name"), "seed": d.pop("seed")}
    if "hidden" in d or "output" in d:
        hidden = d.pop("hidden", [])
        out["hidden.sizes"] = ",".join(str(h["neurons"]) for h in hidden)
        for n, h in enumerate(hidden):
            for k, v in h.items():
                if k != "neurons":
                    out[f"hidden.{n}.{k}"] = v
    for sec, vals in d.items():
        for k, v in vals.items():
            out[f"{sec}.{k}"] = v
    return out


def canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def base_id(base: Config) -> str:
    """Identity of a base config: its name and a hash of its TOML (with seed 0)."""
    toml = base.replace(seed=0).to_toml()
    return f"{base.name}-{hashlib.sha1(toml.encode()).hexdigest()[:10]}"


def _int_or_str(v: Any) -> Any:
    if isinstance(v, str) and v.strip().lstrip("-").isdigit():
        return int(v)
    return v


def point_config(base: Config, declared: dict[str, Any], clamp_init: bool) -> Config:
    """Base + declared overrides; with ``clamp_init`` an init bound that the point does not set
    and that exceeds its (narrower) weight range is clamped to the largest weight."""
    # the depth first: hidden.sizes makes the layers that hidden.N.FIELD keys then set
    over = {k: _int_or_str(v) for k, v in sorted(declared.items(), key=lambda kv: kv[0] != "hidden.sizes")}
    if "hidden.sizes" in over:
        over["hidden.sizes"] = str(declared["hidden.sizes"])  # "128" stays a size list, not an int
        # a layer the point does not have: its hidden.N.FIELD values do not apply (a product of
        # depths and per-layer knobs; the points that become equal are run once)
        depth = len([v for v in over["hidden.sizes"].split(",") if v.strip()])
        for k in list(over):
            parts = k.split(".")
            if len(parts) == 3 and parts[0] == "hidden" and parts[1].isdigit() and int(parts[1]) >= depth:
                del over[k]
        if depth == 0 and base.depth > 0:
            # the output layer then reads 0/1 spikes instead of activations up to YMAX = 2^(YB-1)-1:
            # its sigmoid and learning-rate shifts drop by YB - 1 (as the linear read-out baseline
            # of train starts its search), unless the point sets them
            drop = base.hidden[-1].yb - 1
            for f in ("sig_shift", "lr_shift"):
                if f"output.{f}" not in over:
                    over[f"output.{f}"] = max(0, getattr(base.output, f) - drop)
    if clamp_init:
        for layer in ("fc1", "fc2"):
            wkey, bkey = f"{layer}.weight", f"{layer}.init_bound"
            if wkey in over and bkey not in over:
                try:
                    wmax = Precision.parse(str(over[wkey])).max
                except PrecisionError:
                    continue  # the Config build reports it
                cur = getattr(getattr(base, layer), "init_bound")
                if cur > wmax:
                    over[bkey] = max(wmax, 0)
    return base.replace(**over)


_MISSING = object()


def overrides_of(base: Config, cfg: Config, stack: bool = False) -> dict[str, Any]:
    """The canonical overrides of a point: every field that differs from the base (seed and
    name excluded), in the one-hidden-layer keys when both have one hidden layer and not
    ``stack`` (a grid with layer-stack axes), else in the layer-stack keys."""
    if base.depth == 1 and cfg.depth == 1 and not stack:
        b, c = flat_config(base), flat_config(cfg)
        return {k: c[k] for k in c if k not in ("seed", "name") and c[k] != b[k]}
    b, c = flat_config(base, stack=True), flat_config(cfg, stack=True)
    last = base.depth - 1  # hidden.sizes gives a new layer the fields of the base's last hidden layer

    def base_value(k: str) -> Any:
        if k in b or not k.startswith("hidden.") or last < 0:
            return b.get(k, _MISSING)
        _, _, f = k.split(".", 2)
        return b.get(f"hidden.{last}.{f}", _MISSING)
    return {k: c[k] for k in c if k not in ("seed", "name") and c[k] != base_value(k)}


def memory_bits(cfg: Config) -> tuple[int, int]:
    """(weight bits of every FC layer, all memory bits)."""
    m = memory_sizes(cfg)
    wbits = sum(m[f"fc{k}_w"]["bits"] for k in range(1, cfg.depth + 2))
    return wbits, sum(v["bits"] for v in m.values())


@dataclass
class Plan:
    grid: Grid
    base: Config
    base_id: str
    epochs: int
    seeds: list[int]
    data: dict[str, Any]
    data_key: str
    points: list[tuple[str, dict[str, Any], Config]]  # (point_key, overrides, config seed 0)

    def tasks(self) -> list[dict[str, Any]]:
        return [{"kind": "point", "base": self.base_id, "point_key": key, "overrides": over,
                 "config_toml": cfg.replace(seed=s).to_toml(), "seed": s, "epochs": self.epochs,
                 "data": self.data, "data_key": self.data_key, "synth": self.grid.synth,
                 "offchip": self.grid.offchip}
                for key, over, cfg in self.points for s in self.seeds]

    def reference_task(self, seed: int | None = None) -> dict[str, Any]:
        """The float DRTP reference of the base config (and its integer base) for ``seed``."""
        s = self.seeds[0] if seed is None else seed
        return {"kind": "reference", "base": self.base_id, "point_key": "{}", "overrides": {},
                "config_toml": self.base.replace(seed=s).to_toml(), "seed": s, "epochs": self.epochs,
                "data": self.data, "data_key": self.data_key}


def data_spec(folder: str | None, n_train: int | None, n_test: int | None, split_seed: int,
              events: str = "image", window_us: int | None = None, max_events: int | None = None,
              val_size: int | None = None) -> dict[str, Any]:
    """The samples of a sweep, as the plain-dict form of ``hwmodel.train.runs.DataSpec`` (the
    validation size resolved when the training set size is known)."""
    from hwmodel.train.runs import STREAM_SOURCES, DataSpec
    folder = str(Path(folder).resolve()) if folder else None
    if folder is None and events not in STREAM_SOURCES:
        n_train = 4000 if n_train is None else n_train
        n_test = 1000 if n_test is None else n_test
    ds = DataSpec(events, folder, n_train, n_test, split_seed, window_us, max_events, val_size)
    return dataclasses.asdict(dataclasses.replace(ds, val_size=ds.resolved_val()))


def data_key(spec: dict[str, Any]) -> str:
    from hwmodel.train.runs import DataSpec
    return DataSpec(**spec).key()


def check_data(spec: dict[str, Any], cfg: Config | None = None) -> None:
    """Everything about the data that can be checked once in the parent, before any work: the
    options, the folder, its files (IDX files are read and checked; N-MNIST and .aer folders are
    listed, .aer headers read), the sample counts against what the data has, and the sensor
    size against the base config. A broken --data folder is one error, not one per run."""
    from hwmodel.data.mnist import DataError, embedded_path, list_aer_folder, load_idx_folder
    from hwmodel.train.runs import DataSpec, check_sensor, check_spec, check_val_needed, check_val_size
    ds = DataSpec(**spec)
    check_spec(ds)
    why = "the float reference's gains and the report's recommendations are chosen"
    check_val_needed(ds.resolved_val(), why)
    if not ds.folder:
        embedded_path()
        return
    if ds.events == "nmnist":
        from hwmodel.data.mnist import _stratified_take
        from hwmodel.data.eventio import list_nmnist_folder
        for split, n, opt in (("Train", ds.n_train, "--n-train"), ("Test", ds.n_test, "--n-test")):
            try:
                items = list_nmnist_folder(ds.folder, split)
            except FileNotFoundError as e:
                raise DataError(str(e)) from None
            _stratified_take(items, n, 0, f"{opt} {n}: N-MNIST folder '{Path(ds.folder) / split}'")
        if cfg is not None and (cfg.input.width, cfg.input.channels) != (34, 2):
            raise ConfigError(f"config '{cfg.name}' has a {cfg.input.width}x{cfg.input.height}x"
                              f"{cfg.input.channels} input; N-MNIST needs 34x34x2 (use --config nmnist)")
    elif ds.events == "aer":
        from hwmodel.data.mnist import _stratified_take
        listed = list_aer_folder(ds.folder)
        for split, n, opt in (("Train", ds.n_train, "--n-train"), ("Test", ds.n_test, "--n-test")):
            _stratified_take(listed[split], n, 0, f"{opt} {n}: .aer folder '{Path(ds.folder) / split}'")
        if cfg is not None:
            check_sensor(cfg, *listed["sensor"], "the .aer files are from a sensor of")
    else:
        split = load_idx_folder(ds.folder, ds.n_train, ds.n_test)
        val = ds.resolved_val(len(split.y_train))
        check_val_needed(val, why)
        check_val_size(val, len(split.y_train))
        if cfg is not None and cfg.input.width != split.x_train.shape[2]:
            raise ConfigError(f"config '{cfg.name}' has a {cfg.input.width}-wide input; the images are "
                              f"{split.x_train.shape[2]} wide")


def make_plan(grid: Grid, base: Config, epochs: int, seeds: list[int], data: dict[str, Any]) -> Plan:
    """Validate the whole grid: every point with every seed must be a legal Config."""
    base = base.replace(seed=0)
    points, seen = [], {}
    stack = any(k.split(".")[0] in ("hidden", "output") for k in grid.axes)
    for declared in grid.points():
        try:
            cfg = point_config(base, declared, grid.clamp_init)
            for s in seeds:
                cfg.replace(seed=s)
        except ConfigError as e:
            desc = ", ".join(f"{k}={v}" for k, v in declared.items())
            raise GridError(f"grid '{grid.name}': point {{{desc}}}: {e}") from None
        over = overrides_of(base, cfg, stack)
        key = canonical(over)
        if key in seen:  # e.g. one-at-a-time grids meet at the base point
            continue
        seen[key] = True
        points.append((key, over, cfg))
    return Plan(grid, base, base_id(base), epochs, seeds, data, data_key(data), points)


# ---- the worker -------------------------------------------------------------------------------
_PREPS: dict[str, Any] = {}


def _prepared(cfg: Config, spec: dict[str, Any]):
    """Event batches, cached per process: they depend only on the data and on the input and
    encoding sections of the config."""
    from hwmodel.train.runs import DataSpec, load_data
    d = cfg.to_dict()
    key = data_key(spec) + canonical([d["input"], d["encoding"]])
    if key not in _PREPS:
        if len(_PREPS) >= 8:
            _PREPS.clear()
        _PREPS[key] = load_data(cfg, DataSpec(**spec))[0]
    return _PREPS[key]


COST_LEARN_SAMPLES = 200
COST_SCOPES = {
    "dynamic": "rows of schema 5 and before: dynamic energy of the datapath and memories only, "
               "no leakage, no clock",
    "memories": "the estimator without synthesis: dynamic energy of the datapath and memories and the "
                "memories' leakage over each sample's cycles; no logic area, logic leakage or clock",
    "synthesized": "the estimator with both chips synthesized (Yosys): logic area and leakage, the "
                   "flip-flops' clock energy, the memories (python -m hwmodel.estimate)",
}


def cost_columns(cfg: Config, rep, prep, synth: bool = False) -> dict[str, Any]:
    """The estimator's figures (docs/estimate.md) for the trained chip, from its own counters: the
    test set's inference counters and the learning counters of the first ``COST_LEARN_SAMPLES``
    training digits on a copy of the trained chip. Default technology table, clock and clock
    gating; the sample rate is the estimator's default (one classification per SPOON latency) or
    the chip's own throughput if that is lower. ``synth``: synthesize the learning and the
    inference-only RTL (cached by their parameters) for logic area, logic leakage and clock
    energy; without it, memories and datapath actions only (``cost_scope``)."""
    import numpy as np

    from hwmodel.spec.counters import counter_names
    from .estimate.core import DEFAULT_CLOCK_MHZ, DEFAULT_RATE_HZ, estimate
    n_te = len(prep.y_test)
    inf = rep.test_counters / n_te
    k = min(COST_LEARN_SAMPLES, len(prep.y_train))
    lrn = rep.processor.copy().run(prep.train.subset(np.arange(k)), prep.y_train[:k], learn=True).counters / k
    cyc = float(inf[0][counter_names(cfg).index("cycles")])
    rate = min(DEFAULT_RATE_HZ, DEFAULT_CLOCK_MHZ * 1e6 / cyc * (1 - 1e-9)) if cyc > 0 else DEFAULT_RATE_HZ
    r = estimate(cfg, counters=(inf, lrn, {"samples": n_te, "learning_samples": k}), synth=synth, rate=rate)
    mem = sum(m["area_um2"] for m in r["designs"]["learning"]["memories"].values()) * 1e-6
    return {"energy_per_classification_nj": float(r["energy_per_classification_nj"]),
            "energy_per_learning_sample_nj": float(r["energy_per_learning_sample_nj"]),
            "learning_extra_energy_nj": float(r["learning_extra_energy_nj"]),
            "energy_per_classification_inference_only_nj":
                float(r["energy_per_classification_inference_only_chip_nj"]),
            "latency_per_classification_us": float(r["latency_per_classification_us"]),
            "latency_per_learning_sample_us": float(r["latency_per_learning_sample_us"]),
            "clock_mhz": float(r["clock_mhz"]), "rate_hz": float(rate), "power_mw": float(r["power_mw"]),
            "memory_area_mm2": float(mem),
            "area_mm2": float(r["area_mm2"]) if synth else None,
            "area_mm2_inference_only": float(r["area_mm2_inference_only"]) if synth else None,
            "learning_overhead_power_pct": r["learning_overhead_power_pct"],
            "learning_overhead_area_pct": r["learning_overhead_area_pct"],
            "cost_scope": "synthesized" if synth else "memories"}


def run_task(task: dict[str, Any]) -> dict[str, Any]:
    """Train one (point, seed) and return its result row (a plain dict). Runs in a worker: the
    local process pool and Dask both call this function."""
    from hwmodel.train.runs import run_training
    t0 = time.perf_counter()
    cfg = Config.from_dict(tomllib.loads(task["config_toml"]))
    prep = _prepared(cfg, task["data"])
    ref = task["kind"] == "reference"
    offchip = bool(task.get("offchip")) and not ref
    rep = run_training(cfg, prep, epochs=task["epochs"], mode="both" if offchip else "on-chip",
                       float_reference=ref, saturation=False, baselines=False)
    r = rep.results
    wbits, mbits = memory_bits(cfg)
    row = {
        "code_version": code_version(),
        "base": task["base"], "point_key": task["point_key"], "seed": task["seed"],
        "epochs": task["epochs"], "data": task["data_key"],
        "overrides": canonical(task["overrides"]), "config_toml": task["config_toml"],
        "config_json": canonical(flat_config(cfg)),
        "test_accuracy": float(r["test_accuracy"]), "train_accuracy": float(r["train_accuracy"]),
        "test_accuracy_per_epoch": canonical([float(a) for a in r["test_accuracy_per_epoch"]]),
        "val_accuracy": None if r.get("val_accuracy") is None else float(r["val_accuracy"]),
        "val_accuracy_per_epoch": canonical([float(a) for a in r["learning_curves"].get("integer_val_accuracy", [])]),
        "weight_bits": int(wbits), "memory_bits": int(mbits),
        "memories": canonical(memory_sizes(cfg)),
        **cost_columns(cfg, rep, prep, synth=bool(task.get("synth"))),
        # the inference-only chip trained off chip (float BP, quantized): --offchip
        "offchip_test_accuracy": float(r["offchip_test_accuracy"]) if offchip else None,
        "offchip_val_accuracy": (None if not offchip or r.get("offchip_val_accuracy") is None
                                 else float(r["offchip_val_accuracy"])),
        # the processor's cycles (spec §16): latency without running the RTL
        "cycles_per_inference_sample": r.get("cycles_per_inference_sample"),
        "cycles_per_learning_sample": r.get("cycles_per_learning_sample"),
        "n_train": int(r["n_train"]), "n_test": int(r["n_test"]),
        "wall_time": time.perf_counter() - t0,
        "worker": f"{socket.gethostname()}:{os.getpid()}",
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    if ref:
        row.update(float_test_accuracy=float(r["float_test_accuracy"]),
                   float_train_accuracy=float(r["float_train_accuracy"]),
                   float_val_accuracy=float(r["float_val_accuracy"]),
                   float_gains=canonical([float(g) for g in r.get("float_gains", [])]))
    return row


# ---- the database -------------------------------------------------------------------------------
# schema 6: the estimator's figures (cost_columns) and the off-chip accuracy
ADDED_6 = [("results", c, "REAL") for c in (
    "learning_extra_energy_nj", "energy_per_classification_inference_only_nj", "latency_per_classification_us",
    "latency_per_learning_sample_us", "clock_mhz", "rate_hz", "power_mw", "area_mm2", "area_mm2_inference_only",
    "learning_overhead_power_pct", "learning_overhead_area_pct")] + [
    ("results", "cost_scope", "TEXT"),
    ("results", "offchip_test_accuracy", "REAL"), ("results", "offchip_val_accuracy", "REAL")]
# rows before schema 6 held the learning phases' dynamic energy under energy_per_learning_sample_nj:
# it becomes the learning extra, and the whole sample is the classification plus it
MIGRATE_6 = ("UPDATE results SET learning_extra_energy_nj = energy_per_learning_sample_nj, "
             "energy_per_learning_sample_nj = energy_per_classification_nj + energy_per_learning_sample_nj, "
             "cost_scope = 'dynamic' WHERE cost_scope IS NULL")

RESULT_COLUMNS = ("code_version", "base", "point_key", "seed", "epochs", "data", "overrides", "config_toml",
                  "config_json", "test_accuracy", "train_accuracy", "test_accuracy_per_epoch",
                  "weight_bits", "memory_bits", "memories", "energy_per_classification_nj",
                  "energy_per_learning_sample_nj", "memory_area_mm2", "n_train", "n_test", "wall_time",
                  "worker", "finished_at", "val_accuracy", "val_accuracy_per_epoch",
                  "cycles_per_inference_sample", "cycles_per_learning_sample", *(c for _, c, _ in ADDED_6))
REFERENCE_COLUMNS = ("code_version", "base", "seed", "epochs", "data", "config_toml", "config_json",
                     "float_test_accuracy", "float_train_accuracy", "float_gains", "test_accuracy",
                     "train_accuracy", "weight_bits", "memory_bits", "n_train", "n_test",
                     "wall_time", "worker", "finished_at", "float_val_accuracy", "val_accuracy")

SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    id INTEGER PRIMARY KEY,
    base TEXT NOT NULL,
    point_key TEXT NOT NULL,
    seed INTEGER NOT NULL,
    epochs INTEGER NOT NULL,
    data TEXT NOT NULL,
    overrides TEXT NOT NULL,
    config_toml TEXT NOT NULL,
    config_json TEXT NOT NULL,
    test_accuracy REAL NOT NULL,
    train_accuracy REAL NOT NULL,
    test_accuracy_per_epoch TEXT NOT NULL,
    weight_bits INTEGER NOT NULL,
    memory_bits INTEGER NOT NULL,
    memories TEXT NOT NULL,
    energy_per_classification_nj REAL NOT NULL,
    energy_per_learning_sample_nj REAL NOT NULL,
    memory_area_mm2 REAL NOT NULL,
    n_train INTEGER NOT NULL,
    n_test INTEGER NOT NULL,
    wall_time REAL NOT NULL,
    worker TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    code_version TEXT NOT NULL DEFAULT 'unknown',
    val_accuracy REAL,
    val_accuracy_per_epoch TEXT,
    cycles_per_inference_sample REAL,
    cycles_per_learning_sample REAL,
    learning_extra_energy_nj REAL,
    energy_per_classification_inference_only_nj REAL,
    latency_per_classification_us REAL,
    latency_per_learning_sample_us REAL,
    clock_mhz REAL,
    rate_hz REAL,
    power_mw REAL,
    area_mm2 REAL,
    area_mm2_inference_only REAL,
    learning_overhead_power_pct REAL,
    learning_overhead_area_pct REAL,
    cost_scope TEXT,
    offchip_test_accuracy REAL,
    offchip_val_accuracy REAL,
    UNIQUE (point_key, seed, epochs, data, base)
);
CREATE TABLE IF NOT EXISTS reference (
    id INTEGER PRIMARY KEY,
    base TEXT NOT NULL,
    seed INTEGER NOT NULL,
    epochs INTEGER NOT NULL,
    data TEXT NOT NULL,
    config_toml TEXT NOT NULL,
    config_json TEXT NOT NULL,
    float_test_accuracy REAL NOT NULL,
    float_train_accuracy REAL NOT NULL,
    float_gains TEXT NOT NULL,
    test_accuracy REAL NOT NULL,
    train_accuracy REAL NOT NULL,
    weight_bits INTEGER NOT NULL,
    memory_bits INTEGER NOT NULL,
    n_train INTEGER NOT NULL,
    n_test INTEGER NOT NULL,
    wall_time REAL NOT NULL,
    worker TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    code_version TEXT NOT NULL DEFAULT 'unknown',
    float_val_accuracy REAL,
    val_accuracy REAL,
    UNIQUE (base, seed, epochs, data)
);
CREATE TABLE IF NOT EXISTS sweeps (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    argv TEXT NOT NULL,
    grid TEXT NOT NULL,
    base TEXT NOT NULL,
    epochs INTEGER NOT NULL,
    seeds TEXT NOT NULL,
    data TEXT NOT NULL,
    executor TEXT NOT NULL,
    n_runs INTEGER NOT NULL,
    n_skipped INTEGER NOT NULL,
    n_done INTEGER,
    n_failed INTEGER,
    code_version TEXT NOT NULL DEFAULT 'unknown'
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


# columns each schema version added: (table, column, declaration); an older database gains the
# columns of every later version (rows made before: the default, or NULL)
ADDED_COLUMNS = {
    3: [("results", "code_version", "TEXT NOT NULL DEFAULT 'unknown'"),
        ("reference", "code_version", "TEXT NOT NULL DEFAULT 'unknown'"),
        ("sweeps", "code_version", "TEXT NOT NULL DEFAULT 'unknown'")],
    4: [("results", "val_accuracy", "REAL"), ("results", "val_accuracy_per_epoch", "TEXT"),
        ("reference", "float_val_accuracy", "REAL"), ("reference", "val_accuracy", "REAL")],
    5: [("results", "cycles_per_inference_sample", "REAL"), ("results", "cycles_per_learning_sample", "REAL")],
    6: ADDED_6,
}
MIGRATIONS = {v: [c for k in range(v + 1, SCHEMA_VERSION + 1) for c in ADDED_COLUMNS[k]]
              for v in range(2, SCHEMA_VERSION)}
SWEEP_TABLES = {"results", "reference", "sweeps", "meta"}


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def check_db(path: str | Path) -> bool:
    """Check ``--db`` without changing anything: a new file in a place that can be written, an
    empty file, or an SQLite sweep database (``StoreError`` otherwise: a folder, a file that is
    not SQLite, an SQLite database of something else, a place that cannot be written). Returns
    whether it already holds a sweep database."""
    p = Path(path)
    if p.is_dir():
        raise StoreError(f"--db '{p}' is a folder, not a database file")
    if not p.exists():
        try:
            checks.check_out_dir(p, (), what="--db")  # probes the nearest existing folder
        except checks.OutputError as e:
            raise StoreError(str(e)) from None
        return False
    try:
        with open(p, "rb") as f:
            head = f.read(100)
    except OSError as e:
        raise StoreError(f"--db '{p}': cannot read: {e.strerror}") from None
    if not head:
        return False  # an empty file: initialized as a new database
    if not head.startswith(SQLITE_MAGIC):
        raise StoreError(f"--db '{p}' is not an SQLite database (use a new file name; the sweep creates it)")
    app_id = int.from_bytes(head[68:72], "big") if len(head) >= 72 else 0
    if app_id not in (0, APPLICATION_ID):
        raise StoreError(f"--db '{p}' is an SQLite database of another application (id 0x{app_id:08x}), "
                         f"not a sweep database")
    try:
        conn = sqlite3.connect(f"file:{p.resolve()}?mode=ro", uri=True)
        try:
            tables = _tables(conn)
            if not tables:
                return False
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall()) if "meta" in tables else {}
        finally:
            conn.close()
    except sqlite3.Error as e:
        raise StoreError(f"--db '{p}': cannot read it as SQLite: {e}") from None
    if not {"results", "reference", "meta"} <= tables or "schema_version" not in meta:
        listed = ", ".join(sorted(tables)[:4]) + (", ..." if len(tables) > 4 else "")
        raise StoreError(f"--db '{p}' is an SQLite database but not a sweep database (tables: {listed}); "
                         f"use a new --db")
    v = meta["schema_version"]
    if not (v.isdigit() and (int(v) == SCHEMA_VERSION or int(v) in MIGRATIONS)):
        raise StoreError(f"database '{p}' has schema version {v}; this version writes "
                         f"{SCHEMA_VERSION}: use a new --db")
    return True


def migrate(conn: sqlite3.Connection, found: int) -> None:
    """Bring a database of schema ``found`` to ``SCHEMA_VERSION`` (in the caller's transaction):
    the columns of every later version, and schema 6's reading of the energy columns. The report
    runs it on an in-memory copy, so an old database reads as the sweep would migrate it."""
    for table, col, decl in MIGRATIONS.get(found, []):
        if col not in {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {col} {decl}")
    if found < 6:
        conn.execute(MIGRATE_6)
    conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))


def connect(path: str | Path) -> sqlite3.Connection:
    """Open (creating if needed) a sweep database for writing, after ``check_db``; an older
    database gains the columns of the later schema versions (``ADDED_COLUMNS``: code_version
    'unknown', validation accuracies NULL). Every SQLite problem is a one-line ``StoreError``."""
    p = Path(path)
    check_db(p)
    conn = None
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(p), timeout=60, isolation_level=None)  # explicit transactions
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("BEGIN IMMEDIATE")
        tables = _tables(conn)
        if "meta" in tables:
            found = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
            migrate(conn, int(found))
        for stmt in SCHEMA.split(";"):
            if stmt.strip():
                conn.execute(stmt)
        conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute("COMMIT")
    except (sqlite3.Error, OSError) as e:
        if conn is not None:
            conn.close()
        raise StoreError(f"database '{p}': cannot open for writing: {e}") from None
    return conn


class SweepLock:
    """One sweep per database at a time: an exclusive ``flock`` on ``DB.lock`` for the whole run
    (released by the kernel if the process dies, even by SIGKILL). A second sweep on the same
    database is refused with a one-line error naming the holder."""

    def __init__(self, db: str | Path):
        self.path = Path(str(db) + ".lock")
        self.fd = None

    def acquire(self) -> "SweepLock":
        import fcntl
        try:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            raise StoreError(f"database lock '{self.path}': cannot create: {e.strerror}") from None
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            try:
                holder = os.pread(self.fd, 200, 0).decode(errors="replace").strip() or "another process"
            except OSError:
                holder = "another process"
            os.close(self.fd)
            self.fd = None
            raise StoreError(f"database '{str(self.path)[:-5]}' is in use by another sweep ({holder}); "
                             f"wait for it to finish or use another --db") from None
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, f"pid {os.getpid()} on {socket.gethostname()} since "
                           f"{datetime.now(timezone.utc).isoformat(timespec='seconds')}".encode(), 0)
        return self

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing the descriptor releases the flock
            self.fd = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()


def _insert(conn: sqlite3.Connection, table: str, columns: Iterable[str], row: dict[str, Any]) -> bool:
    """One row in its own transaction. Ctrl-C / SIGTERM wait until it is committed (or rolled
    back), so a signal can never leave the transaction half done."""
    cols = tuple(columns)
    with checks.no_sigint():
        conn.execute("BEGIN IMMEDIATE")
        try:
            cur = conn.execute(f"INSERT OR IGNORE INTO {table} ({', '.join(cols)}) VALUES "
                               f"({', '.join('?' * len(cols))})", [row.get(c) for c in cols])
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    return cur.rowcount == 1


def insert_result(conn: sqlite3.Connection, row: dict[str, Any]) -> bool:
    """Insert one complete result row in its own transaction; False if it was already there."""
    return _insert(conn, "results", RESULT_COLUMNS, row)


def insert_reference(conn: sqlite3.Connection, row: dict[str, Any]) -> bool:
    return _insert(conn, "reference", REFERENCE_COLUMNS, row)


def done_keys(conn: sqlite3.Connection, plan: Plan) -> set[tuple[str, int]]:
    cur = conn.execute("SELECT point_key, seed FROM results WHERE base=? AND epochs=? AND data=?",
                       (plan.base_id, plan.epochs, plan.data_key))
    return {(k, s) for k, s in cur}


def foreign_versions(conn: sqlite3.Connection, plan: Plan, current: str) -> dict[str, int]:
    """{code_version: rows} of this sweep's rows (results and reference) made by other code."""
    out: dict[str, int] = {}
    for table in ("results", "reference"):
        for v, n in conn.execute(f"SELECT code_version, COUNT(*) FROM {table} WHERE base=? AND epochs=? "
                                 f"AND data=? GROUP BY code_version", (plan.base_id, plan.epochs, plan.data_key)):
            if v != current:
                out[v] = out.get(v, 0) + n
    return out


def foreign_options(conn: sqlite3.Connection, plan: Plan) -> dict[str, int]:
    """{description: rows} of this sweep's rows made with other cost options than the plan's
    (``cost_scope``, and whether the off-chip accuracy was measured)."""
    want = ("synthesized" if plan.grid.synth else "memories", plan.grid.offchip)
    out: dict[str, int] = {}
    for scope, off, n in conn.execute(
            "SELECT cost_scope, offchip_test_accuracy IS NOT NULL, COUNT(*) FROM results WHERE base=? AND epochs=? "
            "AND data=? GROUP BY 1, 2", (plan.base_id, plan.epochs, plan.data_key)):
        if (scope, bool(off)) != want:
            d = f"costs '{scope}'" + (", off-chip accuracy" if off else ", no off-chip accuracy")
            out[d] = out.get(d, 0) + n
    return out


def has_reference(conn: sqlite3.Connection, plan: Plan) -> bool:
    """Whether every seed of the plan has its float reference."""
    return set(plan.seeds) <= reference_seeds(conn, plan)


def reference_seeds(conn: sqlite3.Connection, plan: Plan) -> set[int]:
    cur = conn.execute("SELECT seed FROM reference WHERE base=? AND epochs=? AND data=?",
                       (plan.base_id, plan.epochs, plan.data_key))
    return {s for (s,) in cur}


# ---- executors ---------------------------------------------------------------------------------
def _worker_init(parent_pid: int | None = None) -> None:
    """Local workers ignore SIGINT: Ctrl-C reaches the parent, which lets the running tasks finish
    and stores them (see ``run_sweep``). They also exit as soon as the sweep's parent process is
    gone, even after a SIGKILL that gave it no chance to stop them (``watch_parent``)."""
    import signal
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if parent_pid is not None:
        watch_parent(parent_pid)


def watch_parent(pid: int, poll_s: float = 0.5) -> None:
    """A daemon thread that ends this process (``os._exit``) when process ``pid`` exits. Uses a
    pidfd (Linux >= 5.3; readable when the process ends), else polls. The Numba kernels release
    the GIL, so the thread runs during training too."""
    import select
    import threading

    def watch() -> None:
        try:
            fd = os.pidfd_open(pid)
        except ProcessLookupError:
            os._exit(1)
        except (AttributeError, OSError):
            fd = None
        if fd is not None:
            select.select([fd], [], [])
            os._exit(1)
        while True:
            time.sleep(poll_s)
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:
                pass

    threading.Thread(target=watch, name="hwmodel-watch-parent", daemon=True).start()


def _warm_task() -> int:
    """A one-sample training of the tiny chip with both float references: every Numba kernel a
    task runs is loaded from the cache (or compiled) in this worker."""
    from hwmodel.data.mnist import embedded_split
    from hwmodel.train.runs import carve_validation, prepare, run_training
    cfg = Config.load("tiny")
    prep = carve_validation(prepare(cfg, embedded_split(40, 10)), 10)
    run_training(cfg, prep, epochs=1, mode="both", float_reference=True, saturation=False, baselines=False)
    return os.getpid()


class LocalExecutor:
    """A ``concurrent.futures.ProcessPoolExecutor`` (forkserver on Linux: workers never inherit
    the parent's threads or locks)."""

    def __init__(self, jobs: int):
        import concurrent.futures as cf
        import multiprocessing as mp
        self._cf = cf
        ctx = mp.get_context("forkserver") if sys.platform.startswith("linux") else None
        self.ex = cf.ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_worker_init,
                                         initargs=(os.getpid(),))
        self.futs: dict[Any, dict] = {}
        self.seen: set = set()

    def submit(self, tasks: list[dict]) -> None:
        for t in tasks:
            self.futs[self.ex.submit(run_task, t)] = t

    def warm_up(self, jobs: int) -> None:
        """Start the workers and load (or compile) their kernels before the first task, so that
        every task's time is its own and the progress bar's first ETA is not a start-up's."""
        for f in [self.ex.submit(_warm_task) for _ in range(jobs)]:
            f.result()

    def completed(self):
        """(task, row, exception) for every not yet reported, not cancelled task, as it finishes."""
        pending = [f for f in self.futs if f not in self.seen and not f.cancelled()]
        for f in self._cf.as_completed(pending):
            self.seen.add(f)
            if f.cancelled():
                continue
            exc = f.exception()
            yield self.futs[f], (None if exc else f.result()), exc

    def cancel_pending(self) -> int:
        """Cancel the tasks not started; return how many are still running."""
        for f in self.futs:
            if f not in self.seen:
                f.cancel()
        return sum(1 for f in self.futs if f not in self.seen and not f.cancelled())

    def close(self, abort: bool = False) -> None:
        if abort:
            for proc in list(getattr(self.ex, "_processes", {}).values()):
                proc.terminate()
        self.ex.shutdown(wait=True, cancel_futures=True)


class DaskExecutor:
    """``distributed.Client(ADDRESS)``, or a LocalCluster of ``jobs`` one-thread processes."""

    def __init__(self, scheduler: str | None, jobs: int, timeout: float = 10.0):
        import logging
        try:
            from distributed import Client, LocalCluster
        except ImportError as e:
            raise SchedulerError(f"--executor dask needs the 'distributed' package: {e}") from None
        self.cluster = None
        log = logging.getLogger("distributed")
        level = log.level
        log.setLevel(logging.CRITICAL)  # the failure is reported as one line, below
        try:
            if scheduler:
                self.client = Client(scheduler, timeout=timeout)
            else:
                self.cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                                            host="127.0.0.1", dashboard_address=None)
                self.client = Client(self.cluster)
        except Exception as e:  # noqa: BLE001 - OSError, TimeoutError, ValueError (bad address), ...
            msg = str(e).splitlines()[0] if str(e) else type(e).__name__
            if self.cluster is not None:
                self.cluster.close()
            if scheduler:
                raise SchedulerError(f"cannot reach the Dask scheduler '{scheduler}' within {timeout:g} s: "
                                     f"{msg}") from None
            raise SchedulerError(f"cannot start a local Dask cluster: {msg}") from None
        finally:
            log.setLevel(level)
        self.futs: dict[str, tuple[Any, dict]] = {}
        self.seen: set[str] = set()

    def submit(self, tasks: list[dict]) -> None:
        for t in tasks:
            f = self.client.submit(run_task, t, pure=False)
            self.futs[f.key] = (f, t)

    def completed(self):
        from distributed import as_completed
        pending = [f for k, (f, _) in self.futs.items() if k not in self.seen and not f.cancelled()]
        if not pending:
            return
        for f in as_completed(pending):
            self.seen.add(f.key)
            t = self.futs[f.key][1]
            if f.cancelled():
                continue
            if f.status == "error":
                yield t, None, f.exception()
            else:
                yield t, f.result(), None

    def cancel_pending(self) -> int:
        for k, (f, _) in self.futs.items():
            if k not in self.seen:
                f.cancel()
        return 0

    def close(self, abort: bool = False) -> None:
        for k, (f, _) in self.futs.items():
            if k not in self.seen:
                f.cancel()
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def _describe(task: dict, width: int = 0) -> str:
    if task["kind"] == "reference":
        return f"float reference (seed {task['seed']})"
    over = ", ".join(f"{k}={v}" for k, v in task["overrides"].items() if not k.endswith(".init_bound"))
    text = f"{{{over or 'base'}}} seed {task['seed']}"
    return text if not width or len(text) <= width else text[:width - 1] + "…"


def run_sweep(plan: Plan, db: str | Path, *, executor: str = "local", jobs: int | None = None,
              scheduler: str | None = None, progress: bool = True, argv: list[str] | None = None,
              log=None, allow_mixed: bool = False, connect_timeout: float = 10.0) -> dict[str, Any]:
    """Run every missing (point, seed) of ``plan`` and the reference; write rows as they finish.

    One sweep per database at a time (``SweepLock``). Rows of this sweep made by another code
    version refuse the resume (``StoreError``) unless ``allow_mixed``. Ctrl-C (or SIGTERM via
    ``main``) cancels the tasks not started, waits for the running ones and stores them too (a
    second Ctrl-C aborts them); the summary then says ``interrupted``."""
    conn = connect(db)
    lock = SweepLock(db)
    try:
        lock.acquire()
        return _run_locked(plan, db, conn, executor=executor, jobs=jobs, scheduler=scheduler,
                           progress=progress, argv=argv, log=log, allow_mixed=allow_mixed,
                           connect_timeout=connect_timeout)
    finally:
        conn.close()
        lock.release()


# What a task costs before one of its kind has finished, relative to an integer point run
# (measured on spoon's quick grid, one worker of this 2-core machine: the float DRTP reference
# 2.5 s against a point's 0.85 s; an --offchip point also trains the BP gain grid, about 30x).
TASK_WEIGHT = {"reference": 3.0, "point": 1.0, "offchip": 30.0}


def task_kind(task: dict[str, Any]) -> str:
    return "reference" if task["kind"] == "reference" else ("offchip" if task.get("offchip") else "point")


class WorkEstimate:
    """The sweep's progress in task-seconds, so that its ETA weighs each remaining run by what its
    kind costs: done = the measured wall times of the finished runs; left = per remaining run the
    mean time of its kind so far, or, before one of its kind has finished, its ``TASK_WEIGHT`` x
    the mean time per weight unit of the finished runs (x 1 s before any run finished). With the
    bar's rate = done / elapsed (the workers in parallel included), ETA = left / rate."""

    def __init__(self, tasks: list[dict[str, Any]]):
        self.left = {k: 0 for k in TASK_WEIGHT}
        for t in tasks:
            self.left[task_kind(t)] += 1
        self.runs, self.finished_runs = len(tasks), 0
        self.sum = {k: 0.0 for k in TASK_WEIGHT}
        self.cnt = {k: 0 for k in TASK_WEIGHT}

    def estimate(self, kind: str) -> float:
        if self.cnt[kind]:
            return self.sum[kind] / self.cnt[kind]
        units = sum(self.cnt[k] * TASK_WEIGHT[k] for k in TASK_WEIGHT)
        per_unit = sum(self.sum.values()) / units if units else 1.0
        return TASK_WEIGHT[kind] * per_unit

    def finish(self, task: dict[str, Any], seconds: float | None) -> float:
        """Record a finished run (``seconds`` None: failed, counted at its estimate); returns the
        task-seconds it adds to ``done``."""
        k = task_kind(task)
        sec = self.estimate(k) if seconds is None else float(seconds)
        self.left[k] -= 1
        self.sum[k] += sec
        self.cnt[k] += 1
        self.finished_runs += 1
        return sec

    @property
    def done(self) -> float:
        return sum(self.sum.values())

    @property
    def total(self) -> float:
        return self.done + sum(n * self.estimate(k) for k, n in self.left.items())


def _run_locked(plan: Plan, db, conn, *, executor, jobs, scheduler, progress, argv, log, allow_mixed,
                connect_timeout) -> dict[str, Any]:
    log = log or (lambda msg: print(msg, file=sys.stderr))
    jobs = jobs or os.cpu_count() or 1
    current = code_version()
    done = done_keys(conn, plan)
    tasks = [t for t in plan.tasks() if (t["point_key"], t["seed"]) not in done]
    have_ref = reference_seeds(conn, plan)
    tasks[:0] = [plan.reference_task(s) for s in plan.seeds if s not in have_ref]  # the longest tasks first
    if tasks and not allow_mixed:
        other = foreign_versions(conn, plan, current)
        if other:
            desc = ", ".join(f"{n} by {v}" for v, n in sorted(other.items()))
            raise StoreError(f"database '{db}' holds rows of this sweep made by other code ({desc}; this is "
                             f"{current}): resuming would mix versions; use a new --db, or --allow-mixed")
    if not allow_mixed:  # also with nothing left to run: a finished sweep made with other options
        other = foreign_options(conn, plan)
        if other:
            desc = "; ".join(f"{n} with {d}" for d, n in sorted(other.items()))
            asked = ("--synth" if plan.grid.synth else "no --synth") + (", --offchip" if plan.grid.offchip else "")
            raise StoreError(f"database '{db}' holds rows of this sweep made with other cost options ({desc}; "
                             f"this run: {asked}): use a new --db, the same options, or --allow-mixed")
    n_total = len(plan.points) * len(plan.seeds)
    n_skipped = n_total - sum(t["kind"] == "point" for t in tasks)
    ex = None
    if tasks:  # connect before anything is recorded: an unreachable scheduler is an input error
        ex = LocalExecutor(jobs) if executor == "local" else DaskExecutor(scheduler, jobs, connect_timeout)
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    try:
        conn.execute("BEGIN IMMEDIATE")
        cur = conn.execute(
            "INSERT INTO sweeps (started_at, argv, grid, base, epochs, seeds, data, executor, n_runs, n_skipped, "
            "code_version) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (now, canonical(argv or []), plan.grid.name, plan.base_id, plan.epochs, canonical(plan.seeds),
             plan.data_key, executor, n_total, n_skipped, current))
        conn.execute("COMMIT")
    except BaseException:
        if ex is not None:
            ex.close(abort=True)
        raise
    sweep_id = cur.lastrowid
    t0 = time.perf_counter()
    st = {"done": 0, "ref": False, "refs": 0}
    failures: list[str] = []
    interrupted = False
    bar = None

    def handle(task, row, exc):
        if exc is None and row.get("code_version") != current:
            exc = StoreError(f"worker {row.get('worker')} runs code version {row.get('code_version')}, "
                             f"this sweep {current}: row not stored (install the same hwmodel on every worker)")
            row = None
        if exc is not None:
            failures.append(f"{_describe(task)}: {type(exc).__name__}: {exc}")
            (bar.write if bar is not None else log)(f"failed: {failures[-1]}")
        elif task["kind"] == "reference":
            new = insert_reference(conn, row)
            st["ref"] = new or st["ref"]
            st["refs"] += bool(new)
        elif insert_result(conn, row):
            st["done"] += 1
        if bar is not None:
            add = work.finish(task, None if row is None else row.get("wall_time"))
            bar.total = work.total
            bar.set_description_str(f"sweep {work.finished_runs}/{work.runs} runs", refresh=False)
            bar.set_postfix_str(f"{_describe(task, 40)}: {100 * row['test_accuracy']:.1f} %" if row else "failed",
                                refresh=False)
            bar.update(add)

    work = None
    abort = False
    try:
        if ex is not None:
            try:
                if progress and hasattr(ex, "warm_up"):
                    log(f"starting {jobs} worker(s): loading the model's kernels")
                    ex.warm_up(min(jobs, len(tasks)))
                ex.submit(tasks)
                if progress:
                    from tqdm import tqdm
                    work = WorkEstimate(tasks)
                    # the bar counts task-seconds (WorkEstimate): its ETA weighs the slow references
                    bar = tqdm(total=work.total, desc=f"sweep 0/{work.runs} runs", file=sys.stderr,
                               dynamic_ncols=True, smoothing=0,
                               bar_format="{desc}: {percentage:3.0f}%|{bar}| [{elapsed}<{remaining}{postfix}]")
                for task, row, exc in ex.completed():
                    handle(task, row, exc)
            except KeyboardInterrupt:
                interrupted = True
                running = ex.cancel_pending()
                if running:
                    (bar.write if bar is not None else log)(
                        f"interrupted: storing the {running} running run(s) when they finish (Ctrl-C again to abort)")
                try:
                    for task, row, exc in ex.completed():
                        handle(task, row, exc)
                except KeyboardInterrupt:
                    abort = True
    finally:
        if bar is not None:
            bar.close()
        if ex is not None:
            ex.close(abort=abort)
    wall = time.perf_counter() - t0
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("UPDATE sweeps SET finished_at=?, n_done=?, n_failed=? WHERE id=?",
                 (datetime.now(timezone.utc).isoformat(timespec="seconds"), st["done"], len(failures), sweep_id))
    conn.execute("COMMIT")
    n_rows = conn.execute("SELECT COUNT(*) FROM results WHERE base=? AND epochs=? AND data=?",
                          (plan.base_id, plan.epochs, plan.data_key)).fetchone()[0]
    return {"code_version": current, "db": str(db), "grid": plan.grid.name, "base": plan.base_id,
            "epochs": plan.epochs, "seeds": plan.seeds, "data": plan.data_key, "executor": executor, "jobs": jobs,
            "points": len(plan.points), "runs": n_total, "skipped": n_skipped, "done": st["done"],
            "failed": len(failures), "failures": failures, "reference_computed": st["ref"],
            "references_computed": st["refs"],
            "interrupted": interrupted, "remaining": n_total - n_rows,
            "rows_in_db": n_rows, "wall_time": wall}


# ---- command line -----------------------------------------------------------------------------
def build_parser() -> checks.Parser:
    p = checks.Parser(prog="python -m hwmodel.sweep",
                      description="Sweeps of the configuration, with results in SQLite (docs/sweep.md).",
                      epilog="Exit status: 0 all runs done, 1 a run failed, 2 input error (nothing run), "
                             "130 interrupted (rerun to resume).")
    checks.add_version(p, "hwmodel.sweep")
    sub = p.add_subparsers(dest="cmd", required=True, metavar="{bitwidths}")
    b = sub.add_parser("bitwidths", help="train every point of a grid of config overrides on chip",
                       description="Train every point x seed of a grid on chip and store one row per run "
                                   "(docs/sweep.md).")
    b.add_argument("--grid", default="quick",
                   help=f"grid preset ({', '.join(list_grids()) or 'none'}) or TOML file (default: quick)")
    b.add_argument("--config", default=None, help="base preset or TOML file (default: the grid's base, else spoon)")
    b.add_argument("--db", default="runs/sweep.sqlite",
                   help="SQLite sweep database, created with its folder (default: runs/sweep.sqlite); one "
                        "sweep at a time per database")
    b.add_argument("--jobs", type=checks.count, default=None, metavar="N",
                   help="local worker processes, >= 1 (default: all cores)")
    b.add_argument("--epochs", type=checks.count, default=None, metavar="E",
                   help="epochs per run, >= 1 (default: the grid's)")
    b.add_argument("--seeds", default=None, metavar="LIST", help=checks.SEEDS_HELP + " (default: the grid's)")
    b.add_argument("--data", metavar="DIR",
                   help="MNIST IDX folder (default: embedded 5k digits), or the N-MNIST / .aer folder with "
                        "--events nmnist / aer; checked once before any work")
    b.add_argument("--events", choices=["image", "dvs", "nmnist", "aer"], default="image",
                   help="input: images through the config's encoder, DVS-emulated images, N-MNIST streams "
                        "or .aer files")
    b.add_argument("--window-us", type=checks.positive, default=None, metavar="T",
                   help="keep the events with t < t_first + T of each sample (T > 0)")
    b.add_argument("--max-events", type=checks.count, default=None, metavar="N",
                   help="keep at most the first N >= 1 events of each sample")
    b.add_argument("--n-train", type=checks.count, default=None, metavar="N",
                   help="training samples, >= 1 and at most what the data has (embedded default 4000)")
    b.add_argument("--n-test", type=checks.count, default=None, metavar="N",
                   help="test samples, >= 1 and at most what the data has (embedded default 1000)")
    b.add_argument("--split-seed", type=checks.nonneg, default=0, metavar="S",
                   help="seed >= 0 of the embedded stratified split (default 0)")
    b.add_argument("--val-size", type=checks.nonneg, default=None, metavar="N",
                   help="training samples set aside as the validation split on which the float reference's "
                        "gains and the report's recommendations are chosen, >= 1 (stratified, fixed seed; "
                        "default 1000, or a quarter of a smaller training set)")
    b.add_argument("--executor", choices=["local", "dask"], default="local",
                   help="local process pool (default) or Dask")
    b.add_argument("--scheduler", metavar="ADDRESS",
                   help="Dask scheduler address (tcp://host:port); without it --executor dask starts a LocalCluster")
    b.add_argument("--connect-timeout", type=checks.positive_float, default=10.0, metavar="S",
                   help="seconds to wait for the Dask scheduler before giving up (default 10)")
    b.add_argument("--synth", action="store_true",
                   help="cost every point from its synthesized RTL (Yosys; both chips, about a minute per new "
                        "design, cached): logic area and leakage, clock energy, area overhead. Without it the "
                        "costs are memories and datapath actions only (the grid key synth = true does the same)")
    b.add_argument("--offchip", action="store_true",
                   help="also train every point off chip (float BP, then quantized): the accuracy of the point's "
                        "inference-only chip, for the report's fair overhead comparison (grid key offchip = true)")
    b.add_argument("--allow-mixed", action="store_true",
                   help="resume even if the database holds rows of this sweep made by another code version or "
                        "with other cost options")
    b.add_argument("--dry-run", action="store_true", help="validate and list the work, run nothing")
    b.add_argument("--no-progress", action="store_true", help="no progress bar")
    b.add_argument("--json", action="store_true", help="print one JSON summary on stdout")
    return p


def plan_from_args(args) -> Plan:
    grid = load_grid(args.grid)
    base = Config.load(args.config or grid.base)
    epochs = args.epochs if args.epochs is not None else grid.epochs
    if epochs < 1:
        raise GridError("--epochs must be >= 1")
    seeds = parse_seeds(args.seeds) if args.seeds is not None else grid.seeds
    g = Grid(grid.name, grid.axes, epochs, seeds, grid.base, grid.mode, grid.clamp_init,
             synth=grid.synth or args.synth, offchip=grid.offchip or args.offchip)
    _check_grid_scalars(g)
    if g.synth:  # before any work: a sweep that cannot synthesize fails once, not once per run
        from .estimate.area import AreaError, find_yosys
        from .estimate.core import rtl_files
        if find_yosys() is None:
            raise GridError("--synth needs yosys on PATH (or YOSYS=...); scripts/install-sysdeps.sh installs it")
        try:
            rtl_files(None)
        except AreaError as e:
            raise GridError(f"--synth: {e}") from None
    data = data_spec(args.data, args.n_train, args.n_test, args.split_seed, args.events,
                     args.window_us, args.max_events, args.val_size)
    check_data(data, base)
    return make_plan(g, base, epochs, seeds, data)


def main(argv=None) -> int:
    from hwmodel.util.checks import ctrl_c_raises
    ctrl_c_raises()
    from hwmodel.data.mnist import DataError
    from hwmodel.data.eventio import EventFormatError
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as e:  # --help, --version, or a one-line argument error (exit 2)
        return int(e.code or 0)
    if args.scheduler and args.executor != "dask":
        print("error: --scheduler needs --executor dask", file=sys.stderr)
        return EXIT_INPUT
    import signal

    def on_term(signum, frame):
        raise KeyboardInterrupt

    try:
        old_term = signal.signal(signal.SIGTERM, on_term)
    except ValueError:  # not the main thread
        old_term = None
    try:
        try:
            plan = plan_from_args(args)
            had_db = check_db(args.db)
        except (GridError, ConfigError, DataError, EventFormatError, StoreError) as e:
            print(f"error: {e}", file=sys.stderr)
            return EXIT_INPUT
        if args.dry_run:
            info = {"grid": plan.grid.name, "base": plan.base_id, "points": len(plan.points),
                    "seeds": plan.seeds, "epochs": plan.epochs, "runs": len(plan.points) * len(plan.seeds),
                    "data": plan.data_key, "overrides": [o for _, o, _ in plan.points],
                    "db_exists": had_db, "code_version": code_version(),
                    "synth": plan.grid.synth, "offchip": plan.grid.offchip}
            print(json.dumps(info, sort_keys=True) if args.json else
                  f"grid {info['grid']}: {info['points']} points x {len(plan.seeds)} seeds = {info['runs']} runs, "
                  f"{plan.epochs} epochs, base {plan.base_id}, data {plan.data_key}"
                  + (", synthesized costs" if plan.grid.synth else "") + (", off-chip accuracy" if plan.grid.offchip else ""))
            return 0
        try:
            summary = run_sweep(plan, args.db, executor=args.executor, jobs=args.jobs,
                                scheduler=args.scheduler, progress=not args.no_progress and not args.json,
                                argv=argv, allow_mixed=args.allow_mixed, connect_timeout=args.connect_timeout)
        except (StoreError, SchedulerError) as e:
            print(f"error: {e}", file=sys.stderr)
            return EXIT_INPUT
    except KeyboardInterrupt:
        print("interrupted before any run started; rerun the same command to start", file=sys.stderr)
        return checks.EXIT_INTERRUPTED
    finally:
        if old_term is not None:
            signal.signal(signal.SIGTERM, old_term)
    by_error: dict[str, list[str]] = {}
    for f in summary["failures"]:  # "{run}: {Type}: {message}"; the same error once, with its count
        run, _, what = f.partition(": ")
        by_error.setdefault(what, []).append(run)
    for what, runs in by_error.items():
        print(f"error: {runs[0]}: {what}" if len(runs) == 1 else
              f"error: {len(runs)} runs failed with {what} (first: {runs[0]})", file=sys.stderr)
    if args.json:
        print(json.dumps(summary, sort_keys=True))
    else:
        print(f"sweep {summary['grid']} ({summary['base']}, {summary['epochs']} epochs, {summary['data']}): "
              f"{summary['points']} points x {len(summary['seeds'])} seed(s) = {summary['runs']} runs; "
              f"{summary['skipped']} already in {summary['db']}, {summary['done']} done, "
              f"{summary['failed']} failed in {summary['wall_time']:.1f} s"
              + (f"; float reference computed for {summary['references_computed']} seed(s)"
                 if summary["reference_computed"] else ""))
    if summary["interrupted"]:
        print(f"interrupted: {summary['remaining']} run(s) left; rerun the same command to resume",
              file=sys.stderr)
        return checks.EXIT_INTERRUPTED
    return EXIT_FAILED if summary["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
