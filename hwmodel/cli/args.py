"""What every command reads from its options: the configuration, the data, conv kernels from a file,
progress bars and log lines on stderr."""
from __future__ import annotations

import sys

import numpy as np

from hwmodel.util import checks
from hwmodel.spec.config import Config
from hwmodel.engine.processor import ModelError

DEFAULT_CONFIG = {"image": "spoon", "dvs": "spoon_dvs", "nmnist": "nmnist", "aer": "spoon_dvs"}


def config_from_args(args) -> Config:
    cfg = Config.load(args.config or DEFAULT_CONFIG[getattr(args, "events", "image")])
    seed = getattr(args, "seed", None)
    return cfg.with_sets(args.set, **({} if seed is None else {"seed": seed}))


def add_data_options(sp) -> None:
    """The data options of every command that reads samples (train, eval, estimate --weights)."""
    sp.add_argument("--events", choices=["image", "dvs", "nmnist", "aer"], default="image",
                    help="input: images through the config's encoder (default), DVS-emulated images, "
                         "recorded N-MNIST streams from --data, or the project's .aer files from --data "
                         "(DIR/Train/**/*.aer and DIR/Test/**/*.aer, labels in the headers; docs/events.md)")
    sp.add_argument("--window-us", type=checks.positive, default=None, metavar="T",
                    help="keep the events with t < t_first + T of each sample (T > 0; µs for event streams, "
                         "ticks for encoded images)")
    sp.add_argument("--max-events", type=checks.count, default=None, metavar="N",
                    help="keep at most the first N >= 1 events of each sample")
    from hwmodel.data.select import DATA_HELP
    sp.add_argument("--data", metavar="DIR|NAME", help=DATA_HELP)
    sp.add_argument("--n-train", type=checks.count, default=None, metavar="N",
                    help="training samples, >= 1 and at most what the data has (embedded default 4000; "
                         "a folder: all)")
    sp.add_argument("--n-test", type=checks.count, default=None, metavar="N",
                    help="test samples, >= 1 and at most what the data has (embedded default 1000; a folder: all)")
    sp.add_argument("--split-seed", type=checks.nonneg, default=0, metavar="S",
                    help="seed >= 0 of the embedded stratified split and of folder subsets (default 0)")


def data_spec_from_args(args):
    from hwmodel.data.select import DataSpec
    return DataSpec(args.events, args.data, args.n_train, args.n_test, args.split_seed,
                    args.window_us, args.max_events, getattr(args, "val_size", None),
                    tuple(getattr(args, "withhold_classes", None) or ()))


def class_list(text: str) -> list[int]:
    """A comma-separated list of distinct class labels >= 0, e.g. 8,9 (argparse type)."""
    import argparse
    try:
        vals = [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected comma-separated class labels, e.g. 8,9") from None
    if not vals or min(vals) < 0 or len(set(vals)) != len(vals):
        raise argparse.ArgumentTypeError(f"{text!r}: class labels are distinct integers >= 0")
    return sorted(vals)


seed_list = checks.seed_list   # --seeds: one reading in every command line (hwmodel.util.checks.parse_seed_list)


def bar_factory(enabled: bool):
    if not enabled:
        return None
    from tqdm import tqdm

    def make(desc: str, total: int):
        return tqdm(total=total, desc=desc, unit="it", leave=False, file=sys.stderr, dynamic_ncols=True)
    return make


def load_kernels(path):
    """Conv kernels from a .npy file of integers, shape (C, CIN, K, K); None: random from the seed."""
    if path is None:
        return None
    try:
        k = np.load(path, allow_pickle=False)
    except Exception as e:  # noqa: BLE001 - missing, truncated, corrupt, pickled: one line
        msg = (getattr(e, "strerror", None) or str(e)).splitlines()[0] if str(e) else type(e).__name__
        raise ModelError(f"kernel file '{path}': cannot read: {msg}") from None
    if not isinstance(k, np.ndarray):
        k.close()
        raise ModelError(f"kernel file '{path}': an .npz archive, expected one .npy array")
    if not np.issubdtype(k.dtype, np.integer):
        raise ModelError(f"kernel file '{path}': dtype {k.dtype} is not an integer type")
    return k


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)
