"""What on-chip learning buys after deployment (``python -m hwmodel adapt``): a deployed chip meets
shifted data and learns online from N labelled samples, as it would in the field; its accuracy on
held-out shifted data and on the original test data (forgetting) at every label budget N, beside
the inference-only chip (N = 0), a fresh chip learning from the same samples, and a ceiling (a
fresh chip trained to convergence on the whole shifted pool); the energy of a learning sample from
the estimator on the run's own counters.

Learning scopes: ``all`` (every layer learns: DRTP in the hidden layers, the output layer's own
error) and ``output`` (the output-only chip: the deployed chip's config with ``learn = false`` in
every hidden layer, spec §15, and its state; the hidden layers keep their deployed weights, and
the estimator costs that chip, which has no B LUTs, derivative flags or hidden update lanes).

One run = one deployed chip (a weights file) and one adaptation seed. The seed draws the labelled
samples and their order (``numpy.random.default_rng([seed, ADAPT_TAG]).permutation`` of the pool;
budget N takes the first N, so one online pass visits the budgets in turn) and the shift's noise
(``hwmodel.data.shifts``). Budgets are nested: one pass over the largest budget is measured at
every smaller one on the way (``passes > 1``: each budget trains its own chip ``passes`` times over
its N samples).

Class-incremental (``new_classes``): the chip was deployed without some classes (``train
--withhold-classes``); the pool and the shifted test set hold every class, the original test set
only the deployed classes (forgetting is measured on what the chip knew), and every row adds the
shifted test accuracy on the new classes and on the old ones.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hwmodel.data.encode import EventBatch, encode_images
from hwmodel.data.mnist import Split
from hwmodel.data.shifts import Transform, shift_images, shift_streams
from hwmodel.engine.processor import Processor
from hwmodel.spec.config import Config
from hwmodel.util.stats import t_interval

ADAPT_TAG = 0x414450  # "ADP"
SCOPES = ("all", "output")
DEFAULT_LABELS = (0, 50, 100, 300, 1000, 3000)


@dataclass
class AdaptData:
    """The samples of one adaptation seed: the labelled pool the chip learns from, the held-out
    shifted test set and the original (unshifted) test set."""
    pool: EventBatch
    y_pool: np.ndarray
    test: EventBatch
    y_test: np.ndarray
    orig: EventBatch
    y_orig: np.ndarray
    new_classes: tuple[int, ...] = ()


def adapt_data(cfg: Config, split: Split, shift: tuple[Transform, ...], seed: int,
               new: Split | None = None, new_classes: tuple[int, ...] = ()) -> AdaptData:
    """``split`` is the deployment data (its test set, without ``new_classes``, is the original
    test set); the pool and the shifted test set are ``new``'s training and test images (a new task
    or new writers; default ``split``'s own), shifted by ``shift`` (pool: part 0, test: part 1)."""
    src = new if new is not None else split
    w, h = cfg.input.width, cfg.input.height

    def batch(images, part):
        streams = shift_streams(encode_images(shift_images(images, shift, seed, part), cfg), shift, seed, part, w, h)
        return EventBatch.from_streams(streams, cfg)
    keep = ~np.isin(np.asarray(split.y_test), new_classes)
    return AdaptData(batch(src.x_train, 0), np.asarray(src.y_train), batch(src.x_test, 1), np.asarray(src.y_test),
                     EventBatch.from_streams(encode_images(split.x_test[keep], cfg), cfg),
                     np.asarray(split.y_test)[keep], tuple(new_classes))


def _fronts(proc: Processor, d: AdaptData) -> dict:
    return {"pool": proc.front_end(d.pool), "test": proc.front_end(d.test), "orig": proc.front_end(d.orig)}


def _acc(chip: Processor, batch, y, front) -> float:
    return chip.copy().evaluate(batch, y, front=front).accuracy(y)


