"""Training runs: on-chip (integer DRTP), off-chip (float BP, quantized, integer inference) and the
float DRTP reference, on the same split, sample orders and initial state.

``run_training`` is what the CLI and the sweeps call; ``run_seeds`` repeats it over chip seeds (and
rounding-LFSR start states) and summarizes the accuracies as mean, std and a 95 % interval. Sample
order per epoch is host-side: ``numpy.random.default_rng([seed, epoch]).permutation(n_train)``.

Validation discipline: a validation split is carved from the training data (``validation_split``:
stratified, a fixed seed that does not depend on the chip seed) and every choice the tool makes
(the float references' gains, the sweep report's recommendations) is made on it; the integer model
and the float references train on the same remaining digits; test accuracy is only reported.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from hwmodel.spec import roms
from hwmodel.util.checks import interruption_point
from hwmodel.spec.config import Config
from hwmodel.spec.counters import counter_index
from hwmodel.util.stats import t_interval
from hwmodel.data.mnist import Split
from hwmodel.data.encode import EventBatch, encode_images
from hwmodel.train.floatref import GAINS, FloatResult, quantize, train_reference
from hwmodel.engine.processor import Processor
from hwmodel.engine.conv import spike_inputs

MODES = ("on-chip", "off-chip", "both")

# Every metric ``run_seeds`` summarizes over seeds (mean, std, 95 % interval), one list: the
# accuracies of every model a run trains (0..1) and the quantization gap (percentage points). A
# new model's accuracy (e.g. the linear read-out or frozen-hidden baselines) is added here.
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


@dataclass
class Prepared:
    cfg: Config
    train: EventBatch
    test: EventBatch
    y_train: np.ndarray
    y_test: np.ndarray
    val: EventBatch | None = None     # carved from the training data (``carve_validation``)
    y_val: np.ndarray | None = None

    @property
    def n_val(self) -> int:
        return 0 if self.y_val is None else len(self.y_val)


def prepare(cfg: Config, split: Split) -> Prepared:
    """Encode the images of a split into validated event batches."""
    return prepare_streams(cfg, encode_images(split.x_train, cfg), split.y_train,
                           encode_images(split.x_test, cfg), split.y_test)


# ---- validation split ------------------------------------------------------------------------
VAL_SEED_TAG = 0x56414C  # "VAL": the validation split's generator is [split_seed, VAL_SEED_TAG]
DEFAULT_VAL_SIZE = 1000


def default_val_size(n_train: int) -> int:
    """1,000 digits (a quarter of the embedded 4,000), or a quarter of a smaller training set."""
    return min(DEFAULT_VAL_SIZE, n_train // 4)


def validation_split(y: np.ndarray, n_val: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(train indices, validation indices), both ascending: ``n_val`` samples stratified by class
    (each class gives its share, rounded by largest remainders), chosen with the generator
    ``default_rng([seed, VAL_SEED_TAG])``; the chip seed plays no part, so every seed of a run
    and every point of a sweep is chosen on the same validation digits."""
    y = np.asarray(y)
    n = len(y)
    if not 0 <= n_val < n:
        raise ValueError(f"validation size {n_val} for {n} training samples")
    rng = np.random.default_rng([seed, VAL_SEED_TAG])
    classes, counts = np.unique(y, return_counts=True)
    exact = n_val * counts / n
    quota = np.floor(exact).astype(np.int64)
    rest = n_val - int(quota.sum())
    if rest:
        order = np.lexsort((classes, -(exact - quota)))  # largest remainder first, then class
        quota[order[:rest]] += 1
    val = []
    for c, q in zip(classes, quota):
        members = np.flatnonzero(y == c)
        val.append(rng.permutation(members)[:q])
    v = np.sort(np.concatenate(val)) if val else np.zeros(0, np.int64)
    keep = np.ones(n, bool)
    keep[v] = False
    return np.flatnonzero(keep), v


def carve_validation(prep: Prepared, n_val: int, seed: int = 0) -> Prepared:
    """``prep`` with ``n_val`` of its training samples moved to a validation set."""
    if n_val == 0:
        return prep
    tr, va = validation_split(prep.y_train, n_val, seed)
    return Prepared(prep.cfg, prep.train.subset(tr), prep.test, prep.y_train[tr], prep.y_test,
                    prep.train.subset(va), prep.y_train[va])


