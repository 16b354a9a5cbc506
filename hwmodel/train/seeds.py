"""Several chip seeds and rounding-noise repeats: ``run_seeds`` repeats ``run_training`` and
summarizes every metric as mean, std and a 95 % interval over seeds.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from hwmodel.spec import roms
from hwmodel.spec.config import Config
from hwmodel.util.stats import t_interval
from hwmodel.train.runs import TrainReport, run_training
from hwmodel.data.select import Prepared

SEED_METRICS = [
    "test_accuracy", "train_accuracy", "val_accuracy",                       # on-chip integer DRTP
    "float_test_accuracy", "float_train_accuracy", "float_val_accuracy",     # float DRTP reference
    "offchip_test_accuracy", "offchip_val_accuracy",                         # off-chip BP -> integer
    "offchip_float_test_accuracy", "offchip_float_val_accuracy",             # off-chip BP in float
    "quantization_gap_pp",
    "linear_test_accuracy", "linear_val_accuracy",                          # baseline: no hidden layer
    "frozen_test_accuracy", "frozen_val_accuracy",                          # baseline: hidden layers frozen
    "cycles_per_inference_sample", "cycles_per_learning_sample",            # spec §16
]
# the per-epoch curves (validation accuracy after each epoch) summarized as mean and std per epoch
CURVES = ("integer_val_accuracy", "integer_test_accuracy", "float_val_accuracy", "offchip_float_val_accuracy")


def summarize(per_seed: list[dict], metrics: list[str] = SEED_METRICS) -> dict:
    """``<metric>_mean``, ``_std`` and ``_ci95`` of every metric of ``metrics`` over the results
    that have it (``<metric>_n_seeds`` says how many when that is not all of them: a run stopped
    by Ctrl-C), and the mean and std per epoch of the learning curves (``learning_curves``)."""
    out: dict = {}
    for m in metrics:
        vals = [float(r[m]) for r in per_seed if r.get(m) is not None]
        if not vals:
            continue
        mean, sd, ci = t_interval(vals)
        out.update({f"{m}_mean": mean, f"{m}_std": sd, f"{m}_ci95": ci})
        if len(vals) < len(per_seed):
            out[f"{m}_n_seeds"] = len(vals)
    lc = [r.get("learning_curves", {}) for r in per_seed]
    if lc and lc[0].get("epoch"):
        curves: dict = {"epoch": lc[0]["epoch"]}
        for name in CURVES:
            rows = [c.get(name) for c in lc]
            if rows and all(r is not None and len(r) == len(rows[0]) and len(r) for r in rows):
                a = np.asarray(rows, float)
                curves[f"{name}_mean"] = a.mean(axis=0).tolist()
                curves[f"{name}_std"] = (a.std(axis=0, ddof=1).tolist() if len(rows) > 1 else None)
        out["learning_curves"] = curves
    for key in ("saturation", "offchip_saturation"):
        sats = [r.get(key) for r in per_seed]
        if sats and all(s is not None for s in sats):
            out[key] = {layer: {f"{q}_{stat}": v for q in sats[0][layer]
                                for stat, v in zip(("mean", "std"), t_interval([s[layer][q] for s in sats])[:2])}
                        for layer in sats[0]}
    return out


ROUNDING_TAG = 0x524E44  # "RND"


def rounding_lfsr_starts(seed: int, repeats: int, depth: int = 1) -> list[tuple[int, ...]]:
    """The rounding-LFSR start states (lfsr_fc1 .. lfsr_fc{K+1}, K = ``depth``) of ``repeats`` runs
    of one chip seed: repeat 0 is the chip's reset state (spec §3, §15: the LFSR stream of every
    layer); repeat r >= 1 draws K + 1 non-zero 32-bit values from ``default_rng([seed, r,
    ROUNDING_TAG])`` (different from every other start of this seed; for K = 1 the same draws as
    always)."""
    streams = [roms.hidden_streams(h)[2] for h in range(1, depth + 1)] + [roms.STREAM_LFSR2]
    starts = [tuple(roms.stream_seed(seed, s) for s in streams)]
    r = 1
    while len(starts) < repeats:
        v = tuple(int(x) for x in np.random.default_rng([seed, r, ROUNDING_TAG]).integers(1, 2**32, size=depth + 1))
        if v not in starts:
            starts.append(v)
        r += 1
    return starts


@dataclass
class SeedsReport:
    results: dict = field(default_factory=dict)
    reports: list[TrainReport] = field(default_factory=list)  # one per completed seed (repeat 0)
    interrupted: str | None = None


def run_seeds(cfg: Config, prep: Prepared, seeds: list[int], *, epochs: int, mode: str = "on-chip",
              float_reference: bool = True, progress=None, conv_kernels: np.ndarray | None = None,
              rounding_repeats: int = 1, log: Callable[[str], object] | None = None,
              baselines: bool = True, jobs: int = 1, tune: bool = False,
              init_state=None) -> SeedsReport:
    """``run_training`` for every chip seed (``cfg`` with ``seed = s``), then the summary over
    seeds (``summarize``): ``per_seed`` holds each seed's single-seed result object. ``tune``: each
    seed chooses its chip's knobs on validation first (``run_training``); ``init_state``: every seed
    continues from this chip (``train --init-weights``).

    ``rounding_repeats = R > 1`` trains the on-chip model R times per seed with different
    rounding-LFSR start states (``rounding_lfsr_starts``; repeat 0 is the ordinary run), nothing
    else changed (the seed's tuned config, if it tuned; the same ``init_state``):
    ``rounding_repeats`` in the results gives per seed the test accuracies and quantization gaps
    (float reference of the same seed minus each repeat) and the spread that rounding alone causes. Ctrl-C keeps the seeds that finished (the one interrupted too, when
    ``run_training`` kept a part of it)."""
    sr = SeedsReport()
    per_seed: list[dict] = []
    rnd: list[dict] = []
    for i, s in enumerate(seeds):
        cs = cfg.replace(seed=s)
        if log is not None and len(seeds) > 1:
            log(f"seed {s} ({i + 1} of {len(seeds)})")
        try:
            rep = run_training(cs, prep, epochs=epochs, mode=mode, float_reference=float_reference,
                               progress=progress, conv_kernels=conv_kernels, baselines=baselines, jobs=jobs,
                               tune=tune, init_state=init_state)
        except KeyboardInterrupt:
            if not per_seed:
                raise
            sr.interrupted = f"seed {s} ({i + 1} of {len(seeds)})"
            break
        sr.reports.append(rep)
        per_seed.append(rep.results)
        if rep.interrupted:
            sr.interrupted = f"seed {s}: {rep.interrupted}"
            break
        if rounding_repeats > 1 and "test_accuracy" in rep.results:
            starts = rounding_lfsr_starts(s, rounding_repeats, cfg.depth)
            accs, vaccs = [rep.results["test_accuracy"]], [rep.results.get("val_accuracy")]
            try:
                for r, st in enumerate(starts[1:], 1):
                    rr = run_training(rep.config, prep, epochs=epochs, mode="on-chip", float_reference=False,
                                      conv_kernels=conv_kernels, lfsr_start=st, saturation=False,
                                      progress=progress, baselines=False, init_state=init_state)
                    accs.append(rr.results["test_accuracy"])
                    vaccs.append(rr.results.get("val_accuracy"))
                    if rr.interrupted:
                        raise KeyboardInterrupt
            except KeyboardInterrupt:
                sr.interrupted = f"seed {s}: rounding repeat {len(accs)} of {rounding_repeats}"
                accs = accs[:len(vaccs)]
            entry = {"seed": s, "lfsr_starts": [list(x) for x in starts[:len(accs)]], "test_accuracy": accs}
            if all(v is not None for v in vaccs):
                entry["val_accuracy"] = vaccs
            m, sd, ci = t_interval(accs)
            entry.update(test_accuracy_mean=m, test_accuracy_std=sd, test_accuracy_ci95=ci)
            fta = rep.results.get("float_test_accuracy")
            if fta is not None:
                gaps = [100.0 * (fta - a) for a in accs]
                m, sd, _ = t_interval(gaps)
                entry.update(quantization_gap_pp=gaps, quantization_gap_pp_mean=m, quantization_gap_pp_std=sd)
            rnd.append(entry)
            if sr.interrupted:
                break
    res = sr.results
    first = per_seed[0]
    res.update({k: first[k] for k in ("config", "epochs", "n_train", "n_val", "n_test", "mode") if k in first})
    res.update(seeds=[r["seed"] for r in per_seed], n_seeds=len(per_seed), per_seed=per_seed)
    res.update(summarize(per_seed))
    if rnd:
        res["rounding_repeats"] = rounding_summary(rnd, rounding_repeats)
    if sr.interrupted:
        res["interrupted"] = sr.interrupted
        res["seeds_requested"] = list(seeds)
    return sr


def rounding_summary(rnd: list[dict], repeats: int) -> dict:
    """Per seed the repeats, and over seeds: ``test_accuracy_std_within_seed`` (pooled std of the
    repeats of one seed: the spread that rounding alone causes) and the mean quantization gap."""
    out = {"repeats": repeats, "per_seed": rnd}
    var = [np.var(e["test_accuracy"], ddof=1) for e in rnd if len(e["test_accuracy"]) > 1]
    out["test_accuracy_std_within_seed"] = float(np.sqrt(np.mean(var))) if var else None
    gaps = [g for e in rnd for g in e.get("quantization_gap_pp", [])]
    if gaps and all("quantization_gap_pp" in e for e in rnd):
        m, sd, ci = t_interval(gaps)
        out.update(quantization_gap_pp_mean=m, quantization_gap_pp_std=sd)
        gvar = [np.var(e["quantization_gap_pp"], ddof=1) for e in rnd if len(e["quantization_gap_pp"]) > 1]
        out["quantization_gap_pp_std_within_seed"] = float(np.sqrt(np.mean(gvar))) if gvar else None
    return out
