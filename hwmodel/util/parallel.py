"""Independent runs on threads: the Numba kernels release the GIL, so a gain grid or a baseline
search runs on every core of this process without copying its data into other processes.

``map_threads(fn, items, jobs)`` calls ``fn(item, stop)`` for every item and yields the results
in item order, whatever order they finish in, so a caller that picks the best result sees the
same sequence as a serial loop. ``stop`` is a ``threading.Event`` that long runs check between
epochs (``check(stop)``): Ctrl-C or an error in one run sets it, the other runs stop at their next
check, and the exception is raised to the caller. ``jobs`` <= 1 runs serially in the caller's
thread, with ``stop`` None.

The caller waits for runs with ``wait_for`` (in slices of ``POLL`` seconds), never in one blocking
wait: Linux may deliver a Ctrl-C to any thread of the process (a run's, Numba's), and Python then
runs its handler in the main thread only when that thread next executes Python code. A main
thread blocked until a run ends would hear the Ctrl-C only then, and one blocked until every
run ends would not hear it in time at all.
"""
from __future__ import annotations

import os
import threading
from typing import Callable, Iterable, Iterator, TypeVar

from hwmodel.util.checks import interruption_point, no_sigint

T = TypeVar("T")
R = TypeVar("R")


def cores() -> int:
    """The cores this process may run on (its CPU affinity), the default number of threads."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


POLL = 0.1   # seconds: the longest a Ctrl-C delivered to another thread waits to be raised


def wait_for(fs, return_when: str = "ALL_COMPLETED"):
    """``concurrent.futures.wait(fs, return_when=...)`` in slices of ``POLL`` seconds, so that a
    Ctrl-C is raised in the waiting main thread within ``POLL`` whichever thread received it."""
    from concurrent.futures import wait
    fs = list(fs)
    while True:
        done, pending = wait(fs, timeout=POLL, return_when=return_when)
        if not pending or (return_when == "FIRST_COMPLETED" and done) or \
                (return_when == "FIRST_EXCEPTION" and any(not f.cancelled() and f.exception() is not None
                                                         for f in done)):
            return done, pending


def result(f):
    """``f.result()``, waiting in slices of ``POLL`` seconds (see ``wait_for``)."""
    wait_for([f])
    return f.result()


def check(stop: threading.Event | None) -> None:
    """Between two epochs of a run: raise KeyboardInterrupt if Ctrl-C arrived or another run
    of the same map failed."""
    if stop is not None and stop.is_set():
        raise KeyboardInterrupt
    interruption_point()


def map_threads(fn: Callable[[T, threading.Event | None], R], items: Iterable[T], jobs: int,
                done: Callable[[T, R], object] | None = None, share: "Share | None" = None) -> Iterator[R]:
    """``fn(item, stop)`` for every item on ``jobs`` threads; results in item order. ``done(item,
    result)`` is called as each run finishes (from its thread: progress bars). ``share``: several
    maps running at once (on their own threads) share its cores: a run starts when one of its
    ``jobs`` slots is free, and its ``stop`` also stops the runs of every map sharing it."""
    items = list(items)
    if share is None and (jobs <= 1 or len(items) <= 1):
        for it in items:
            r = fn(it, None)
            if done is not None:
                done(it, r)
            yield r
        return
    from concurrent.futures import ThreadPoolExecutor
    stop = threading.Event() if share is None else share.stop

    def task(it):
        if share is None:
            r = fn(it, stop)
        else:
            with share.slots:
                check(stop)
                r = fn(it, stop)
        if done is not None:
            done(it, r)
        return r
    ex = ThreadPoolExecutor(max_workers=max(1, min(jobs, len(items))), thread_name_prefix="hwmodel")
    futs = []
    try:
        with no_sigint():       # a Ctrl-C inside submit() could leave a started run unjoined
            for it in items:
                futs.append(ex.submit(task, it))
        for f in futs:
            yield result(f)
    except BaseException:
        stop.set()
        raise
    finally:
        ex.shutdown(wait=True, cancel_futures=True)


class Share:
    """The cores of maps that run at the same time (``map_threads(..., share=)``): ``jobs`` slots,
    one per run in progress, and one ``stop`` for all of them (Ctrl-C or an error in any run stops
    every run at its next check)."""

    def __init__(self, jobs: int):
        self.slots = threading.Semaphore(max(1, jobs))
        self.stop = threading.Event()
