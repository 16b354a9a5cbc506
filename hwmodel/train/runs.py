"""Training runs: on-chip (integer DRTP), off-chip (float BP, quantized, integer inference) and the
float DRTP reference, on the same split, sample orders and initial state.

``run_training`` is what the CLI and the sweeps call (``hwmodel.train.seeds.run_seeds`` repeats it
over chip seeds). Sample order per epoch is host-side:
``numpy.random.default_rng([seed, epoch]).permutation(n_train)``.

Validation discipline: a validation split is carved from the training data
(``hwmodel.data.select.validation_split``: stratified, a fixed seed that does not depend on the
chip seed) and every choice the tool makes (the float references' gains, the sweep report's
recommendations) is made on it; the integer model and the float references train on the same
remaining digits; test accuracy is only reported.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from hwmodel.spec import roms
from hwmodel.util.checks import interruption_point
from hwmodel.util.parallel import check
from hwmodel.spec.config import Config
from hwmodel.spec.counters import counter_index
from hwmodel.data.encode import EventBatch
from hwmodel.train.floatref import quantize
from hwmodel.train.gainsearch import GAINS, FloatResult, train_reference
from hwmodel.engine.processor import Processor
from hwmodel.train.baselines import Beside, baseline_runs, run_baselines
from hwmodel.data.select import Prepared

MODES = ("on-chip", "off-chip", "both")

# Every metric ``run_seeds`` summarizes over seeds (mean, std, 95 % interval), one list: the
# accuracies of every model a run trains (0..1) and the quantization gap (percentage points). A
# new model's accuracy (e.g. the linear read-out or frozen-hidden baselines) is added here.


def epoch_orders(n: int, epochs: int, seed: int) -> list[np.ndarray]:
    return [np.random.default_rng([seed, e]).permutation(n) for e in range(epochs)]


def _warm_up(proc: Processor, batch: EventBatch, labels: np.ndarray) -> None:
    """Compile the kernels outside the timed region (on a throw-away copy)."""
    tmp = proc.copy()
    k = np.arange(min(2, len(batch)))
    tmp.run(batch.subset(k), labels[k], learn=True)


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
    baseline_chips: dict = field(default_factory=dict)  # the trained baselines: linear, frozen
    interrupted: str | None = None  # Ctrl-C: what was stopped (the finished parts are kept)
    config: Config | None = None    # the config trained: the given one, or the one --tune chose


def _acc(proc: Processor, batch: EventBatch | None, y: np.ndarray | None, front=None) -> float | None:
    if batch is None or y is None or not len(y):
        return None
    return proc.copy().evaluate(batch, y, front=front).accuracy(y)


def front_ends(proc: Processor, prep: Prepared) -> dict:
    """The conv front end of the training, validation and test samples under ``proc``'s kernels,
    computed once for every pass of every chip with that conv (``StackProcessor.front_end``)."""
    return {"train": proc.front_end(prep.train), "test": proc.front_end(prep.test),
            "val": proc.front_end(prep.val) if prep.val is not None and len(prep.y_val) else None}


def run_training(cfg: Config, prep: Prepared, *, epochs: int, mode: str = "on-chip",
                 float_reference: bool = True, progress: Callable[[str, int], object] | None = None,
                 conv_kernels: np.ndarray | None = None, lfsr_start: tuple[int, ...] | None = None,
                 saturation: bool = True, baselines: bool = True, jobs: int = 1,
                 tune: bool = False, tune_fixed=(), init_state: Processor | None = None) -> TrainReport:
    """Train and evaluate. ``progress(desc, total)`` may return a tqdm-like object;
    ``conv_kernels`` (C, CIN, K, K) replace the random kernels of the seed; ``lfsr_start`` loads
    other (non-zero) start states into the rounding LFSRs (one per FC layer) after reset, as the host can write
    them (nothing else changes: same contents, B, initial weights and sample order). ``jobs``:
    threads for the baselines and the float references' gain grids (results do not depend on
    it); with more than one, the baselines start beside the on-chip run, on the other cores.

    The float references choose their gains on ``prep.val`` (required when a float reference
    runs); the integer model's validation accuracy is recorded after every epoch too
    (``learning_curves``). Test accuracy is reported, never used for a choice. ``tune``: the chip's
    learning knobs are first chosen on ``prep.val`` (``hwmodel.train.tune``; ``chip_tune_search``
    in the results), and the chip, its baselines and the float references are those of the chosen
    config (``rep.config``); ``tune_fixed``: knob keys kept as ``cfg`` has them. ``init_state``: the
    chip starts from this chip's whole state (``train --init-weights``: continue training; its
    config is ``cfg`` but for the seed) instead of the reset state.

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
    clock = _PhaseClock(res)
    orders = epoch_orders(len(prep.y_train), epochs, cfg.seed)
    proc = Processor.from_config(cfg, conv_kernels) if init_state is None else init_state.copy()
    if lfsr_start is not None:
        proc.st["lfsr"][:] = np.asarray(roms.lfsr_reset(cfg, lfsr_start), np.int64)  # lanes: spec §16
        res["lfsr_start"] = [int(v) for v in lfsr_start]
    _warm_up(proc, prep.train, prep.y_train)
    fronts = front_ends(proc, prep)
    clock.lap("set_up")
    if tune:
        cfg = _tune(cfg, prep, orders, epochs, conv_kernels, fronts, progress, jobs, res, tune_fixed)
        clock.lap("chip_tune")
        proc = Processor.from_config(cfg, conv_kernels)
        if lfsr_start is not None:
            proc.st["lfsr"][:] = np.asarray(roms.lfsr_reset(cfg, lfsr_start), np.int64)
    rep.config = cfg
    curves: dict[str, list[float]] = {"epoch": list(range(1, epochs + 1))}
    res["learning_curves"] = curves

    beside = None
    try:
        if mode in ("on-chip", "both"):
            if baselines and jobs > 1:      # the baselines on the cores the on-chip run leaves
                beside = Beside(cfg, prep, epochs, orders, conv_kernels, _baselines_bar(cfg, progress), jobs,
                                rep.baseline_chips, fronts)
            _train_on_chip(cfg, prep, proc, orders, epochs, progress, saturation, rep, fronts)
            if beside is not None:
                beside.chip_done()
            clock.lap("on_chip")
        if baselines and mode in ("on-chip", "both") and rep.interrupted is None:
            _train_baselines(cfg, prep, orders, epochs, conv_kernels, progress, jobs, rep, fronts, beside)
            clock.lap("baselines")
    finally:                            # whatever stopped the run (the chip's Ctrl-C too): no thread left
        if beside is not None:
            beside.cancel()
    if (float_reference or mode in ("off-chip", "both")) and rep.interrupted is None:
        _float_references(cfg, prep, proc, orders, epochs, mode, float_reference, conv_kernels, progress,
                          saturation, jobs, rep, fronts, clock)
    return rep


