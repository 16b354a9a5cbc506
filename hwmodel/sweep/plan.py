"""A sweep's plan: the points of a grid on a base configuration, their keys, the data and the
seeds (docs/sweep.md)."""
from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hwmodel.spec.config import Config, ConfigError
from hwmodel.spec.layers import memories as memory_sizes  # every depth (spec §15)
from hwmodel.spec.precision import Precision, PrecisionError
from hwmodel.sweep.grid import Grid, GridError


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
        b, c = _with_optional(flat_config(base), cfg), _with_optional(flat_config(cfg), cfg)
        return {k: c[k] for k in c if k not in ("seed", "name") and c[k] != b[k]}
    b, c = _with_optional(flat_config(base, stack=True), base), _with_optional(flat_config(cfg, stack=True), cfg)
    last = base.depth - 1  # hidden.sizes gives a new layer the fields of the base's last hidden layer

    def base_value(k: str) -> Any:
        if k in b or not k.startswith("hidden.") or last < 0:
            return b.get(k, _MISSING)
        _, _, f = k.split(".", 2)
        return b.get(f"hidden.{last}.{f}", _MISSING)
    return {k: c[k] for k in c if k not in ("seed", "name") and c[k] != base_value(k)}


def _with_optional(flat: dict[str, Any], cfg: Config) -> dict[str, Any]:
    """``flat`` with the optional layer keys a file leaves out at their defaults (the organisation,
    ``learn``; ``ORG_DEFAULTS``) filled in, so that a point that sets one of them to its default
    against a base that does not have it (or the reverse) differs from the base."""
    from hwmodel.spec.sections import ORG_DEFAULTS
    secs = ["fc1", "fc2"] if "fc1.neurons" in flat else (
        [f"hidden.{h}" for h in range(cfg.depth)] + ["output"])
    out = dict(flat)
    for sec in secs:
        for k, v in ORG_DEFAULTS.items():
            out.setdefault(f"{sec}.{k}", v)
    return out


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
                 "offchip": self.grid.offchip, **self._tune(cfg)}
                for key, over, cfg in self.points for s in self.seeds]

    def _tune(self, cfg: Config) -> dict[str, Any]:
        """--tune: the task's flag and the knobs its grid's axes fix (``train.tune.knobs_named``)."""
        if not self.grid.tune:
            return {}
        from hwmodel.train.tune import knobs_named
        return {"tune": True, "tune_fixed": sorted(knobs_named(cfg, self.grid.axes))}

    def reference_task(self, seed: int | None = None) -> dict[str, Any]:
        """The float DRTP reference of the base config (and its integer base) for ``seed``."""
        s = self.seeds[0] if seed is None else seed
        return {"kind": "reference", "base": self.base_id, "point_key": "{}", "overrides": {},
                "config_toml": self.base.replace(seed=s).to_toml(), "seed": s, "epochs": self.epochs,
                "data": self.data, "data_key": self.data_key, **self._tune(self.base)}


def data_spec(folder: str | None, n_train: int | None, n_test: int | None, split_seed: int,
              events: str = "image", window_us: int | None = None, max_events: int | None = None,
              val_size: int | None = None) -> dict[str, Any]:
    """The samples of a sweep, as the plain-dict form of ``hwmodel.data.select.DataSpec`` (the
    validation size resolved when the training set size is known)."""
    from hwmodel.data.select import DataSpec, STREAM_SOURCES
    folder = str(Path(folder).resolve()) if folder else None
    if folder is None and events not in STREAM_SOURCES:
        n_train = 4000 if n_train is None else n_train
        n_test = 1000 if n_test is None else n_test
    ds = DataSpec(events, folder, n_train, n_test, split_seed, window_us, max_events, val_size)
    return dataclasses.asdict(dataclasses.replace(ds, val_size=ds.resolved_val()))


def data_key(spec: dict[str, Any]) -> str:
    from hwmodel.data.select import DataSpec
    return DataSpec(**spec).key()


def check_data(spec: dict[str, Any], cfg: Config | None = None) -> None:
    """Everything about the data that can be checked once in the parent, before any work: the
    options, the folder, its files (IDX files are read and checked; N-MNIST and .aer folders are
    listed and every event file the runs will read is read), the sample counts against what the
    data has, and the sensor size against the base config. A broken --data folder is one error,
    not one per run."""
    from hwmodel.data.mnist import DataError, embedded_path, list_aer_folder, load_idx_folder
    from hwmodel.data.select import DataSpec, check_sensor, check_spec, check_val_needed, check_val_size
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
        from hwmodel.data.mnist import load_nmnist
        load_nmnist(ds.folder, ds.n_train, ds.n_test, ds.split_seed)   # every file the runs read, once
    elif ds.events == "aer":
        from hwmodel.data.mnist import _stratified_take, load_aer_folder
        listed = list_aer_folder(ds.folder)
        for split, n, opt in (("Train", ds.n_train, "--n-train"), ("Test", ds.n_test, "--n-test")):
            _stratified_take(listed[split], n, 0, f"{opt} {n}: .aer folder '{Path(ds.folder) / split}'")
        if cfg is not None:
            check_sensor(cfg, *listed["sensor"], "the .aer files are from a sensor of")
        # every file the runs will read, read once here (as train does): a truncated or corrupt
        # file is one error before any work, not one failure per run
        load_aer_folder(ds.folder, ds.n_train, ds.n_test, ds.split_seed)
    else:
        split = load_idx_folder(ds.folder, ds.n_train, ds.n_test)
        val = ds.resolved_val(len(split.y_train))
        check_val_needed(val, why)
        check_val_size(val, len(split.y_train))
        if cfg is not None and cfg.input.width != split.x_train.shape[2]:
            raise ConfigError(f"config '{cfg.name}' has a {cfg.input.width}-wide input; the images are "
                              f"{split.x_train.shape[2]} wide")


def make_plan(grid: Grid, base: Config, epochs: int, seeds: list[int], data: dict[str, Any],
              progress=None) -> Plan:
    """Validate the whole grid: every point must be a legal Config, and every seed a legal seed
    (checked once: no rule of the config couples the seed with other fields). ``progress``: a
    callable called once per point checked (a progress bar's ``update``)."""
    for s in seeds:
        base.replace(seed=s)
    base = base.replace(seed=0)
    points, seen = [], {}
    stack = any(k.split(".")[0] in ("hidden", "output") for k in grid.axes)
    for declared in grid.points():
        if progress is not None:
            progress()
        try:
            cfg = point_config(base, declared, grid.clamp_init)
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
