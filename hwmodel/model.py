"""The bit-accurate processor model: state, sample processing, training loops.

``Processor.from_config(cfg)`` builds the whole chip state of docs/spec.md §10 from a validated
configuration; ``run`` processes event batches through the Numba kernel (``hwmodel.kernels``) in
inference or learning mode. ``memories()`` returns every memory in the spec's word layout, which
is what the RTL testbenches compare word for word.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from . import roms
from .arith import ROUNDING_CODES
from .config import Config, ConfigError
from .counters import N_COUNTERS, memory_word_bits, zeros
from .encode import EventBatch
from .kernels import N_PARAMS, run_batch
from .stack import RunResult

# (name in the kernel state, spec memory name)
STATE_ARRAYS = ("kern", "pot", "spk", "w1", "acc1", "act1", "dact1", "bf", "w2", "acc2", "out2",
                "lut", "lfsr")
SPEC_NAMES = {"kern": "conv_kernel", "pot": "conv_pot", "spk": "conv_spk", "w1": "fc1_w",
              "acc1": "fc1_acc", "act1": "fc1_act", "dact1": "fc1_dact", "bf": "b_lut",
              "w2": "fc2_w", "acc2": "fc2_acc", "out2": "fc2_out", "lut": "sig_lut"}


class ModelError(ValueError):
    """Bad input to the model (labels out of range, incompatible weight file, ...)."""


def param_vector(cfg: Config) -> np.ndarray:
    b = cfg.bits
    vals = [cfg.input.channels, cfg.conv.channels, cfg.conv.kernel, cfg.conv.stride,
            cfg.conv.padding, cfg.conv_out, cfg.conv.pool, cfg.spk_side, b["PB"], cfg.conv.threshold,
            cfg.n_in, cfg.fc1.neurons, b["W1B"], b["A1B"], cfg.ymax, cfg.fc1.act_shift,
            cfg.fc2.neurons, b["W2B"], b["A2B"], cfg.fc2.sig_shift, cfg.fc2.lut_bits, cfg.one,
            cfg.fc1.lr_shift, cfg.fc2.lr_shift, ROUNDING_CODES[cfg.drtp.rounding]]
    assert len(vals) == N_PARAMS
    return np.array(vals, np.int64)


class Processor:
    """Whole-chip state plus the processing entry points."""

    def __init__(self, cfg: Config, state: dict[str, np.ndarray]):
        self.cfg = cfg
        self.prm = param_vector(cfg)
        self.st = state
        self.counters = zeros()

    @classmethod
    def from_config(cls, cfg: Config, conv_kernels: np.ndarray | None = None) -> "Processor":
        C, K, cin, O, Q = cfg.conv.channels, cfg.conv.kernel, cfg.input.channels, cfg.conv_out, cfg.spk_side
        N1, N2 = cfg.fc1.neurons, cfg.fc2.neurons
        kern = roms.conv_kernels(cfg) if conv_kernels is None else np.asarray(conv_kernels, np.int64)
        if kern.shape != (C, cin, K, K):
            raise ModelError(f"conv kernels have shape {kern.shape}, config needs {(C, cin, K, K)}")
        lo, hi = -(1 << (cfg.bits["WC"] - 1)), (1 << (cfg.bits["WC"] - 1)) - 1
        if kern.min(initial=0) < lo or kern.max(initial=0) > hi:
            raise ModelError(f"conv kernels outside {cfg.conv.weight} range [{lo}, {hi}]")
        st = {
            "kern": np.ascontiguousarray(kern.transpose(1, 2, 3, 0).reshape(cin * K * K, C), np.int32),
            "pot": np.zeros((O * O, C), np.int32),
            "spk": np.zeros((Q * Q, C), np.uint8),
            "w1": roms.fc1_init(cfg).astype(np.int32),
            "acc1": np.zeros(N1, np.int32), "act1": np.zeros(N1, np.int32),
            "dact1": np.zeros(N1, np.uint8),
            "bf": roms.b_fields(cfg).astype(np.int32),
            "w2": roms.fc2_init(cfg).astype(np.int32),
            "acc2": np.zeros(N2, np.int64), "out2": np.zeros(N2, np.int32),
            "lut": roms.sigmoid_lut(cfg).astype(np.int32),
            "lfsr": np.array([roms.stream_seed(cfg.seed, roms.STREAM_LFSR1),
                              roms.stream_seed(cfg.seed, roms.STREAM_LFSR2)], np.int64),
        }
        return cls(cfg, st)

    def copy(self) -> "Processor":
        p = Processor(self.cfg, {k: v.copy() for k, v in self.st.items()})
        p.counters = self.counters.copy()
        return p

    # ---- running --------------------------------------------------------------------------
    def run(self, batch: EventBatch, labels: np.ndarray | None = None, *, learn: bool = False,
            record: bool = False) -> RunResult:
        """Process every sample of ``batch`` in order. Labels are required when learning."""
        n = len(batch)
        if labels is None:
            if learn:
                raise ModelError("learning needs labels")
            labels = np.zeros(n, np.int64)
        labels = np.asarray(labels, np.int64)
        if labels.shape != (n,):
            raise ModelError(f"{len(labels)} labels for {n} samples")
        bad = (labels < 0) | (labels >= self.cfg.fc2.neurons)
        if bad.any():
            k = int(np.argmax(bad))
            raise ModelError(f"sample {k}: label {int(labels[k])} outside 0..{self.cfg.fc2.neurons - 1}")
        preds = np.zeros(n, np.int64)
        cnt = zeros()
        if not record:
            self._kernel(batch, labels, learn, preds, cnt, np.zeros((0, 2, N_COUNTERS), np.int64))
            self.counters += cnt
            return RunResult(preds, cnt)
        ps = np.zeros((n, 2, N_COUNTERS), np.int64)
        traces = []
        for k in range(n):
            one = batch.subset(np.array([k]))
            self._kernel(one, labels[k:k + 1], learn, preds[k:k + 1], cnt, ps[k:k + 1])
            traces.append(self.memories())
        self.counters += cnt
        return RunResult(preds, cnt, ps, traces)

    def _kernel(self, batch, labels, learn, preds, cnt, ps) -> None:
        s = self.st
        run_batch(self.prm, batch.x, batch.y, batch.c, batch.offsets, labels, bool(learn),
                  s["kern"], s["pot"], s["spk"], s["w1"], s["acc1"], s["act1"], s["dact1"], s["bf"],
                  s["w2"], s["acc2"], s["out2"], s["lut"], s["lfsr"], preds, cnt, ps)

    def train_epoch(self, batch: EventBatch, labels: np.ndarray, order: np.ndarray) -> RunResult:
        """One on-chip learning pass over the samples in ``order`` (online, one at a time)."""
        return self.run(batch.subset(order), np.asarray(labels)[order], learn=True)

    def evaluate(self, batch: EventBatch, labels: np.ndarray | None = None) -> RunResult:
        return self.run(batch, labels, learn=False)

    # ---- state views ------------------------------------------------------------------------
    def memories(self) -> dict[str, np.ndarray]:
        """Every memory of spec §10 as a copy, one row per word, fields as columns (int64)."""
        out = {SPEC_NAMES[k]: self.st[k].astype(np.int64).copy() for k in SPEC_NAMES}
        out["fc1_w"] = out["fc1_w"].reshape(-1)
        out["fc2_w"] = out["fc2_w"].reshape(-1)
        out["lfsr_fc1"] = np.array([self.st["lfsr"][0]], np.int64)
        out["lfsr_fc2"] = np.array([self.st["lfsr"][1]], np.int64)
        return out

    def packed_words(self, name: str) -> list[int]:
        """Memory ``name`` as unsigned words in the spec's bit layout (field k at bits k*w)."""
        m = self.memories()[name]
        total = memory_word_bits(self.cfg)[name]
        if m.ndim == 1:
            return [int(v) & ((1 << total) - 1) for v in m]
        w = total // m.shape[1]  # equal fields, field k at bits [k*w, k*w + w)
        mask = (1 << w) - 1
        return [sum((int(v) & mask) << (k * w) for k, v in enumerate(row)) for row in m]

    # ---- persistence --------------------------------------------------------------------------
    def save(self, path: str | Path, provenance: dict | None = None) -> None:
        """Write the whole state and the config to ``path`` (.npz) atomically; ``provenance``
        (``hwmodel.provenance.version_info()`` by default) is stored as JSON text."""
        import json

        from .provenance import version_info
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=p.name, suffix=".tmp")
        os.close(fd)
        try:
            with open(tmp, "wb") as f:
                np.savez(f, config=np.array(self.cfg.to_toml()),
                         provenance=np.array(json.dumps(provenance or version_info(), sort_keys=True)),
                         **{k: v for k, v in self.st.items()})
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; a saved file is an ordinary file
            os.replace(tmp, p)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    @classmethod
    def load(cls, path: str | Path) -> "Processor":
        """Read a file written by ``save``. Every problem is a one-line ``ModelError``: a missing,
        empty, truncated or corrupt file (the ZIP CRC of every array is checked), a bad config
        inside, a missing array or one of the wrong shape, non-integer arrays, and values outside
        the precision of their memory (``check_state``)."""
        import tomllib
        p = Path(path)
        what = f"weights file '{p}'"
        if p.is_dir():
            raise ModelError(f"{what} is a folder (expected the weights.npz written by train --out)")
        try:
            size = p.stat().st_size
        except OSError as e:
            raise ModelError(f"{what}: cannot read: {e.strerror}") from None
        if size == 0:
            raise ModelError(f"{what} is empty")
        try:
            with open(p, "rb") as f:
                magic = f.read(4)
        except OSError as e:
            raise ModelError(f"{what}: cannot read: {e.strerror}") from None
        if magic != b"PK\x03\x04":
            raise ModelError(f"{what}: cannot read: not an .npz archive (expected the weights.npz written by train --out)")
        try:
            z = np.load(p, allow_pickle=False)
            if not hasattr(z, "files"):
                raise ModelError(f"{what}: not an .npz archive (a single .npy array)")
            with z:
                arrays = {k: z[k] for k in z.files}  # reads every member: CRC-checked
        except ModelError:
            raise
        except Exception as e:  # noqa: BLE001 - any failure to decode the archive (BadZipFile, CRC,
            # zlib, struct, a garbled .npy header...) is a corrupt file
            msg = str(e).splitlines()[0] if str(e) else type(e).__name__
            raise ModelError(f"{what}: cannot read (truncated or corrupt?): {msg}") from None
        if "config" not in arrays:
            raise ModelError(f"{what}: no config inside")
        try:
            text = str(arrays["config"])
            cfg = Config.from_dict(tomllib.loads(text))
        except (tomllib.TOMLDecodeError, ConfigError, TypeError, ValueError) as e:
            msg = str(e).splitlines()[0]
            raise ModelError(f"{what}: the config inside is invalid: {msg}") from None
        fresh = cls.from_config(cfg)
        for k in STATE_ARRAYS:
            a = arrays.get(k)
            if a is None:
                raise ModelError(f"{what}: array '{k}' missing")
            if a.shape != fresh.st[k].shape:
                raise ModelError(f"{what}: array '{k}' has shape {a.shape}, the config needs {fresh.st[k].shape}")
            if not np.issubdtype(a.dtype, np.integer):
                raise ModelError(f"{what}: array '{k}' has dtype {a.dtype}: memories hold integers")
        check_state(cfg, arrays, what)
        for k in STATE_ARRAYS:
            fresh.st[k][...] = arrays[k]
        return fresh