def _shifted(chip: Processor, d: AdaptData, front, preds: np.ndarray | None = None) -> dict:
    """The shifted test accuracy, and with new classes its parts on the new and the old classes
    (``preds``: the chip's predictions on the shifted test set, when already run)."""
    if preds is None:
        preds = chip.copy().evaluate(d.test, d.y_test, front=front).preds
    out = {"shifted_test_accuracy": float(np.mean(preds == d.y_test))}
    if d.new_classes:
        new = np.isin(d.y_test, d.new_classes)
        for key, m in (("new_classes_accuracy", new), ("old_classes_accuracy", ~new)):
            out[key] = float(np.mean(preds[m] == d.y_test[m])) if m.any() else float("nan")
    return out


def scope_config(cfg: Config, scope: str) -> Config:
    """The config of the chip that learns with ``scope``: ``output`` sets ``learn = false`` in
    every hidden layer; ``all`` and ``fresh`` keep ``cfg``."""
    if scope != "output" or not cfg.depth:
        return cfg
    return cfg.replace(**{f"hidden.{h}.learn": False for h in range(cfg.depth)})


def scoped_chip(chip: Processor, scope: str) -> Processor:
    """``chip``'s whole state in the chip of ``scope`` (``scope_config``)."""
    return Processor(scope_config(chip.cfg, scope), {k: v.copy() for k, v in chip.st.items()})


def fresh_chip(deployed: Processor) -> Processor:
    """A chip of the deployed chip's config and seed at reset, with the deployed chip's conv kernels."""
    p = Processor.from_config(deployed.cfg)
    p.st["kern"][...] = deployed.st["kern"]
    return p


def adapt_run(deployed: Processor, d: AdaptData, labels: list[int], scopes: list[str], seed: int, *,
              passes: int = 1, fresh: bool = True, ceiling_epochs: int = 10, energy=None) -> dict:
    """One run (module docstring). Returns ``deployed`` (N = 0: shifted and original test
    accuracy), per scope (and ``fresh``) the accuracies at every budget of ``labels`` (sorted) and
    the learning counters per sample of its pass (``energy(cfg, inf_ps, lrn_ps)`` -> nJ per
    learning sample, when given: ``learning_energy_nj``), and ``ceiling``."""
    fr = _fronts(deployed, d)
    order = np.random.default_rng([seed, ADAPT_TAG]).permutation(len(d.y_pool))
    inf = deployed.copy().evaluate(d.test, d.y_test, front=fr["test"])
    inf_ps = inf.counters / max(1, len(d.y_test))
    out: dict = {"seed": seed, "deployed": {**_shifted(deployed, d, fr["test"], inf.preds),
                                            "original_test_accuracy": _acc(deployed, d.orig, d.y_orig, fr["orig"])}}
    for scope in list(scopes) + (["fresh"] if fresh else []):
        base = fresh_chip(deployed) if scope == "fresh" else scoped_chip(deployed, scope)
        rows, lrn = [], np.zeros_like(inf.counters)
        n_learned, chip, prev = 0, base.copy(), 0

        def learn(c: Processor, idx: np.ndarray) -> None:
            nonlocal lrn, n_learned
            if len(idx):
                lrn += c.run(d.pool, d.y_pool, learn=True, front=fr["pool"], order=idx).counters
                n_learned += len(idx)
        for n in labels:
            if passes == 1:          # one online pass, measured at every budget on the way
                learn(chip, order[prev:n])
                prev = n
            else:                    # each budget: its own chip, ``passes`` passes over its samples
                chip = base.copy()
                for _ in range(passes):
                    learn(chip, order[:n])
            rows.append({"labels": n, **_shifted(chip, d, fr["test"]),
                         "original_test_accuracy": _acc(chip, d.orig, d.y_orig, fr["orig"])})
        res = {"curve": rows, "learning_samples": n_learned}
        if energy is not None and n_learned:
            res["learning_energy_nj"] = float(energy(base.cfg, inf_ps, lrn / n_learned))
        out[scope] = res
    if ceiling_epochs:
        c = fresh_chip(deployed)
        for e in range(ceiling_epochs):
            c.train_epoch(d.pool, d.y_pool, np.random.default_rng([seed, ADAPT_TAG, e + 1]).permutation(len(d.y_pool)),
                          front=fr["pool"])
        out["ceiling"] = {"epochs": ceiling_epochs, "samples": len(d.y_pool), **_shifted(c, d, fr["test"])}
    return out