class _PhaseClock:
    """Wall seconds of each phase of a training run, in ``results["phase_seconds"]`` (set-up: the
    kernels' warm-up and the conv front ends; then the chip knob search, the on-chip run, the
    baselines (when they started beside the on-chip run: the time they took after it), each float
    reference, or ``float_references`` when both searches ran at once; the
    text summary lists them in the order they ran): where a run's time goes."""

    def __init__(self, res: dict):
        self.t = time.perf_counter()
        self.out = res.setdefault("phase_seconds", {})

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.out[name] = round(now - self.t, 3)
        self.t = now


def _tune(cfg: Config, prep: Prepared, orders, epochs: int, conv_kernels, fronts: dict, progress, jobs: int,
          res: dict, fixed=()) -> Config:
    """``tune_chip`` with chips of this seed, sample order and conv front end (the knobs are FC
    knobs: the front end is the same for every point); the chosen config."""
    from hwmodel.train.tune import tune_chip
    if not prep.n_val:
        raise ValueError("--tune chooses the chip's knobs on a validation set: prep.val is empty")

    def score(c: Config, stop) -> float:
        p = Processor.from_config(c, conv_kernels)
        for e in range(epochs):
            check(stop)
            p.train_epoch(prep.train, prep.y_train, orders[e], front=fronts["train"])
        return p.evaluate(prep.val, prep.y_val, front=fronts["val"]).accuracy(prep.y_val)

    bar = progress("chip knob search (integer DRTP, validation)", 1) if progress else None
    try:
        chosen, search = tune_chip(cfg, score, prep.n_val, jobs=jobs, progress=bar, fixed=fixed)
    finally:
        if bar is not None:
            bar.close()
    res["chip_tune_search"] = search
    return chosen