def state_ranges(cfg: Config) -> dict[str, tuple[int, int, str]]:
    """The value range of every state array: (lowest, highest, precision text)."""
    b = cfg.bits

    def s(bits: int) -> tuple[int, int, str]:
        return -(1 << (bits - 1)), (1 << (bits - 1)) - 1, f"s{bits}"

    one = (0, cfg.one, f"u{b['OB']}")
    return {"kern": s(b["WC"]), "pot": s(b["PB"]), "spk": (0, 1, "u1"), "w1": s(b["W1B"]),
            "acc1": s(b["A1B"]), "act1": s(b["YB"]), "dact1": (0, 1, "u1"), "bf": s(b["BB"]),
            "w2": s(b["W2B"]), "acc2": s(b["A2B"]), "out2": one, "lut": one,
            "lfsr": (1, (1 << 32) - 1, "non-zero u32")}


def check_state(cfg: Config, arrays: dict[str, np.ndarray], what: str) -> None:
    """Every state array within the precision of its memory (docs/spec.md §10)."""
    for k, (lo, hi, prec) in state_ranges(cfg).items():
        a = np.asarray(arrays[k])
        if a.size == 0:
            continue
        bad = (a < lo) | (a > hi)
        if bad.any():
            i = int(np.argmax(bad.reshape(-1)))
            raise ModelError(f"{what}: array '{k}' ({SPEC_NAMES.get(k, k)}) holds {int(a.reshape(-1)[i])} at "
                             f"index {i}, outside its {prec} memory range [{lo}, {hi}]")
