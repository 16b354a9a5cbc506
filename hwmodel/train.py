"""Training runs: on-chip (integer DRTP), off-chip (float BP, quantized, integer inference) and the
float DRTP reference, on the same split, sample orders and initial state.

``run_training`` is what the CLI and the sweeps call. Sample order per epoch is host-side:
``numpy.random.default_rng([seed, epoch]).permutation(n_train)``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from . import roms
from .config import Config
from .data import Split
from .encode import EventBatch, encode_images
from .floatref import GAINS, FloatResult, quantize, train_reference
from .kernels import spike_inputs
from .model import Processor

MODES = ("on-chip", "off-chip", "both")


@dataclass
class Prepared:
    cfg: Config
    train: EventBatch
    test: EventBatch
    y_train: np.ndarray
    y_test: np.ndarray


def prepare(cfg: Config, split: Split) -> Prepared:
    """Encode the images of a split into validated event batches."""
    return prepare_streams(cfg, encode_images(split.x_train, cfg), split.y_train,
                           encode_images(split.x_test, cfg), split.y_test)


def epoch_orders(n: int, epochs: int, seed: int) -> list[np.ndarray]:
    return [np.random.default_rng([seed, e]).permutation(n) for e in range(epochs)]


def _warm_up(proc: Processor, batch: EventBatch, labels: np.ndarray) -> None:
    """Compile the kernels outside the timed region (on a throw-away copy)."""
    tmp = proc.copy()
    k = np.arange(min(2, len(batch)))
    tmp.run(batch.subset(k), labels[k], learn=True)


@dataclass
class TrainReport:
    results: dict = field(default_factory=dict)
    processor: Processor | None = None
    offchip: Processor | None = None
    float_drtp: FloatResult | None = None
    float_bp: FloatResult | None = None
    test_counters: np.ndarray | None = None  # (2, N) summed over the test set, trained chip
    interrupted: str | None = None  # Ctrl-C: what was stopped (the finished parts are kept)


def run_training(cfg: Config, prep: Prepared, *, epochs: int, mode: str = "on-chip",
                 float_reference: bool = True, progress: Callable[[str, int], object] | None = None,
                 conv_kernels: np.ndarray | None = None) -> TrainReport:
    """Train and evaluate. ``progress(desc, total)`` may return a tqdm-like object;
    ``conv_kernels`` (C, CIN, K, K) replace the random kernels of the seed.

    Ctrl-C (KeyboardInterrupt) keeps what finished: during on-chip training, the chip after the
    last completed epoch (evaluated as usual); during a float reference, the complete on-chip
    result. ``rep.interrupted`` (and ``results["interrupted"]``) then says what was stopped. An
    interruption before anything finished propagates."""
    if mode not in MODES:
        raise ValueError(f"mode {mode!r}: must be one of {', '.join(MODES)}")
    rep = TrainReport()
    res = rep.results
    res.update(config=cfg.name, seed=cfg.seed, epochs=epochs, n_train=len(prep.y_train),
               n_test=len(prep.y_test), mode=mode)
    orders = epoch_orders(len(prep.y_train), epochs, cfg.seed)
    proc = Processor.from_config(cfg, conv_kernels)
    _warm_up(proc, prep.train, prep.y_train)

    if mode in ("on-chip", "both"):
        bar = progress("on-chip DRTP (integer)", epochs) if progress else None
        learn_time = 0.0
        done = (proc.copy(), [])  # the chip after the last completed epoch and the test curve (one store)
        try:
            for e in range(epochs):
                t0 = time.perf_counter()
                proc.train_epoch(prep.train, prep.y_train, orders[e])
                learn_time += time.perf_counter() - t0
                acc = proc.evaluate(prep.test, prep.y_test).accuracy(prep.y_test)
                done = (proc.copy(), done[1] + [acc])
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(test=f"{acc:.4f}")
        except KeyboardInterrupt:
            if bar is not None:
                bar.close()
            if not done[1]:
                raise
            rep.interrupted = f"on-chip training in epoch {len(done[1]) + 1} of {epochs}"
            res.update(interrupted=rep.interrupted, epochs_completed=len(done[1]))
        proc, curve = done
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
                   infer_samples_per_second=len(prep.y_test) / infer_time if infer_time else None)
        rep.processor = proc

    need_float = (float_reference or mode in ("off-chip", "both")) and rep.interrupted is None
    if need_float:
        prm = proc.prm
        kern = proc.st["kern"]
        tr_csr = spike_inputs(prm, prep.train.x, prep.train.y, prep.train.c, prep.train.offsets, kern)
        te_csr = spike_inputs(prm, prep.test.x, prep.test.y, prep.test.c, prep.test.offsets, kern)
        init = (roms.fc1_init(cfg), roms.fc2_init(cfg), roms.b_fields(cfg))
        train_t = (tr_csr[0], tr_csr[1], prep.y_train)
        test_t = (te_csr[0], te_csr[1], prep.y_test)
        algos = (["drtp"] if float_reference else []) + (["bp"] if mode in ("off-chip", "both") else [])
        for algo in algos:
            n_runs = len(GAINS) ** 2 + 1  # the grid, then the retraining with the best gains
            bar = progress(f"float {algo.upper()} reference (gain grid)", n_runs) if progress else None
            try:
                fr = train_reference(cfg, algo, init, train_t, test_t, epochs, orders, progress=bar)
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
            if algo == "drtp":
                rep.float_drtp = fr
                res.update(float_test_accuracy=fr.test_accuracy, float_train_accuracy=fr.train_accuracy,
                           float_gains=list(fr.gains))
            else:
                rep.float_bp = fr
                off = Processor.from_config(cfg, conv_kernels)
                off.st["w1"][...] = quantize(fr.w1, cfg.bits["W1B"])
                off.st["w2"][...] = quantize(fr.w2, cfg.bits["W2B"])
                te_off = off.evaluate(prep.test, prep.y_test)
                res.update(offchip_test_accuracy=te_off.accuracy(prep.y_test),
                           offchip_float_test_accuracy=fr.test_accuracy, offchip_gains=list(fr.gains))
                rep.offchip = off
                if rep.test_counters is None:
                    rep.test_counters = te_off.counters
        if "test_accuracy" in res and "float_test_accuracy" in res:
            res["quantization_gap_pp"] = 100.0 * (res["float_test_accuracy"] - res["test_accuracy"])
    return rep


def prepare_streams(cfg: Config, train_streams, y_train, test_streams, y_test) -> Prepared:
    """Validated event batches from recorded or emulated event streams."""
    return Prepared(cfg, EventBatch.from_streams(train_streams, cfg), EventBatch.from_streams(test_streams, cfg),
                    np.asarray(y_train, np.int64), np.asarray(y_test, np.int64))


def event_savings(cfg: Config, counters: np.ndarray, n_samples: int) -> dict:
    """Per-sample cost of the event-driven conv layer (from counters) beside a frame-based
    computation of the same layer (``counters.frame_baseline``)."""
    from .counters import IDX, frame_baseline
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
    recorded N-MNIST streams; from the embedded set or a user folder; with optional stopping rules."""
    events: str = "image"
    folder: str | None = None
    n_train: int | None = None
    n_test: int | None = None
    split_seed: int = 0
    window_us: int | None = None
    max_events: int | None = None

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
        return base


