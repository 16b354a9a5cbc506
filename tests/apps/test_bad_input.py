"""Bad input on every command line, by class (issue 14): every case is checked before any work,
prints one line ``error: ...`` naming the problem and exits with 2. The bad files are written
here, in tmp_path."""
import json
import sqlite3
import struct
from pathlib import Path

import numpy as np
import pytest

from hwmodel import cli, report, sweep
from hwmodel.util import checks
from hwmodel.sweep import executors as sweep_executors
from hwmodel.spec.config import Config
from hwmodel.estimate import cli as est_cli
from hwmodel.data.eventio import EVENT_DTYPE, write_aer

MAINS = {"hwmodel": cli.main, "sweep": sweep.main, "report": report.main, "estimate": est_cli.main}
UNWRITABLE = "/proc/1/hwmodel-test"  # cannot be created, not even by root
SMALL = ["--config", "tiny", "--n-train", "100", "--n-test", "50"]


# ---- small files in the real formats --------------------------------------------------------------
def write_idx(path: Path, arr) -> None:
    arr = np.asarray(arr, np.uint8)
    path.write_bytes(struct.pack(">HBB", 0, 0x08, arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape)
                     + arr.tobytes())


def idx_folder(root: Path, n_train=300, n_test=60) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    write_idx(root / "train-images-idx3-ubyte", rng.integers(0, 256, (n_train, 28, 28)))
    write_idx(root / "train-labels-idx1-ubyte", np.arange(n_train) % 10)
    write_idx(root / "t10k-images-idx3-ubyte", rng.integers(0, 256, (n_test, 28, 28)))
    write_idx(root / "t10k-labels-idx1-ubyte", np.arange(n_test) % 10)
    return root


def aer_folder(root: Path, per_class=2, size=28, label=True) -> Path:
    rng = np.random.default_rng(1)
    for split in ("Train", "Test"):
        for digit in range(10):
            (root / split).mkdir(parents=True, exist_ok=True)
            for k in range(per_class):
                n = int(rng.integers(20, 50))
                ev = np.zeros(n, EVENT_DTYPE)
                ev["t"] = np.sort(rng.integers(0, 20_000, n))
                ev["x"] = np.clip(rng.normal(2 + 2.4 * digit, 2, n), 0, size - 1).astype(int)
                ev["y"] = rng.integers(0, size, n)
                ev["p"] = rng.integers(0, 2, n)
                write_aer(root / split / f"{digit}_{k}.aer", ev, size, size, digit if label else -1)
    return root


@pytest.fixture(scope="module")
def weights(tmp_path_factory) -> Path:
    """A valid weights file of the tiny preset (trained one epoch) and its arrays."""
    d = tmp_path_factory.mktemp("w")
    assert cli.main(["train", *SMALL, "--epochs", "1", "--no-float", "--no-progress", "--json",
                     "--out", str(d / "run")]) == 0
    return d / "run" / "weights.npz"


def _npz_with(src: Path, dst: Path, **change) -> Path:
    with np.load(src) as z:
        arrays = {k: z[k] for k in z.files}
    for k, v in change.items():
        if v is None:
            arrays.pop(k)
        else:
            arrays[k] = v(arrays[k]) if callable(v) else v
    with open(dst, "wb") as f:
        np.savez(f, **arrays)
    return dst


def _sqlite(path: Path, *stmts) -> Path:
    conn = sqlite3.connect(path)
    for s in stmts:
        conn.execute(s)
    conn.commit()
    conn.close()
    return path


