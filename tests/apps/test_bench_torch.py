"""bench/bench_floatref.py --torch: the PyTorch DRTP it times is DRTP (with batches of one sample it
is the float reference's online rule, to float32 rounding), and without PyTorch the comparison is
skipped with one note instead of failing the bench."""
import builtins
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from hwmodel.spec import roms
from hwmodel.spec.config import Config
from hwmodel.train.floatref import FloatStack


def _bench():
    path = Path(__file__).resolve().parents[2] / "bench" / "bench_floatref.py"
    spec = importlib.util.spec_from_file_location("bench_floatref_t", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _case(depth):
    cfg = Config.preset("tiny")
    if depth == 2:
        cfg = cfg.replace(**{"hidden.sizes": "12,8"})
    init = ([roms.layer_init(cfg, k) for k in range(1, cfg.depth + 2)],
            [roms.layer_b_fields(cfg, h) for h in range(1, cfg.depth + 1)])
    rng = np.random.default_rng(depth)
    n, nin = 40, cfg.layer_inputs(1)[0]
    rows = [np.sort(rng.choice(nin, rng.integers(1, nin // 3), replace=False)) for _ in range(n)]
    idx = np.concatenate(rows).astype(np.int64)
    off = np.concatenate([[0], np.cumsum([len(r) for r in rows])]).astype(np.int64)
    y = rng.integers(0, cfg.output.neurons, n).astype(np.int64)
    return cfg, init, (idx, off, y)


def test_without_pytorch_the_comparison_is_one_note(monkeypatch, capsys):
    real = builtins.__import__

    def no_torch(name, *a, **k):
        if name == "torch":
            raise ImportError("No module named 'torch'")
        return real(name, *a, **k)
    monkeypatch.setattr(builtins, "__import__", no_torch)
    cfg, init, tr = _case(1)
    _bench()._torch_comparison(cfg, init, tr, tr, [np.arange(len(tr[2]))], 1, 1, 1000.0)
    out = capsys.readouterr().out
    assert "PyTorch DRTP at batch 100: skipped (PyTorch is not installed" in out


@pytest.mark.parametrize("depth", [1, 2])
def test_pytorch_drtp_with_batches_of_one_is_the_online_float_rule(depth):
    torch = pytest.importorskip("torch")
    cfg, init, tr = _case(depth)
    order = [np.random.default_rng(5).permutation(len(tr[2]))]
    net = FloatStack(cfg, *init, "drtp")
    net.train(*tr, order[0], (1.0, 1.0))
    _, _, got = _bench().torch_drtp(torch, cfg, init, tr, tr, order, 1, batch=1)
    for k, (w, ref) in enumerate(zip(got, net.weights())):
        assert not np.array_equal(ref, init[0][k])              # the layer learned
        np.testing.assert_allclose(w, ref, rtol=1e-4, atol=1e-3 * np.abs(ref).max(), err_msg=f"layer {k + 1}")
