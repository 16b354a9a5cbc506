"""Helpers to run the Numba model and the plain reference (``naive.reference``) side by side on one
state, and short names for the memories of a one-hidden-layer chip that hand-worked tests use."""
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


def state_views(proc) -> dict[str, np.ndarray]:
    """Short names for the memories of a one-hidden-layer, one-lane ``Processor``, as views into
    its state (writing a view writes the processor): ``kern``, ``pot``, ``spk``, ``w1`` (N_IN+1, N1),
    ``acc1``, ``act1``, ``dact1``, ``bf`` (N2, N1), ``w2`` (N1+1, N2), ``acc2``, ``out2``, ``lut`` and
    ``lfsr`` ([fc1's, fc2's]). Hand-worked tests write and read the state under these names."""
    cfg, s = proc.cfg, proc.st
    if cfg.depth != 1 or cfg.fc1.lanes != 1 or cfg.fc2.lanes != 1:
        raise ValueError("short state names exist for one hidden layer and one lane per layer")
    n1, n2 = cfg.fc1.neurons, cfg.fc2.neurons
    return {"kern": s["kern"], "pot": s["pot"], "spk": s["spk"], "w1": proc.weights(1),
            "acc1": s["acc"][:n1], "act1": s["act"], "dact1": s["dact"],
            "bf": s["bf"].reshape(n2, n1), "w2": proc.weights(2), "acc2": s["acc"][n1:],
            "out2": s["out"], "lut": s["lut"], "lfsr": s["lfsr"]}


def short_names(cfg, mem) -> dict[str, np.ndarray]:
    """The same short names (``state_views``) for a dict of memories under their spec names (the
    reference's state, ``StackProcessor.memories()``); the arrays are views into ``mem``, except
    ``lfsr`` (the two layers' LFSR words side by side, a copy)."""
    n1, n2 = cfg.fc1.neurons, cfg.fc2.neurons
    return {"kern": mem["conv_kernel"], "pot": mem["conv_pot"], "spk": mem["conv_spk"],
            "w1": mem["fc1_w"].reshape(-1, n1), "acc1": mem["fc1_acc"], "act1": mem["fc1_act"],
            "dact1": mem["fc1_dact"], "bf": mem["b_lut"].reshape(n2, n1),
            "w2": mem["fc2_w"].reshape(-1, n2), "acc2": mem["fc2_acc"], "out2": mem["fc2_out"],
            "lut": mem["sig_lut"], "lfsr": np.concatenate([mem["lfsr_fc1"], mem["lfsr_fc2"]])}


def same_memories(got: dict, want: dict, what: str = "") -> None:
    """Every memory of ``want`` equal in ``got`` (same names in the same order, every word)."""
    assert list(got) == list(want), f"{what}: memory names {list(got)} != {list(want)}"
    for name, v in want.items():
        np.testing.assert_array_equal(got[name], v, err_msg=f"{what}: memory {name}")


def _run(cfg, streams, labels, learn, record):
    proc = Processor.from_config(cfg)
    mem = proc.memories()
    batch = EventBatch.from_streams(streams, cfg)
    res = proc.run(batch, labels, learn=learn, record=record)
    if not record:
        assert res.per_sample is None  # really the batched path
    rstreams = [batch.stream(n) for n in range(len(batch))]
    rpreds, rcnts = reference.run(cfg, rstreams, labels, learn, mem)
    return proc, res, mem, rpreds, rcnts


def run_both(cfg, streams, labels, learn):
    """One sample per kernel call (``record=True``), and the reference on the same memories.
    Returns (numba processor, numba result, reference memories, reference preds, reference counters)."""
    return _run(cfg, streams, labels, learn, True)


def run_both_batched(cfg, streams, labels, learn):
    """All samples in one kernel call (``record=False``), as training runs them.
    Returns (numba processor, numba result, reference memories, reference preds, reference counters)."""
    return _run(cfg, streams, labels, learn, False)


def events(*xy):
    """An event stream from (x, y) pairs (polarity 1, increasing time)."""
    ev = np.zeros(len(xy), EVENT_DTYPE)
    for n, (x, y) in enumerate(xy):
        ev[n] = (n, x, y, 1)
    return ev


def run_one(engine, cfg, state, ev, label, learn):
    """One sample through ``engine`` ("kernels": ``Processor.run(record=True)``, "reference":
    ``naive.reference.run`` on the processor's memories) starting from ``Processor.from_config(cfg)``
    with the arrays in ``state`` (short names, ``state_views``) written over its state. Returns
    (state after under the short names, predicted class, counters (2, N))."""
    proc = Processor.from_config(cfg)
    views = state_views(proc)
    for k, v in state.items():
        assert views[k].shape == np.shape(v), f"state {k}: shape {np.shape(v)} != {views[k].shape}"
        views[k][...] = v
    batch = EventBatch.from_streams([ev], cfg)
    labels = np.array([label], np.int64)
    if engine == "kernels":
        res = proc.run(batch, labels, learn=learn, record=True)
        return views, int(res.preds[0]), res.per_sample[0]
    assert engine == "reference"
    mem = proc.memories()
    preds, cnts = reference.run(cfg, [batch.stream(0)], labels, learn, mem)
    return short_names(cfg, mem), int(preds[0]), cnts[0]