def epoch_orders(n: int, epochs: int, seed: int) -> list[np.ndarray]:
    return [np.random.default_rng([seed, e]).permutation(n) for e in range(epochs)]


def _warm_up(proc: Processor, batch: EventBatch, labels: np.ndarray) -> None:
    """Compile the kernels outside the timed region (on a throw-away copy)."""
    tmp = proc.copy()
    k = np.arange(min(2, len(batch)))
    tmp.run(batch.subset(k), labels[k], learn=True)


# ---- saturation ---------------------------------------------------------------------------------
def saturation_stats(proc: Processor, batch: EventBatch) -> dict:
    """How much of the trained chip works in its linear range, over the samples of ``batch``:

    - ``fc1.linear_fraction``: the fraction of (sample, hidden unit) pairs whose hard-tanh
      derivative window is open (``fc1_dact = 1``: the unit learns from that sample);
    - ``fc2.linear_fraction``: the fraction of (sample, output) pairs whose sigmoid output is
      strictly between 0 and ONE (not on a rail of the LUT);
    - ``weights_at_rails``: the fraction of the layer's weights (bias row included) at the lowest
      or highest value of their precision after training.

    Bit-exact: every sample runs through the kernel (inference, on a copy) and the chip's own
    ``fc{k}_dact`` and ``fc{K+1}_out`` memories are read after it. Keys: ``fc1`` .. ``fc{K}`` (the
    hidden layers) and ``fc{K+1}`` (the output layer)."""
    cfg = proc.cfg
    tmp = proc.copy()
    n = len(batch)
    nh = cfg.depth
    lin = [0] * (nh + 1)
    off = batch.offsets
    for k in range(n):
        s, e = off[k], off[k + 1]
        tmp.run(EventBatch(batch.x[s:e], batch.y[s:e], batch.c[s:e], np.array([0, e - s], np.int64)))
        y0 = 0
        for h in range(nh):
            m = cfg.hidden[h].neurons
            lin[h] += int(tmp.st["dact"][y0:y0 + m].sum())
            y0 += m
        o = tmp.st["out"]
        lin[nh] += int(((o > 0) & (o < cfg.output.one)).sum())

    def rails(w: np.ndarray, bits: int) -> float:
        lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
        return float(np.mean((w == lo) | (w == hi)))

    n = max(n, 1)
    layers = list(cfg.hidden) + [cfg.output]
    return {f"fc{k + 1}": {"linear_fraction": lin[k] / (n * layers[k].neurons),
                           "weights_at_rails": rails(proc.weights(k + 1), layers[k].wb)}
            for k in range(nh + 1)}


@dataclass
class TrainReport:
    results: dict = field(default_factory=dict)
    processor: Processor | None = None
    offchip: Processor | None = None
    float_drtp: FloatResult | None = None
    float_bp: FloatResult | None = None
    test_counters: np.ndarray | None = None  # (2, N) summed over the test set, trained chip
    interrupted: str | None = None  # Ctrl-C: what was stopped (the finished parts are kept)


def _acc(proc: Processor, batch: EventBatch | None, y: np.ndarray | None) -> float | None:
    if batch is None or y is None or not len(y):
        return None
    return proc.copy().evaluate(batch, y).accuracy(y)


