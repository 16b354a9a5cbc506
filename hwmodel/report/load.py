"""A sweep database read into experiments (same base configuration, epochs and data) of points
(one configuration over its seeds), with the float reference of each experiment."""
from __future__ import annotations

import json
import math
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hwmodel.sweep.schema import COST_KEYS  # the cost columns of a row, averaged over seeds
from hwmodel.util.stats import t_interval as t_stats  # one t interval for the whole project




class ReportError(ValueError):
    """A missing or empty database."""


@dataclass
class Point:
    key: str
    overrides: dict[str, Any]
    config: dict[str, Any]
    memory_bits: int
    weight_bits: int
    accs: list[float] = field(default_factory=list)
    train_accs: list[float] = field(default_factory=list)
    seeds: list[int] = field(default_factory=list)
    val_accs: list[float | None] = field(default_factory=list)
    costs: dict[str, list] = field(default_factory=dict)   # COST_KEYS: one value per seed (None: not measured)
    scopes: set[str] = field(default_factory=set)          # cost_scope of the rows

    def cost(self, key: str) -> float | None:
        """Mean over seeds of a cost column; None unless every row has it."""
        v = self.costs.get(key, [])
        return None if not v or any(x is None for x in v) else sum(v) / len(v)

    @property
    def energy_nj(self) -> float:
        """Energy per classification (mean over seeds; NaN without the column)."""
        e = self.cost("energy_per_classification_nj")
        return float("nan") if e is None else e

    @property
    def scope(self) -> str:
        return "/".join(sorted(self.scopes)) or "-"

    @property
    def offchip_val(self) -> tuple[float | None, float | None, list[float] | None]:
        """(mean, std, 95 % interval) of the off-chip (inference-only chip) validation accuracy."""
        v = self.costs.get("offchip_val_accuracy", [])
        return (None, None, None) if not v or any(x is None for x in v) else t_stats(v)

    @property
    def mean(self) -> float:
        """Mean test accuracy over seeds (reported, never used to choose)."""
        return sum(self.accs) / len(self.accs)

    @property
    def std(self) -> float | None:
        """Sample std of the test accuracy over seeds; None with one seed."""
        return t_stats(self.accs)[1]

    @property
    def ci(self) -> list[float] | None:
        """95 % t interval of the mean test accuracy; None with one seed."""
        return t_stats(self.accs)[2]

    @property
    def has_val(self) -> bool:
        return bool(self.val_accs) and all(v is not None for v in self.val_accs)

    @property
    def val_mean(self) -> float | None:
        return t_stats(self.val_accs)[0] if self.has_val else None

    @property
    def val_std(self) -> float | None:
        return t_stats(self.val_accs)[1] if self.has_val else None

    @property
    def val_ci(self) -> list[float] | None:
        return t_stats(self.val_accs)[2] if self.has_val else None

    @property
    def train_mean(self) -> float:
        return sum(self.train_accs) / len(self.train_accs)

    def label(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.overrides.items()) or "(base)"

    @property
    def depth(self) -> int:
        """Hidden layers of the point (0: the linear read-out)."""
        sizes = self.config.get("hidden.sizes")
        if sizes is None:
            return 1  # the one-hidden-layer keys (fc1.*, fc2.*)
        return len([v for v in str(sizes).split(",") if v.strip()])

    @property
    def sizes(self) -> str:
        """Hidden layer sizes, e.g. "128-64" ("-" for none)."""
        sizes = self.config.get("hidden.sizes")
        if sizes is None:
            return str(self.config.get("fc1.neurons", "?"))
        return "-".join(v.strip() for v in str(sizes).split(",") if v.strip()) or "-"


@dataclass
class Experiment:
    base: str
    epochs: int
    data: str
    runs: list[dict[str, Any]]
    points: list[Point]
    reference: list[dict[str, Any]]
    base_config: dict[str, Any]
    axes: list[str]
    skipped: list[str] = field(default_factory=list)   # rows left out as corrupt (``row_problem``)
    unfinished: list[str] = field(default_factory=list)  # sweeps whose runs are not all here (``unfinished_sweeps``)

    @property
    def float_acc(self) -> float | None:
        """Mean float DRTP test accuracy over the reference seeds (reported)."""
        if not self.reference:
            return None
        return sum(r["float_test_accuracy"] for r in self.reference) / len(self.reference)

    @property
    def float_test_stats(self):
        return t_stats([r["float_test_accuracy"] for r in self.reference])

    @property
    def float_val_stats(self):
        """(mean, std, ci) of the float reference's validation accuracy; all None when a
        reference row has none (made before validation splits)."""
        vals = [r.get("float_val_accuracy") for r in self.reference]
        if not vals or any(v is None for v in vals):
            return None, None, None
        return t_stats(vals)

    @property
    def has_val(self) -> bool:
        return self.float_val_stats[0] is not None and all(p.has_val for p in self.points)

    def baseline(self, key: str):
        """(mean, std, ci) over the reference seeds of a baseline column (``linear_val_accuracy``,
        ``frozen_val_accuracy``, ``linear_energy_per_classification_nj``, ...: schema 7); all None
        when a reference row lacks it (made before baselines, or without a validation split)."""
        vals = [r.get(key) for r in self.reference]
        if not vals or any(v is None for v in vals):
            return None, None, None
        return t_stats(vals)

    @property
    def code_versions(self) -> dict[str, int]:
        """{code version: runs} of the rows (and references) of this experiment."""
        out: dict[str, int] = {}
        for r in self.runs + self.reference:
            v = r.get("code_version") or "unknown"
            out[v] = out.get(v, 0) + 1
        return out

    @property
    def title(self) -> str:
        return f"{self.base}, {self.epochs} epochs, {self.data}"


