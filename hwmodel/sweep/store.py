"""The results database: schema, migrations from older versions, one sweep per database at a
time (lock), rows written one transaction each."""
from __future__ import annotations

import os
import socket
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from hwmodel.util import checks
from hwmodel.sweep.plan import Plan
from hwmodel.sweep.schema import (FIRST, REFERENCE_COLUMNS, RESULT_COLUMNS, SCHEMA_VERSION, added_columns,
                                  create_sql)


APPLICATION_ID = 0x48574D53  # "HWMS" in the SQLite header: a sweep database
SQLITE_MAGIC = b"SQLite format 3\x00"


class StoreError(ValueError):
    """A results database this version cannot extend (or one in use by another sweep)."""


# rows before schema 6 held the learning phases' dynamic energy under energy_per_learning_sample_nj:
# it becomes the learning extra, and the whole sample is the classification plus it
MIGRATE_6 = ("UPDATE results SET learning_extra_energy_nj = energy_per_learning_sample_nj, "
             "energy_per_learning_sample_nj = energy_per_classification_nj + energy_per_learning_sample_nj, "
             "cost_scope = 'dynamic' WHERE cost_scope IS NULL")

# the SQL, the migrations and the row columns of the one declaration (schema.py)
SCHEMA = create_sql()
# columns each schema version added: (table, column, declaration); an older database gains the
# columns of every later version (rows made before: the default, or NULL)
ADDED_COLUMNS = added_columns()
MIGRATIONS = {v: [c for k in range(v + 1, SCHEMA_VERSION + 1) for c in ADDED_COLUMNS[k]]
              for v in range(FIRST, SCHEMA_VERSION)}
SWEEP_TABLES = {"results", "reference", "sweeps", "meta"}


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def check_db(path: str | Path) -> bool:
    """Check ``--db`` without changing anything: a new file in a place that can be written, an
    empty file, or an SQLite sweep database (``StoreError`` otherwise: a folder, a file that is
    not SQLite, an SQLite database of something else, a place that cannot be written). Returns
    whether it already holds a sweep database."""
    p = Path(path)
    if p.is_dir():
        raise StoreError(f"--db '{p}' is a folder, not a database file")
    if not p.exists():
        try:
            checks.check_out_dir(p, (), what="--db")  # probes the nearest existing folder
        except checks.OutputError as e:
            raise StoreError(str(e)) from None
        return False
    try:
        with open(p, "rb") as f:
            head = f.read(100)
    except OSError as e:
        raise StoreError(f"--db '{p}': cannot read: {e.strerror}") from None
    if not head:
        return False  # an empty file: initialized as a new database
    if not head.startswith(SQLITE_MAGIC):
        raise StoreError(f"--db '{p}' is not an SQLite database (use a new file name; the sweep creates it)")
    app_id = int.from_bytes(head[68:72], "big") if len(head) >= 72 else 0
    if app_id not in (0, APPLICATION_ID):
        raise StoreError(f"--db '{p}' is an SQLite database of another application (id 0x{app_id:08x}), "
                         f"not a sweep database")
    try:
        conn = sqlite3.connect(f"file:{p.resolve()}?mode=ro", uri=True)
        try:
            tables = _tables(conn)
            if not tables:
                return False
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall()) if "meta" in tables else {}
        finally:
            conn.close()
    except sqlite3.Error as e:
        raise StoreError(f"--db '{p}': cannot read it as SQLite: {e}") from None
    if not {"results", "reference", "meta"} <= tables or "schema_version" not in meta:
        listed = ", ".join(sorted(tables)[:4]) + (", ..." if len(tables) > 4 else "")
        raise StoreError(f"--db '{p}' is an SQLite database but not a sweep database (tables: {listed}); "
                         f"use a new --db")
    v = meta["schema_version"]
    if not (v.isdigit() and (int(v) == SCHEMA_VERSION or int(v) in MIGRATIONS)):
        raise StoreError(f"database '{p}' has schema version {v}; this version writes "
                         f"{SCHEMA_VERSION}: use a new --db")
    return True


def migrate(conn: sqlite3.Connection, found: int) -> None:
    """Bring a database of schema ``found`` to ``SCHEMA_VERSION`` (in the caller's transaction):
    the columns of every later version, and schema 6's reading of the energy columns. The report
    runs it on an in-memory copy, so an old database reads as the sweep would migrate it."""
    for table, col, decl in MIGRATIONS.get(found, []):
        if col not in {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {col} {decl}")
    if found < 6:
        conn.execute(MIGRATE_6)
    conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))


def connect(path: str | Path) -> sqlite3.Connection:
    """Open (creating if needed) a sweep database for writing, after ``check_db``; an older
    database gains the columns of the later schema versions (``ADDED_COLUMNS``: code_version
    'unknown', validation accuracies NULL). Every SQLite problem is a one-line ``StoreError``."""
    p = Path(path)
    check_db(p)
    conn = None
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(p), timeout=60, isolation_level=None)  # explicit transactions
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("BEGIN IMMEDIATE")
        tables = _tables(conn)
        if "meta" in tables:
            found = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
            migrate(conn, int(found))
        for stmt in SCHEMA.split(";"):
            if stmt.strip():
                conn.execute(stmt)
        conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute("COMMIT")
    except (sqlite3.Error, OSError) as e:
        if conn is not None:
            conn.close()
        raise StoreError(f"database '{p}': cannot open for writing: {e}") from None
    return conn