def run_training(cfg: Config, prep: Prepared, *, epochs: int, mode: str = "on-chip",
                 float_reference: bool = True, progress: Callable[[str, int], object] | None = None,
                 conv_kernels: np.ndarray | None = None, lfsr_start: tuple[int, ...] | None = None,
                 saturation: bool = True, baselines: bool = True, jobs: int = 1) -> TrainReport:
    """Train and evaluate. ``progress(desc, total)`` may return a tqdm-like object;
    ``conv_kernels`` (C, CIN, K, K) replace the random kernels of the seed; ``lfsr_start`` loads
    other (non-zero) start states into the rounding LFSRs (one per FC layer) after reset, as the host can write
    them (nothing else changes: same contents, B, initial weights and sample order). ``jobs``:
    threads for the float references' gain grids (results do not depend on it).

    The float references choose their gains on ``prep.val`` (required when a float reference
    runs); the integer model's validation accuracy is recorded after every epoch too
    (``learning_curves``). Test accuracy is reported, never used for a choice.

    Ctrl-C (KeyboardInterrupt) keeps what finished: during on-chip training, the chip after the
    last completed epoch (evaluated as usual); during a float reference, the complete on-chip
    result. ``rep.interrupted`` (and ``results["interrupted"]``) then says what was stopped. An
    interruption before anything finished propagates."""
    if mode not in MODES:
        raise ValueError(f"mode {mode!r}: must be one of {', '.join(MODES)}")
    rep = TrainReport()
    res = rep.results
    res.update(config=cfg.name, seed=cfg.seed, epochs=epochs, n_train=len(prep.y_train), n_val=prep.n_val,
               n_test=len(prep.y_test), mode=mode)
    orders = epoch_orders(len(prep.y_train), epochs, cfg.seed)
    proc = Processor.from_config(cfg, conv_kernels)
    if lfsr_start is not None:
        proc.st["lfsr"][:] = np.asarray(roms.lfsr_reset(cfg, lfsr_start), np.int64)  # lanes: spec §16
        res["lfsr_start"] = [int(v) for v in lfsr_start]
    _warm_up(proc, prep.train, prep.y_train)
    curves: dict[str, list[float]] = {"epoch": list(range(1, epochs + 1))}
    res["learning_curves"] = curves

    if mode in ("on-chip", "both"):
        bar = progress("on-chip DRTP (integer)", epochs) if progress else None
        learn_time = 0.0
        learn_cycles = [0, 0]  # cycles and samples of the learning passes (spec §16)
        cyc = counter_index(cfg)["cycles"]
        done = (proc.copy(), [], [])  # the chip after the last completed epoch and its curves (one store)
        try:
            for e in range(epochs):
                interruption_point()
                t0 = time.perf_counter()
                ep = proc.train_epoch(prep.train, prep.y_train, orders[e])
                learn_time += time.perf_counter() - t0
                learn_cycles[0] += int(ep.counters[:, cyc].sum())
                learn_cycles[1] += len(prep.y_train)
                acc = proc.evaluate(prep.test, prep.y_test).accuracy(prep.y_test)
                vacc = _acc(proc, prep.val, prep.y_val)
                done = (proc.copy(), done[1] + [acc], done[2] + ([] if vacc is None else [vacc]))
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(**({"val": f"{vacc:.4f}"} if vacc is not None else {"test": f"{acc:.4f}"}))
        except KeyboardInterrupt:
            if bar is not None:
                bar.close()
            if not done[1]:
                raise
            rep.interrupted = f"on-chip training in epoch {len(done[1]) + 1} of {epochs}"
            res.update(interrupted=rep.interrupted, epochs_completed=len(done[1]))
            curves["epoch"] = curves["epoch"][:len(done[1])]
        proc, curve, vcurve = done
        if bar is not None:
            bar.close()
        t0 = time.perf_counter()
        te = proc.copy().evaluate(prep.test, prep.y_test)
        infer_time = time.perf_counter() - t0
        rep.test_counters = te.counters
        tr = proc.copy().evaluate(prep.train, prep.y_train)
        res.update(test_accuracy=te.accuracy(prep.y_test), train_accuracy=tr.accuracy(prep.y_train),
                   test_accuracy_per_epoch=curve,
                   learn_samples_per_second=len(curve) * len(prep.y_train) / learn_time if learn_time else None,
                   infer_samples_per_second=len(prep.y_test) / infer_time if infer_time else None,
                   cycles_per_inference_sample=(float(te.counters[:, cyc].sum()) / len(prep.y_test)
                                                if len(prep.y_test) else None),
                   cycles_per_learning_sample=(learn_cycles[0] / learn_cycles[1] if learn_cycles[1] else None))
        if vcurve:
            res["val_accuracy"] = vcurve[-1]
            curves["integer_val_accuracy"] = vcurve
        curves["integer_test_accuracy"] = curve
        if saturation:
            res["saturation"] = saturation_stats(proc, prep.test)
        rep.processor = proc

    if baselines and mode in ("on-chip", "both") and rep.interrupted is None:
        bar = None
        try:
            bar = progress("baselines: linear read-out, frozen hidden (integer)", baseline_runs(cfg)) \
                if progress else None
            res.update(run_baselines(cfg, prep, epochs, orders, conv_kernels, bar, jobs))
        except KeyboardInterrupt:
            rep.interrupted = "baselines (linear read-out, frozen hidden)"
            res["interrupted"] = rep.interrupted
        finally:
            if bar is not None:
                bar.close()

    need_float = (float_reference or mode in ("off-chip", "both")) and rep.interrupted is None
    if need_float:
        if not prep.n_val:
            raise ValueError("the float references choose their gains on a validation set: prep.val is empty")
        g = proc.g
        kern = proc.st["kern"]

        def csr(batch: EventBatch, y: np.ndarray):
            c = spike_inputs(g, batch.x, batch.y, batch.c, batch.offsets, kern)
            return (c[0], c[1], y)
        init = ([roms.layer_init(cfg, k) for k in range(1, cfg.depth + 2)],
                [roms.layer_b_fields(cfg, h) for h in range(1, cfg.depth + 1)])
        train_t, val_t, test_t = csr(prep.train, prep.y_train), csr(prep.val, prep.y_val), csr(prep.test, prep.y_test)
        algos = (["drtp"] if float_reference else []) + (["bp"] if mode in ("off-chip", "both") else [])
        for algo in algos:
            bar = None
            try:
                # the bar inside the try: a Ctrl-C while it prints its first line (a user who
                # reacts to that line) must keep what finished as well
                bar = progress(f"float {algo.upper()} reference (gain grid; grows while the best pair is on its "
                               f"edge)", len(GAINS) ** 2) if progress else None
                fr = train_reference(cfg, algo, init, train_t, val_t, test_t, epochs, orders, progress=bar,
                                     jobs=jobs)
            except KeyboardInterrupt:
                if bar is not None:
                    bar.close()
                if rep.processor is None and rep.float_drtp is None:
                    raise  # nothing finished
                rep.interrupted = f"float {algo.upper()} {'reference' if algo == 'drtp' else 'training (off-chip)'}"
                res["interrupted"] = rep.interrupted
                break
            if bar is not None:
                bar.close()
            search = {"runs": len(fr.grid), "g1_range": list(fr.gain_range[0]), "g2_range": list(fr.gain_range[1]),
                      "at_edge": fr.at_edge}
            if algo == "drtp":
                rep.float_drtp = fr
                res.update(float_test_accuracy=fr.test_accuracy, float_train_accuracy=fr.train_accuracy,
                           float_val_accuracy=fr.val_accuracy, float_gains=list(fr.gains), float_gain_search=search)
                curves["float_val_accuracy"] = fr.val_curve
            else:
                rep.float_bp = fr
                off = Processor.from_config(cfg, conv_kernels)
                for k, (w, layer) in enumerate(zip(fr.weights, list(cfg.hidden) + [cfg.output])):
                    off.weights(k + 1)[...] = quantize(w, layer.wb)
                te_off = off.copy().evaluate(prep.test, prep.y_test)
                res.update(offchip_test_accuracy=te_off.accuracy(prep.y_test),
                           offchip_val_accuracy=_acc(off, prep.val, prep.y_val),
                           offchip_float_test_accuracy=fr.test_accuracy, offchip_float_val_accuracy=fr.val_accuracy,
                           offchip_gains=list(fr.gains), offchip_gain_search=search)
                curves["offchip_float_val_accuracy"] = fr.val_curve
                if saturation:
                    res["offchip_saturation"] = saturation_stats(off, prep.test)
                rep.offchip = off
                if rep.test_counters is None:
                    rep.test_counters = te_off.counters
        if "test_accuracy" in res and "float_test_accuracy" in res:
            res["quantization_gap_pp"] = 100.0 * (res["float_test_accuracy"] - res["test_accuracy"])
    return rep


