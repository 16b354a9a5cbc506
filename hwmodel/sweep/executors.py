"""Where tasks run: a local process pool (workers that die with their parent) or a Dask
cluster."""
from __future__ import annotations

import os
import sys
import time
from typing import Any

from hwmodel.spec.config import Config
from hwmodel.sweep.worker import run_task


class SchedulerError(ValueError):
    """A Dask scheduler that cannot be reached."""


def _worker_init(parent_pid: int | None = None) -> None:
    """Local workers ignore SIGINT: Ctrl-C reaches the parent, which lets the running tasks finish
    and stores them (see ``run_sweep``). They also exit as soon as the sweep's parent process is
    gone, even after a SIGKILL that gave it no chance to stop them (``watch_parent``)."""
    import signal
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if parent_pid is not None:
        watch_parent(parent_pid)


def watch_parent(pid: int, poll_s: float = 0.5) -> None:
    """A daemon thread that ends this process (``os._exit``) when process ``pid`` exits. Uses a
    pidfd (Linux >= 5.3; readable when the process ends), else polls. The Numba kernels release
    the GIL, so the thread runs during training too."""
    import select
    import threading

    def watch() -> None:
        try:
            fd = os.pidfd_open(pid)
        except ProcessLookupError:
            os._exit(1)
        except (AttributeError, OSError):
            fd = None
        if fd is not None:
            select.select([fd], [], [])
            os._exit(1)
        while True:
            time.sleep(poll_s)
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:
                pass

    threading.Thread(target=watch, name="hwmodel-watch-parent", daemon=True).start()


def _warm_task() -> int:
    """A one-sample training of the tiny chip with both float references: every Numba kernel a
    task runs is loaded from the cache (or compiled) in this worker."""
    from hwmodel.data.mnist import embedded_split
    from hwmodel.data.select import carve_validation, prepare
    from hwmodel.train.runs import run_training
    cfg = Config.load("tiny")
    prep = carve_validation(prepare(cfg, embedded_split(40, 10)), 10)
    run_training(cfg, prep, epochs=1, mode="both", float_reference=True, saturation=False, baselines=False)
    return os.getpid()


class LocalExecutor:
    """A ``concurrent.futures.ProcessPoolExecutor`` (forkserver on Linux: workers never inherit
    the parent's threads or locks)."""

    def __init__(self, jobs: int):
        import concurrent.futures as cf
        import multiprocessing as mp
        self._cf = cf
        ctx = mp.get_context("forkserver") if sys.platform.startswith("linux") else None
        self.ex = cf.ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_worker_init,
                                         initargs=(os.getpid(),))
        self.futs: dict[Any, dict] = {}
        self.seen: set = set()

    def submit(self, tasks: list[dict]) -> None:
        for t in tasks:
            self.futs[self.ex.submit(run_task, t)] = t

    def warm_up(self, jobs: int) -> None:
        """Start the workers and load (or compile) their kernels before the first task, so that
        every task's time is its own and the progress bar's first ETA is not a start-up's."""
        from hwmodel.util.parallel import result
        for f in [self.ex.submit(_warm_task) for _ in range(jobs)]:
            result(f)

    def completed(self):
        """(task, row, exception) for every not yet reported, not cancelled task, as it finishes."""
        from hwmodel.util.parallel import wait_for
        pending = [f for f in self.futs if f not in self.seen and not f.cancelled()]
        while pending:       # not as_completed: a Ctrl-C is raised here within parallel.POLL
            done, _ = wait_for(pending, "FIRST_COMPLETED")
            for f in [f for f in pending if f in done]:
                pending.remove(f)
                self.seen.add(f)
                if f.cancelled():
                    continue
                exc = f.exception()
                yield self.futs[f], (None if exc else f.result()), exc

    def cancel_pending(self) -> int:
        """Cancel the tasks not started; return how many are still running."""
        for f in self.futs:
            if f not in self.seen:
                f.cancel()
        return sum(1 for f in self.futs if f not in self.seen and not f.cancelled())

    def close(self, abort: bool = False) -> None:
        if abort:
            for proc in list(getattr(self.ex, "_processes", {}).values()):
                proc.terminate()
        self.ex.shutdown(wait=True, cancel_futures=True)


def _connect(Client, scheduler: str, timeout: float):
    """``Client(scheduler)`` within ``timeout`` seconds whatever listens there: Dask's own timeout
    does not cover a TCP service that accepts the connection and never answers Dask's handshake
    (it hung for good), so the client is made in a daemon thread and abandoned past the deadline."""
    import threading
    box: dict[str, Any] = {}

    def make():
        try:
            box["client"] = Client(scheduler, timeout=timeout)
        except BaseException as e:  # noqa: BLE001 - handed to the caller
            box["error"] = e
    th = threading.Thread(target=make, name="dask-connect", daemon=True)
    th.start()
    th.join(timeout + 1.0)
    if th.is_alive():
        raise TimeoutError("no answer to Dask's handshake (is it a Dask scheduler?)")
    if "error" in box:
        raise box["error"]
    return box["client"]


class DaskExecutor:
    """``distributed.Client(ADDRESS)``, or a LocalCluster of ``jobs`` one-thread processes."""

    def __init__(self, scheduler: str | None, jobs: int, timeout: float = 10.0):
        import logging
        try:
            from distributed import Client, LocalCluster
        except ImportError as e:
            raise SchedulerError(f"--executor dask needs the 'distributed' package: {e}") from None
        self.cluster = None
        log = logging.getLogger("distributed")
        level = log.level
        log.setLevel(logging.CRITICAL)  # the failure is reported as one line, below
        try:
            if scheduler:
                self.client = _connect(Client, scheduler, timeout)
            else:
                self.cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                                            host="127.0.0.1", dashboard_address=None)
                self.client = Client(self.cluster)
        except Exception as e:  # noqa: BLE001 - OSError, TimeoutError, ValueError (bad address), ...
            msg = str(e).splitlines()[0] if str(e) else type(e).__name__
            if self.cluster is not None:
                self.cluster.close()
            if scheduler:
                raise SchedulerError(f"cannot reach the Dask scheduler '{scheduler}' within {timeout:g} s: "
                                     f"{msg}") from None
            raise SchedulerError(f"cannot start a local Dask cluster: {msg}") from None
        finally:
            log.setLevel(level)
        self.futs: dict[str, tuple[Any, dict]] = {}
        self.seen: set[str] = set()

    def submit(self, tasks: list[dict]) -> None:
        for t in tasks:
            f = self.client.submit(run_task, t, pure=False)
            self.futs[f.key] = (f, t)

    def completed(self):
        from distributed import as_completed
        pending = [f for k, (f, _) in self.futs.items() if k not in self.seen and not f.cancelled()]
        if not pending:
            return
        for f in as_completed(pending):
            self.seen.add(f.key)
            t = self.futs[f.key][1]
            if f.cancelled():
                continue
            if f.status == "error":
                yield t, None, f.exception()
            else:
                yield t, f.result(), None

    def cancel_pending(self) -> int:
        for k, (f, _) in self.futs.items():
            if k not in self.seen:
                f.cancel()
        return 0

    def close(self, abort: bool = False) -> None:
        for k, (f, _) in self.futs.items():
            if k not in self.seen:
                f.cancel()
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
