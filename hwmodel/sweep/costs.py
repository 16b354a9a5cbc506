"""The estimator's figures of a trained point, as the sweep's cost columns (docs/estimate.md)."""
from __future__ import annotations

from typing import Any

from hwmodel.spec.config import Config

COST_SCOPES = {
    "dynamic": "rows of schema 5 and before: dynamic energy of the datapath and memories only, "
               "no leakage, no clock",
    "memories": "the estimator without synthesis: dynamic energy of the datapath and memories and the "
                "memories' leakage over each sample's cycles; no logic area, logic leakage or clock",
    "synthesized": "the estimator with both chips synthesized (Yosys): logic area and leakage, the "
                   "flip-flops' clock energy, the memories (python -m hwmodel.estimate)",
}


def cost_columns(cfg: Config, rep, prep, synth: bool = False) -> dict[str, Any]:
    """The estimator's figures (docs/estimate.md) for the trained chip, from its own counters
    (``hwmodel.estimate.energy.chip_counters``, as ``estimate --weights``): the test set's
    inference counters and the learning counters of its first 200 training digits on a copy of
    the chip. Default technology table, clock and clock gating; the estimator's default rate (one
    classification per SPOON latency, or the chip's own throughput if that is lower). ``synth``: synthesize the learning and the
    inference-only RTL (cached by their parameters) for logic area, logic leakage and clock
    energy; without it, memories and datapath actions only (``cost_scope``)."""
    from hwmodel.estimate.core import estimate
    from hwmodel.estimate.energy import chip_counters
    counters = chip_counters(rep.processor, prep, test_counters=rep.test_counters)
    r = estimate(cfg, counters=counters, synth=synth)
    rate = r["rate_hz"]
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


def baseline_columns(rep, prep) -> dict[str, Any]:
    """The reference row's baseline columns (schema 7): the accuracies of the linear read-out and
    the frozen-hidden network trained beside the base chip, and what the linear read-out chip
    costs (the estimator on its own counters, memories scope, as ``cost_columns``)."""
    from hwmodel.estimate.core import estimate
    from hwmodel.estimate.energy import chip_counters
    from hwmodel.sweep.plan import memory_bits
    r = rep.results
    lin = rep.baseline_chips.get("linear")
    out = {k: (None if r.get(k) is None else float(r[k])) for k in
           ("linear_test_accuracy", "linear_val_accuracy", "frozen_test_accuracy", "frozen_val_accuracy")}
    if lin is not None:
        e = estimate(lin.cfg, counters=chip_counters(lin, prep), synth=False)
        out.update(linear_memory_bits=int(memory_bits(lin.cfg)[1]),
                   linear_energy_per_classification_nj=float(e["energy_per_classification_nj"]),
                   linear_energy_per_learning_sample_nj=float(e["energy_per_learning_sample_nj"]))
    return out