# ---- baselines: what do the hidden layers buy? ---------------------------------------------------
LINEAR_LR_STEPS = (-2, -1, 1, 2)


def run_baselines(cfg: Config, prep: Prepared, epochs: int, orders: list[np.ndarray],
                  conv_kernels: np.ndarray | None = None, progress=None, jobs: int = 1) -> dict:
    """The two integer baselines of the same data, split, seed, conv front end and sample order:

    - the *linear read-out*: no hidden layer, the output layer reads the conv spikes (spec §15,
      K = 0). Its inputs are 0/1 instead of activations up to YMAX, so its sigmoid shift and
      learning-rate shift are chosen on validation (a search over SS - (YB - 1) .. SS with the
      shift LR_out - (YB - 1), then LR_out - (YB - 1) + {-2, -1, 1, 2} at the best SS);
    - the *frozen-hidden* network: this config, the hidden layers keep their initial weights and
      only the output layer learns (with this config's shifts).

    The runs of each search step (and the frozen network) are independent: ``jobs`` threads run
    them, with the results of a serial search. Returns ``linear_*`` and ``frozen_*`` accuracies
    (test and validation) and the chosen shifts."""
    from hwmodel.util.parallel import check, map_threads
    from hwmodel.engine.kernel import StackProcessor

    def train(proc, stop):
        for e in range(epochs):
            check(stop)
            proc.run(prep.train.subset(orders[e]), np.asarray(prep.y_train)[orders[e]], learn=True)
        return proc

    def acc(proc, batch, y):
        return None if batch is None or not len(y) else proc.copy().run(batch).accuracy(y)

    out: dict = {}
    yb = cfg.hidden[-1].yb if cfg.depth else 1
    o = cfg.output
    lr0 = max(0, o.lr_shift - (yb - 1))
    tried: dict[tuple[int, int], tuple] = {}

    def one(job, stop):
        if job is None:                    # the frozen-hidden network
            return train(StackProcessor.from_config(cfg, conv_kernels, frozen_hidden=True), stop)
        ss, lr = job
        c = cfg.replace(**{"hidden.sizes": "", "output.lr_shift": lr, "output.sig_shift": ss})
        p = train(StackProcessor.from_config(c, conv_kernels), stop)
        v = acc(p, prep.val, prep.y_val)
        return (v if v is not None else -1.0, p)

    bump = None if progress is None else (lambda _j, _r: progress.update(1))
    sss = list(range(max(0, o.sig_shift - (yb - 1)), o.sig_shift + 1))
    step1 = [(ss, lr0) for ss in sss] + [None]
    *lin, fz = map_threads(one, step1, jobs, bump)
    tried.update(zip(step1[:-1], lin))
    best_ss = max(sss, key=lambda ss: (tried[(ss, lr0)][0], -ss))
    step2 = [(best_ss, lr0 + d) for d in LINEAR_LR_STEPS if 0 <= lr0 + d <= 40 and (best_ss, lr0 + d) not in tried]
    tried.update(zip(step2, map_threads(one, step2, jobs, bump)))
    (ss, lr), (v, best) = max(tried.items(), key=lambda kv: (kv[1][0], -abs(kv[0][1] - lr0)))
    out.update(linear_test_accuracy=acc(best, prep.test, prep.y_test), linear_val_accuracy=acc(best, prep.val, prep.y_val),
               linear_sig_shift=ss, linear_lr_shift=lr, linear_search_runs=len(tried),
               linear_weight_bits=(cfg.n_in + 1) * o.neurons * o.wb)
    out.update(frozen_test_accuracy=acc(fz, prep.test, prep.y_test), frozen_val_accuracy=acc(fz, prep.val, prep.y_val))
    return out


