"""Provenance (issue 14): the package version and a content hash of the model sources in every
database row, results.json, weights file, report and estimate; a resumed sweep refuses to mix
code versions unless --allow-mixed; the report shows the versions it holds."""
import json
import re
import shutil
import sqlite3

import numpy as np
import pytest

from hwmodel import cli, report, sweep
from hwmodel.sweep import cli as sweep_cli, run as sweep_run
from hwmodel.util import provenance
from hwmodel.estimate import cli as est_cli

TINY = ["--config", "tiny", "--n-train", "200", "--n-test", "100"]
GRID = 'epochs = 1\nseeds = [0, 1]\n[axes]\n"fc1.weight" = ["s6", "s8"]\n'
CURRENT = provenance.code_version()


def test_code_version_format_and_hash_sensitivity(tmp_path):
    assert re.fullmatch(r"[0-9][^+]*\+model\.[0-9a-f]{12}", CURRENT), CURRENT
    names = {f.relative_to(provenance.PACKAGE_DIR).as_posix() for f in provenance.model_files()}
    assert {"engine/kernel.py", "engine/processor.py", "train/runs.py", "spec/config.py", "presets/spoon.toml",
            "estimate/energy.py"} <= names
    assert not names & {"cli/__init__.py", "report/cli.py", "sweep/cli.py", "estimate/cli.py", "__init__.py"}  # wording only
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "b.py").write_text("y = 2\n")
    files = sorted(tmp_path.glob("*.py"))
    h1 = provenance._hash_files(tmp_path, files)
    (tmp_path / "b.py").write_text("y = 3\n")
    assert provenance._hash_files(tmp_path, files) != h1
    (tmp_path / "b.py").write_text("y = 2\n")
    assert provenance._hash_files(tmp_path, files) == h1
    assert provenance.rtl_hash(str(tmp_path)) is None  # no *.v there