def estimator_energy(cfg: Config, inf_ps: np.ndarray, lrn_ps: np.ndarray) -> float:
    """nJ per learning sample: the estimator (memories scope, default table, clock and rate) on
    the run's inference and learning counters per sample."""
    from hwmodel.estimate.core import estimate
    r = estimate(cfg, counters=(inf_ps, lrn_ps, {"samples": 0}), synth=False)
    return r["energy_per_learning_sample_nj"]


def _ms(vals: list[float]) -> tuple[float, float | None]:
    m, sd, _ = t_interval(vals)
    return m, sd


def _class_parts(rows: list[dict]) -> dict:
    """Mean and std over runs of the new- and old-class accuracies (class-incremental runs only)."""
    out = {}
    for key in ("new_classes_accuracy", "old_classes_accuracy"):
        if rows and all(key in r for r in rows):
            out[f"{key}_mean"], out[f"{key}_std"] = _ms([r[key] for r in rows])
    return out


def summarize(runs: list[dict], labels: list[int], scopes: list[str], fresh: bool) -> dict:
    """Mean ± std over runs: ``curves`` (one row per scope and budget: accuracies, recovered and
    forgotten points, learning energy and µJ per recovered point), ``references`` (the deployed
    chip at N = 0, the fresh chip's rows, the ceiling) and ``energy_per_learning_sample_nj``."""
    dep = [r["deployed"] for r in runs]
    s0 = [d["shifted_test_accuracy"] for d in dep]
    o0 = [d["original_test_accuracy"] for d in dep]

    def rows(scope: str) -> list[dict]:
        e = [r[scope].get("learning_energy_nj") for r in runs]
        e_nj = _ms(e)[0] if all(v is not None for v in e) else None
        out = []
        for i, n in enumerate(labels):
            sa = [r[scope]["curve"][i]["shifted_test_accuracy"] for r in runs]
            oa = [r[scope]["curve"][i]["original_test_accuracy"] for r in runs]
            rec = [100 * (a - b) for a, b in zip(sa, s0)]
            fog = [100 * (b - a) for a, b in zip(oa, o0)]
            (sm, ss), (om, osd), (rm, rs), (fm, fs) = _ms(sa), _ms(oa), _ms(rec), _ms(fog)
            uj = None if e_nj is None else n * e_nj / 1000.0
            out.append({**_class_parts([r[scope]["curve"][i] for r in runs]),
                        "scope": scope, "labels": n, "shifted_test_accuracy_mean": sm, "shifted_test_accuracy_std": ss,
                        "original_test_accuracy_mean": om, "original_test_accuracy_std": osd,
                        "recovered_pp_mean": rm, "recovered_pp_std": rs, "forgotten_pp_mean": fm,
                        "forgotten_pp_std": fs, "learning_energy_uj": uj,
                        "uj_per_recovered_pp": (uj / rm if uj is not None and n and rm > 0 else None)})
        return out
    curves = [row for s in scopes for row in rows(s)]
    m0, sd0 = _ms(s0)
    mo, sdo = _ms(o0)
    refs: dict = {"deployed": {**_class_parts(dep), "labels": 0,
                               "shifted_test_accuracy_mean": m0, "shifted_test_accuracy_std": sd0,
                               "original_test_accuracy_mean": mo, "original_test_accuracy_std": sdo}}
    if fresh:
        refs["fresh"] = rows("fresh")
    if all("ceiling" in r for r in runs) and runs:
        cm, cs = _ms([r["ceiling"]["shifted_test_accuracy"] for r in runs])
        refs["ceiling"] = {**_class_parts([r["ceiling"] for r in runs]), "epochs": runs[0]["ceiling"]["epochs"],
                           "samples": runs[0]["ceiling"]["samples"],
                           "shifted_test_accuracy_mean": cm, "shifted_test_accuracy_std": cs}
    energy = {}
    for s in list(scopes) + (["fresh"] if fresh else []):
        e = [r[s].get("learning_energy_nj") for r in runs]
        if e and all(v is not None for v in e):
            energy[s] = _ms(e)[0]
    return {"curves": curves, "references": refs, "energy_per_learning_sample_nj": energy}
