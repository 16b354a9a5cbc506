"""Running a plan: tasks not in the database yet, progress with a task-weighted ETA, rows
stored as they finish, interruptions recorded (resumable)."""
from __future__ import annotations

import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from hwmodel.util.provenance import code_version
from hwmodel.sweep.executors import DaskExecutor, LocalExecutor
from hwmodel.sweep.plan import Plan, canonical
from hwmodel.sweep.store import (StoreError, SweepLock, connect, done_keys, foreign_options, foreign_versions,
                                  insert_reference, insert_result, reference_seeds)


EXIT_INPUT = 2
EXIT_FAILED = 1


def _describe(task: dict, width: int = 0) -> str:
    if task["kind"] == "reference":
        return f"float reference (seed {task['seed']})"
    over = ", ".join(f"{k}={v}" for k, v in task["overrides"].items() if not k.endswith(".init_bound"))
    text = f"{{{over or 'base'}}} seed {task['seed']}"
    return text if not width or len(text) <= width else text[:width - 1] + "…"


def run_sweep(plan: Plan, db: str | Path, *, executor: str = "local", jobs: int | None = None,
              scheduler: str | None = None, progress: bool = True, argv: list[str] | None = None,
              log=None, allow_mixed: bool = False, connect_timeout: float = 10.0) -> dict[str, Any]:
    """Run every missing (point, seed) of ``plan`` and the reference; write rows as they finish.

    One sweep per database at a time (``SweepLock``). Rows of this sweep made by another code
    version refuse the resume (``StoreError``) unless ``allow_mixed``. Ctrl-C (or SIGTERM via
    ``main``) cancels the tasks not started, waits for the running ones and stores them too (a
    second Ctrl-C aborts them); the summary then says ``interrupted``."""
    conn = connect(db)
    lock = SweepLock(db)
    try:
        lock.acquire()
        return _run_locked(plan, db, conn, executor=executor, jobs=jobs, scheduler=scheduler,
                           progress=progress, argv=argv, log=log, allow_mixed=allow_mixed,
                           connect_timeout=connect_timeout)
    finally:
        conn.close()
        lock.release()


# What a task costs before one of its kind has finished, relative to an integer point run
# (measured on spoon's quick grid, one worker of this 2-core machine: the float DRTP reference
# 2.5 s against a point's 0.85 s; an --offchip point also trains the BP gain grid, about 30x).
# prior cost of a run by kind, in points (a reference seed trains its float DRTP gain grid and the
# baselines: 5.4 points on the quick grid, measured; an off-chip point adds BP's gain grid)
# a --tune run first trains its knob search (11-20 chips on spoon, one pass usually: 15 assumed)
TASK_WEIGHT = {"reference": 5.0, "point": 1.0, "offchip": 30.0,
               "reference+tune": 20.0, "point+tune": 16.0, "offchip+tune": 45.0}


def task_kind(task: dict[str, Any]) -> str:
    k = "reference" if task["kind"] == "reference" else ("offchip" if task.get("offchip") else "point")
    return k + "+tune" if task.get("tune") else k


class WorkEstimate:
    """The sweep's progress in task-seconds, so that its ETA weighs each remaining run by what its
    kind costs: done = the measured wall times of the finished runs; left = per remaining run the
    mean time of its kind so far, or, before one of its kind has finished, its ``TASK_WEIGHT`` x
    the mean time per weight unit of the finished runs (x 1 s before any run finished).

    The runs in flight count too (``progress``): ``jobs`` workers take the runs in submission
    order, each new one when a run finishes, and a running run counts its time so far (at most
    its estimate). Without them the first finished run would be all the work done while ``jobs``
    workers were busy, and the first ETA ``jobs`` times too long. The bar's rate = progress /
    elapsed, ETA = (total - progress) / rate."""

    def __init__(self, tasks: list[dict[str, Any]], jobs: int = 1, now: float = 0.0):
        self.left = {k: 0 for k in TASK_WEIGHT}
        for t in tasks:
            self.left[task_kind(t)] += 1
        self.runs, self.finished_runs = len(tasks), 0
        self.sum = {k: 0.0 for k in TASK_WEIGHT}
        self.cnt = {k: 0 for k in TASK_WEIGHT}
        self.queue = [task_kind(t) for t in tasks]           # not started yet, in submission order
        n = min(max(1, jobs), len(tasks))
        self.running = [(k, now) for k in self.queue[:n]]     # (kind, start time)
        self.queue = self.queue[n:]

    def estimate(self, kind: str) -> float:
        if self.cnt[kind]:
            return self.sum[kind] / self.cnt[kind]
        units = sum(self.cnt[k] * TASK_WEIGHT[k] for k in TASK_WEIGHT)
        per_unit = sum(self.sum.values()) / units if units else 1.0
        return TASK_WEIGHT[kind] * per_unit

    def finish(self, task: dict[str, Any], seconds: float | None, now: float = 0.0) -> float:
        """Record a finished run (``seconds`` None: failed, counted at its estimate) at time
        ``now``; the next queued run starts then. Returns the task-seconds it adds to ``done``."""
        k = task_kind(task)
        sec = self.estimate(k) if seconds is None else float(seconds)
        self.left[k] -= 1
        self.sum[k] += sec
        self.cnt[k] += 1
        self.finished_runs += 1
        mine = [i for i, (rk, _) in enumerate(self.running) if rk == k]
        if mine:
            self.running.pop(mine[0])                  # the earliest started of its kind
        if self.queue:
            self.running.append((self.queue.pop(0), now))
        return sec

    @property
    def done(self) -> float:
        return sum(self.sum.values())

    def progress(self, now: float) -> float:
        """Task-seconds done at time ``now``: the finished runs and the running ones so far."""
        return self.done + sum(min(max(0.0, now - t), self.estimate(k)) for k, t in self.running)

    @property
    def total(self) -> float:
        return self.done + sum(n * self.estimate(k) for k, n in self.left.items())


