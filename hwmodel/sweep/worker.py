"""One sweep task in a worker process: the float reference of a seed (with the integer baselines
of the base chip) or one point's chip trained on one seed, returned as a database row."""
from __future__ import annotations

import os
import socket
import time
import tomllib
from datetime import datetime, timezone
from typing import Any

from hwmodel.spec.config import Config
from hwmodel.spec.layers import memories as memory_sizes  # every depth (spec §15)
from hwmodel.util.provenance import code_version
from hwmodel.sweep.costs import baseline_columns, cost_columns
from hwmodel.sweep.plan import canonical, data_key, flat_config, memory_bits


_PREPS: dict[str, Any] = {}


def _prepared(cfg: Config, spec: dict[str, Any]):
    """Event batches, cached per process: they depend only on the data and on the input and
    encoding sections of the config."""
    from hwmodel.data.select import DataSpec, load_data
    d = cfg.to_dict()
    key = data_key(spec) + canonical([d["input"], d["encoding"]])
    if key not in _PREPS:
        if len(_PREPS) >= 8:
            _PREPS.clear()
        _PREPS[key] = load_data(cfg, DataSpec(**spec))[0]
    return _PREPS[key]


def run_task(task: dict[str, Any]) -> dict[str, Any]:
    """Train one (point, seed) and return its result row (a plain dict). Runs in a worker: the
    local process pool and Dask both call this function."""
    from hwmodel.train.runs import run_training
    t0 = time.perf_counter()
    cfg = Config.from_dict(tomllib.loads(task["config_toml"]))
    prep = _prepared(cfg, task["data"])
    ref = task["kind"] == "reference"
    offchip = bool(task.get("offchip")) and not ref
    tune = bool(task.get("tune"))
    rep = run_training(cfg, prep, epochs=task["epochs"], mode="both" if offchip else "on-chip",
                       float_reference=ref, saturation=False, baselines=ref, tune=tune,
                       tune_fixed=task.get("tune_fixed", ()))
    r = rep.results
    # --tune: the row keeps the point's own config (its identity); the knobs chosen beside it
    tuned = canonical(r["chip_tune_search"]["knobs"]) if tune else None
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
        **cost_columns(rep.config or cfg, rep, prep, synth=bool(task.get("synth"))),
        "tune_knobs": tuned,
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
    if ref:   # the base chip's seed: its float reference and the integer baselines beside it
        row.update(baseline_columns(rep, prep), tune_knobs=tuned)
        row.update(float_test_accuracy=float(r["float_test_accuracy"]),
                   float_train_accuracy=float(r["float_train_accuracy"]),
                   float_val_accuracy=float(r["float_val_accuracy"]),
                   float_gains=canonical([float(g) for g in r.get("float_gains", [])]))
    return row