def _train_on_chip(cfg: Config, prep: Prepared, proc: Processor, orders, epochs: int, progress,
                   saturation: bool, rep: TrainReport, fronts: dict) -> None:
    """Integer DRTP on the chip model, epoch by epoch (Ctrl-C keeps the last completed epoch);
    the chip's test, train and validation accuracies, throughput, cycles and saturation."""
    res, curves = rep.results, rep.results["learning_curves"]
    bar = progress("on-chip DRTP (integer)", epochs) if progress else None
    learn_time = 0.0
    learn_cycles = [0, 0]  # cycles and samples of the learning passes (spec §16)
    cyc = counter_index(cfg)["cycles"]
    done = (proc.copy(), [], [])  # the chip after the last completed epoch and its curves (one store)
    try:
        for e in range(epochs):
            interruption_point()
            t0 = time.perf_counter()
            ep = proc.train_epoch(prep.train, prep.y_train, orders[e], front=fronts["train"])
            learn_time += time.perf_counter() - t0
            learn_cycles[0] += int(ep.counters[:, cyc].sum())
            learn_cycles[1] += len(prep.y_train)
            acc = proc.evaluate(prep.test, prep.y_test, front=fronts["test"]).accuracy(prep.y_test)
            vacc = _acc(proc, prep.val, prep.y_val, fronts["val"])
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
    te = proc.copy().evaluate(prep.test, prep.y_test)        # the conv included: a chip's inference rate
    infer_time = time.perf_counter() - t0
    rep.test_counters = te.counters
    tr = proc.copy().evaluate(prep.train, prep.y_train, front=fronts["train"])
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


def _baselines_bar(cfg: Config, progress):
    return progress("baselines: linear read-out, frozen hidden (integer)", baseline_runs(cfg)) \
        if progress else None


def _train_baselines(cfg: Config, prep: Prepared, orders, epochs: int, conv_kernels, progress, jobs: int,
                     rep: TrainReport, fronts: dict | None = None, beside: Beside | None = None) -> None:
    """The linear read-out and frozen-hidden baselines on the same samples (Ctrl-C: recorded);
    ``beside``: started beside the on-chip run, their results are awaited."""
    res = rep.results
    bar = None if beside is None else beside.bar
    try:
        if beside is not None:
            res.update(beside.result())
        else:
            bar = _baselines_bar(cfg, progress)
            res.update(run_baselines(cfg, prep, epochs, orders, conv_kernels, bar, jobs, chips=rep.baseline_chips,
                                     fronts=fronts))
    except KeyboardInterrupt:
        rep.interrupted = "baselines (linear read-out, frozen hidden)"
        res["interrupted"] = rep.interrupted
    finally:
        if bar is not None:
            bar.close()


def _float_references(cfg: Config, prep: Prepared, proc: Processor, orders, epochs: int, mode: str,
                      float_reference: bool, conv_kernels, progress, saturation: bool, jobs: int,
                      rep: TrainReport, fronts: dict | None = None, clock: "_PhaseClock | None" = None) -> None:
    """The float DRTP reference and the off-chip BP network (quantized into the integer model), on
    the exact spike inputs of the chip's conv front end; gains chosen on validation."""
    res = rep.results
    if not prep.n_val:
        raise ValueError("the float references choose their gains on a validation set: prep.val is empty")
    fronts = fronts or front_ends(proc, prep)
    init = ([roms.layer_init(cfg, k) for k in range(1, cfg.depth + 2)],
            [roms.layer_b_fields(cfg, h) for h in range(1, cfg.depth + 1)])
    train_t, val_t, test_t = [(fronts[p].idx, fronts[p].off, y) for p, y in
                              (("train", prep.y_train), ("val", prep.y_val), ("test", prep.y_test))]
    algos = (["drtp"] if float_reference else []) + (["bp"] if mode in ("off-chip", "both") else [])
    bars: dict = {}
    done: dict = {}

    def search(algo: str, share=None):
        return train_reference(cfg, algo, init, train_t, val_t, test_t, epochs, orders, progress=bars.get(algo),
                               jobs=jobs, share=share)
    try:
        # the bars inside the try: a Ctrl-C while one prints its first line (a user who reacts
        # to that line) must keep what finished as well
        if len(algos) > 1 and jobs > 1:
            # both searches at once on the same cores: the runs of one fill the cores the other
            # leaves idle (a grid step of 5 hidden trajectories on 2 cores, a growth of 1)
            for algo in algos:
                bars[algo] = _reference_bar(progress, algo)
            _concurrent_searches(algos, search, jobs, done)
            _lap(clock, "float_references")
        else:
            for algo in algos:
                bars[algo] = _reference_bar(progress, algo)
                done[algo] = search(algo)
                _close(bars.pop(algo))
                _lap(clock, "float_drtp" if algo == "drtp" else "float_bp")
    except KeyboardInterrupt:
        pass                    # ``done`` holds the searches that finished
    finally:
        for bar in bars.values():
            _close(bar)
    for algo in algos:
        if algo not in done:
            if rep.processor is None and rep.float_drtp is None:
                raise KeyboardInterrupt  # nothing finished
            rep.interrupted = f"float {algo.upper()} {'reference' if algo == 'drtp' else 'training (off-chip)'}"
            res["interrupted"] = rep.interrupted
            break
        _record_reference(cfg, prep, algo, done[algo], conv_kernels, saturation, rep, fronts)
    if "test_accuracy" in res and "float_test_accuracy" in res:
        res["quantization_gap_pp"] = 100.0 * (res["float_test_accuracy"] - res["test_accuracy"])