def _rows(conn: sqlite3.Connection, sql: str, args=()) -> list[dict[str, Any]]:
    cur = conn.execute(sql, args)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur]


def check_db(db: str | Path) -> Path:
    """A readable sweep database (``ReportError`` otherwise), checked before any work."""
    from hwmodel.sweep.store import StoreError, check_db as check_sweep_db
    p = Path(db)
    if not p.exists():
        raise ReportError(f"database '{p}' not found")
    if p.is_dir():
        raise ReportError(f"--db '{p}' is a folder, not a database file")
    try:
        if not check_sweep_db(p):
            raise ReportError(f"database '{p}' holds no sweep results")
    except StoreError as e:
        raise ReportError(str(e)) from None
    return p


def load(db: str | Path) -> list[Experiment]:
    p = check_db(db)
    try:
        src = sqlite3.connect(f"file:{p.resolve()}?mode=ro", uri=True)
        conn = sqlite3.connect(":memory:")
        try:
            src.backup(conn)  # an older schema reads as the sweep would migrate it; the file is not changed
            from hwmodel.sweep.store import SCHEMA_VERSION, migrate
            found = int(conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0])
            if found < SCHEMA_VERSION:
                migrate(conn, found)
        finally:
            src.close()
        try:
            runs = _rows(conn, "SELECT * FROM results ORDER BY id")
            refs = _rows(conn, "SELECT * FROM reference ORDER BY id")
            sweeps = _rows(conn, "SELECT * FROM sweeps ORDER BY id")
        finally:
            conn.close()
    except sqlite3.DatabaseError as e:
        raise ReportError(f"database '{p}': not a readable sweep database ({e})") from None
    if not runs:
        raise ReportError(f"database '{p}' holds no sweep results")
    groups: dict[tuple, list[dict]] = {}
    skipped: dict[tuple, list[str]] = {}
    for r in runs:
        r.setdefault("code_version", "unknown")
        g = (r["base"], r["epochs"], r["data"])
        why = row_problem(r)
        if why:
            skipped.setdefault(g, []).append(f"row {r.get('id')} (point {r.get('point_key')}, seed {r.get('seed')}): {why}")
            continue
        groups.setdefault(g, []).append(r)
    if not groups:
        raise ReportError(f"database '{p}': every result row is corrupt ({next(iter(skipped.values()))[0]}, ...)")
    exps = []
    for (base, epochs, data), rs in groups.items():
        ref = sorted((r for r in refs if (r["base"], r["epochs"], r["data"]) == (base, epochs, data)),
                     key=lambda r: r["seed"])
        pts: dict[str, Point] = {}
        for r in rs:
            pt = pts.get(r["point_key"])
            if pt is None:
                pt = pts[r["point_key"]] = Point(r["point_key"], r["overrides"], r["config"],
                                                 r["memory_bits"], r["weight_bits"])
            for k in COST_KEYS:
                pt.costs.setdefault(k, []).append(r.get(k))
            if r.get("cost_scope"):
                pt.scopes.add(r["cost_scope"])
            pt.accs.append(r["test_accuracy"])
            pt.train_accs.append(r["train_accuracy"])
            pt.val_accs.append(r.get("val_accuracy"))
            pt.seeds.append(r["seed"])
        points = list(pts.values())
        if any("hidden.sizes" in p.config for p in points):  # a depth axis: one key set for all
            for p in points:
                p.config = stack_keys(p.config)
            for r in ref:
                r["config_json"] = json.dumps(stack_keys(json.loads(r["config_json"])))
        base_cfg = _base_config(points, ref)
        exps.append(Experiment(base, epochs, data, rs, points, ref, base_cfg, swept_axes(points),
                               skipped.get((base, epochs, data), []),
                               unfinished_sweeps([w for w in sweeps if (w["base"], w["epochs"], w["data"])
                                                  == (base, epochs, data)], len(rs))))
    exps.sort(key=lambda e: -max(r["id"] for r in e.runs))  # most recent first
    return exps


