"""MNIST IDX reader (on small files written here in the real format) and the embedded split."""
import gzip
import struct

import numpy as np
import pytest

from hwmodel.data.mnist import DataError, embedded_split, load_idx_folder, read_idx


def write_idx(path, arr, gz=False):
    arr = np.asarray(arr, np.uint8)
    raw = struct.pack(">HBB", 0, 0x08, arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape) + arr.tobytes()
    path.write_bytes(gzip.compress(raw) if gz else raw)


def make_folder(tmp_path, n_train=6, n_test=4, gz=False):
    rng = np.random.default_rng(0)
    sfx = ".gz" if gz else ""
    write_idx(tmp_path / f"train-images-idx3-ubyte{sfx}", rng.integers(0, 256, (n_train, 28, 28)), gz)
    write_idx(tmp_path / f"train-labels-idx1-ubyte{sfx}", np.arange(n_train) % 10, gz)
    write_idx(tmp_path / f"t10k-images-idx3-ubyte{sfx}", rng.integers(0, 256, (n_test, 28, 28)), gz)
    write_idx(tmp_path / f"t10k-labels-idx1-ubyte{sfx}", np.arange(n_test) % 10, gz)


@pytest.mark.parametrize("gz", [False, True])
def test_idx_folder_reads_back_exactly(tmp_path, gz):
    make_folder(tmp_path, gz=gz)
    sp = load_idx_folder(tmp_path)
    assert sp.x_train.shape == (6, 28, 28) and sp.x_test.shape == (4, 28, 28)
    assert list(sp.y_train) == [0, 1, 2, 3, 4, 5]
    raw = np.random.default_rng(0).integers(0, 256, (6, 28, 28))
    np.testing.assert_array_equal(sp.x_train, raw.astype(np.uint8))


def test_idx_wrong_magic(tmp_path):
    p = tmp_path / "x"
    p.write_bytes(b"\x00\x00\x0d\x01" + struct.pack(">I", 1) + b"\x00")
    with pytest.raises(DataError, match="wrong magic"):
        read_idx(p)


def test_idx_truncated(tmp_path):
    p = tmp_path / "x"
    write_idx(p, np.zeros((3, 28, 28)))
    p.write_bytes(p.read_bytes()[:-10])
    with pytest.raises(DataError, match="truncated.*2352.*2342"):
        read_idx(p)
    p.write_bytes(b"\x00\x00")
    with pytest.raises(DataError, match="truncated header"):
        read_idx(p)


def test_idx_corrupt_gzip(tmp_path):
    p = tmp_path / "x.gz"
    p.write_bytes(b"\x1f\x8b garbage")
    with pytest.raises(DataError, match="corrupt gzip"):
        read_idx(p)


def test_idx_folder_errors(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_idx_folder(tmp_path / "nope")
    make_folder(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(DataError, match="missing 't10k-labels-idx1-ubyte'"):
        load_idx_folder(tmp_path)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", [0, 1, 2, 12])
    with pytest.raises(DataError, match="label 12 outside"):
        load_idx_folder(tmp_path)


def test_embedded_split_is_stratified_and_deterministic():
    a = embedded_split()
    b = embedded_split()
    assert a.x_train.shape == (4000, 28, 28) and a.x_test.shape == (1000, 28, 28)
    assert np.bincount(a.y_test).tolist() == [100] * 10
    assert np.bincount(a.y_train).tolist() == [400] * 10
    np.testing.assert_array_equal(a.y_train, b.y_train)
    # shuffled: the class-sorted source order is gone
    assert np.mean(np.diff(a.y_train) == 0) < 0.3
    # no digit is in both sets
    tr = {x.tobytes() for x in a.x_train}
    assert not any(x.tobytes() in tr for x in a.x_test[:200])


# ---- datasets by name (--data fashion, --data mnist5k) --------------------------------------------
def test_named_datasets_resolve_to_their_folders():
    from hwmodel.data.select import DataSpec, NAMED_DATA
    assert DataSpec("image", "mnist5k").folder is None
    assert DataSpec("image", "mnist5k").key() == DataSpec("image", None).key()
    assert DataSpec("image", "fashion").folder == NAMED_DATA["fashion"].folder == "/usr/share/datasets/fashion-mnist"
    assert DataSpec("image", "./fashion").folder == "./fashion"          # a folder of that name


def test_named_dataset_not_installed_says_how_to_install(tmp_path, monkeypatch, capsys):
    from hwmodel import cli
    from hwmodel.data import select
    monkeypatch.setitem(select.NAMED_DATA, "fashion",
                        select.NamedData(str(tmp_path / "none"), "Fashion-MNIST", select.NAMED_DATA["fashion"].install))
    with pytest.raises(DataError, match=r"--data fashion: Fashion-MNIST is not installed in .*none; "
                                        r"apt-get install dataset-fashion-mnist"):
        select.check_spec(select.DataSpec("image", "fashion"))
    assert cli.main(["train", "--data", "fashion", "--epochs", "1", "--no-float", "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: --data fashion: ") and "apt-get install" in err[0]


def test_named_dataset_reads_its_idx_files(tmp_path, monkeypatch):
    from hwmodel.data import select
    from hwmodel.spec.config import Config
    make_folder(tmp_path, n_train=40, n_test=10)
    monkeypatch.setitem(select.NAMED_DATA, "fashion", select.NamedData(str(tmp_path), "Fashion-MNIST", ""))
    cfg = Config.preset("tiny")
    by_name, src = select.load_data(cfg, select.DataSpec("image", "fashion", val_size=10))
    by_path, _ = select.load_data(cfg, select.DataSpec("image", str(tmp_path), val_size=10))
    assert str(tmp_path) in src
    assert len(by_name.y_train) == 30 and len(by_name.y_val) == 10 and len(by_name.y_test) == 10
    for a, b in ((by_name.y_train, by_path.y_train), (by_name.y_test, by_path.y_test),
                 (by_name.train.x, by_path.train.x)):
        np.testing.assert_array_equal(a, b)