def _stop_all(streams, spec: DataSpec):
    from .encode import stop_stream
    if spec.window_us is None and spec.max_events is None:
        return streams
    return [stop_stream(s, spec.window_us, spec.max_events) for s in streams]


EMBEDDED_DIGITS = 5000


def check_spec(spec: DataSpec) -> None:
    """The checks that need no data: counts >= 1, windows > 0, a folder where one is needed and
    that exists, embedded sizes. Raises ``DataError`` naming the option."""
    from .data import DataError
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


def check_sensor(cfg: Config, width: int, height: int, what: str) -> None:
    from .config import ConfigError
    if (cfg.input.width, cfg.input.height) != (width, height):
        hint = " (use --config nmnist)" if (width, height) == (34, 34) else \
            " (use --config spoon_dvs)" if (width, height) == (28, 28) else ""
        raise ConfigError(f"config '{cfg.name}' has a {cfg.input.width}x{cfg.input.height} input; "
                          f"{what} {width}x{height}{hint}")


def _check_prepared(cfg: Config, prep: Prepared, spec: DataSpec) -> None:
    """Labels the chip can learn, and events left after the stopping rules."""
    from .data import DataError
    n_cls = cfg.fc2.neurons
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
    for part, b in (("training", prep.train), ("test", prep.test)):
        lens = np.diff(b.offsets)
        if len(lens):
            empty = float(np.mean(lens == 0))
            if empty >= 0.1:
                log(f"warning: {100 * empty:.0f} % of the {part} samples have no event (mean "
                    f"{lens.mean():.1f} events per sample)")


