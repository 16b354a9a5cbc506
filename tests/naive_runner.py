"""Helpers to run the Numba model and the plain reference side by side on one state."""
import numpy as np

from hwmodel import reference
from hwmodel.encode import EventBatch
from hwmodel.model import Processor


def run_both(cfg, streams, labels, learn):
    """Returns (numba processor, numba result, reference state, reference preds, reference counters)."""
    proc = Processor.from_config(cfg)
    ref_state = {k: v.copy() for k, v in proc.st.items()}
    batch = EventBatch.from_streams(streams, cfg)
    res = proc.run(batch, labels, learn=learn, record=True)
    rstreams = [batch.stream(n) for n in range(len(batch))]
    rpreds, rcnts = reference.run(proc.prm, rstreams, labels, learn, ref_state)
    return proc, res, ref_state, rpreds, rcnts
