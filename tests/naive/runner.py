"""Helpers to run the Numba model and the plain reference side by side on one state."""
import numpy as np

from naive import reference
from hwmodel.spec.config import Config
from hwmodel.data.encode import EventBatch
from hwmodel.data.eventio import EVENT_DTYPE
from hwmodel.engine.processor import Processor

ENGINES = ("kernels", "reference")

# A 5x5 sensor and one 5x5 kernel: one conv output, so FC1 has N_IN = 1 input (i = 0) plus the
# bias (i = 1); w1 is then (2, N1): row 0 the conv input, row 1 the bias row. All initial
# weights are zero, so a test writes exactly the state it reasons about.
ONE_INPUT = {
    "input.width": 5, "input.height": 5, "input.channels": 1, "conv.channels": 1,
    "conv.kernel": 5, "conv.stride": 1, "conv.padding": 0, "conv.pool": 1,
    "conv.weight": "s4", "conv.potential": "s10", "conv.threshold": 5,
    "fc1.weight": "s8", "fc1.accumulator": "s16", "fc1.activation": "s8", "fc1.act_shift": 0,
    "fc1.init_bound": 0, "fc2.weight": "s8", "fc2.accumulator": "s20", "fc2.output": "u8",
    "fc2.init_bound": 0, "drtp.b": "s2",
}


def small(**over):
    """The ONE_INPUT configuration (on the tiny preset) with dotted-key overrides."""
    return Config.preset("tiny").replace(**{**ONE_INPUT, **over})


def run_both(cfg, streams, labels, learn):
    """One sample per kernel call (``record=True``).
    Returns (numba processor, numba result, reference state, reference preds, reference counters)."""
    proc = Processor.from_config(cfg)
    ref_state = {k: v.copy() for k, v in reference.state_views(proc).items()}
    batch = EventBatch.from_streams(streams, cfg)
    res = proc.run(batch, labels, learn=learn, record=True)
    rstreams = [batch.stream(n) for n in range(len(batch))]
    rpreds, rcnts = reference.run(reference.param_vector(cfg), rstreams, labels, learn, ref_state)
    return proc, res, ref_state, rpreds, rcnts


def run_both_batched(cfg, streams, labels, learn):
    """All samples in one kernel call (``record=False``), as training runs them.
    Returns (numba processor, numba result, reference state, reference preds, reference counters)."""
    proc = Processor.from_config(cfg)
    ref_state = {k: v.copy() for k, v in reference.state_views(proc).items()}
    batch = EventBatch.from_streams(streams, cfg)
    res = proc.run(batch, labels, learn=learn)
    assert res.per_sample is None  # really the batched path
    rstreams = [batch.stream(n) for n in range(len(batch))]
    rpreds, rcnts = reference.run(reference.param_vector(cfg), rstreams, labels, learn, ref_state)
    return proc, res, ref_state, rpreds, rcnts


def events(*xy):
    """An event stream from (x, y) pairs (polarity 1, increasing time)."""
    ev = np.zeros(len(xy), EVENT_DTYPE)
    for n, (x, y) in enumerate(xy):
        ev[n] = (n, x, y, 1)
    return ev


def run_one(engine, cfg, state, ev, label, learn):
    """One sample through ``engine`` ("kernels": ``Processor.run(record=True)``, "reference":
    ``naive.reference.run``) starting from ``Processor.from_config(cfg)`` with the arrays in
    ``state`` written over its state. Returns (state after, predicted class, counters (2, N))."""
    proc = Processor.from_config(cfg)
    views = reference.state_views(proc)
    for k, v in state.items():
        assert views[k].shape == np.shape(v), f"state {k}: shape {np.shape(v)} != {views[k].shape}"
        views[k][...] = v
    batch = EventBatch.from_streams([ev], cfg)
    labels = np.array([label], np.int64)
    if engine == "kernels":
        res = proc.run(batch, labels, learn=learn, record=True)
        return views, int(res.preds[0]), res.per_sample[0]
    assert engine == "reference"
    st = {k: v.copy() for k, v in views.items()}
    preds, cnts = reference.run(reference.param_vector(cfg), [batch.stream(0)], labels, learn, st)
    return st, int(preds[0]), cnts[0]