def unfinished_sweeps(sweeps: list[dict[str, Any]], n_rows: int) -> list[str]:
    """The sweeps of one experiment whose last invocation (per grid) did not finish all its runs:
    interrupted, killed, still running, or with failed runs. One sentence each."""
    last: dict[str, dict[str, Any]] = {}
    for w in sweeps:                     # ordered by id: the last invocation of each grid wins
        last[w["grid"]] = w
    out = []
    for grid, w in last.items():
        if w["finished_at"] is None:     # killed or still running: its rows so far are in the database
            missing = max(0, w["n_runs"] - n_rows)
            out.append(f"sweep '{grid}' (started {w['started_at']}) has not finished: {missing} of its "
                       f"{w['n_runs']} runs are not in the database (still running, or stopped: rerun its "
                       f"command to finish)")
        elif w["n_skipped"] + (w["n_done"] or 0) < w["n_runs"]:
            missing = w["n_runs"] - w["n_skipped"] - (w["n_done"] or 0)
            why = f"{w['n_failed']} failed" if w["n_failed"] else "interrupted"
            out.append(f"sweep '{grid}' (last run {w['started_at']}) lacks {missing} of its {w['n_runs']} runs "
                       f"({why}: rerun its command to finish)")
    return out


def row_problem(r: dict[str, Any]) -> str | None:
    """Why a result row cannot be a measurement (None: it can), parsing its JSON columns in place:
    an accuracy that is not a number in 0..1 (a corrupted or hand-edited row: one such row turned
    a point into 297 ± 392 %), a cost that is negative or not finite, overrides or config that are
    not JSON objects."""
    for k in ("test_accuracy", "train_accuracy", "val_accuracy"):
        v = r.get(k)
        if v is None and k == "val_accuracy":
            continue
        if not isinstance(v, (int, float)) or not (0.0 <= v <= 1.0):
            return f"{k} = {v!r} is not an accuracy in 0..1"
    for k in COST_KEYS:
        v = r.get(k)
        if v is not None and (not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0):
            return f"{k} = {v!r} is not a cost (finite, >= 0)"
    for k, col in (("overrides", "overrides"), ("config", "config_json")):
        try:
            v = json.loads(r[col]) if isinstance(r.get(col), str) else None
        except ValueError:
            v = None
        if not isinstance(v, dict):
            return f"{col} is not a JSON object"
        r[k] = v
    return None


LEGACY_TO_STACK = {"drtp.b": "hidden.0.b", "drtp.lr_shift_fc1": "hidden.0.lr_shift",
                   "drtp.lr_shift_fc2": "output.lr_shift"}


def stack_keys(flat: dict[str, Any]) -> dict[str, Any]:
    """A flat config of the one-hidden-layer keys (fc1.*, fc2.*, drtp.*) in the layer-stack keys
    that sweep rows of other depths use (hidden.sizes, hidden.0.*, output.*); others unchanged."""
    if "hidden.sizes" in flat or "fc1.neurons" not in flat:
        return flat
    out: dict[str, Any] = {}
    for k, v in flat.items():
        if k == "fc1.neurons":
            out["hidden.sizes"] = str(v)
        elif k in LEGACY_TO_STACK:
            out[LEGACY_TO_STACK[k]] = v
        elif k.startswith("fc1."):
            out["hidden.0." + k[4:]] = v
        elif k.startswith("fc2."):
            out["output." + k[4:]] = v
        else:
            out[k] = v
    return out


def _base_config(points: list[Point], ref: list[dict]) -> dict[str, Any]:
    if ref:
        return json.loads(ref[0]["config_json"])
    base: dict[str, Any] = {}
    for pt in points:  # a key that a point does not override holds the base value
        for k, v in pt.config.items():
            if k not in pt.overrides:
                base.setdefault(k, v)
    return base


def swept_axes(points: list[Point]) -> list[str]:
    """Keys whose value varies, minus those fully determined by another varying key (the init
    bounds clamped to a narrower weight by the sweep)."""
    keys: list[str] = []
    for pt in points:
        for k in pt.overrides:
            if k not in keys:
                keys.append(k)
    keys = [k for k in keys if len({repr(pt.config.get(k)) for pt in points}) > 1]

    def determines(a: str, b: str) -> bool:
        m: dict[str, str] = {}
        for pt in points:
            va, vb = repr(pt.config.get(a)), repr(pt.config.get(b))
            if m.setdefault(va, vb) != vb:
                return False
        return True

    def derived(k: str) -> bool:  # determined by another axis; an init bound also in a 1:1 pairing
        return any(j != k and determines(j, k) and (not determines(k, j) or
                                                    (k.endswith(".init_bound") and not j.endswith(".init_bound")))
                   for j in keys)

    return [k for k in keys if not derived(k)]
