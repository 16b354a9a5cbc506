"""What a run trains, validates and tests on: the data a command line or a sweep names
(``DataSpec``), its checks before any work, loading it into event batches (``Prepared``) and the
validation split carved from the training data (stratified, a fixed seed that does not depend on
the chip seed).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hwmodel.spec.config import Config
from hwmodel.data.mnist import Split
from hwmodel.data.encode import EventBatch, encode_batch, encode_images


@dataclass
class Prepared:
    cfg: Config
    train: EventBatch
    test: EventBatch
    y_train: np.ndarray
    y_test: np.ndarray
    val: EventBatch | None = None     # carved from the training data (``carve_validation``)
    y_val: np.ndarray | None = None
    notes: tuple[str, ...] = ()       # legal but suspicious input (``warn_data`` prints them)

    @property
    def n_val(self) -> int:
        return 0 if self.y_val is None else len(self.y_val)


def prepare(cfg: Config, split: Split) -> Prepared:
    """Encode the images of a split into validated event batches."""
    return Prepared(cfg, encode_batch(split.x_train, cfg), encode_batch(split.x_test, cfg),
                    np.asarray(split.y_train, np.int64), np.asarray(split.y_test, np.int64))


VAL_SEED_TAG = 0x56414C  # "VAL": the validation split's generator is [split_seed, VAL_SEED_TAG]
DEFAULT_VAL_SIZE = 1000


def default_val_size(n_train: int) -> int:
    """1,000 digits (a quarter of the embedded 4,000), or a quarter of a smaller training set."""
    return min(DEFAULT_VAL_SIZE, n_train // 4)


def validation_split(y: np.ndarray, n_val: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(train indices, validation indices), both ascending: ``n_val`` samples stratified by class
    (each class gives its share, rounded by largest remainders), chosen with the generator
    ``default_rng([seed, VAL_SEED_TAG])``; the chip seed plays no part, so every seed of a run
    and every point of a sweep is chosen on the same validation digits."""
    y = np.asarray(y)
    n = len(y)
    if not 0 <= n_val < n:
        raise ValueError(f"validation size {n_val} for {n} training samples")
    rng = np.random.default_rng([seed, VAL_SEED_TAG])
    classes, counts = np.unique(y, return_counts=True)
    exact = n_val * counts / n
    quota = np.floor(exact).astype(np.int64)
    rest = n_val - int(quota.sum())
    if rest:
        order = np.lexsort((classes, -(exact - quota)))  # largest remainder first, then class
        quota[order[:rest]] += 1
    val = []
    for c, q in zip(classes, quota):
        members = np.flatnonzero(y == c)
        val.append(rng.permutation(members)[:q])
    v = np.sort(np.concatenate(val)) if val else np.zeros(0, np.int64)
    keep = np.ones(n, bool)
    keep[v] = False
    return np.flatnonzero(keep), v


def carve_validation(prep: Prepared, n_val: int, seed: int = 0) -> Prepared:
    """``prep`` with ``n_val`` of its training samples moved to a validation set."""
    if n_val == 0:
        return prep
    tr, va = validation_split(prep.y_train, n_val, seed)
    return Prepared(prep.cfg, prep.train.subset(tr), prep.test, prep.y_train[tr], prep.y_test,
                    prep.train.subset(va), prep.y_train[va], prep.notes)


def prepare_streams(cfg: Config, train_streams, y_train, test_streams, y_test) -> Prepared:
    """Validated event batches from recorded or emulated event streams."""
    return Prepared(cfg, EventBatch.from_streams(train_streams, cfg), EventBatch.from_streams(test_streams, cfg),
                    np.asarray(y_train, np.int64), np.asarray(y_test, np.int64))


@dataclass(frozen=True)
class NamedData:
    folder: str | None     # None: the embedded digits
    what: str
    install: str           # how to get it when the folder is missing


# --data NAME: datasets known by name (a folder of the same name is given as ./NAME)
NAMED_DATA = {
    "mnist5k": NamedData(None, "the embedded 5,000 MNIST digits, the default", ""),
    "fashion": NamedData("/usr/share/datasets/fashion-mnist", "Fashion-MNIST, 60,000 + 10,000 images",
                         "apt-get install dataset-fashion-mnist (Debian/Ubuntu) installs it there, or give "
                         "--data DIR with its four IDX files"),
}


DATA_HELP = ("an MNIST-layout IDX folder, or a dataset by name: " + ", ".join(
    f"'{k}' ({d.what})" for k, d in NAMED_DATA.items()) + "; the N-MNIST / .aer folder with --events nmnist / aer. "
    "A folder of the same name as a dataset: ./NAME")


def named_data_folder(folder: str | None) -> str | None:
    """The folder ``--data`` means: a dataset name (``NAMED_DATA``) becomes its folder (None for
    the embedded digits); anything else is a folder path as given."""
    return NAMED_DATA[folder].folder if folder in NAMED_DATA else folder


EVENT_SOURCES = ("image", "dvs", "nmnist", "aer")
STREAM_SOURCES = ("nmnist", "aer")  # recorded streams from a --data folder
DVS_TEST_SEED_OFFSET = 1_000_000