def _run_locked(plan: Plan, db, conn, *, executor, jobs, scheduler, progress, argv, log, allow_mixed,
                connect_timeout) -> dict[str, Any]:
    log = log or (lambda msg: print(msg, file=sys.stderr))
    jobs = jobs or os.cpu_count() or 1
    current = code_version()
    tasks = _pending_tasks(plan, conn)
    _refuse_mixed(plan, db, conn, tasks, current, allow_mixed)
    n_total = len(plan.points) * len(plan.seeds)
    n_skipped = n_total - sum(t["kind"] == "point" for t in tasks)
    ex = None
    if tasks:  # connect before anything is recorded: an unreachable scheduler is an input error
        ex = LocalExecutor(jobs) if executor == "local" else DaskExecutor(scheduler, jobs, connect_timeout)
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    try:
        conn.execute("BEGIN IMMEDIATE")
        cur = conn.execute(
            "INSERT INTO sweeps (started_at, argv, grid, base, epochs, seeds, data, executor, n_runs, n_skipped, "
            "code_version) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (now, canonical(argv or []), plan.grid.name, plan.base_id, plan.epochs, canonical(plan.seeds),
             plan.data_key, executor, n_total, n_skipped, current))
        conn.execute("COMMIT")
    except BaseException:
        if ex is not None:
            ex.close(abort=True)
        raise
    sweep_id = cur.lastrowid
    t0 = time.perf_counter()
    rows = _Rows(conn, current, log)
    interrupted = _drain(ex, tasks, jobs, progress, log, rows) if ex is not None else False
    wall = time.perf_counter() - t0
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("UPDATE sweeps SET finished_at=?, n_done=?, n_failed=? WHERE id=?",
                 (datetime.now(timezone.utc).isoformat(timespec="seconds"), rows.done, len(rows.failures), sweep_id))
    conn.execute("COMMIT")
    n_rows = conn.execute("SELECT COUNT(*) FROM results WHERE base=? AND epochs=? AND data=?",
                          (plan.base_id, plan.epochs, plan.data_key)).fetchone()[0]
    return {"code_version": current, "db": str(db), "grid": plan.grid.name, "base": plan.base_id,
            "epochs": plan.epochs, "seeds": plan.seeds, "data": plan.data_key, "executor": executor, "jobs": jobs,
            "points": len(plan.points), "runs": n_total, "skipped": n_skipped, "done": rows.done,
            "failed": len(rows.failures), "failures": rows.failures, "reference_computed": rows.ref,
            "references_computed": rows.refs,
            "interrupted": interrupted, "remaining": n_total - n_rows,
            "rows_in_db": n_rows, "wall_time": wall}


def _pending_tasks(plan: Plan, conn) -> list[dict[str, Any]]:
    """The tasks not in the database yet, the float references (the longest) first."""
    done = done_keys(conn, plan)
    tasks = [t for t in plan.tasks() if (t["point_key"], t["seed"]) not in done]
    have_ref = reference_seeds(conn, plan)
    tasks[:0] = [plan.reference_task(s) for s in plan.seeds if s not in have_ref]  # the longest tasks first
    return tasks