# ---- the table: (id, command, argv builder(tmp, weights) -> argv, expected text) -------------------
CASES = [
    # outputs, checked before work
    ("train-out-under-file", "hwmodel", lambda t, w: ["train", *SMALL, "--out", str(_file(t) / "sub")], "is a file, not a folder"),
    ("train-out-unwritable", "hwmodel", lambda t, w: ["train", *SMALL, "--out", UNWRITABLE], "cannot write in"),
    ("train-out-is-file", "hwmodel", lambda t, w: ["train", *SMALL, "--out", str(_file(t))], "exists and is not a folder"),
    ("train-out-foreign-files", "hwmodel", lambda t, w: ["train", *SMALL, "--out", str(_foreign(t))], "already holds other files"),
    ("report-out-under-file", "report", lambda t, w: ["--db", str(_any_db(t)), "--out", str(_file(t) / "r")], "is a file, not a folder"),
    ("report-out-unwritable", "report", lambda t, w: ["--db", str(_any_db(t)), "--out", UNWRITABLE], "cannot write in"),
    ("report-out-foreign", "report", lambda t, w: ["--db", str(_any_db(t)), "--out", str(_foreign(t))], "already holds other files"),
    ("estimate-out-under-file", "estimate", lambda t, w: ["--config", "tiny", "--no-synth", "--out", str(_file(t) / "e")], "is a file, not a folder"),
    ("estimate-out-unwritable", "estimate", lambda t, w: ["--config", "tiny", "--no-synth", "--out", UNWRITABLE], "cannot write in"),
    # result stores
    ("sweep-db-text", "sweep", lambda t, w: ["bitwidths", *SMALL, "--db", str(_file(t))], "not an SQLite database"),
    ("sweep-db-random", "sweep", lambda t, w: ["bitwidths", *SMALL, "--db", str(_random(t))], "not an SQLite database"),
    ("sweep-db-folder", "sweep", lambda t, w: ["bitwidths", *SMALL, "--db", str(t)], "is a folder"),
    ("sweep-db-unwritable", "sweep", lambda t, w: ["bitwidths", *SMALL, "--db", UNWRITABLE + "/s.sqlite"], "cannot write in"),
    ("sweep-db-foreign-sqlite", "sweep", lambda t, w: ["bitwidths", *SMALL, "--db", str(_foreign_db(t))], "not a sweep database"),
    ("sweep-db-other-app", "sweep", lambda t, w: ["bitwidths", *SMALL, "--db", str(_other_app_db(t))], "another application"),
    ("sweep-db-future-schema", "sweep", lambda t, w: ["bitwidths", *SMALL, "--db", str(_future_db(t))], "schema version 99"),
    ("report-db-missing", "report", lambda t, w: ["--db", str(t / "none.sqlite"), "--out", str(t / "r")], "not found"),
    ("report-db-text", "report", lambda t, w: ["--db", str(_file(t)), "--out", str(t / "r")], "not an SQLite database"),
    ("report-db-foreign", "report", lambda t, w: ["--db", str(_foreign_db(t)), "--out", str(t / "r")], "not a sweep database"),
    ("report-db-folder", "report", lambda t, w: ["--db", str(t), "--out", str(t / "r")], "is a folder"),
    ("sweep-dask-bad-combo", "sweep", lambda t, w: ["bitwidths", *SMALL, "--scheduler", "tcp://127.0.0.1:1"], "needs --executor dask"),
    # weights files
    ("weights-missing", "hwmodel", lambda t, w: ["eval", "--weights", str(t / "none.npz")], "cannot read"),
    ("weights-empty", "hwmodel", lambda t, w: ["eval", "--weights", str(_bytes(t, b""))], "is empty"),
    ("weights-truncated", "hwmodel", lambda t, w: ["eval", "--weights", str(_bytes(t, w.read_bytes()[:-100]))], "truncated or corrupt"),
    ("weights-bitrot", "hwmodel", lambda t, w: ["eval", "--weights", str(_bitrot(t, w))], "Bad CRC-32"),
    ("weights-text", "hwmodel", lambda t, w: ["eval", "--weights", str(_file(t))], "not an .npz archive"),
    ("weights-folder", "hwmodel", lambda t, w: ["eval", "--weights", str(t)], "is a folder"),
    ("weights-bad-config", "hwmodel", lambda t, w: ["eval", "--weights", str(_npz_with(w, t / "c.npz", config=np.array('name = "x"\n[fc1]\nweight = "s99"\n')))], "config inside is invalid"),
    ("weights-no-config", "hwmodel", lambda t, w: ["eval", "--weights", str(_npz_with(w, t / "n.npz", config=None))], "no config inside"),
    ("weights-missing-array", "hwmodel", lambda t, w: ["eval", "--weights", str(_npz_with(w, t / "m.npz", out=None))], "array 'out' missing"),
    ("weights-wrong-shape", "hwmodel", lambda t, w: ["eval", "--weights", str(_npz_with(w, t / "s.npz", w=lambda a: a[:3]))], "has shape"),
    ("weights-out-of-precision", "hwmodel", lambda t, w: ["eval", "--weights", str(_npz_with(w, t / "r.npz", w=lambda a: np.where(np.arange(a.size).reshape(a.shape) == 5, 22000, a)))], "memory fc1_w holds 22000 at index 5, outside its s8"),
    ("weights-negative-out-of-precision", "hwmodel", lambda t, w: ["eval", "--weights", str(_npz_with(w, t / "r2.npz", kern=lambda a: a * 0 - 22000))], "outside its s4"),
    ("weights-float", "hwmodel", lambda t, w: ["eval", "--weights", str(_npz_with(w, t / "f.npz", w=lambda a: a.astype(np.float64) + 0.5))], "dtype float64"),
    ("weights-unknown-array", "hwmodel", lambda t, w: ["eval", "--weights", str(_npz_with(w, t / "u.npz", w3=np.zeros(3, np.int64)))], "unknown array 'w3'"),
    ("weights-lfsr-zero", "hwmodel", lambda t, w: ["eval", "--weights", str(_npz_with(w, t / "l.npz", lfsr=lambda a: a * 0))], "memory lfsr_fc1 holds 0"),
    ("kernels-npz", "hwmodel", lambda t, w: ["train", "--config", "tiny", "--kernels", str(w)], "expected one .npy array"),
    # silent substitutions that are now errors
    ("n-train-0", "hwmodel", lambda t, w: ["train", "--config", "tiny", "--n-train", "0"], "--n-train: must be >= 1"),
    ("n-test-0", "hwmodel", lambda t, w: ["train", "--config", "tiny", "--n-test", "0"], "--n-test: must be >= 1"),
    ("n-train-more-than-folder", "hwmodel", lambda t, w: ["train", "--config", "tiny", "--data", str(idx_folder(t / "m")), "--n-train", "5000"], "has only 300 training images"),
    ("n-test-more-than-folder", "hwmodel", lambda t, w: ["eval", "--weights", str(w), "--data", str(idx_folder(t / "m")), "--n-test", "61"], "has only 60 test images"),
    ("n-train-more-than-embedded", "hwmodel", lambda t, w: ["train", "--config", "tiny", "--n-train", "4900"], "cannot take 4900 + 1000"),
    ("n-train-more-than-aer", "hwmodel", lambda t, w: ["train", "--events", "aer", "--data", str(aer_folder(t / "a")), "--n-train", "21"], "only 20"),
    ("window-negative", "hwmodel", lambda t, w: ["train", "--config", "tiny", "--window-us", "-5"], "--window-us: must be > 0"),
    ("window-zero", "sweep", lambda t, w: ["bitwidths", *SMALL, "--window-us", "0"], "--window-us: must be > 0"),
    ("max-events-zero", "hwmodel", lambda t, w: ["train", "--config", "tiny", "--max-events", "0"], "--max-events: must be >= 1"),
    ("split-seed-negative", "hwmodel", lambda t, w: ["train", "--config", "tiny", "--split-seed", "-1"], "--split-seed: must be >= 0"),
    ("epochs-zero", "hwmodel", lambda t, w: ["train", "--config", "tiny", "--epochs", "0"], "--epochs: must be >= 1"),
    ("epochs-text", "hwmodel", lambda t, w: ["train", "--config", "tiny", "--epochs", "ten"], "invalid integer 'ten'"),
    ("seed-out-of-range", "hwmodel", lambda t, w: ["info", "--seed", "-3"], "--seed: must be in 0..2^32-1"),
    ("config-missing-section", "hwmodel", lambda t, w: ["info", "--config", str(_partial_cfg(t, "fc2"))], "missing section [fc2]"),
    ("config-missing-key", "hwmodel", lambda t, w: ["info", "--config", str(_partial_cfg(t, "fc1.weight"))], "missing key 'fc1.weight'"),
    ("config-bad-base", "hwmodel", lambda t, w: ["info", "--config", str(_cfg_text(t, 'base = "nope"\n'))], "unknown preset 'nope'"),
    ("sweep-n-train-0", "sweep", lambda t, w: ["bitwidths", "--config", "tiny", "--n-train", "0"], "--n-train: must be >= 1"),
    ("sweep-jobs-0", "sweep", lambda t, w: ["bitwidths", *SMALL, "--jobs", "0"], "--jobs: must be >= 1"),
    ("estimate-samples-0", "estimate", lambda t, w: ["--samples", "0"], "--samples: must be >= 1"),
    ("estimate-rate-negative", "estimate", lambda t, w: ["--rate", "-1"], "--rate: must be a finite number > 0"),
    ("estimate-train-samples-negative", "estimate", lambda t, w: ["--train-samples", "-1"], "--train-samples: must be >= 0"),
    ("estimate-bad-preset", "estimate", lambda t, w: ["--config", "nope", "--no-synth"], "unknown preset"),
    ("estimate-weights-with-config", "estimate", lambda t, w: ["--weights", str(w), "--config", "tiny", "--no-synth"], "drop --config"),
    ("estimate-weights-with-samples", "estimate", lambda t, w: ["--weights", str(w), "--samples", "5", "--no-synth"], "drop --samples"),
    ("estimate-data-without-weights", "estimate", lambda t, w: ["--n-test", "50", "--no-synth"], "--n-test chooses the data of a trained chip: give --weights FILE"),
    ("estimate-weights-missing", "estimate", lambda t, w: ["--weights", str(t / "none.npz"), "--no-synth"], "cannot read"),
    ("estimate-weights-n-test-more-than-folder", "estimate", lambda t, w: ["--weights", str(w), "--data", str(idx_folder(t / "m")), "--n-test", "61", "--no-synth"], "has only 60 test images"),
    # data checked up front
    ("sweep-broken-idx-folder", "sweep", lambda t, w: ["bitwidths", *SMALL[:2], "--data", str(_broken_idx(t))], "truncated"),
    ("sweep-missing-idx-file", "sweep", lambda t, w: ["bitwidths", *SMALL[:2], "--data", str(_missing_idx(t))], "missing 't10k-labels-idx1-ubyte'"),
    ("sweep-data-is-file", "sweep", lambda t, w: ["bitwidths", *SMALL[:2], "--data", str(_file(t))], "is not a folder"),
    ("train-broken-idx-folder", "hwmodel", lambda t, w: ["train", "--config", "tiny", "--data", str(_broken_idx(t))], "truncated"),
    # event files
    ("aer-needs-data", "hwmodel", lambda t, w: ["train", "--events", "aer"], "needs --data DIR"),
    ("aer-no-train-folder", "hwmodel", lambda t, w: ["train", "--events", "aer", "--data", str(t)], "missing Train/"),
    ("aer-unlabelled", "hwmodel", lambda t, w: ["train", "--events", "aer", "--data", str(aer_folder(t / "u", label=False))], "no label in the header"),
    ("aer-wrong-sensor", "hwmodel", lambda t, w: ["train", "--events", "aer", "--data", str(aer_folder(t / "s", size=34))], "sensor of 34x34 (use --config nmnist)"),
    ("aer-truncated", "hwmodel", lambda t, w: ["train", "--events", "aer", "--data", str(_truncated_aer(t))], "truncated"),
    ("sweep-aer-truncated", "sweep", lambda t, w: ["bitwidths", "--config", "tiny", "--events", "aer", "--data", str(_truncated_aer(t))], "truncated"),
    ("sweep-aer-unlabelled", "sweep", lambda t, w: ["bitwidths", "--config", "tiny", "--events", "aer", "--data", str(aer_folder(t / "u2", label=False))], "no label in the header"),
    # argument errors are one line too
    ("unknown-option", "hwmodel", lambda t, w: ["train", "--epoks", "3"], "unrecognized arguments"),
    ("bad-choice", "hwmodel", lambda t, w: ["train", "--mode", "sideways"], "invalid choice"),
    ("sweep-no-command", "sweep", lambda t, w: [], "required"),
]


