"""Sweeps and their reports: grid validation, SQLite resume (also after SIGKILL), Dask = local,
report files. Small: the tiny preset on a few hundred embedded digits."""
import json
import math
import re
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hwmodel import report, sweep
from hwmodel.spec.layers import memories
from hwmodel.sweep import executors
from hwmodel.spec.config import Config
from hwmodel.engine.processor import Processor

DATA = ["--config", "tiny", "--n-train", "200", "--n-test", "100"]
GRID = """
epochs = 1
seeds = [0, 1]
[axes]
fc1.weight = ["s4", "s6"]
"drtp.b" = ["s1", "s2"]
"""
N_RUNS = 8


def _write(tmp: Path, text: str, name="grid.toml") -> str:
    p = tmp / name
    p.write_text(text)
    return str(p)


def _rows(db) -> dict:
    conn = sqlite3.connect(str(db))
    try:
        return {(k, s): (a, t, i) for k, s, a, t, i in conn.execute(
            "SELECT point_key, seed, test_accuracy, train_accuracy, id FROM results")}
    finally:
        conn.close()


@pytest.fixture(scope="module")
def local_db(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sweep")
    db = tmp / "s.sqlite"
    rc = sweep.main(["bitwidths", "--grid", _write(tmp, GRID), "--db", str(db), "--jobs", "1",
                     "--no-progress", *DATA])
    assert rc == 0
    return tmp, db


@pytest.mark.parametrize("axes, needle", [
    ('"fc1.wieght" = ["s4"]', "unknown field 'fc1.wieght'"),
    ('"fc1.weight" = ["s4", "s40"]', "'fc1.weight'"),
    ('"fc1.weight" = ["s4", "u6"]', "must be signed"),
    ('"fc1.weight" = []', "axis 'fc1.weight' is empty"),
    ('"fc2.weight" = ["s8", "s14"]', "'fc2.accumulator'"),  # an illegal combination
    ('"drtp.rounding" = ["nearest", "floor"]', "'drtp.rounding'"),
    ('"seed" = [1, 2]', "use seeds"),
])
def test_grid_errors_rejected_before_any_work(tmp_path, capsys, axes, needle):
    db = tmp_path / "db.sqlite"
    rc = sweep.main(["bitwidths", "--grid", _write(tmp_path, f"epochs = 1\n[axes]\n{axes}\n"),
                     "--db", str(db), *DATA])
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert err.startswith("error: ") and "\n" not in err and needle in err, err
    assert not db.exists()


@pytest.mark.parametrize("argv, needle", [
    (["--grid", "nope"], "unknown grid 'nope'"),
    (["--seeds", "0,x"], "--seeds"),
    (["--epochs", "0"], "--epochs"),
    (["--n-train", "4900"], "cannot take"),
    (["--data", "/nonexistent/mnist"], "does not exist"),
    (["--seeds", "0,1,0"], "seed 0 is given twice"),
    (["--seeds", "0,-1"], "must be in 0..2^32-1"),
    (["--val-size", "0"], "--val-size 0: the float reference's gains and the report's recommendations"),
    (["--val-size", "300", "--n-train", "300"], "not smaller than the training set"),
])
def test_cli_errors(tmp_path, capsys, argv, needle):
    db = tmp_path / "db.sqlite"
    assert sweep.main(["bitwidths", "--db", str(db), "--config", "tiny", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and needle in err, err
    assert not db.exists()


def test_grid_presets_validate():
    assert set(sweep.list_grids()) == {"quick", "default", "full", "depth", "overhead"}
    for name in sweep.list_grids():
        g = sweep.load_grid(name)
        assert len(g.seeds) >= 3, name  # a spread and an interval for every point
        plan = sweep.make_plan(g, Config.preset(g.base), g.epochs, g.seeds,
                               sweep.data_spec(None, None, None, 0))
        assert plan.points and all(k == sweep.canonical(o) for k, o, _ in plan.points)
    g = sweep.load_grid("overhead")
    assert g.synth and g.offchip and not sweep.load_grid("quick").synth
    assert sweep.grid_from_dict({"axes": {"fc1.weight": ["s4"]}, "synth": True}, "t").synth
    with pytest.raises(sweep.GridError, match="offchip must be true or false"):
        sweep.grid_from_dict({"axes": {"fc1.weight": ["s4"]}, "offchip": "yes"}, "t")


def test_points_canonical_and_clamped():
    base = Config.preset("spoon")
    g = sweep.grid_from_dict({"mode": "one-at-a-time",
                              "axes": {"fc1": {"weight": ["s4", "s8"]}, "drtp.b": ["s1", "s2"]}}, "t")
    plan = sweep.make_plan(g, base, 1, [0], sweep.data_spec(None, 100, 50, 0))
    keys = [k for k, _, _ in plan.points]
    # the base point (fc1.weight=s8 == drtp.b=s2 == spoon) is run once; s4 clamps init_bound 9 -> 7
    assert keys == ['{"fc1.init_bound":7,"fc1.weight":"s4"}', "{}", '{"drtp.b":"s1"}']


@pytest.mark.parametrize("preset", ["tiny", "spoon"])
def test_memory_sizes_match_the_model(preset):
    cfg = Config.preset(preset)
    mems = Processor.from_config(cfg).memories()
    sizes = memories(cfg)
    assert set(sizes) == set(mems)
    for name, arr in mems.items():
        assert sizes[name]["words"] == arr.shape[0], name
    w, total = sweep.memory_bits(cfg)
    assert w == (cfg.n_in + 1) * cfg.fc1.neurons * 8 + (cfg.fc1.neurons + 1) * cfg.fc2.neurons * 8
    assert total > w


def test_sweep_fills_db_and_rerun_does_no_work(local_db, capsys):
    tmp, db = local_db
    rows = _rows(db)
    assert len(rows) == N_RUNS
    conn = sqlite3.connect(str(db))
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    ref = conn.execute("SELECT COUNT(*), MIN(float_test_accuracy), MIN(float_val_accuracy) FROM reference").fetchone()
    seeds = conn.execute("SELECT seed FROM reference ORDER BY seed").fetchall()
    vals = conn.execute("SELECT COUNT(*) FROM results WHERE val_accuracy BETWEEN 0 AND 1").fetchone()[0]
    conn.close()
    assert ref[0] == 2 and seeds == [(0,), (1,)] and 0 <= ref[1] <= 1 and 0 <= ref[2] <= 1  # one per seed
    assert vals == N_RUNS  # every row has its validation accuracy
    rc = sweep.main(["bitwidths", "--grid", str(tmp / "grid.toml"), "--db", str(db), "--jobs", "1",
                     "--json", *DATA])
    assert rc == 0
    s = json.loads(capsys.readouterr().out)
    assert (s["done"], s["skipped"], s["reference_computed"], s["rows_in_db"]) == (0, N_RUNS, False, N_RUNS)
    assert _rows(db) == rows


def _start_and_wait(cmd, db, at_least):
    """Start the sweep in its own process group; return it once ``at_least`` rows are in the db."""
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while time.time() < deadline and proc.poll() is None:
        try:
            if len(_rows(db)) >= at_least:
                break
        except sqlite3.DatabaseError:
            pass
        time.sleep(0.01)
    return proc


def test_sigkill_sigterm_and_resume_lose_nothing(tmp_path):
    # rows take a few ms each: enough of them that the 10 ms poller stops the sweep mid-way
    grid = _write(tmp_path, 'epochs = 2\nseeds = [0]\n[axes]\n"fc1.weight" = ["s4", "s5", "s6", "s7", "s8"]\n'
                            '"drtp.b" = ["s1", "s2", "s3"]\n"fc2.weight" = ["s5", "s6", "s7", "s8"]\n')
    db = tmp_path / "k.sqlite"
    cmd = [sys.executable, "-m", "hwmodel.sweep", "bitwidths", "--grid", grid, "--db", str(db),
           "--jobs", "1", "--no-progress", "--config", "tiny", "--n-train", "300", "--n-test", "100"]
    total = 60
    proc = _start_and_wait(cmd, db, 2)
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # the sweep and its worker processes
    except ProcessLookupError:
        pass
    proc.wait()
    before = _rows(db)
    assert 2 <= len(before) < total, "the sweep was not interrupted mid-way"
    conn = sqlite3.connect(str(db))
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    # SIGTERM: the parent stores what is running, then exits with 130
    proc = _start_and_wait(cmd, db, len(before) + 1)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    middle = _rows(db)
    if len(middle) < total:
        assert proc.returncode == 130 and "rerun the same command" in err.decode(), err
    assert all(middle[k] == v for k, v in before.items())
    out = subprocess.run(cmd + ["--json"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    s = json.loads(out.stdout)
    assert s["skipped"] == len(middle) and s["done"] == total - len(middle)
    after = _rows(db)
    assert len(after) == total
    assert all(after[k] == v for k, v in middle.items())  # finished rows kept, not redone
    conn = sqlite3.connect(str(db))
    assert conn.execute("SELECT COUNT(*) FROM (SELECT DISTINCT point_key, seed FROM results)").fetchone()[0] == total
    assert conn.execute("SELECT COUNT(*) FROM reference").fetchone()[0] == 1  # the grid's one seed
    conn.close()


def test_dask_gives_the_same_rows(local_db, tmp_path):
    distributed = pytest.importorskip("distributed")
    tmp, db = local_db
    db2 = tmp_path / "dask.sqlite"
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp://",
                                  host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        rc = sweep.main(["bitwidths", "--grid", str(tmp / "grid.toml"), "--db", str(db2), "--executor", "dask",
                         "--scheduler", cluster.scheduler_address, "--no-progress", *DATA])
    assert rc == 0
    acc = lambda rows: {k: v[:2] for k, v in rows.items()}  # noqa: E731
    assert acc(_rows(db2)) == acc(_rows(db))
    q = "SELECT float_test_accuracy, test_accuracy FROM reference"
    c1, c2 = sqlite3.connect(str(db)), sqlite3.connect(str(db2))
    assert c1.execute(q).fetchall() == c2.execute(q).fetchall()
    c1.close()
    c2.close()


def test_rows_carry_energy_and_area(local_db):
    _, db = local_db
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute("SELECT fc, energy_per_classification_nj, energy_per_learning_sample_nj, "
                            "memory_area_mm2 FROM (SELECT json_extract(config_json, '$.\"fc1.weight\"') AS fc, * "
                            "FROM results)").fetchall()
    finally:
        conn.close()
    assert rows and all(e > 0 and el > 0 and a > 0 for _, e, el, a in rows)
    by_w = {}
    for w, _, _, a in rows:
        by_w.setdefault(w, set()).add(round(a, 9))
    widths = sorted(by_w, key=lambda w: int(w[1:]))
    assert max(by_w[widths[0]]) < min(by_w[widths[-1]])  # wider FC1 weights, larger memories
    conn = sqlite3.connect(db)
    try:
        cyc = conn.execute("SELECT cycles_per_inference_sample, cycles_per_learning_sample FROM results").fetchall()
    finally:
        conn.close()
    # spec §16: every row knows its latency; a learning sample adds the update passes
    assert cyc and all(ci > 0 and cl > ci for ci, cl in cyc)


def test_rows_carry_the_estimators_costs(local_db):
    """Schema 6: the estimator's whole-sample figures per row (no synthesis by default: memories and
    datapath). The learning sample is the classification plus the learning extra; the two chips
    differ per classification by the learning-only memories' leakage over the row's own latency."""
    from hwmodel.estimate.core import DEFAULT_CLOCK_MHZ, memory_area
    from hwmodel.estimate.tech import load_tech
    _, db = local_db
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        rows = [dict(r) for r in conn.execute("SELECT * FROM results")]
    finally:
        conn.close()
    tech = load_tech()
    assert len(rows) == N_RUNS
    for r in rows:
        assert r["cost_scope"] == "memories" and r["area_mm2"] is None and r["offchip_val_accuracy"] is None
        assert r["learning_extra_energy_nj"] > 0
        assert r["energy_per_learning_sample_nj"] == pytest.approx(
            r["energy_per_classification_nj"] + r["learning_extra_energy_nj"], rel=1e-12)
        assert r["clock_mhz"] == DEFAULT_CLOCK_MHZ
        assert r["latency_per_classification_us"] == pytest.approx(r["cycles_per_inference_sample"] / DEFAULT_CLOCK_MHZ)
        assert r["latency_per_learning_sample_us"] > r["latency_per_classification_us"]
        cfg = Config.from_dict(__import__("tomllib").loads(r["config_toml"]))
        leak = {k: sum(m["leakage_uw"] for m in memory_area(cfg, tech, k).values()) for k in (True, False)}
        assert leak[True] > leak[False]          # the B LUT and the derivative flags leak on the learning chip only
        assert r["energy_per_classification_nj"] - r["energy_per_classification_inference_only_nj"] == pytest.approx(
            (leak[True] - leak[False]) * r["latency_per_classification_us"] * 1e-3, rel=1e-6)
        assert r["learning_overhead_power_pct"] > 0 and r["rate_hz"] > 0


def test_synthesized_and_offchip_sweep_gives_the_fair_overhead(tmp_path, capsys):
    """--synth --offchip: rows with both chips' areas and the off-chip (inference-only chip)
    accuracy; the report's fair comparison; a resume with other cost options is refused."""
    grid = _write(tmp_path, 'epochs = 1\nseeds = [0]\n[axes]\n"fc1.weight" = ["s8"]\n')  # the base point only
    db = tmp_path / "f.sqlite"
    argv = ["bitwidths", "--grid", grid, "--db", str(db), "--jobs", "1", "--no-progress", *DATA]
    assert sweep.main(argv + ["--synth", "--offchip"]) == 0
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    (r,) = [dict(x) for x in conn.execute("SELECT * FROM results")]
    conn.close()
    assert r["cost_scope"] == "synthesized" and r["area_mm2"] > r["area_mm2_inference_only"] > r["memory_area_mm2"]
    assert r["learning_overhead_area_pct"] == pytest.approx(
        100 * (r["area_mm2"] / r["area_mm2_inference_only"] - 1))
    assert 0 <= r["offchip_test_accuracy"] <= 1 and 0 <= r["offchip_val_accuracy"] <= 1
    capsys.readouterr()
    for other in ([], ["--synth"], ["--offchip"]):  # made with --synth --offchip: any other options refused
        assert sweep.main(argv + other) == 2
        err = capsys.readouterr().err
        assert "other cost or tuning options" in err and "costs 'synthesized', off-chip accuracy" in err
    out = tmp_path / "rep"
    assert report.main(["--db", str(db), "--out", str(out)]) == 0
    (e,) = json.loads((out / "results.json").read_text())["experiments"]
    fo = e["fair_overhead"]
    a = fo["a_same_chip_without_learning"]
    assert a["area_pct"] == pytest.approx(r["learning_overhead_area_pct"])
    assert a["energy_per_learning_sample_pct"] == pytest.approx(
        100 * (r["energy_per_learning_sample_nj"] / r["energy_per_classification_inference_only_nj"] - 1))
    # one point: (b) is the same chip when its off-chip accuracy reaches the on-chip one, else none
    b = fo["b_cheapest_inference_only_chip"]
    assert (b is not None) == (r["offchip_val_accuracy"] >= r["val_accuracy"])
    assert "Fair learning overhead" in (out / "report.md").read_text()


def test_fair_overhead_picks_the_cheapest_chip_as_accurate():
    """(b): the cheapest inference-only chip whose off-chip validation mean reaches the learning
    chip's; a cheaper chip that misses it but whose interval reaches it is named."""
    def pt(over, e_inf, off_val, area):
        p = report.Point(json.dumps(over), over, {}, 1000, 1000, seeds=[0, 1, 2], accs=[0.9] * 3,
                         train_accs=[0.9] * 3, val_accs=[0.90, 0.91, 0.92])
        p.costs = {"energy_per_classification_nj": [30.0] * 3, "energy_per_learning_sample_nj": [60.0] * 3,
                   "energy_per_classification_inference_only_nj": [e_inf] * 3, "area_mm2": [0.25] * 3,
                   "area_mm2_inference_only": [area] * 3, "offchip_val_accuracy": off_val,
                   "learning_overhead_power_pct": [100.0] * 3, "learning_overhead_area_pct": [5.0] * 3}
        p.scopes = {"synthesized"}
        return p
    base = pt({}, 20.0, [0.93, 0.94, 0.95], 0.24)
    mid = pt({"fc1.weight": "s6"}, 16.0, [0.91, 0.91, 0.92], 0.20)     # mean 0.9133 >= 0.91: as accurate
    cheap = pt({"fc1.weight": "s4"}, 12.0, [0.85, 0.90, 0.92], 0.18)  # mean 0.89 < 0.91, interval reaches it
    bad = pt({"fc1.weight": "s3"}, 10.0, [0.50, 0.51, 0.52], 0.17)    # far below
    exp = report.Experiment("b", 1, "d", [], [base, mid, cheap, bad], [], {}, ["fc1.weight"])
    fo = report.fair_overhead(exp)
    assert fo["b_cheapest_inference_only_chip"]["point"] == "fc1.weight=s6"
    assert fo["b_cheapest_inference_only_chip"]["energy_per_classification_pct"] == pytest.approx(100 * (30 / 16 - 1))
    assert fo["b_cheapest_inference_only_chip"]["area_pct"] == pytest.approx(100 * (0.25 / 0.20 - 1))
    assert fo["a_same_chip_without_learning"]["energy_per_learning_sample_pct"] == pytest.approx(200.0)
    assert fo["b_cannot_tell_apart_from"] == ["fc1.weight=s4"]
    for p in (base, mid, cheap, bad):
        p.costs["offchip_val_accuracy"] = [None] * 3
    assert report.fair_overhead(exp) is None  # no off-chip accuracies: no comparison


def test_report_writes_all_files(local_db, tmp_path, capsys):
    _, db = local_db
    out = tmp_path / "rep"
    assert report.main(["--db", str(db), "--out", str(out)]) == 0
    for f in ("report.md", "report.html", "results.csv", "results.json"):
        assert (out / f).is_file() and (out / f).stat().st_size > 0, f
    html = (out / "report.html").read_text()
    # two axes, the memory, energy and learning-energy Pareto plots, the learning overhead per point
    assert html.count('src="data:image/png;base64,') == 6
    md = (out / "report.md").read_text()
    assert "Pareto" in md and "within" in md and "![" in md
    doc = json.loads((out / "results.json").read_text())
    (e,) = doc["experiments"]
    assert sorted(e["axes"]) == ["drtp.b", "fc1.weight"] and len(e["points"]) == 4
    assert e["float_test_accuracy"] is not None and e["pareto_front"]
    assert [r["tolerance_pp"] for r in e["cheapest_within"]] == [0.5, 1.0, 2.0]
    lines = (out / "results.csv").read_text().strip().splitlines()
    assert len(lines) == 1 + N_RUNS
    assert all(p["energy_per_classification_nj"] > 0 for p in e["points"])
    capsys.readouterr()
    assert report.main(["--db", str(tmp_path / "missing.sqlite"), "--out", str(out)]) == 2
    assert "not found" in capsys.readouterr().err


DEPTH_GRID = """
epochs = 1
seeds = [0, 1]
[axes]
"hidden.sizes" = ["", "12", "12,6"]
"""


def test_layer_list_is_a_sweep_axis(tmp_path, capsys):
    """hidden.sizes as an axis: depths 0, 1, 2 (new layers copy the last hidden layer's fields),
    overrides and keys in the layer-stack names, weight bits of every layer, and the report's
    accuracy-by-depth table and plot."""
    base = Config.preset("tiny")
    g = sweep.grid_from_dict({"axes": {"hidden.sizes": ["", "12", "12,6"], "hidden.0.lr_shift": [2]}}, "t")
    plan = sweep.make_plan(g, base, 1, [0], sweep.data_spec(None, 100, 50, 0))
    over = [o for _, o, _ in plan.points]
    drop = base.hidden[0].yb - 1  # depth 0: 0/1 inputs, the output shifts drop by YB - 1
    assert over == [{"hidden.sizes": "", "output.sig_shift": max(0, base.fc2.sig_shift - drop),
                     "output.lr_shift": max(0, base.fc2.lr_shift - drop)},
                    {"hidden.sizes": "12", "hidden.0.lr_shift": 2},
                    {"hidden.sizes": "12,6", "hidden.0.lr_shift": 2}]
    cfgs = [c for _, _, c in plan.points]
    assert [c.depth for c in cfgs] == [0, 1, 2] and cfgs[2].hidden[1].lr_shift == base.fc1.lr_shift
    w, _ = sweep.memory_bits(cfgs[2])
    assert w == (base.n_in + 1) * 12 * 8 + 13 * 6 * 8 + 7 * 10 * 8
    assert sweep.memory_bits(cfgs[0])[0] == (base.n_in + 1) * 10 * 8
    db = tmp_path / "d.sqlite"
    assert sweep.main(["bitwidths", "--grid", _write(tmp_path, DEPTH_GRID), "--db", str(db), "--jobs", "1",
                       "--no-progress", *DATA]) == 0
    conn = sqlite3.connect(str(db))
    rows = conn.execute("SELECT overrides, weight_bits, energy_per_classification_nj FROM results").fetchall()
    conn.close()
    assert len(rows) == 6 and all(e > 0 for _, _, e in rows)
    assert {json.loads(o)["hidden.sizes"] for o, _, _ in rows} == {"", "12", "12,6"}
    out = tmp_path / "rep"
    assert report.main(["--db", str(db), "--out", str(out)]) == 0
    md = (out / "report.md").read_text()
    assert "Accuracy by depth" in md and "acc_vs_memory_by_depth.png" in md
    (e,) = json.loads((out / "results.json").read_text())["experiments"]
    assert e["axes"] == ["hidden.sizes"]
    capsys.readouterr()


def test_work_estimate_weighs_remaining_runs_by_their_kind():
    """The progress bar's work: finished runs at their own times, remaining ones at the mean of
    their kind, or, before one of their kind finished, at their prior weight x the time per unit."""
    tasks = [{"kind": "reference"}] * 2 + [{"kind": "point"}] * 4 + [{"kind": "point", "offchip": True}]
    w = sweep.WorkEstimate(tasks)
    wr, wp, wo = (sweep.TASK_WEIGHT[k] for k in ("reference", "point", "offchip"))
    assert w.total == pytest.approx(2 * wr + 4 * wp + wo)                     # 1 s per unit before any run
    assert w.finish(tasks[0], 6.0) == 6.0
    unit = 6.0 / wr
    assert w.total == pytest.approx(6.0 + 6.0 + 4 * wp * unit + wo * unit)
    w.finish(tasks[2], 1.0)
    assert w.estimate("point") == 1.0 and w.total == pytest.approx(7.0 + 6.0 + 3 * 1.0 + wo * 7.0 / (wr + wp))
    assert w.finish(tasks[3], None) == 1.0                                     # a failed run: its estimate
    assert (w.finished_runs, w.runs, w.done) == (3, 7, 8.0)


def test_work_estimate_counts_the_runs_in_flight():
    """Two workers: when the first run finishes, the other has been running as long; the work
    done counts it (up to its estimate), so the first rate is about two runs per run-time, not
    one. Runs start in submission order as workers free up."""
    tasks = [{"kind": "reference"}] + [{"kind": "point"}] * 5
    w = sweep.WorkEstimate(tasks, jobs=2, now=0.0)
    assert w.progress(0.0) == 0.0
    assert [k for k, _ in w.running] == ["reference", "point"]
    w.finish(tasks[1], 1.0, now=1.0)                   # the point finished; the reference runs on
    assert [k for k, _ in w.running] == ["reference", "point"]
    assert w.progress(1.0) == pytest.approx(1.0 + 1.0 + 0.0)     # done + the reference's second so far
    assert w.progress(3.0) == pytest.approx(1.0 + 3.0 + 1.0)     # the new point: at most its estimate (1 s)
    wr = sweep.TASK_WEIGHT["reference"]
    assert w.progress(100.0) == pytest.approx(1.0 + wr * 1.0 + 1.0)   # the reference: at most wr x 1 s
    one = sweep.WorkEstimate(tasks, jobs=1, now=0.0)
    one.finish(tasks[0], 5.0, now=5.0)
    assert one.progress(5.5) == pytest.approx(5.0 + 0.5)        # one worker: one run in flight


def test_local_workers_load_their_kernels_before_the_first_task():
    ex = sweep.LocalExecutor(1)
    try:
        f = ex.ex.submit(executors._warm_task)
        assert f.result(timeout=300) != os.getpid()          # ran (a tiny training) in the worker
        ex.warm_up(1)
    finally:
        ex.close()


def test_progress_bar_counts_runs_and_workers_warm_up_first(tmp_path, capsys):
    """With progress on, the local workers load their kernels before the first run, and the bar
    names finished / all runs and reaches 100 %; the rows are those of a sweep without the bar."""
    db = tmp_path / "p.sqlite"
    grid = "epochs = 1\nseeds = [0]\n[axes]\nfc1.weight = [\"s4\", \"s6\"]\n"
    assert sweep.main(["bitwidths", "--grid", _write(tmp_path, grid), "--db", str(db), "--jobs", "1", *DATA]) == 0
    err = capsys.readouterr().err.replace("\r", "\n")
    assert "starting 1 worker(s): loading the model's kernels" in err
    assert err.index("starting 1 worker") < err.index("sweep 0/3 runs")      # 2 points + the reference
    assert "sweep 3/3 runs: 100%" in err
    db2 = tmp_path / "q.sqlite"
    assert sweep.main(["bitwidths", "--grid", _write(tmp_path, grid), "--db", str(db2), "--jobs", "1",
                       "--no-progress", *DATA]) == 0
    assert {k: v[:2] for k, v in _rows(db).items()} == {k: v[:2] for k, v in _rows(db2).items()}


def test_every_result_column_is_declared_once_and_documented():
    """hwmodel/sweep/schema.py is the one declaration: the SQL of a new database has exactly its
    columns in its order, every version's migration adds the columns of that version, and
    docs/sweep.md's table of the results columns names each of them."""
    from hwmodel.sweep import schema
    assert len(set(schema.RESULT_COLUMNS)) == len(schema.RESULT_COLUMNS)
    conn = sqlite3.connect(":memory:")
    conn.executescript(schema.create_sql())
    for table, (cols, _) in schema.TABLES.items():
        assert [r[1] for r in conn.execute(f"PRAGMA table_info({table})")] == ["id", *(c.name for c in cols)]
    added = schema.added_columns()
    assert {c for _, c, _ in added[6]} >= {"cost_scope", "learning_extra_energy_nj", "offchip_val_accuracy"}
    assert [c for _, c, _ in added[5]] == ["cycles_per_inference_sample", "cycles_per_learning_sample"]
    doc = (Path(__file__).resolve().parents[2] / "docs" / "sweep.md").read_text()
    section = doc[doc.index("`results`: one row"):doc.index("`UNIQUE (point_key")]
    named = set(re.findall(r"`(\w+)`", section))
    assert [c for c in schema.RESULT_COLUMNS if c not in named] == []


def test_a_large_grid_says_its_size_before_checking_its_points(tmp_path, capsys):
    """A grid of thousands of points says its size on stderr at once (it used to print nothing
    while it checked every point, minutes for 10^5 points), then the dry run's answer."""
    axes = ('"fc1.weight" = ["s3", "s4", "s5", "s6", "s7", "s8"]\n"fc2.weight" = ["s5", "s6", "s7", "s8", "s9", "s10"]\n'
            '"drtp.lr_shift_fc1" = [4, 5, 6, 7, 8, 9, 10]\n"conv.threshold" = [2, 3, 4, 5, 6, 7, 8, 9]\n')
    grid = _write(tmp_path, f"epochs = 1\nseeds = [0, 1]\n[axes]\n{axes}")
    assert sweep.cli.LARGE_GRID <= 6 * 6 * 7 * 8
    rc = sweep.main(["bitwidths", "--grid", grid, "--db", str(tmp_path / "s.sqlite"), "--dry-run", "--json",
                     "--no-progress", *DATA])
    cap = capsys.readouterr()
    assert rc == 0
    assert cap.err.splitlines()[0] == (f"grid {grid}: 2,016 points x 2 seed(s) = 4,032 runs; checking every point "
                                       f"before any work")
    info = json.loads(cap.out)
    assert info["points"] == 2016 and info["runs"] == 4032 and not (tmp_path / "s.sqlite").exists()


def test_report_leaves_out_corrupt_rows_and_says_so(local_db, tmp_path, capsys):
    """A row whose accuracy is not in 0..1 (or whose cost or JSON is broken) is not averaged into
    its point (one such row showed as 297 ± 392 %): it is left out, named in the report and in a
    warning line; the other rows of its point stay."""
    import shutil
    _, db = local_db
    bad = tmp_path / "bad.sqlite"
    shutil.copy(db, bad)
    conn = sqlite3.connect(bad)
    (rid, key, seed), = conn.execute("SELECT id, point_key, seed FROM results ORDER BY id LIMIT 1").fetchall()
    conn.execute("UPDATE results SET test_accuracy = 8.9 WHERE id = ?", (rid,))
    (rid2,), = conn.execute("SELECT id FROM results ORDER BY id LIMIT 1 OFFSET 1").fetchall()
    conn.execute("UPDATE results SET energy_per_classification_nj = -1 WHERE id = ?", (rid2,))
    conn.commit()
    conn.close()
    assert report.main(["--db", str(bad), "--out", str(tmp_path / "r")]) == 0
    err = capsys.readouterr().err
    assert f"2 corrupt rows left out of the report (row {rid} (point {key}, seed {seed}): test_accuracy = 8.9 " \
           f"is not an accuracy in 0..1, ...)" in err, err
    doc = json.loads((tmp_path / "r" / "results.json").read_text())
    e = doc["experiments"][0]
    assert len(e["skipped_rows"]) == 2 and "energy_per_classification_nj = -1" in e["skipped_rows"][1]
    assert all(0 <= a <= 1 for p in e["points"] for a in p["test_accuracies"])
    assert sum(len(p["seeds"]) for p in e["points"]) == N_RUNS - 2
    assert "LEFT OUT: 2 corrupt rows" in (tmp_path / "r" / "report.md").read_text()


def test_dask_scheduler_address_of_a_silent_service_fails_within_the_timeout(tmp_path, capsys):
    """A TCP service that accepts the connection and never answers (not a Dask scheduler) is one
    error line within --connect-timeout (Dask's own timeout let it hang for good)."""
    import socket
    import threading
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    port = srv.getsockname()[1]
    held = []
    stop = threading.Event()

    def accept():
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(srv.accept()[0])
            except OSError:
                pass
    th = threading.Thread(target=accept, daemon=True)
    th.start()
    try:
        t0 = time.monotonic()
        rc = sweep.main(["bitwidths", *DATA, "--db", str(tmp_path / "d.sqlite"), "--executor", "dask",
                         "--scheduler", f"tcp://127.0.0.1:{port}", "--connect-timeout", "1", "--no-progress"])
        took = time.monotonic() - t0
    finally:
        stop.set()
        th.join()
        for c in held:
            c.close()
        srv.close()
    err = capsys.readouterr().err.strip()
    assert rc == 2 and held, (rc, err)
    assert err == (f"error: cannot reach the Dask scheduler 'tcp://127.0.0.1:{port}' within 1 s: no answer to "
                   f"Dask's handshake (is it a Dask scheduler?)"), err
    assert took < 15, took


def test_report_says_when_a_sweep_is_incomplete(local_db, tmp_path, capsys):
    """A report of a sweep that has not finished (killed, still running) or lacks runs (failed)
    says so at the top of its experiment, in results.json and in a warning line; a complete one
    says nothing."""
    import shutil
    _, db = local_db
    assert report.main(["--db", str(db), "--out", str(tmp_path / "ok"), "--json"]) == 0
    assert json.loads((tmp_path / "ok" / "results.json").read_text())["experiments"][0]["incomplete"] == []
    assert "incomplete" not in capsys.readouterr().err
    killed = tmp_path / "killed.sqlite"
    shutil.copy(db, killed)
    conn = sqlite3.connect(killed)
    conn.execute("DELETE FROM results WHERE id IN (SELECT id FROM results ORDER BY id DESC LIMIT 3)")
    conn.execute("UPDATE sweeps SET finished_at = NULL, n_done = NULL")
    (grid, started), = conn.execute("SELECT grid, started_at FROM sweeps ORDER BY id DESC LIMIT 1").fetchall()
    conn.commit()
    conn.close()
    assert report.main(["--db", str(killed), "--out", str(tmp_path / "k")]) == 0
    want = (f"sweep '{grid}' (started {started}) has not finished: 3 of its {N_RUNS} runs are not in the database "
            f"(still running, or stopped: rerun its command to finish)")
    assert f"incomplete: {want}" in capsys.readouterr().err
    assert json.loads((tmp_path / "k" / "results.json").read_text())["experiments"][0]["incomplete"] == [want]
    assert f"INCOMPLETE: {want}." in (tmp_path / "k" / "report.md").read_text()
    failed = tmp_path / "failed.sqlite"
    shutil.copy(db, failed)
    conn = sqlite3.connect(failed)
    conn.execute("UPDATE sweeps SET n_done = n_done - 2, n_failed = 2 WHERE id = (SELECT MAX(id) FROM sweeps)")
    conn.commit()
    conn.close()
    assert report.main(["--db", str(failed), "--out", str(tmp_path / "f")]) == 0
    assert f"lacks 2 of its {N_RUNS} runs (2 failed: rerun its command to finish)" in capsys.readouterr().err


def test_report_opens_each_experiment_with_its_answer_and_figure(local_db, tmp_path):
    """The answer (cheapest point within each tolerance of the float reference, or that none
    reaches it) and the Pareto figure come right after the experiment's title, before any table."""
    _, db = local_db
    assert report.main(["--db", str(db), "--out", str(tmp_path / "r")]) == 0
    html = (tmp_path / "r" / "report.html").read_text()
    sec = html[html.index("<h2>"):]
    tags = [t + (f' class="{c}"' if c else "") for t, c in re.findall(r'<(h2|h3|table|figure|p)(?:\s+class="(\w+)")?[\s>]', sec)]
    first_table = tags.index("table")
    assert tags[0] == "h2" and tags[1] == 'p class="answer"', tags[:4]
    assert tags.index('figure class="lead"') < first_table and tags.index('p class="answer"') < first_table
    answers = re.findall(r'<p class="answer"><b>(.*?)</b></p>', sec)
    assert answers and all(a.startswith("Answer within ") for a in answers), answers
    tols = [t for a in answers for t in re.match(r"Answer within ([\d. or]+) pp", a).group(1).split(" or ")]
    assert sorted(map(float, tols)) == [0.5, 1.0, 2.0]       # every tolerance answered once
    md = (tmp_path / "r" / "report.md").read_text()
    assert md.index("**Answer within") < md.index("![") < md.index("### ")


def test_a_sweep_row_costs_what_the_estimator_costs_for_the_same_chip(tmp_path, capsys):
    """One energy model: a sweep row's figures are the estimator's for the chip the row trained
    (the same scope: memories, no synthesis), here against estimate --weights on the chip that
    train --out wrote with the same config, seed, data and epochs."""
    from hwmodel import cli
    from hwmodel.estimate import cli as est_cli
    grid = _write(tmp_path, 'epochs = 1\nseeds = [0]\n[axes]\n"fc1.weight" = ["s8"]\n')
    db = tmp_path / "s.sqlite"
    assert sweep.main(["bitwidths", "--grid", grid, "--db", str(db), "--jobs", "1", "--no-progress", *DATA]) == 0
    capsys.readouterr()
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    row, = [dict(r) for r in conn.execute("SELECT * FROM results")]
    conn.close()
    assert cli.main(["train", *DATA, "--seed", "0", "--epochs", "1", "--no-float", "--no-baselines", "--no-progress",
                     "--json", "--out", str(tmp_path / "run")]) == 0
    trained = json.loads(capsys.readouterr().out)
    assert trained["test_accuracy"] == row["test_accuracy"]                  # the same chip
    assert est_cli.main(["--weights", str(tmp_path / "run" / "weights.npz"), *DATA[2:], "--no-synth", "--json",
                         "--no-progress"]) == 0
    est = json.loads(capsys.readouterr().out)
    assert row["cost_scope"] == "memories" and est["area_includes_logic"] is False
    for k in ("energy_per_classification_nj", "energy_per_learning_sample_nj", "learning_extra_energy_nj",
              "latency_per_classification_us", "rate_hz", "power_mw"):
        assert math.isclose(row[k], est[k], rel_tol=1e-12), (k, row[k], est[k])


def test_reference_rows_carry_the_baselines_and_the_report_draws_them(local_db, tmp_path, capsys):
    """Each reference seed also trains the integer baselines of the base chip (schema 7): their
    accuracies are train's for the same seed, data and epochs; the linear read-out chip is costed
    (fewer bits and less energy than the base chip); the report says what hidden learning buys,
    writes the baselines to results.json and draws them on the Pareto plots at their own cost."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from hwmodel import cli
    from hwmodel.report import plots
    from hwmodel.report.load import load as load_db
    from hwmodel.sweep.plan import memory_bits
    _, db = local_db
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    refs = {r["seed"]: dict(r) for r in conn.execute("SELECT * FROM reference")}
    base_e = conn.execute("SELECT AVG(energy_per_classification_nj) FROM results").fetchone()[0]
    conn.close()
    assert sorted(refs) == [0, 1]
    assert cli.main(["train", *DATA, "--seed", "1", "--epochs", "1", "--no-float", "--no-progress", "--json"]) == 0
    trained = json.loads(capsys.readouterr().out)
    for k in ("linear_test_accuracy", "linear_val_accuracy", "frozen_test_accuracy", "frozen_val_accuracy"):
        assert refs[1][k] == pytest.approx(trained[k], abs=1e-12), k
    lin_bits = memory_bits(Config.preset("tiny").replace(**{"hidden.sizes": ""}))[1]
    for r in refs.values():
        assert r["linear_memory_bits"] == lin_bits
        assert 0 < r["linear_energy_per_classification_nj"] < base_e
        assert r["linear_energy_per_classification_nj"] < r["linear_energy_per_learning_sample_nj"]
    assert report.main(["--db", str(db), "--out", str(tmp_path / "r")]) == 0
    md = (tmp_path / "r" / "report.md").read_text()
    assert "What learning in the hidden layers buys" in md and f"{lin_bits / 1000:,.1f} kbit" in md
    doc = json.loads((tmp_path / "r" / "results.json").read_text())
    b = doc["experiments"][0]["baselines"]
    assert b["frozen_val_accuracy"]["mean"] == pytest.approx((refs[0]["frozen_val_accuracy"]
                                                             + refs[1]["frozen_val_accuracy"]) / 2)
    exp, = load_db(db)
    for axis, key, scale in (("memory", "linear_memory_bits", 1e-3),
                             ("energy", "linear_energy_per_classification_nj", 1.0)):
        fig, ax = plt.subplots()
        plots._baselines(ax, exp, axis, val=True)
        (x,), (y,) = ax.lines[0].get_data()          # the linear read-out's point at its own cost
        assert x == pytest.approx(scale * (refs[0][key] + refs[1][key]) / 2)
        assert y == pytest.approx(100 * b["linear_val_accuracy"]["mean"])
        frozen = [ln for ln in ax.lines if "frozen" in (ln.get_label() or "")]
        assert len(frozen) == 1 and frozen[0].get_ydata()[0] == pytest.approx(100 * b["frozen_val_accuracy"]["mean"])
        plt.close(fig)
