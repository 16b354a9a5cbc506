"""Training runs: on-chip (integer DRTP), off-chip (float BP, quantized, integer inference) and the
float DRTP reference, on the same split, sample orders and initial state.

``run_training`` is what the CLI and the sweeps call. Sample order per epoch is host-side:
``numpy.random.default_rng([seed, epoch]).permutation(n_train)``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
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


def run_training(cfg: Config, prep: Prepared, *, epochs: int, mode: str = "on-chip",
                 float_reference: bool = True, progress: Callable[[str, int], object] | None = None,
                 conv_kernels: np.ndarray | None = None) -> TrainReport:
    """Train and evaluate. ``progress(desc, total)`` may return a tqdm-like object;
    ``conv_kernels`` (C, CIN, K, K) replace the random kernels of the seed."""
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
        learn_time, curve = 0.0, []
        for e in range(epochs):
            t0 = time.perf_counter()
            proc.train_epoch(prep.train, prep.y_train, orders[e])
            learn_time += time.perf_counter() - t0
            curve.append(proc.evaluate(prep.test, prep.y_test).accuracy(prep.y_test))
            if bar is not None:
                bar.update(1)
                bar.set_postfix(test=f"{curve[-1]:.4f}")
        if bar is not None:
            bar.close()
        t0 = time.perf_counter()
        te = proc.copy().evaluate(prep.test, prep.y_test)
        infer_time = time.perf_counter() - t0
        rep.test_counters = te.counters
        tr = proc.copy().evaluate(prep.train, prep.y_train)
        res.update(test_accuracy=te.accuracy(prep.y_test), train_accuracy=tr.accuracy(prep.y_train),
                   test_accuracy_per_epoch=curve,
                   learn_samples_per_second=epochs * len(prep.y_train) / learn_time if learn_time else None,
                   infer_samples_per_second=len(prep.y_test) / infer_time if infer_time else None)
        rep.processor = proc

    need_float = float_reference or mode in ("off-chip", "both")
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
            fr = train_reference(cfg, algo, init, train_t, test_t, epochs, orders, progress=bar)
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
EVENT_SOURCES = ("image", "dvs", "nmnist")
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
        if self.events == "nmnist" or self.folder:
            base = f"{'nmnist' if self.events == 'nmnist' else 'idx'}:{self.folder}:n_train={self.n_train},n_test={self.n_test}"
        else:
            base = f"embedded:n_train={self.n_train or 4000},n_test={self.n_test or 1000},split_seed={self.split_seed}"
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


def load_data(cfg: Config, spec: DataSpec) -> tuple[Prepared, str]:
    """Validated event batches for ``spec`` under ``cfg``, and a description of the source."""
    from .config import ConfigError
    from .data import DataError, embedded_split, load_idx_folder, load_nmnist
    if spec.events not in EVENT_SOURCES:
        raise DataError(f"events {spec.events!r}: must be one of {', '.join(EVENT_SOURCES)}")
    if spec.events == "nmnist":
        if not spec.folder:
            raise DataError("--events nmnist needs --data DIR (a folder with Train/ and Test/)")
        if (cfg.input.width, cfg.input.channels) != (34, 2):
            raise ConfigError(f"config '{cfg.name}' has a {cfg.input.width}x{cfg.input.height}x"
                              f"{cfg.input.channels} input; N-MNIST needs 34x34x2 (use --config nmnist)")
        ss = load_nmnist(spec.folder, spec.n_train, spec.n_test, spec.split_seed)
        return (prepare_streams(cfg, _stop_all(ss.train, spec), ss.y_train, _stop_all(ss.test, spec), ss.y_test),
                ss.source)
    if spec.folder:
        split = load_idx_folder(spec.folder, spec.n_train, spec.n_test)
    else:
        split = embedded_split(spec.n_train or 4000, spec.n_test or 1000, spec.split_seed)
    if cfg.input.width != split.x_train.shape[2]:
        raise ConfigError(f"config '{cfg.name}' has a {cfg.input.width}-wide input; the images are "
                          f"{split.x_train.shape[2]} wide")
    if spec.events == "dvs":
        from .dvs import dvs_dataset
        tr = dvs_dataset(split.x_train, split.y_train, seed=spec.split_seed)
        te = dvs_dataset(split.x_test, split.y_test, seed=spec.split_seed + DVS_TEST_SEED_OFFSET)
        return (prepare_streams(cfg, _stop_all(tr, spec), split.y_train, _stop_all(te, spec), split.y_test),
                split.source + ", DVS-emulated (hwmodel.dvs defaults)")
    return prepare(cfg, split), split.source
