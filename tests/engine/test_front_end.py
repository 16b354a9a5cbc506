"""The conv front end computed once (``StackProcessor.front_end``, ``run(..., front=)``): the conv
does not learn, so a cached front end must give, pass after pass, the same predictions, counters
and cycles (per sample too), and leave the same whole state (every memory, the LFSRs, the conv
maps of the last sample) as running the event phase again; on generated stacks of depth 0-3 and
on the presets with real digits. A pass in another order (``run(..., order=)``, the whole batch's
events and front end indexed in the kernel) equals the pass over the copied subset. A front end of
other samples or other kernels, and an order naming other samples, are refused."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwmodel.data.encode import EventBatch
from hwmodel.engine.kernel import StackProcessor
from hwmodel.engine.processor import Processor
from hwmodel.spec.config import Config
from test_stack import SETTINGS, _digits, stack_cases


def same_runs(cfg, batch, labels, passes, learn, record, orders=None):
    a = StackProcessor.from_config(cfg)
    b, c, d = (StackProcessor.from_config(cfg) for _ in range(3))
    fe = b.front_end(batch)
    for p in range(passes):
        order = np.arange(len(labels)) if orders is None else orders[p]
        ra = a.run(batch.subset(order), labels[order], learn=learn, record=record)
        rb = b.run(batch.subset(order), labels[order], learn=learn, record=record, front=fe.subset(order))
        rc = c.run(batch, labels, learn=learn, record=record, front=fe, order=order)
        rd = d.run(batch, labels, learn=learn, record=record, order=order)
        for name, chip, r in (("front", b, rb), ("order+front", c, rc), ("order", d, rd)):
            np.testing.assert_array_equal(ra.preds, r.preds, err_msg=name)
            np.testing.assert_array_equal(ra.counters, r.counters, err_msg=name)
            if record:
                np.testing.assert_array_equal(ra.per_sample, r.per_sample, err_msg=name)
                for ta, tb in zip(ra.traces, r.traces):
                    for k in ta:
                        np.testing.assert_array_equal(ta[k], tb[k], err_msg=f"{name} pass {p} trace {k}")
            for k in a.st:
                np.testing.assert_array_equal(a.st[k], chip.st[k], err_msg=f"{name} pass {p}: state {k}")
    return ra


@pytest.mark.parametrize("depth", [0, 1, 2, 3])
@settings(max_examples=60, **SETTINGS)
@given(data=st.data(), learn=st.booleans(), record=st.booleans())
def test_front_end_equals_event_phase_generated(depth, data, learn, record):
    cfg, streams, labels = data.draw(stack_cases(depth))
    batch = EventBatch.from_streams(streams, cfg)
    n = len(labels)
    orders = [np.arange(n), np.arange(n)[::-1].copy(), data.draw(st.lists(st.integers(0, n - 1), max_size=2 * n))]
    same_runs(cfg, batch, labels, 3, learn, record, [np.asarray(o, np.int64) for o in orders])


@pytest.mark.parametrize("preset,n", [("tiny", 150), ("spoon", 40), ("spoon_deep", 20)])
def test_front_end_equals_event_phase_on_digits(preset, n):
    cfg = Config.preset(preset)
    streams, y = _digits(cfg, n)
    batch = EventBatch.from_streams(streams, cfg)
    rng = np.random.default_rng(3)
    orders = [rng.permutation(n) for _ in range(2)] + [rng.integers(0, n, n // 2)]   # the last repeats samples
    r = same_runs(cfg, batch, np.asarray(y), 3, True, False, orders)
    assert r.counters[1].sum() > 0 and r.counters[0].sum() > 0
    same_runs(cfg, batch, np.asarray(y), 1, False, False)
    same_runs(cfg, batch, np.asarray(y), 1, True, True, [np.arange(5)])


def test_processor_train_epoch_and_evaluate_take_the_front_end():
    cfg = Config.preset("tiny")
    streams, y = _digits(cfg, 60)
    y = np.asarray(y)
    batch = EventBatch.from_streams(streams, cfg)
    a, b = Processor.from_config(cfg), Processor.from_config(cfg)
    fe = b.front_end(batch)
    order = np.random.default_rng(0).permutation(60)
    ra = a.run(batch.subset(order), y[order], learn=True)      # the epoch as a copied subset
    rb = b.train_epoch(batch, y, order, front=fe)
    np.testing.assert_array_equal(ra.preds, rb.preds)
    np.testing.assert_array_equal(ra.counters, rb.counters)
    ea, eb = a.evaluate(batch, y), b.evaluate(batch, y, front=fe)
    np.testing.assert_array_equal(ea.preds, eb.preds)
    np.testing.assert_array_equal(ea.counters, eb.counters)
    for k in a.st:
        np.testing.assert_array_equal(a.st[k], b.st[k])


def test_front_end_of_other_samples_or_kernels_is_refused():
    cfg = Config.preset("tiny")
    streams, y = _digits(cfg, 10)
    batch = EventBatch.from_streams(streams, cfg)
    p = StackProcessor.from_config(cfg)
    fe = p.front_end(batch)
    with pytest.raises(ValueError, match="front end of 9 samples for 10 samples"):
        p.run(batch, np.asarray(y), front=fe.subset(np.arange(9)))
    other = StackProcessor.from_config(cfg.replace(seed=cfg.seed + 1))
    assert not np.array_equal(other.st["kern"], p.st["kern"])
    with pytest.raises(ValueError, match="other conv kernels or geometry"):
        other.run(batch, np.asarray(y), front=fe)
    with pytest.raises(ValueError, match=r"order names samples outside 0\.\.9"):
        p.run(batch, np.asarray(y), front=fe, order=np.array([0, 10]))
    with pytest.raises(ValueError, match="1-D array of sample indices"):
        p.run(batch, np.asarray(y), order=np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="9 labels for 10 samples"):
        p.run(batch, np.asarray(y)[:9], order=np.array([0, 1]))
    # the linear read-out of the same conv front end shares it
    lin = StackProcessor.from_config(cfg.replace(**{"hidden.sizes": ""}))
    ref = StackProcessor.from_config(cfg.replace(**{"hidden.sizes": ""}))
    np.testing.assert_array_equal(lin.run(batch, np.asarray(y), learn=True, front=fe).counters,
                                  ref.run(batch, np.asarray(y), learn=True).counters)
