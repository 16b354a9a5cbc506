"""Interruptions (issue 14): Ctrl-C in train keeps what finished; --out folders are replaced as a
set; a sweep's workers exit when its parent is SIGKILLed; one sweep per database at a time; an
unreachable Dask scheduler is one line within a bounded time. Every process a test starts is its
own, in its own session, and is killed at the end."""
import json
import re
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from hwmodel.util import checks
from hwmodel import cli, sweep
from hwmodel.cli import train as cli_train
from hwmodel.engine.processor import Processor

TINY = ["--config", "tiny", "--n-train", "200", "--n-test", "100"]


def _bars_interrupting_at(epoch: int):
    """A progress factory whose on-chip bar raises KeyboardInterrupt (as Ctrl-C would) once
    ``epoch`` epochs have finished; 0 = during the first epoch's report."""
    class Bar:
        def __init__(self, desc, total):
            self.desc, self.n = desc, 0

        def update(self, k):
            self.n += k
            if self.desc.startswith("on-chip") and self.n >= max(epoch, 1):
                raise KeyboardInterrupt

        def set_postfix(self, **kw):
            pass

        def close(self):
            pass
    return lambda enabled: (lambda desc, total: Bar(desc, total))


def test_ctrl_c_in_train_keeps_finished_epochs(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(cli_train, "bar_factory", _bars_interrupting_at(2))
    out = tmp_path / "run"
    rc = cli.main(["train", *TINY, "--epochs", "6", "--mode", "both", "--out", str(out)])
    cap = capsys.readouterr()
    assert rc == 130
    err = cap.err.strip().splitlines()
    assert err[-1].startswith("interrupted: on-chip training in epoch 3 of 6 stopped; kept the on-chip result "
                              "after 2 epoch(s), saved to"), err
    assert "Traceback" not in cap.err
    res = json.loads((out / "results.json").read_text())
    assert res["epochs_completed"] == 2 and len(res["test_accuracy_per_epoch"]) == 2
    assert "float_test_accuracy" not in res and "offchip_test_accuracy" not in res
    assert not (out / "weights_offchip.npz").exists()
    # the saved chip is the one after epoch 2: its accuracy is the recorded one
    assert cli.main(["eval", "--weights", str(out / "weights.npz"), *TINY[2:], "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["test_accuracy"] == pytest.approx(res["test_accuracy"])
    assert res["test_accuracy"] == pytest.approx(res["test_accuracy_per_epoch"][-1])


def test_ctrl_c_before_anything_finished_saves_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(cli_train, "bar_factory", _bars_interrupting_at(0))
    monkeypatch.setattr("hwmodel.train.runs.Processor.train_epoch",
                        lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt))
    out = tmp_path / "run"
    assert cli.main(["train", *TINY, "--epochs", "3", "--out", str(out)]) == 130
    err = capsys.readouterr().err
    assert err.strip() == "interrupted: nothing had finished; nothing saved"
    assert not out.exists() and list(tmp_path.iterdir()) == []  # no temporary folder left either


def _reader(stream, buf: bytearray):
    def run():
        while True:
            b = stream.read1(4096)
            if not b:
                return
            buf.extend(b)
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def _kill_session(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait(timeout=30)


def _ignore_sigint():
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _sigint_when(args: list[str], marker: bytes, preexec=None):
    """``train`` (2,000 digits, 6 epochs) plus ``args`` in its own session, a SIGINT once its
    stderr shows ``marker``: (the finished process, its stdout, its stderr as text)."""
    cmd = [sys.executable, "-m", "hwmodel", "train", "--n-train", "2000", "--n-test", "300", "--epochs", "6",
           *args]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                            preexec_fn=preexec)
    err = bytearray()
    try:
        t = _reader(proc.stderr, err)
        deadline = time.time() + 120
        while marker not in err and proc.poll() is None and time.time() < deadline:
            time.sleep(0.02)
        assert marker in err, bytes(err)
        proc.send_signal(signal.SIGINT)
        stdout = proc.stdout.read()
        proc.wait(timeout=60)
        t.join(10)
    finally:
        _kill_session(proc)
    return proc, stdout, bytes(err).decode(errors="replace")


@pytest.mark.parametrize("inherited", ["default", "ignored"])
def test_real_sigint_during_float_reference(tmp_path, inherited):
    """A real SIGINT while the float reference runs: exit 130 with one line, no traceback; the
    on-chip result is complete and saved. Also when the process was started with SIGINT ignored
    (as a non-interactive shell starts background jobs): the command line installs the handler."""
    out = tmp_path / "run"
    proc, stdout, text = _sigint_when(["--out", str(out)], b"float DRTP reference",
                                      _ignore_sigint if inherited == "ignored" else None)
    assert proc.returncode == 130, text
    assert "Traceback" not in text
    last = text.replace("\r", "\n").strip().splitlines()[-1]
    assert last.startswith("interrupted: float DRTP reference stopped; kept the on-chip result, saved to"), last
    assert b"on-chip integer DRTP" in stdout
    res = json.loads((out / "results.json").read_text())
    assert res["interrupted"] == "float DRTP reference" and len(res["test_accuracy_per_epoch"]) == 6
    assert "float_test_accuracy" not in res and "epochs_completed" not in res
    Processor.load(out / "weights.npz")  # complete and valid


def test_real_sigint_while_both_float_searches_run(tmp_path):
    """--mode both on 2 threads runs float DRTP and off-chip BP at once: a real SIGINT while they
    run stops both (exit 130, one line, no traceback) and keeps the complete on-chip result and
    the baselines; neither float result is reported half-done."""
    out = tmp_path / "run"
    # the signal the instant BP's bar prints (a main thread blocked until both searches ended
    # once heard it only after them, when Linux had delivered it to a search's thread)
    proc, _, text = _sigint_when(["--mode", "both", "--jobs", "2", "--out", str(out)],
                                 b"float BP reference")
    assert proc.returncode == 130, text
    assert "Traceback" not in text
    # what a terminal shows: the two bars' cursor movements (ESC [ A) left out
    last = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text).replace("\r", "\n").strip().splitlines()[-1].strip()
    res = json.loads((out / "results.json").read_text())
    # the search that had not finished is named (DRTP's grid is the shorter: it may have ended)
    stopped = res["interrupted"]
    assert stopped in ("float DRTP reference", "float BP training (off-chip)"), stopped
    assert last.startswith(f"interrupted: {stopped} stopped; kept the on-chip result"), last
    assert len(res["test_accuracy_per_epoch"]) == 6 and "linear_test_accuracy" in res
    assert ("float_test_accuracy" in res) == (stopped != "float DRTP reference")
    assert "offchip_test_accuracy" not in res


def _previous_run(tmp_path) -> Path:
    out = tmp_path / "run"
    assert cli.main(["train", *TINY, "--epochs", "1", "--no-float", "--json", "--seed", "1", "--out", str(out)]) == 0
    return out


def _consistent(out: Path) -> int:
    """The seed of the set in ``out``, after checking weights, config and results agree."""
    res = json.loads((out / "results.json").read_text())
    p = Processor.load(out / "weights.npz")
    assert p.cfg.seed == res["seed"] and f"seed = {res['seed']}" in (out / "config.toml").read_text()
    return res["seed"]


def test_out_folder_is_replaced_as_a_set(tmp_path, capsys, monkeypatch):
    out = _previous_run(tmp_path)
    capsys.readouterr()
    before = {f.name: f.read_bytes() for f in out.iterdir()}
    # a run that fails while writing its set (after weights.npz) leaves the previous set untouched
    real_save = Processor.save

    def save_then_fail(self, path, *a, **k):
        real_save(self, path, *a, **k)
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(Processor, "save", save_then_fail)
    assert cli.main(["train", *TINY, "--epochs", "1", "--no-float", "--json", "--seed", "2", "--out", str(out)]) == 1
    assert "No space left on device" in capsys.readouterr().err
    monkeypatch.undo()
    assert {f.name: f.read_bytes() for f in out.iterdir()} == before and _consistent(out) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # no temporary folder left
    # a successful run replaces all of it
    assert cli.main(["train", *TINY, "--epochs", "1", "--no-float", "--json", "--seed", "2", "--out", str(out)]) == 0
    assert _consistent(out) == 2 and sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_atomic_dir_swaps_whole_sets(tmp_path):
    dest = tmp_path / "d"
    with checks.atomic_dir(dest) as t:
        (t / "a").write_text("1")
        (t / "b").write_text("1")
        assert not dest.exists()  # nothing visible until the set is complete
    with checks.atomic_dir(dest) as t:
        (t / "a").write_text("2")
        assert (dest / "a").read_text() == "1" and (dest / "b").read_text() == "1"
    assert sorted(p.name for p in dest.iterdir()) == ["a"] and (dest / "a").read_text() == "2"
    with pytest.raises(RuntimeError):
        with checks.atomic_dir(dest) as t:
            (t / "a").write_text("3")
            raise RuntimeError
    assert (dest / "a").read_text() == "2" and sorted(p.name for p in tmp_path.iterdir()) == ["d"]


def test_sigkill_of_train_leaves_the_previous_set(tmp_path, capsys):
    out = _previous_run(tmp_path)
    capsys.readouterr()
    cmd = [sys.executable, "-m", "hwmodel", "train", *TINY, "--epochs", "2000", "--no-float", "--seed", "3",
           "--out", str(out)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    err = bytearray()
    try:
        _reader(proc.stderr, err)
        deadline = time.time() + 60
        while b"on-chip DRTP" not in err and proc.poll() is None and time.time() < deadline:
            time.sleep(0.02)
        time.sleep(0.2)
    finally:
        _kill_session(proc)
    assert _consistent(out) in (1, 3)  # either the whole old set or the whole new one
    assert all(not p.name.startswith(".") or ".tmp-" in p.name for p in tmp_path.iterdir())


# ---- sweeps -----------------------------------------------------------------------------------------
GRID = 'epochs = 3\nseeds = [0, 1, 2]\n[axes]\n"fc1.weight" = ["s4", "s5", "s6", "s7", "s8"]\n'


def _sweep_cmd(tmp_path, db):
    grid = tmp_path / "g.toml"
    grid.write_text(GRID)
    return [sys.executable, "-m", "hwmodel.sweep", "bitwidths", "--grid", str(grid), "--db", str(db),
            "--jobs", "1", "--no-progress", "--config", "tiny", "--n-train", "1500", "--n-test", "200"]


def _rows(db):
    conn = sqlite3.connect(str(db))
    try:
        return conn.execute("SELECT worker FROM results").fetchall()
    finally:
        conn.close()


def _wait_rows(proc, db, n, timeout=90):
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        try:
            rows = _rows(db)
            if len(rows) >= n:
                return rows
        except sqlite3.Error:
            pass
        time.sleep(0.02)
    raise AssertionError(f"sweep did not reach {n} rows (rc {proc.poll()})")


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has exited
    except FileNotFoundError:
        return False


def test_workers_exit_when_the_sweep_parent_is_killed(tmp_path):
    db = tmp_path / "s.sqlite"
    proc = subprocess.Popen(_sweep_cmd(tmp_path, db), start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        rows = _wait_rows(proc, db, 1)
        worker = int(rows[0][0].rsplit(":", 1)[1])
        assert worker != proc.pid and _alive(worker)
        os.kill(proc.pid, signal.SIGKILL)  # the parent only: it gets no chance to stop its workers
        proc.wait(timeout=30)
        deadline = time.time() + 15
        while _alive(worker) and time.time() < deadline:
            time.sleep(0.05)
        assert not _alive(worker), "the worker outlived the sweep's parent"
    finally:
        _kill_session(proc)


def test_second_sweep_on_the_same_database_is_refused(tmp_path, capsys):
    db = tmp_path / "s.sqlite"
    cmd = _sweep_cmd(tmp_path, db)
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_rows(proc, db, 1)
        t0 = time.time()
        rc = sweep.main(cmd[3:])
        err = capsys.readouterr().err.strip()
        assert rc == 2 and time.time() - t0 < 10
        assert err.startswith("error: database") and "in use by another sweep (pid " in err and "\n" not in err, err
        conn = sqlite3.connect(db)
        sweeps = conn.execute("SELECT COUNT(*) FROM sweeps").fetchone()[0]
        conn.close()
        assert sweeps == 1  # the refused sweep recorded nothing
    finally:
        _kill_session(proc)
    # the lock dies with its holder (SIGKILL too): the next sweep proceeds and resumes
    with sweep.SweepLock(db):
        pass


def test_lock_is_held_for_the_whole_sweep(tmp_path, capsys):
    db = tmp_path / "s.sqlite"
    grid = tmp_path / "g.toml"
    grid.write_text('epochs = 1\n[axes]\n"fc1.weight" = ["s6", "s8"]\n')
    argv = ["bitwidths", "--grid", str(grid), "--db", str(db), "--jobs", "1", "--no-progress", *TINY]
    sweep.connect(db).close()
    with sweep.SweepLock(db):
        assert sweep.main(argv) == 2
        assert "in use by another sweep" in capsys.readouterr().err
    assert sweep.main(argv) == 0


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_unreachable_dask_scheduler_is_one_line_quickly(tmp_path, capsys):
    pytest.importorskip("distributed")
    db = tmp_path / "s.sqlite"
    grid = tmp_path / "g.toml"
    grid.write_text('epochs = 1\n[axes]\n"fc1.weight" = ["s6", "s8"]\n')
    addr = f"tcp://127.0.0.1:{_closed_port()}"
    t0 = time.time()
    rc = sweep.main(["bitwidths", "--grid", str(grid), "--db", str(db), "--executor", "dask", "--scheduler", addr,
                     "--connect-timeout", "2", "--no-progress", *TINY])
    took = time.time() - t0
    err = capsys.readouterr().err.strip()
    assert rc == 2 and took < 20, (rc, took)
    assert err.startswith(f"error: cannot reach the Dask scheduler '{addr}' within 2 s") and "\n" not in err, err
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT COUNT(*) FROM sweeps").fetchone()[0] == 0
    conn.close()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_ctrl_c_lost_in_a_finalizer_is_raised_at_the_next_interruption_point():
    """A SIGINT handled while Python runs a __del__ (as when llvmlite frees objects while Numba
    compiles) raises a KeyboardInterrupt that Python discards; the recorded interrupt is raised
    again at the next interruption point of the long loops."""
    from hwmodel.util import checks
    old = signal.getsignal(signal.SIGINT)
    checks.ctrl_c_raises()
    try:
        class Finalized:
            def __del__(self):
                os.kill(os.getpid(), signal.SIGINT)
                for _ in range(1000):      # give the Python-level handler a bytecode to run at
                    pass

        f = Finalized()
        del f                              # the KeyboardInterrupt is raised inside __del__ and lost
        with pytest.raises(KeyboardInterrupt):
            checks.interruption_point()
        checks.interruption_point()        # raised once only
    finally:
        checks.clear_interrupt()
        signal.signal(signal.SIGINT, old)


def test_ctrl_c_lost_in_a_finalizer_prints_no_traceback_and_is_raised(tmp_path):
    """The same loss in a real process: nothing is printed for the discarded KeyboardInterrupt
    (the tool promises no traceback on Ctrl-C), and the interruption point raises it."""
    code = (
        "import os, signal\n"
        "from hwmodel.util import checks\n"
        "checks.ctrl_c_raises()\n"
        "class F:\n"
        "    def __del__(self):\n"
        "        os.kill(os.getpid(), signal.SIGINT)\n"
        "        for _ in range(1000):\n"
        "            pass\n"
        "f = F()\n"
        "del f\n"
        "try:\n"
        "    checks.interruption_point()\n"
        "except KeyboardInterrupt:\n"
        "    print('raised at the interruption point')\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "raised at the interruption point"
    assert "Traceback" not in r.stderr and "Exception ignored" not in r.stderr, r.stderr