@dataclass(frozen=True)
class DataSpec:
    """Which samples a run uses: images through the config's encoder, DVS-emulated images, or
    recorded N-MNIST streams; from the embedded set or a user folder; with optional stopping rules.
    ``val_size`` training samples become the validation split (None: ``default_val_size``).
    ``withhold``: classes removed from every split (a chip deployed without them, for
    class-incremental studies with ``adapt --new-classes``)."""
    events: str = "image"
    folder: str | None = None
    n_train: int | None = None
    n_test: int | None = None
    split_seed: int = 0
    window_us: int | None = None
    max_events: int | None = None
    val_size: int | None = None
    withhold: tuple[int, ...] = ()

    def __post_init__(self):
        object.__setattr__(self, "folder", named_data_folder(self.folder))
        object.__setattr__(self, "withhold", tuple(sorted(set(self.withhold or ()))))

    def resolved_val(self, n_train: int | None = None) -> int | None:
        """The validation size for a training set of ``n_train`` samples (None: not known yet)."""
        if self.val_size is not None:
            return self.val_size
        n = n_train if n_train is not None else self.n_train
        if n is None and not (self.events in STREAM_SOURCES or self.folder):
            n = 4000
        return None if n is None else default_val_size(n)

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
        val = self.resolved_val()
        base += f",val={'auto' if val is None else val}"
        return base + (f",withhold={'-'.join(map(str, self.withhold))}" if self.withhold else "")


def _stop_all(streams, spec: DataSpec):
    from hwmodel.data.encode import stop_stream
    if spec.window_us is None and spec.max_events is None:
        return streams
    return [stop_stream(s, spec.window_us, spec.max_events) for s in streams]


EMBEDDED_DIGITS = 5000


def check_spec(spec: DataSpec) -> None:
    """The checks that need no data: counts >= 1, windows > 0, a folder where one is needed and
    that exists, embedded sizes. Raises ``DataError`` naming the option."""
    from hwmodel.data.mnist import DataError
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
            named = [(k, d) for k, d in NAMED_DATA.items() if d.folder == spec.folder]
            if named:
                k, d = named[0]
                raise DataError(f"--data {k}: {d.what} is not installed in {d.folder}; {d.install}")
            raise DataError(f"data folder '{spec.folder}' does not exist")
        if not p.is_dir():
            raise DataError(f"data folder '{spec.folder}' is not a folder")
    elif spec.events not in STREAM_SOURCES:
        n_tr = 4000 if spec.n_train is None else spec.n_train
        n_te = 1000 if spec.n_test is None else spec.n_test
        if n_tr + n_te > EMBEDDED_DIGITS:
            raise DataError(f"embedded MNIST has {EMBEDDED_DIGITS} digits: cannot take {n_tr} + {n_te}")
    for c in spec.withhold:
        if isinstance(c, bool) or not isinstance(c, (int, np.integer)) or c < 0:
            raise DataError(f"--withhold-classes: a class is an integer >= 0, got {c!r}")
    if spec.val_size is not None:
        v = spec.val_size
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise DataError(f"--val-size must be >= 0, got {v!r}")
        if spec.n_train is not None or not (spec.folder or spec.events in STREAM_SOURCES):
            check_val_size(v, 4000 if spec.n_train is None else spec.n_train)


def check_val_size(val_size: int, n_train: int) -> None:
    """The validation split must leave at least one training sample."""
    from hwmodel.data.mnist import DataError
    if val_size >= n_train:
        raise DataError(f"--val-size {val_size} is not smaller than the training set ({n_train} samples): "
                        f"the validation digits are carved from it and at least one must be left to train on")


def check_val_needed(val_size: int | None, why: str) -> None:
    """A choice (``why``) is made on validation: ``--val-size 0`` cannot be used for it."""
    from hwmodel.data.mnist import DataError
    if val_size == 0:
        raise DataError(f"--val-size 0: {why} on the validation split; give --val-size N >= 1")


def check_sensor(cfg: Config, width: int, height: int, what: str) -> None:
    from hwmodel.spec.config import ConfigError
    if (cfg.input.width, cfg.input.height) != (width, height):
        hint = " (use --config nmnist)" if (width, height) == (34, 34) else \
            " (use --config spoon_dvs)" if (width, height) == (28, 28) else ""
        raise ConfigError(f"config '{cfg.name}' has a {cfg.input.width}x{cfg.input.height} input; "
                          f"{what} {width}x{height}{hint}")


def _check_prepared(cfg: Config, prep: Prepared, spec: DataSpec) -> None:
    """Labels the chip can learn, and events left after the stopping rules."""
    from hwmodel.data.mnist import DataError
    n_cls = cfg.output.neurons
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