def _refuse_mixed(plan: Plan, db, conn, tasks, current: str, allow_mixed: bool) -> None:
    """A resume that would mix code versions or cost options in one sweep is refused
    (``--allow-mixed`` overrides)."""
    if tasks and not allow_mixed:
        other = foreign_versions(conn, plan, current)
        if other:
            desc = ", ".join(f"{n} by {v}" for v, n in sorted(other.items()))
            raise StoreError(f"database '{db}' holds rows of this sweep made by other code ({desc}; this is "
                             f"{current}): resuming would mix versions; use a new --db, or --allow-mixed")
    if not allow_mixed:  # also with nothing left to run: a finished sweep made with other options
        other = foreign_options(conn, plan)
        if other:
            desc = "; ".join(f"{n} with {d}" for d, n in sorted(other.items()))
            asked = (("--synth" if plan.grid.synth else "no --synth") + (", --offchip" if plan.grid.offchip else "")
                     + (", --tune" if plan.grid.tune else ""))
            raise StoreError(f"database '{db}' holds rows of this sweep made with other cost or tuning options ({desc}; "
                             f"this run: {asked}): use a new --db, the same options, or --allow-mixed")


class _Rows:
    """Stores each finished task's row as it arrives (its own transaction), counts them, keeps the
    failures, and moves the progress bar (``bar``, ``work``: set when there is one)."""

    def __init__(self, conn, current: str, log):
        self.conn, self.current, self.log = conn, current, log
        self.done, self.ref, self.refs = 0, False, 0
        self.failures: list[str] = []
        self.bar = None
        self.work = None

    def say(self, msg: str) -> None:
        (self.bar.write if self.bar is not None else self.log)(msg)

    def handle(self, task, row, exc) -> None:
        if exc is None and row.get("code_version") != self.current:
            exc = StoreError(f"worker {row.get('worker')} runs code version {row.get('code_version')}, "
                             f"this sweep {self.current}: row not stored (install the same hwmodel on every worker)")
            row = None
        if exc is not None:
            self.failures.append(f"{_describe(task)}: {type(exc).__name__}: {exc}")
            self.say(f"failed: {self.failures[-1]}")
        elif task["kind"] == "reference":
            new = insert_reference(self.conn, row)
            self.ref = new or self.ref
            self.refs += bool(new)
        elif insert_result(self.conn, row):
            self.done += 1
        bar, work = self.bar, self.work
        if bar is not None:
            now = time.perf_counter()
            work.finish(task, None if row is None else row.get("wall_time"), now)
            bar.total = work.total
            bar.set_description_str(f"sweep {work.finished_runs}/{work.runs} runs", refresh=False)
            bar.set_postfix_str(f"{_describe(task, 40)}: {100 * row['test_accuracy']:.1f} %" if row else "failed",
                                refresh=False)
            bar.n = min(max(bar.n, work.progress(now)), work.total)     # never backwards
            bar.refresh()


def _drain(ex, tasks, jobs: int, progress: bool, log, rows: _Rows) -> bool:
    """Submit the tasks and store every row as it finishes. Ctrl-C: the pending tasks are
    cancelled and the running ones stored when they finish (a second Ctrl-C aborts them);
    returns whether the sweep was interrupted."""
    interrupted = False
    abort = False
    try:
        try:
            if progress and hasattr(ex, "warm_up"):
                log(f"starting {jobs} worker(s): loading the model's kernels")
                ex.warm_up(min(jobs, len(tasks)))
            ex.submit(tasks)
            if progress:
                from tqdm import tqdm
                rows.work = WorkEstimate(tasks, jobs, time.perf_counter())
                # the bar counts task-seconds (WorkEstimate): its ETA weighs the slow references
                rows.bar = tqdm(total=rows.work.total, desc=f"sweep 0/{rows.work.runs} runs", file=sys.stderr,
                                dynamic_ncols=True, smoothing=0,
                                bar_format="{desc}: {percentage:3.0f}%|{bar}| [{elapsed}<{remaining}{postfix}]")
            for task, row, exc in ex.completed():
                rows.handle(task, row, exc)
        except StoreError:      # a row cannot be stored (a full disk): no run can be, stop them all
            ex.cancel_pending()
            abort = True
            raise
        except KeyboardInterrupt:
            interrupted = True
            running = ex.cancel_pending()
            if running:
                rows.say(f"interrupted: storing the {running} running run(s) when they finish (Ctrl-C again to abort)")
            try:
                for task, row, exc in ex.completed():
                    rows.handle(task, row, exc)
            except KeyboardInterrupt:
                abort = True
    finally:
        if rows.bar is not None:
            rows.bar.close()
        ex.close(abort=abort)
    return interrupted