class SweepLock:
    """One sweep per database at a time: an exclusive ``flock`` on ``DB.lock`` for the whole run
    (released by the kernel if the process dies, even by SIGKILL). A second sweep on the same
    database is refused with a one-line error naming the holder."""

    def __init__(self, db: str | Path):
        self.path = Path(str(db) + ".lock")
        self.fd = None

    def acquire(self) -> "SweepLock":
        import fcntl
        try:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            raise StoreError(f"database lock '{self.path}': cannot create: {e.strerror}") from None
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            try:
                holder = os.pread(self.fd, 200, 0).decode(errors="replace").strip() or "another process"
            except OSError:
                holder = "another process"
            os.close(self.fd)
            self.fd = None
            raise StoreError(f"database '{str(self.path)[:-5]}' is in use by another sweep ({holder}); "
                             f"wait for it to finish or use another --db") from None
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, f"pid {os.getpid()} on {socket.gethostname()} since "
                           f"{datetime.now(timezone.utc).isoformat(timespec='seconds')}".encode(), 0)
        return self

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing the descriptor releases the flock
            self.fd = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()


def _insert(conn: sqlite3.Connection, table: str, columns: Iterable[str], row: dict[str, Any]) -> bool:
    """One row in its own transaction. Ctrl-C / SIGTERM wait until it is committed (or rolled
    back), so a signal can never leave the transaction half done."""
    cols = tuple(columns)
    with checks.no_sigint():
        conn.execute("BEGIN IMMEDIATE")
        try:
            cur = conn.execute(f"INSERT OR IGNORE INTO {table} ({', '.join(cols)}) VALUES "
                               f"({', '.join('?' * len(cols))})", [row.get(c) for c in cols])
            conn.execute("COMMIT")
        except BaseException as e:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if isinstance(e, sqlite3.Error):   # "database or disk is full", an I/O error
                raise StoreError(f"database: cannot store a {table} row: {e} (every row stored before is kept: "
                                 f"free space, then rerun the same command to resume)") from None
            raise
    return cur.rowcount == 1


def insert_result(conn: sqlite3.Connection, row: dict[str, Any]) -> bool:
    """Insert one complete result row in its own transaction; False if it was already there."""
    return _insert(conn, "results", RESULT_COLUMNS, row)


def insert_reference(conn: sqlite3.Connection, row: dict[str, Any]) -> bool:
    return _insert(conn, "reference", REFERENCE_COLUMNS, row)


def done_keys(conn: sqlite3.Connection, plan: Plan) -> set[tuple[str, int]]:
    cur = conn.execute("SELECT point_key, seed FROM results WHERE base=? AND epochs=? AND data=?",
                       (plan.base_id, plan.epochs, plan.data_key))
    return {(k, s) for k, s in cur}


def foreign_versions(conn: sqlite3.Connection, plan: Plan, current: str) -> dict[str, int]:
    """{code_version: rows} of this sweep's rows (results and reference) made by other code."""
    out: dict[str, int] = {}
    for table in ("results", "reference"):
        for v, n in conn.execute(f"SELECT code_version, COUNT(*) FROM {table} WHERE base=? AND epochs=? "
                                 f"AND data=? GROUP BY code_version", (plan.base_id, plan.epochs, plan.data_key)):
            if v != current:
                out[v] = out.get(v, 0) + n
    return out


def foreign_options(conn: sqlite3.Connection, plan: Plan) -> dict[str, int]:
    """{description: rows} of this sweep's rows made with other cost options than the plan's
    (``cost_scope``, whether the off-chip accuracy was measured, whether the knobs were tuned)."""
    want = ("synthesized" if plan.grid.synth else "memories", plan.grid.offchip, plan.grid.tune)
    out: dict[str, int] = {}
    for scope, off, tuned, n in conn.execute(
            "SELECT cost_scope, offchip_test_accuracy IS NOT NULL, tune_knobs IS NOT NULL, COUNT(*) FROM results "
            "WHERE base=? AND epochs=? AND data=? GROUP BY 1, 2, 3", (plan.base_id, plan.epochs, plan.data_key)):
        if (scope, bool(off), bool(tuned)) != want:
            d = (f"costs '{scope}'" + (", off-chip accuracy" if off else ", no off-chip accuracy")
                 + (", tuned" if tuned else ", not tuned"))
            out[d] = out.get(d, 0) + n
    for tuned, n in conn.execute("SELECT tune_knobs IS NOT NULL, COUNT(*) FROM reference WHERE base=? AND epochs=? "
                                 "AND data=? GROUP BY 1", (plan.base_id, plan.epochs, plan.data_key)):
        if bool(tuned) != plan.grid.tune:
            d = "a reference " + ("tuned" if tuned else "not tuned")
            out[d] = out.get(d, 0) + n
    return out


def has_reference(conn: sqlite3.Connection, plan: Plan) -> bool:
    """Whether every seed of the plan has its float reference."""
    return set(plan.seeds) <= reference_seeds(conn, plan)


def reference_seeds(conn: sqlite3.Connection, plan: Plan) -> set[int]:
    cur = conn.execute("SELECT seed FROM reference WHERE base=? AND epochs=? AND data=?",
                       (plan.base_id, plan.epochs, plan.data_key))
    return {s for (s,) in cur}