def test_train_results_and_weights_record_the_version(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(["train", *TINY, "--epochs", "1", "--no-float", "--json", "--out", str(out)]) == 0
    printed = json.loads(capsys.readouterr().out)
    saved = json.loads((out / "results.json").read_text())
    for res in (printed, saved):
        assert res["code_version"]["code_version"] == CURRENT
        assert res["code_version"]["model_sha256"] == provenance.model_hash()
    with np.load(out / "weights.npz") as z:
        assert json.loads(str(z["provenance"]))["code_version"] == CURRENT
    assert cli.main(["eval", "--weights", str(out / "weights.npz"), *TINY[2:], "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["code_version"]["code_version"] == CURRENT


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("prov")
    (tmp / "g.toml").write_text(GRID)
    db = tmp / "s.sqlite"
    argv = ["bitwidths", "--grid", str(tmp / "g.toml"), "--db", str(db), "--jobs", "1", "--no-progress", *TINY]
    assert sweep.main(argv) == 0
    return tmp, db, argv


def _q(db, sql, *args):
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def test_every_row_records_the_version(swept):
    _, db, _ = swept
    for table in ("results", "reference", "sweeps"):
        assert _q(db, f"SELECT DISTINCT code_version FROM {table}") == [(CURRENT,)], table
    assert _q(db, "SELECT value FROM meta WHERE key='schema_version'") == [(str(sweep.SCHEMA_VERSION),)]


def test_resume_refuses_to_mix_versions_unless_allowed(swept, tmp_path, capsys):
    src, db0, argv0 = swept
    db = tmp_path / "mixed.sqlite"
    shutil.copy(db0, db)
    old = "0.0.9+model.000000000000"
    conn = sqlite3.connect(db)
    conn.execute("UPDATE results SET code_version = ?", (old,))
    conn.execute("UPDATE reference SET code_version = ?", (old,))
    conn.execute("DELETE FROM results WHERE seed = 1")  # work left to do
    conn.commit()
    conn.close()
    argv = [a if a != str(db0) else str(db) for a in argv0]
    assert sweep.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: database") and f"4 by {old}" in err and "--allow-mixed" in err and "\n" not in err
    assert len(_q(db, "SELECT * FROM results")) == 2  # nothing ran
    assert sweep.main(argv + ["--allow-mixed", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["done"] == 2
    assert dict(_q(db, "SELECT code_version, COUNT(*) FROM results GROUP BY code_version")) == {old: 2, CURRENT: 2}
    # a complete sweep never refuses: there is nothing to mix
    assert sweep.main(argv) == 0
    capsys.readouterr()
    # the report shows both versions
    out = tmp_path / "rep"
    assert report.main(["--db", str(db), "--out", str(out)]) == 0
    assert "MIXED code versions" in capsys.readouterr().out
    doc = json.loads((out / "results.json").read_text())
    assert doc["experiments"][0]["code_versions"] == {old: 4, CURRENT: 2}  # 4 runs + a reference per seed
    assert doc["code_version"]["code_version"] == CURRENT
    md = (out / "report.md").read_text()
    assert f"{old} (4 rows)" in md and f"{CURRENT} (2 rows)" in md and f"written by hwmodel {CURRENT}" in md
    assert "code_version" in (out / "results.csv").read_text().splitlines()[0]


def test_single_version_report(swept, tmp_path, capsys):
    _, db, _ = swept
    assert report.main(["--db", str(db), "--out", str(tmp_path / "r")]) == 0
    assert f"code {CURRENT}" in capsys.readouterr().out
    assert f"Code version: {CURRENT} (6 rows)" in (tmp_path / "r" / "report.md").read_text()


def test_rows_from_a_worker_of_another_version_are_not_stored(swept, tmp_path, capsys, monkeypatch):
    src, db0, argv0 = swept
    db = tmp_path / "w.sqlite"
    argv = [a if a != str(db0) else str(db) for a in argv0]
    for parent in (sweep_run, sweep_cli):   # the parent only
        monkeypatch.setattr(parent, "code_version", lambda: "9.9.9+model.ffffffffffff")
    assert sweep.main(argv) == 1
    err = capsys.readouterr().err
    assert "runs code version " + CURRENT in err and "row not stored" in err
    assert _q(db, "SELECT COUNT(*) FROM results") == [(0,)]


SCHEMA_V2 = [re.sub(r",\s*code_version TEXT NOT NULL DEFAULT 'unknown'", "", s)
             for s in sweep.SCHEMA.split(";") if s.strip()]


def test_schema_2_database_is_migrated(swept, tmp_path, capsys):
    _, db0, argv0 = swept
    db = tmp_path / "v2.sqlite"
    conn = sqlite3.connect(db)
    for s in SCHEMA_V2:
        conn.execute(s)
    conn.execute("INSERT INTO meta VALUES ('schema_version', '2')")
    src = sqlite3.connect(db0)
    cols = [c for c in sweep.RESULT_COLUMNS if c != "code_version"]
    for row in src.execute(f"SELECT {', '.join(cols)} FROM results WHERE seed = 0"):
        conn.execute(f"INSERT INTO results ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", row)
    src.close()
    conn.commit()
    conn.close()
    assert "code_version" not in [r[1] for r in _q(db, "PRAGMA table_info(results)")]
    argv = [a if a != str(db0) else str(db) for a in argv0]
    assert sweep.main(argv) == 2  # old rows: 'unknown' version
    assert "2 by unknown" in capsys.readouterr().err
    assert _q(db, "SELECT value FROM meta WHERE key='schema_version'") == [(str(sweep.SCHEMA_VERSION),)]
    assert _q(db, "SELECT DISTINCT code_version FROM results") == [("unknown",)]
    assert sweep.main(argv + ["--allow-mixed"]) == 0


def test_estimate_records_the_version(tmp_path, capsys):
    out = tmp_path / "est"
    assert est_cli.main(["--config", "tiny", "--no-synth", "--samples", "10", "--train-samples", "10",
                         "--json", "--out", str(out)]) == 0
    cap = capsys.readouterr()
    r = json.loads(cap.out)
    assert r["code_version"]["code_version"] == CURRENT and "rtl_sha256" not in r["code_version"]
    assert json.loads((out / "estimate.json").read_text())["code_version"] == r["code_version"]
    assert f"Code version: hwmodel {CURRENT}" in (out / "report.md").read_text()
    assert "estimate: running the model" in cap.err and "done in" in cap.err  # progress on stderr


def test_atomic_write_replaces_whole_files_or_nothing(tmp_path):
    """The project's one file writer: an ordinary file (0666 less the umask), the old content kept
    whole when the writer fails, and no temporary file left behind."""
    import os
    import stat
    from hwmodel.util.checks import atomic_write, atomic_write_bytes, atomic_write_text
    p = tmp_path / "sub" / "f.bin"
    atomic_write_text(p, "old")
    umask = os.umask(0)
    os.umask(umask)
    assert p.read_text() == "old" and stat.S_IMODE(p.stat().st_mode) == 0o666 & ~umask

    def fails(f):
        f.write(b"half")
        raise OSError(28, "No space left on device")
    with pytest.raises(OSError, match="No space left"):
        atomic_write(p, fails)
    assert p.read_text() == "old" and sorted(os.listdir(p.parent)) == ["f.bin"]
    atomic_write_bytes(p, b"a", memoryview(b"bc"))
    assert p.read_bytes() == b"abc"