def _lap(clock, name: str) -> None:
    if clock is not None:
        clock.lap(name)


def _reference_bar(progress, algo: str):
    return progress(f"float {algo.upper()} reference, gain grid", len(GAINS) ** 2) if progress else None


def _close(bar) -> None:
    if bar is not None:
        bar.close()


def _concurrent_searches(algos: list[str], search, jobs: int, done: dict) -> None:
    """``search(algo, share)`` for every algorithm at once, sharing ``jobs`` cores
    (``parallel.Share``); ``done[algo]`` receives each result (the same as a search alone: the
    searches share no state). Ctrl-C, or an error in one search, stops all of them at their runs'
    next check; what finished is kept in ``done`` and the exception is raised (an error rather
    than the interruptions it caused)."""
    from concurrent.futures import ThreadPoolExecutor
    from hwmodel.util.checks import no_sigint
    from hwmodel.util.parallel import Share, wait_for
    share = Share(jobs)
    ex = ThreadPoolExecutor(len(algos), thread_name_prefix="hwmodel-search")
    futs: dict = {}
    try:
        with no_sigint():       # a Ctrl-C inside submit() could leave a started search unjoined
            for a in algos:
                futs[a] = ex.submit(search, a, share)
        wait_for(futs.values(), "FIRST_EXCEPTION")   # Ctrl-C raised here within parallel.POLL
    finally:                    # Ctrl-C here, or a search failed: stop the others
        if any(f.done() and f.exception() is not None for f in futs.values()) or \
                not all(f.done() for f in futs.values()):
            share.stop.set()
        ex.shutdown(wait=True)
        errors = []
        for a in futs:
            if futs[a].exception() is None:
                done[a] = futs[a].result()
            else:
                errors.append(futs[a].exception())
    if errors:
        raise next((e for e in errors if not isinstance(e, KeyboardInterrupt)), errors[0])


def _record_reference(cfg: Config, prep: Prepared, algo: str, fr, conv_kernels, saturation: bool,
                      rep: TrainReport, fronts: dict) -> None:
    """A finished float reference in the report: float DRTP's accuracies and gains, or the off-chip
    BP network quantized into the integer model and evaluated on the chip."""
    res, curves = rep.results, rep.results["learning_curves"]
    search = {"runs": len(fr.grid), "g1_range": list(fr.gain_range[0]), "g2_range": list(fr.gain_range[1]),
              "at_edge": fr.at_edge}
    if algo == "drtp":
        rep.float_drtp = fr
        res.update(float_test_accuracy=fr.test_accuracy, float_train_accuracy=fr.train_accuracy,
                   float_val_accuracy=fr.val_accuracy, float_gains=list(fr.gains), float_gain_search=search)
        curves["float_val_accuracy"] = fr.val_curve
        return
    rep.float_bp = fr
    off = Processor.from_config(cfg, conv_kernels)
    for k, (w, layer) in enumerate(zip(fr.weights, list(cfg.hidden) + [cfg.output])):
        off.weights(k + 1)[...] = quantize(w, layer.wb)
    te_off = off.copy().evaluate(prep.test, prep.y_test, front=fronts["test"])
    res.update(offchip_test_accuracy=te_off.accuracy(prep.y_test),
               offchip_val_accuracy=_acc(off, prep.val, prep.y_val, fronts["val"]),
               offchip_float_test_accuracy=fr.test_accuracy, offchip_float_val_accuracy=fr.val_accuracy,
               offchip_gains=list(fr.gains), offchip_gain_search=search)
    curves["offchip_float_val_accuracy"] = fr.val_curve
    if saturation:
        res["offchip_saturation"] = saturation_stats(off, prep.test)
    rep.offchip = off
    if rep.test_counters is None:
        rep.test_counters = te_off.counters


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