def _file(t: Path) -> Path:
    p = t / "file.txt"
    p.write_text("hello\n")
    return p


def _bytes(t: Path, data: bytes, name="x.npz") -> Path:
    p = t / name
    p.write_bytes(data)
    return p


def _random(t: Path) -> Path:
    return _bytes(t, np.random.default_rng(0).bytes(4096), "random.bin")


def _bitrot(t: Path, w: Path) -> Path:
    raw = bytearray(w.read_bytes())
    i = raw.find(b"w.npy") + 200  # inside the w array's data
    raw[i] ^= 0x04
    return _bytes(t, bytes(raw), "rot.npz")


def _foreign(t: Path) -> Path:
    d = t / "mine"
    d.mkdir(exist_ok=True)
    (d / "thesis.tex").write_text("precious")
    return d


def _foreign_db(t: Path) -> Path:
    return _sqlite(t / "other.sqlite", "CREATE TABLE customers (id INTEGER, name TEXT)",
                   "INSERT INTO customers VALUES (1, 'ada')")


def _other_app_db(t: Path) -> Path:
    return _sqlite(t / "app.sqlite", "PRAGMA application_id = 1234", "CREATE TABLE x (a)")


def _future_db(t: Path) -> Path:
    return _sqlite(t / "future.sqlite", "CREATE TABLE results (a)", "CREATE TABLE reference (a)",
                   "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)",
                   "INSERT INTO meta VALUES ('schema_version', '99')")


