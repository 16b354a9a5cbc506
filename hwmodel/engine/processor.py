"""The bit-accurate processor model: state, sample processing, persistence. RTL twin: rtl/spoon_top.v.

``Processor.from_config(cfg)`` builds the whole chip state of docs/spec.md §10 / §15 (a conv
front end, any number of hidden layers, the output layer) from a validated configuration; ``run``
processes event batches through the Numba kernel of the layer stack (``hwmodel.engine.kernel``) in
inference or learning mode. ``memories()`` returns every memory in the spec's word layout, which
is what the RTL testbenches compare word for word; ``save``/``load`` keep the whole state.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from hwmodel.util.checks import atomic_write
from hwmodel.spec.config import Config, ConfigError
from hwmodel.spec.layers import memories as memory_sizes
from hwmodel.engine.kernel import RunResult, StackProcessor
from hwmodel.engine.layout import build_state

__all__ = ["ModelError", "Processor", "RunResult", "check_state", "state_ranges"]

# the state arrays of the layer stack (hwmodel.engine.kernel: flat buffers shared by the FC layers)
STATE_ARRAYS = ("kern", "pot", "spk", "w", "acc", "act", "dact", "bf", "out", "lut", "lfsr")
# the arrays of files written before the layer stack (one hidden layer, one array per memory)
LEGACY_ARRAYS = ("kern", "pot", "spk", "w1", "acc1", "act1", "dact1", "bf", "w2", "acc2", "out2",
                 "lut", "lfsr")


class ModelError(ValueError):
    """Bad input to the model (labels out of range, incompatible weight file, ...)."""


class Processor(StackProcessor):
    """Whole-chip state plus the processing entry points, for any depth. ``provenance``: what
    ``load`` read beside the state (code version, ``withheld_classes`` ...; empty otherwise)."""

    provenance: dict = {}

    @classmethod
    def from_config(cls, cfg: Config, conv_kernels: np.ndarray | None = None, *,
                    frozen_hidden: bool = False) -> "Processor":
        try:
            p = cls(cfg, build_state(cfg, conv_kernels))
        except ValueError as e:  # kernel shape or range
            raise ModelError(str(e)) from None
        p.freeze_hidden(frozen_hidden)
        return p

    def copy(self) -> "Processor":
        p = Processor(self.cfg, {k: v.copy() for k, v in self.st.items()})
        p.counters = self.counters.copy()
        p.lay = self.lay.copy()
        return p

    def run(self, batch, labels: np.ndarray | None = None, *, learn: bool = False,
            record: bool = False, front=None, order=None) -> RunResult:
        """Process every sample of ``batch`` in order (or in ``order``). Labels are required when
        learning. ``front``: the batch's ``front_end`` computed once (``StackProcessor.run``)."""
        try:
            return super().run(batch, labels, learn=learn, record=record, front=front, order=order)
        except ValueError as e:
            raise ModelError(str(e)) from None

    def train_epoch(self, batch, labels: np.ndarray, order: np.ndarray, front=None) -> RunResult:
        """One on-chip learning pass over the samples in ``order`` (online, one at a time);
        ``front``: the whole batch's ``front_end`` (it is taken in ``order`` here)."""
        return self.run(batch, labels, learn=True, front=front, order=order)

    def evaluate(self, batch, labels: np.ndarray | None = None, front=None) -> RunResult:
        return self.run(batch, labels, learn=False, front=front)

    # ---- state views ------------------------------------------------------------------------
    def packed_words(self, name: str) -> list[int]:
        """Memory ``name`` as unsigned words in the spec's bit layout (field k at bits k*w)."""
        m = self.memories()[name]
        total = memory_sizes(self.cfg)[name]["word_bits"]
        if m.ndim == 1:
            return [int(v) & ((1 << total) - 1) for v in m]
        w = total // m.shape[1]  # equal fields, field k at bits [k*w, k*w + w)
        mask = (1 << w) - 1
        return [sum((int(v) & mask) << (k * w) for k, v in enumerate(row)) for row in m]

    # ---- persistence --------------------------------------------------------------------------
    def save(self, path: str | Path, provenance: dict | None = None) -> None:
        """Write the whole state and the config to ``path`` (.npz) atomically; ``provenance``
        (``hwmodel.util.provenance.version_info()`` by default) is stored as JSON text."""
        import json

        from hwmodel.util.provenance import version_info
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(p, lambda f: np.savez(f, config=np.array(self.cfg.to_toml()),
                                           provenance=np.array(json.dumps(provenance or version_info(),
                                                                          sort_keys=True)),
                                           **{k: v for k, v in self.st.items()}))

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
        legacy = "w" not in arrays and "w1" in arrays
        unknown = sorted(set(arrays) - {"config", "provenance"} - set(LEGACY_ARRAYS if legacy else STATE_ARRAYS))
        if unknown:
            raise ModelError(f"{what}: unknown array{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))} "
                             f"(a weights file holds {', '.join(LEGACY_ARRAYS if legacy else STATE_ARRAYS)}, "
                             f"config and provenance)")
        fresh = cls.from_config(cfg)
        if legacy:
            arrays = _from_legacy(cfg, arrays, what)
        for k in STATE_ARRAYS:
            a = arrays.get(k)
            if a is None:
                raise ModelError(f"{what}: array '{k}' missing")
            if a.shape != fresh.st[k].shape:
                raise ModelError(f"{what}: array '{k}' has shape {a.shape}, the config needs {fresh.st[k].shape}")
            if not np.issubdtype(a.dtype, np.integer):
                raise ModelError(f"{what}: array '{k}' has dtype {a.dtype}: memories hold integers")
        probe = cls(cfg, {k: np.asarray(arrays[k]) for k in STATE_ARRAYS})
        check_state(probe, what)
        for k in STATE_ARRAYS:
            fresh.st[k][...] = arrays[k]
        fresh.provenance = _provenance(arrays.get("provenance"))
        return fresh