def load_data(cfg: Config, spec: DataSpec) -> tuple[Prepared, str]:
    """Validated event batches for ``spec`` under ``cfg``, and a description of the source."""
    from .config import ConfigError
    from .data import embedded_split, load_aer_folder, load_idx_folder, load_nmnist
    check_spec(spec)
    if spec.events in STREAM_SOURCES:
        if spec.events == "nmnist":
            if (cfg.input.width, cfg.input.channels) != (34, 2):
                raise ConfigError(f"config '{cfg.name}' has a {cfg.input.width}x{cfg.input.height}x"
                                  f"{cfg.input.channels} input; N-MNIST needs 34x34x2 (use --config nmnist)")
            ss = load_nmnist(spec.folder, spec.n_train, spec.n_test, spec.split_seed)
        else:
            from .data import list_aer_folder
            w, h = list_aer_folder(spec.folder)["sensor"]
            check_sensor(cfg, w, h, "the .aer files are from a sensor of")
            ss = load_aer_folder(spec.folder, spec.n_train, spec.n_test, spec.split_seed)
        prep = prepare_streams(cfg, _stop_all(ss.train, spec), ss.y_train, _stop_all(ss.test, spec), ss.y_test)
        _check_prepared(cfg, prep, spec)
        return prep, ss.source
    if spec.folder:
        split = load_idx_folder(spec.folder, spec.n_train, spec.n_test)
    else:
        split = embedded_split(4000 if spec.n_train is None else spec.n_train,
                               1000 if spec.n_test is None else spec.n_test, spec.split_seed)
    if cfg.input.width != split.x_train.shape[2]:
        raise ConfigError(f"config '{cfg.name}' has a {cfg.input.width}-wide input; the images are "
                          f"{split.x_train.shape[2]} wide")
    if spec.events == "dvs":
        from .dvs import dvs_dataset
        tr = dvs_dataset(split.x_train, split.y_train, seed=spec.split_seed)
        te = dvs_dataset(split.x_test, split.y_test, seed=spec.split_seed + DVS_TEST_SEED_OFFSET)
        prep = prepare_streams(cfg, _stop_all(tr, spec), split.y_train, _stop_all(te, spec), split.y_test)
        source = split.source + ", DVS-emulated (hwmodel.dvs defaults)"
    elif spec.window_us is not None or spec.max_events is not None:
        prep = prepare_streams(cfg, _stop_all(encode_images(split.x_train, cfg), spec), split.y_train,
                               _stop_all(encode_images(split.x_test, cfg), spec), split.y_test)
        source = split.source
    else:
        prep, source = prepare(cfg, split), split.source
    _check_prepared(cfg, prep, spec)
    return prep, source