def _any_db(t: Path) -> Path:
    return _future_db(t)  # the --out check comes first, whatever the database


def _cfg_text(t: Path, text: str) -> Path:
    p = t / "c.toml"
    p.write_text(text)
    return p


def _partial_cfg(t: Path, drop: str) -> Path:
    """The tiny preset as a file, without a section ("fc2") or a key ("fc1.weight")."""
    d = Config.preset("tiny").to_dict()
    if "." in drop:
        sec, key = drop.split(".")
        del d[sec][key]
    else:
        del d[drop]
    lines = [f'name = "{d.pop("name")}"', f'seed = {d.pop("seed")}']
    for sec, vals in d.items():
        lines.append(f"[{sec}]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in vals.items()]
    return _cfg_text(t, "\n".join(lines) + "\n")


def _broken_idx(t: Path) -> Path:
    d = idx_folder(t / "broken", 30, 10)
    raw = (d / "t10k-images-idx3-ubyte").read_bytes()
    (d / "t10k-images-idx3-ubyte").write_bytes(raw[:-7])
    return d


def _missing_idx(t: Path) -> Path:
    d = idx_folder(t / "missing", 30, 10)
    (d / "t10k-labels-idx1-ubyte").unlink()
    return d


def _truncated_aer(t: Path) -> Path:
    d = aer_folder(t / "tr")
    f = sorted((d / "Test").glob("*.aer"))[3]
    f.write_bytes(f.read_bytes()[:-5])
    return d


@pytest.fixture
def no_work(monkeypatch):
    """Fail the test if training, the model run of an estimate or a report's analysis starts."""
    def boom(*a, **k):
        raise AssertionError("work started before the input was checked")
    import hwmodel.estimate.core as core
    import hwmodel.estimate.energy as estimate_energy
    import hwmodel.train.runs as train
    import hwmodel.train.seeds as seeds
    monkeypatch.setattr(train, "run_training", boom)
    monkeypatch.setattr(seeds, "run_training", boom)
    monkeypatch.setattr(sweep_executors, "run_task", boom)
    monkeypatch.setattr(core, "measure_counters", boom)
    monkeypatch.setattr(estimate_energy, "chip_counters", boom)
    monkeypatch.setattr(report, "build_sections", boom)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_input_one_line_exit_2_before_work(case, tmp_path, weights, capsys, no_work):
    name, cmd, build, needle = case
    argv = build(tmp_path, weights)
    before = sorted(p.name for p in tmp_path.iterdir())
    rc = MAINS[cmd](argv)
    cap = capsys.readouterr()
    err = cap.err.strip()
    assert rc == 2, (name, rc, err)
    assert err.startswith("error: ") and "\n" not in err and "Traceback" not in err, err
    assert needle in err, (needle, err)
    assert not cap.out.strip(), cap.out
    if cmd != "sweep" or "--db" not in argv:
        after = sorted(p.name for p in tmp_path.iterdir())
        assert after == before  # nothing written (no out folder, no database, no temp files)


def test_table_covers_every_command_line_and_class():
    assert {c[1] for c in CASES} == set(MAINS) and len(CASES) >= 40


def test_foreign_sqlite_file_is_left_untouched(tmp_path, capsys):
    db = _foreign_db(tmp_path)
    before = db.read_bytes()
    assert sweep.main(["bitwidths", *SMALL, "--db", str(db)]) == 2
    assert db.read_bytes() == before
    conn = sqlite3.connect(db)
    assert {r[0] for r in conn.execute("SELECT name FROM sqlite_master")} == {"customers"}
    conn.close()


def test_partial_config_over_a_base(tmp_path, capsys):
    p = _cfg_text(tmp_path, 'base = "tiny"\nname = "narrow"\n[fc1]\nweight = "s6"\n')
    assert cli.main(["info", "--config", str(p), "--json"]) == 0
    cfg = json.loads(capsys.readouterr().out)["config"]
    assert cfg["name"] == "narrow" and cfg["fc1"]["weight"] == "s6"
    assert cfg["fc1"]["neurons"] == Config.preset("tiny").fc1.neurons  # the rest from the base
    q = tmp_path / "sub" / "q.toml"  # a base given as a path, relative to the file
    q.parent.mkdir()
    q.write_text('base = "../c.toml"\n[drtp]\nb = "s1"\n')
    c2 = Config.load(q)
    assert (c2.fc1.b, c2.fc1.weight, c2.fc1.neurons) == ("s1", "s6", cfg["fc1"]["neurons"])
    # a complete file (what train --out writes) needs no base
    full = tmp_path / "full.toml"
    full.write_text(Config.preset("spoon").to_toml())
    assert Config.load(full).to_dict() == Config.preset("spoon").to_dict()


def test_train_and_eval_on_aer_folder(tmp_path, capsys):
    d = aer_folder(tmp_path / "aer", per_class=3)
    out = tmp_path / "run"
    assert cli.main(["train", "--events", "aer", "--data", str(d), "--epochs", "2", "--no-float",
                     "--no-progress", "--json", "--set", "fc1.neurons=16", "--out", str(out)]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["config"] == "spoon_dvs" and (res["n_train"] + res["n_val"], res["n_test"]) == (30, 30)
    assert 20 <= res["event_savings"]["events_per_sample"] <= 50
    assert cli.main(["eval", "--events", "aer", "--data", str(d), "--weights", str(out / "weights.npz"),
                     "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["test_accuracy"] == pytest.approx(res["test_accuracy"])
    assert cli.main(["train", "--events", "aer", "--data", str(d), "--n-train", "10", "--n-test", "10",
                     "--epochs", "1", "--no-float", "--json", "--set", "fc1.neurons=16"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert (res["n_train"] + res["n_val"], res["n_test"]) == (10, 10)


def test_stopping_rules_that_leave_no_event_are_errors(tmp_path, capsys):
    d = aer_folder(tmp_path / "aer", per_class=1)
    for f in (d / "Train").glob("*.aer"):  # every training sample empty
        write_aer(f, np.zeros(0, EVENT_DTYPE), 28, 28, int(f.name[0]))
    assert cli.main(["train", "--events", "aer", "--data", str(d), "--epochs", "1"]) == 2
    err = capsys.readouterr().err
    assert "no training sample has any event" in err and err.count("\n") == 1


def test_sparse_samples_warn(tmp_path, capsys):
    d = aer_folder(tmp_path / "aer", per_class=2)
    for f in sorted((d / "Train").glob("*.aer"))[:8]:
        write_aer(f, np.zeros(0, EVENT_DTYPE), 28, 28, int(f.name[0]))
    assert cli.main(["train", "--events", "aer", "--data", str(d), "--epochs", "1", "--no-float",
                     "--json", "--set", "fc1.neurons=16"]) == 0
    assert "warning: 40 % of the training samples have no event" in capsys.readouterr().err


def _walk(parser):
    import argparse
    yield parser
    for a in parser._actions:
        if isinstance(a, argparse._SubParsersAction):
            for sp in a.choices.values():
                yield from _walk(sp)


@pytest.mark.parametrize("name", ["hwmodel", "sweep", "report", "estimate"])
def test_every_option_has_help_and_version(name, capsys):
    import argparse
    parser = {"hwmodel": cli.build_parser, "sweep": sweep.build_parser,
              "estimate": est_cli.build_parser}.get(name)
    if parser is None:  # report builds its parser in main: check through --help
        assert report.main(["--help"]) == 0
        text = capsys.readouterr().out
        assert "--db" in text and "--out" in text and "--version" in text
    else:
        for p in _walk(parser()):
            for a in p._actions:
                if isinstance(a, argparse._SubParsersAction):
                    continue
                assert a.help and a.help != argparse.SUPPRESS, (p.prog, a.option_strings)
    assert MAINS[name](["--version"]) == 0
    out = capsys.readouterr().out
    assert "+model." in out and out.count("\n") == 1


def test_info_help_lists_only_what_it_takes(capsys):
    assert cli.main(["info", "--help"]) == 0
    text = capsys.readouterr().out
    assert "--events" not in text and "--config" in text and "--seed" in text


def test_real_entry_points_print_no_traceback(tmp_path):
    import subprocess
    import sys
    for mod, argv in (("hwmodel", ["eval", "--weights", str(_bytes(tmp_path, b"PK\x03\x04junk"))]),
                      ("hwmodel.sweep", ["bitwidths", "--db", str(_file(tmp_path))]),
                      ("hwmodel.report", ["--db", str(_random(tmp_path)), "--out", str(tmp_path / "r")])):
        r = subprocess.run([sys.executable, "-m", mod, *argv], capture_output=True, text=True, timeout=60)
        assert r.returncode == 2 and r.stderr.startswith("error: ") and r.stderr.count("\n") == 1, r.stderr


def test_json_output_is_standard_json():
    """Every command prints and writes JSON through ``checks.to_json``: a NaN or an infinity
    becomes null (Python's json would write the non-standard tokens NaN / Infinity)."""
    from hwmodel.util.checks import to_json
    text = to_json({"a": float("nan"), "b": [np.float32("inf"), -np.inf, 1.5], "c": np.int64(3),
                    "d": np.array([np.nan, 2.0]), "e": np.bool_(True), "f": (1, "x")}, sort_keys=True)
    assert text == '{"a": null, "b": [null, null, 1.5], "c": 3, "d": [null, 2.0], "e": true, "f": [1, "x"]}'

    def refuse(token):
        raise AssertionError(f"non-standard JSON token {token}")
    json.loads(text, parse_constant=refuse)


def _both_raw_and_gz(root: Path) -> Path:
    import gzip
    d = idx_folder(root)
    raw = d / "t10k-labels-idx1-ubyte"
    (d / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(raw.read_bytes()))
    return d


def _one_class(root: Path) -> Path:
    d = idx_folder(root)
    write_idx(d / "train-labels-idx1-ubyte", np.full(300, 7))
    return d


@pytest.mark.parametrize("make, needle", [
    (_both_raw_and_gz, "holds 't10k-labels-idx1-ubyte' and 't10k-labels-idx1-ubyte.gz': reading "
                       "'t10k-labels-idx1-ubyte', ignoring the other"),
    (_one_class, "every training sample has label 7"),
])
def test_legal_but_suspicious_data_gets_a_warning(make, needle, tmp_path, weights, capsys):
    """Legal input that is probably a mistake runs, with one warning line on stderr: in train,
    eval and estimate --weights."""
    d = str(make(tmp_path / "m"))
    data = ["--data", d, "--n-train", "100", "--n-test", "20"]
    assert cli.main(["train", "--config", "tiny", *data, "--epochs", "1", "--no-float", "--no-baselines",
                     "--no-progress", "--val-size", "20", "--json"]) == 0
    for argv, main in ((["eval", "--weights", str(weights), *data], cli.main),
                       (["--weights", str(weights), *data, "--no-synth", "--no-progress"], est_cli.main)):
        assert main(argv) == 0
    warnings = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("warning: ")]
    assert len([w for w in warnings if needle in w]) == 3, warnings


def _bench(name):
    import importlib.util
    path = Path(__file__).resolve().parents[2] / "bench" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"bench_{name}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.main


@pytest.mark.parametrize("bench, argv, needle", [
    ("bench_model", ["--samples", "-3"], "--samples: must be >= 1"),
    ("bench_model", ["--samples", "5000"], "has 4000 digits"),
    ("bench_model", ["--ref-samples", "50", "--samples", "20"], "more than --samples 20"),
    ("bench_model", ["--config", "nope"], "unknown preset 'nope'"),
    ("bench_model", ["--set", "fc1.weight=s99"], "fc1.weight"),
    ("bench_rtl", ["--presets", "tiny,nope"], "unknown preset 'nope'"),
    ("bench_rtl", ["--samples", "0"], "--samples: must be >= 1"),
    ("bench_floatref", ["--config", "nope"], "unknown preset 'nope'"),
    ("bench_floatref", ["--epochs", "0"], "--epochs: must be >= 1"),
])
def test_benches_refuse_bad_arguments_in_one_line(bench, argv, needle, capsys):
    assert _bench(bench)(argv) == 2
    cap = capsys.readouterr()
    err = cap.err.strip()
    assert err.startswith("error: ") and "\n" not in err and needle in err, err
    assert not cap.out.strip()


# ---- a full disk after the work: one line, exit 1, nothing half written, nothing lost --------------
def _enospc(*a, **k):
    import errno
    raise OSError(errno.ENOSPC, "No space left on device")


def test_full_disk_in_train_out_prints_the_results_and_writes_nothing(tmp_path, capsys, monkeypatch):
    from hwmodel.engine.processor import Processor
    monkeypatch.setattr(Processor, "save", _enospc)
    out = tmp_path / "run"
    rc = cli.main(["train", *SMALL, "--epochs", "1", "--no-float", "--no-baselines", "--no-progress", "--json",
                   "--out", str(out)])
    cap = capsys.readouterr()
    assert rc == 1
    err = [ln for ln in cap.err.splitlines() if ln.startswith("error: ")]
    assert len(err) == 1 and "No space left on device" in err[0] and "printed above, not saved" in err[0], cap.err
    assert "Traceback" not in cap.err
    assert 0 <= json.loads(cap.out)["test_accuracy"] <= 1          # the results are not lost
    assert sorted(p.name for p in tmp_path.iterdir()) == []         # no folder, no temporary folder


def test_full_disk_in_estimate_out_prints_the_figures_and_keeps_the_old_report(tmp_path, capsys, monkeypatch):
    out = tmp_path / "rep"
    args = ["--config", "tiny", "--no-synth", "--no-progress", "--samples", "4", "--train-samples", "0",
            "--out", str(out)]
    assert est_cli.main(args) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    capsys.readouterr()
    real = Path.write_text

    def full(self, *a, **k):
        if self.name == "report.html":
            _enospc()
        return real(self, *a, **k)
    monkeypatch.setattr(Path, "write_text", full)
    assert est_cli.main(args) == 1
    cap = capsys.readouterr()
    assert "energy per classification" in cap.out and "report written" not in cap.out
    err = cap.err.strip()
    assert err.startswith("error: cannot write") and "\n" not in err and "the report is not saved" in err, err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before   # the previous report, whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rep"]


def test_full_database_stops_the_sweep_and_keeps_the_stored_rows(tmp_path, capsys, monkeypatch):
    """SQLite's "database or disk is full" on the first result row: every run stops, the error is
    one line, the reference row stored before stays, and the same command resumes."""
    import sqlite3 as sq
    from hwmodel.sweep import store
    real = sq.connect

    class Full(sq.Connection):
        def execute(self, sql, *a):
            if sql.startswith("INSERT OR IGNORE INTO results"):
                raise sq.OperationalError("database or disk is full")
            return super().execute(sql, *a)
    monkeypatch.setattr(store.sqlite3, "connect", lambda *a, **k: real(*a, **k, factory=Full))
    db = tmp_path / "s.sqlite"
    grid = tmp_path / "g.toml"
    grid.write_text('epochs = 1\n[axes]\n"fc1.weight" = ["s4", "s6"]\n')
    argv = ["bitwidths", "--grid", str(grid), *SMALL, "--db", str(db), "--seeds", "0", "--jobs", "1", "--no-progress"]
    assert sweep.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: database: cannot store a results row: database or disk is full") and "\n" not in err, err
    assert "rerun the same command to resume" in err
    monkeypatch.undo()
    conn = sq.connect(db)
    assert conn.execute("SELECT COUNT(*) FROM results").fetchone()[0] == 0
    assert conn.execute("SELECT COUNT(*) FROM reference").fetchone()[0] == 1
    conn.close()
    assert sweep.main(argv) == 0
    assert "2 done" in capsys.readouterr().out


@pytest.mark.parametrize("cmd", ["train", "estimate"])
def test_a_second_command_writing_the_same_out_folder_is_refused(cmd, tmp_path, capsys, no_work):
    """Another process holds the folder (it is training, or estimating, into it): this command is
    refused before any work, instead of both saying "wrote" while one set replaces the other."""
    import subprocess
    import sys
    out = tmp_path / "run"
    holder = subprocess.Popen([sys.executable, "-c",
                               "import sys, time\nfrom hwmodel.util import checks\n"
                               f"with checks.out_lock({str(out)!r}):\n    print('held', flush=True)\n    time.sleep(60)\n"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        argv = (["train", *SMALL, "--out", str(out)] if cmd == "train"
                else ["--config", "tiny", "--no-synth", "--out", str(out)])
        assert MAINS["hwmodel" if cmd == "train" else "estimate"](argv) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("error: --out") and f"is being written by another command right now (pid {holder.pid})" in err, err
    finally:
        holder.kill()
        holder.wait()
    # the holder is gone (killed, its lock released by the kernel): the folder can be written
    with checks.out_lock(out):
        pass
    assert sorted(tmp_path.iterdir()) == []      # no lock file in the user's folders


def test_a_reader_that_stops_reading_ends_the_command_quietly():
    """``python -m hwmodel ... | head -1``: every command ends as a Unix tool does (status 141,
    SIGPIPE), with no BrokenPipeError traceback: its ``__main__`` runs through ``checks.run_main``,
    tried here on 1 MB of output (more than a pipe holds)."""
    import subprocess
    import sys
    root = Path(__file__).resolve().parents[2] / "hwmodel"
    mains = sorted(root.rglob("__main__.py"))
    assert len(mains) == 4 and all("run_main(main)" in m.read_text() for m in mains), mains
    p = subprocess.Popen([sys.executable, "-c", "from hwmodel.util.checks import run_main\n"
                          "run_main(lambda: print('x' * 10**6) or 0)"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0)
    assert p.stdout.read(8) == b"xxxxxxxx"
    p.stdout.close()                          # the reader goes away
    err = p.stderr.read().decode()
    assert p.wait(timeout=60) == 141, err
    assert "Traceback" not in err and "BrokenPipeError" not in err, err