def _provenance(a) -> dict:
    """The provenance JSON of a weights file ({} when absent or not a JSON object)."""
    import json
    try:
        d = json.loads(str(a)) if a is not None else {}
    except ValueError:
        return {}
    return d if isinstance(d, dict) else {}


def _from_legacy(cfg: Config, arrays: dict[str, np.ndarray], what: str) -> dict[str, np.ndarray]:
    """The arrays of a file written before the layer stack (one hidden layer; ``w1``, ``acc1``,
    ... ``out2``) in the flat layout of ``hwmodel.engine.kernel``."""
    if cfg.depth != 1:
        raise ModelError(f"{what}: one-hidden-layer arrays (w1, w2, ...) but the config inside has "
                         f"{cfg.depth} hidden layers")
    n1, n2, nin = cfg.hidden[0].neurons, cfg.output.neurons, cfg.n_in
    shapes = {"w1": (nin + 1, n1), "acc1": (n1,), "act1": (n1,), "dact1": (n1,), "bf": (n2, n1),
              "w2": (n1 + 1, n2), "acc2": (n2,), "out2": (n2,)}
    for k, shape in shapes.items():
        a = arrays.get(k)
        if a is None:
            raise ModelError(f"{what}: array '{k}' missing")
        if a.shape != shape:
            raise ModelError(f"{what}: array '{k}' has shape {a.shape}, the config needs {shape}")
    out = {k: arrays[k] for k in ("kern", "pot", "spk", "lut", "lfsr") if k in arrays}
    out["w"] = np.concatenate([arrays["w1"].ravel(), arrays["w2"].ravel()])
    out["acc"] = np.concatenate([arrays["acc1"], arrays["acc2"]])
    out["act"], out["dact"], out["out"] = arrays["act1"], arrays["dact1"], arrays["out2"]
    out["bf"] = arrays["bf"].ravel()
    return out


def state_ranges(cfg: Config) -> dict[str, tuple[int, int, str]]:
    """The value range of every memory of ``Processor.memories()``: (lowest, highest, precision)."""
    def s(bits: int) -> tuple[int, int, str]:
        return -(1 << (bits - 1)), (1 << (bits - 1)) - 1, f"s{bits}"

    out = cfg.output
    r = {"conv_kernel": s(cfg.bits["WC"]), "conv_pot": s(cfg.bits["PB"]), "conv_spk": (0, 1, "u1")}
    for n, h in enumerate(cfg.hidden):
        k = n + 1
        r[f"fc{k}_w"], r[f"fc{k}_acc"] = s(h.wb), s(h.ab)
        r[f"fc{k}_act"], r[f"fc{k}_dact"] = s(h.yb), (0, 1, "u1")
        r["b_lut" if k == 1 else f"b{k}_lut"] = s(h.bb)
    k = cfg.depth + 1
    one = (0, out.one, f"u{out.ob}")
    r[f"fc{k}_w"], r[f"fc{k}_acc"], r[f"fc{k}_out"], r["sig_lut"] = s(out.wb), s(out.ab), one, one
    for j in range(1, k + 1):
        r[f"lfsr_fc{j}"] = (1, (1 << 32) - 1, "non-zero u32")
    from hwmodel.spec.layers import memories
    have = memories(cfg)           # a layer that does not learn has no B LUT, dact or LFSRs (spec §15)
    return {n: v for n, v in r.items() if n in have}


def check_state(proc: StackProcessor, what: str) -> None:
    """Every memory of ``proc`` within the precision of its words (docs/spec.md §10, §15)."""
    mem = proc.memories()
    for k, (lo, hi, prec) in state_ranges(proc.cfg).items():
        a = mem[k]
        if a.size == 0:
            continue
        bad = (a < lo) | (a > hi)
        if bad.any():
            i = int(np.argmax(bad.reshape(-1)))
            raise ModelError(f"{what}: memory {k} holds {int(a.reshape(-1)[i])} at index {i}, "
                             f"outside its {prec} range [{lo}, {hi}]")