def warn_data(prep: Prepared, log) -> None:
    """One warning line per legal but suspicious property of the data: the notes of its reader
    (e.g. two copies of an IDX file), training samples of one class only (any accuracy is then
    trivial), many samples without an event (chance accuracy is then likely)."""
    for n in prep.notes:
        log(f"warning: {n}")
    labels = np.concatenate([prep.y_train] + ([prep.y_val] if prep.y_val is not None else []))
    classes = np.unique(labels)
    if len(labels) and len(classes) < 2:
        log(f"warning: every training sample has label {int(classes[0])}: the chip can only learn to "
            f"answer {int(classes[0])}, and any accuracy measured on the same class is trivial")
    parts = [("training", np.concatenate([np.diff(prep.train.offsets)]
                                         + ([np.diff(prep.val.offsets)] if prep.val is not None else []))),
             ("test", np.diff(prep.test.offsets))]
    for part, lens in parts:  # the training samples with the validation ones carved from them
        if len(lens):
            empty = float(np.mean(lens == 0))
            if empty >= 0.1:
                log(f"warning: {100 * empty:.0f} % of the {part} samples have no event (mean "
                    f"{lens.mean():.1f} events per sample)")


def load_data(cfg: Config, spec: DataSpec) -> tuple[Prepared, str]:
    """Validated event batches for ``spec`` under ``cfg``, and a description of the source."""
    from hwmodel.spec.config import ConfigError
    from hwmodel.data.mnist import embedded_split, load_aer_folder, load_idx_folder, load_nmnist
    check_spec(spec)
    if spec.events in STREAM_SOURCES:
        if spec.events == "nmnist":
            if (cfg.input.width, cfg.input.channels) != (34, 2):
                raise ConfigError(f"config '{cfg.name}' has a {cfg.input.width}x{cfg.input.height}x"
                                  f"{cfg.input.channels} input; N-MNIST needs 34x34x2 (use --config nmnist)")
            ss = load_nmnist(spec.folder, spec.n_train, spec.n_test, spec.split_seed)
        else:
            from hwmodel.data.mnist import list_aer_folder
            w, h = list_aer_folder(spec.folder)["sensor"]
            check_sensor(cfg, w, h, "the .aer files are from a sensor of")
            ss = load_aer_folder(spec.folder, spec.n_train, spec.n_test, spec.split_seed)
        prep = prepare_streams(cfg, _stop_all(ss.train, spec), ss.y_train, _stop_all(ss.test, spec), ss.y_test)
        _check_prepared(cfg, prep, spec)
        return _with_val(prep, spec), ss.source
    if spec.folder:
        split = load_idx_folder(spec.folder, spec.n_train, spec.n_test)
    else:
        split = embedded_split(4000 if spec.n_train is None else spec.n_train,
                               1000 if spec.n_test is None else spec.n_test, spec.split_seed)
    if cfg.input.width != split.x_train.shape[2]:
        raise ConfigError(f"config '{cfg.name}' has a {cfg.input.width}-wide input; the images are "
                          f"{split.x_train.shape[2]} wide")
    if spec.events == "dvs":
        from hwmodel.data.dvs import dvs_dataset
        tr = dvs_dataset(split.x_train, split.y_train, seed=spec.split_seed)
        te = dvs_dataset(split.x_test, split.y_test, seed=spec.split_seed + DVS_TEST_SEED_OFFSET)
        prep = prepare_streams(cfg, _stop_all(tr, spec), split.y_train, _stop_all(te, spec), split.y_test)
        source = split.source + ", DVS-emulated (hwmodel.data.dvs defaults)"
    elif spec.window_us is not None or spec.max_events is not None:
        prep = prepare_streams(cfg, _stop_all(encode_images(split.x_train, cfg), spec), split.y_train,
                               _stop_all(encode_images(split.x_test, cfg), spec), split.y_test)
        source = split.source
    else:
        prep, source = prepare(cfg, split), split.source
    _check_prepared(cfg, prep, spec)
    prep = dataclasses.replace(prep, notes=split.notes)
    return _with_val(prep, spec), source


def withhold_classes(prep: Prepared, classes: tuple[int, ...]) -> Prepared:
    """``prep`` without the samples of ``classes`` in its training and test sets (checked: every
    class is one of the chip's outputs, and samples of other classes remain in both)."""
    from hwmodel.data.mnist import DataError
    if not classes:
        return prep
    n_cls = prep.cfg.output.neurons
    bad = [c for c in classes if c >= n_cls]
    if bad:
        raise DataError(f"--withhold-classes {bad[0]}: config '{prep.cfg.name}' has {n_cls} outputs "
                        f"(classes 0..{n_cls - 1})")
    kt = np.flatnonzero(~np.isin(prep.y_train, classes))
    ke = np.flatnonzero(~np.isin(prep.y_test, classes))
    if not len(kt) or not len(ke):
        raise DataError(f"--withhold-classes {','.join(map(str, classes))}: no "
                        f"{'training' if not len(kt) else 'test'} sample of another class is left")
    return dataclasses.replace(prep, train=prep.train.subset(kt), y_train=prep.y_train[kt],
                               test=prep.test.subset(ke), y_test=prep.y_test[ke])


def _with_val(prep: Prepared, spec: DataSpec) -> Prepared:
    prep = withhold_classes(prep, spec.withhold)
    n_val = spec.resolved_val(len(prep.y_train))
    check_val_size(n_val, len(prep.y_train))
    return carve_validation(prep, n_val, spec.split_seed)