def baseline_runs(cfg: Config) -> int:
    """How many trainings run_baselines makes at most (for a progress bar)."""
    yb = cfg.hidden[-1].yb if cfg.depth else 1
    return min(cfg.output.sig_shift, yb - 1) + 1 + len(LINEAR_LR_STEPS) + 1


# ---- several seeds, rounding-noise repeats -----------------------------------------------------------
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
              baselines: bool = True, jobs: int = 1) -> SeedsReport:
    """``run_training`` for every chip seed (``cfg`` with ``seed = s``), then the summary over
    seeds (``summarize``): ``per_seed`` holds each seed's single-seed result object.

    ``rounding_repeats = R > 1`` trains the on-chip model R times per seed with different
    rounding-LFSR start states (``rounding_lfsr_starts``; repeat 0 is the ordinary run), nothing
    else changed: ``rounding_repeats`` in the results gives per seed the test accuracies and
    quantization gaps (float reference of the same seed minus each repeat) and the spread that
    rounding alone causes. Ctrl-C keeps the seeds that finished (the one interrupted too, when
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
                               progress=progress, conv_kernels=conv_kernels, baselines=baselines, jobs=jobs)
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
                    rr = run_training(cs, prep, epochs=epochs, mode="on-chip", float_reference=False,
                                      conv_kernels=conv_kernels, lfsr_start=st, saturation=False,
                                      progress=progress, baselines=False)
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


def prepare_streams(cfg: Config, train_streams, y_train, test_streams, y_test) -> Prepared:
    """Validated event batches from recorded or emulated event streams."""
    return Prepared(cfg, EventBatch.from_streams(train_streams, cfg), EventBatch.from_streams(test_streams, cfg),
                    np.asarray(y_train, np.int64), np.asarray(y_test, np.int64))


def event_savings(cfg: Config, counters: np.ndarray, n_samples: int) -> dict:
    """Per-sample cost of the event-driven conv layer (from counters) beside a frame-based
    computation of the same layer (``counters.frame_baseline``)."""
    from hwmodel.spec.counters import counter_index, frame_baseline
    IDX = counter_index(cfg)
    inf = counters[0] / max(1, n_samples)
    ev_acc = sum(inf[IDX[k]] for k in ("conv_kernel_rd", "conv_pot_rd", "conv_pot_wr", "conv_spk_rd", "conv_spk_wr"))
    fb = frame_baseline(cfg)
    return {"events_per_sample": float(inf[IDX["events"]]),
            "conv_ops_per_sample": float(inf[IDX["conv_add"]]),
            "frame_conv_ops_per_sample": fb["conv_ops"],
            "conv_mem_accesses_per_sample": float(ev_acc),
            "frame_conv_mem_accesses_per_sample": fb["mem_accesses"],
            "conv_ops_saved_pct": 100.0 * (1 - inf[IDX["conv_add"]] / fb["conv_ops"]),
            "conv_accesses_saved_pct": 100.0 * (1 - ev_acc / fb["mem_accesses"])}


# ---- data selection shared by the CLI and the sweeps ----------------------------------------
EVENT_SOURCES = ("image", "dvs", "nmnist", "aer")
STREAM_SOURCES = ("nmnist", "aer")  # recorded streams from a --data folder
DVS_TEST_SEED_OFFSET = 1_000_000


@dataclass(frozen=True)
class DataSpec:
    """Which samples a run uses: images through the config's encoder, DVS-emulated images, or
    recorded N-MNIST streams; from the embedded set or a user folder; with optional stopping rules.
    ``val_size`` training samples become the validation split (None: ``default_val_size``)."""
    events: str = "image"
    folder: str | None = None
    n_train: int | None = None
    n_test: int | None = None
    split_seed: int = 0
    window_us: int | None = None
    max_events: int | None = None
    val_size: int | None = None

    def resolved_val(self, n_train: int | None = None) -> int | None:
        """The validation size for a training set of ``n_train`` samples (None: not known yet)."""
        if self.val_size is not None:
            return self.val_size
        n = n_train if n_train is not None else self.n_train
        if n is None and not (self.events in STREAM_SOURCES or self.folder):
            n = 4000
        return None if n is None else default_val_size(n)

    def key(self) -> str:
        """A stable text naming the samples (used as the data column of sweep results)."""
        if self.events in STREAM_SOURCES or self.folder:
            kind = self.events if self.events in STREAM_SOURCES else "idx"
            base = f"{kind}:{self.folder}:n_train={self.n_train},n_test={self.n_test}"
        else:
            n_tr = 4000 if self.n_train is None else self.n_train
            n_te = 1000 if self.n_test is None else self.n_test
            base = f"embedded:n_train={n_tr},n_test={n_te},split_seed={self.split_seed}"
        if self.events == "dvs":
            base += ",dvs"
        if self.window_us is not None or self.max_events is not None:
            base += f",window_us={self.window_us},max_events={self.max_events}"
        val = self.resolved_val()
        return base + f",val={'auto' if val is None else val}"


def _stop_all(streams, spec: DataSpec):
    from hwmodel.data.encode import stop_stream
    if spec.window_us is None and spec.max_events is None:
        return streams
    return [stop_stream(s, spec.window_us, spec.max_events) for s in streams]


EMBEDDED_DIGITS = 5000


def check_spec(spec: DataSpec) -> None:
    """The checks that need no data: counts >= 1, windows > 0, a folder where one is needed and
    that exists, embedded sizes. Raises ``DataError`` naming the option."""
    from hwmodel.data.mnist import DataError
    if spec.events not in EVENT_SOURCES:
        raise DataError(f"events {spec.events!r}: must be one of {', '.join(EVENT_SOURCES)}")
    for opt, v, lo in (("--n-train", spec.n_train, 1), ("--n-test", spec.n_test, 1),
                       ("--window-us", spec.window_us, 1), ("--max-events", spec.max_events, 1)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < lo):
            raise DataError(f"{opt} must be {'> 0' if opt == '--window-us' else '>= 1'}, got {v!r}")
    if not isinstance(spec.split_seed, int) or spec.split_seed < 0:
        raise DataError(f"--split-seed must be >= 0, got {spec.split_seed!r}")
    if spec.events in STREAM_SOURCES and not spec.folder:
        layout = "Train/<digit>/*.bin and Test/<digit>/*.bin" if spec.events == "nmnist" else \
            "Train/**/*.aer and Test/**/*.aer"
        raise DataError(f"--events {spec.events} needs --data DIR (a folder with {layout})")
    if spec.folder:
        p = Path(spec.folder)
        if not p.exists():
            raise DataError(f"data folder '{spec.folder}' does not exist")
        if not p.is_dir():
            raise DataError(f"data folder '{spec.folder}' is not a folder")
    elif spec.events not in STREAM_SOURCES:
        n_tr = 4000 if spec.n_train is None else spec.n_train
        n_te = 1000 if spec.n_test is None else spec.n_test
        if n_tr + n_te > EMBEDDED_DIGITS:
            raise DataError(f"embedded MNIST has {EMBEDDED_DIGITS} digits: cannot take {n_tr} + {n_te}")
    if spec.val_size is not None:
        v = spec.val_size
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise DataError(f"--val-size must be >= 0, got {v!r}")
        if spec.n_train is not None or not (spec.folder or spec.events in STREAM_SOURCES):
            check_val_size(v, 4000 if spec.n_train is None else spec.n_train)


def check_val_size(val_size: int, n_train: int) -> None:
    """The validation split must leave at least one training sample."""
    from hwmodel.data.mnist import DataError
    if val_size >= n_train:
        raise DataError(f"--val-size {val_size} is not smaller than the training set ({n_train} samples): "
                        f"the validation digits are carved from it and at least one must be left to train on")


def check_val_needed(val_size: int | None, why: str) -> None:
    """A choice (``why``) is made on validation: ``--val-size 0`` cannot be used for it."""
    from hwmodel.data.mnist import DataError
    if val_size == 0:
        raise DataError(f"--val-size 0: {why} on the validation split; give --val-size N >= 1")


def check_sensor(cfg: Config, width: int, height: int, what: str) -> None:
    from hwmodel.spec.config import ConfigError
    if (cfg.input.width, cfg.input.height) != (width, height):
        hint = " (use --config nmnist)" if (width, height) == (34, 34) else \
            " (use --config spoon_dvs)" if (width, height) == (28, 28) else ""
        raise ConfigError(f"config '{cfg.name}' has a {cfg.input.width}x{cfg.input.height} input; "
                          f"{what} {width}x{height}{hint}")


def _check_prepared(cfg: Config, prep: Prepared, spec: DataSpec) -> None:
    """Labels the chip can learn, and events left after the stopping rules."""
    from hwmodel.data.mnist import DataError
    n_cls = cfg.output.neurons
    for part, y in (("training", prep.y_train), ("test", prep.y_test)):
        if len(y) and (y.min() < 0 or y.max() >= n_cls):
            bad = int(y[(y < 0) | (y >= n_cls)][0])
            raise DataError(f"a {part} label is {bad}: config '{cfg.name}' has {n_cls} outputs (labels 0..{n_cls - 1})")
    for part, b in (("training", prep.train), ("test", prep.test)):
        lens = np.diff(b.offsets)
        if len(lens) and not lens.any():
            rule = ""
            if spec.window_us is not None or spec.max_events is not None:
                rule = f" after --window-us {spec.window_us} / --max-events {spec.max_events}"
            raise DataError(f"no {part} sample has any event{rule}: nothing to learn from")


def warn_sparse(prep: Prepared, log) -> None:
    """One warning line when many samples are empty (chance accuracy is then likely)."""
    parts = [("training", np.concatenate([np.diff(prep.train.offsets)]
                                         + ([np.diff(prep.val.offsets)] if prep.val is not None else []))),
             ("test", np.diff(prep.test.offsets))]
    for part, lens in parts:  # the training samples with the validation ones carved from them
        if len(lens):
            empty = float(np.mean(lens == 0))
            if empty >= 0.1:
                log(f"warning: {100 * empty:.0f} % of the {part} samples have no event (mean "
                    f"{lens.mean():.1f} events per sample)")


def load_data(cfg: Config, spec: DataSpec) -> tuple[Prepared, str]:
    """Validated event batches for ``spec`` under ``cfg``, and a description of the source."""
    from hwmodel.spec.config import ConfigError
    from hwmodel.data.mnist import embedded_split, load_aer_folder, load_idx_folder, load_nmnist
    check_spec(spec)
    if spec.events in STREAM_SOURCES:
        if spec.events == "nmnist":
            if (cfg.input.width, cfg.input.channels) != (34, 2):
                raise ConfigError(f"config '{cfg.name}' has a {cfg.input.width}x{cfg.input.height}x"
                                  f"{cfg.input.channels} input; N-MNIST needs 34x34x2 (use --config nmnist)")
            ss = load_nmnist(spec.folder, spec.n_train, spec.n_test, spec.split_seed)
        else:
            from hwmodel.data.mnist import list_aer_folder
            w, h = list_aer_folder(spec.folder)["sensor"]
            check_sensor(cfg, w, h, "the .aer files are from a sensor of")
            ss = load_aer_folder(spec.folder, spec.n_train, spec.n_test, spec.split_seed)
        prep = prepare_streams(cfg, _stop_all(ss.train, spec), ss.y_train, _stop_all(ss.test, spec), ss.y_test)
        _check_prepared(cfg, prep, spec)
        return _with_val(prep, spec), ss.source
    if spec.folder:
        split = load_idx_folder(spec.folder, spec.n_train, spec.n_test)
    else:
        split = embedded_split(4000 if spec.n_train is None else spec.n_train,
                               1000 if spec.n_test is None else spec.n_test, spec.split_seed)
    if cfg.input.width != split.x_train.shape[2]:
        raise ConfigError(f"config '{cfg.name}' has a {cfg.input.width}-wide input; the images are "
                          f"{split.x_train.shape[2]} wide")
    if spec.events == "dvs":
        from hwmodel.data.dvs import dvs_dataset
        tr = dvs_dataset(split.x_train, split.y_train, seed=spec.split_seed)
        te = dvs_dataset(split.x_test, split.y_test, seed=spec.split_seed + DVS_TEST_SEED_OFFSET)
        prep = prepare_streams(cfg, _stop_all(tr, spec), split.y_train, _stop_all(te, spec), split.y_test)
        source = split.source + ", DVS-emulated (hwmodel.data.dvs defaults)"
    elif spec.window_us is not None or spec.max_events is not None:
        prep = prepare_streams(cfg, _stop_all(encode_images(split.x_train, cfg), spec), split.y_train,
                               _stop_all(encode_images(split.x_test, cfg), spec), split.y_test)
        source = split.source
    else:
        prep, source = prepare(cfg, split), split.source
    _check_prepared(cfg, prep, spec)
    return _with_val(prep, spec), source


def _with_val(prep: Prepared, spec: DataSpec) -> Prepared:
    n_val = spec.resolved_val(len(prep.y_train))
    check_val_size(n_val, len(prep.y_train))
    return carve_validation(prep, n_val, spec.split_seed)
