"""hwmodel.util.parallel: results in item order whatever order the runs finish in; one failing or
interrupted run stops the others at their next check and is raised to the caller."""
import threading
import time

import pytest

from hwmodel.util.parallel import check, map_threads


def test_results_come_in_item_order():
    finished = []

    def fn(item, stop):
        time.sleep(0.3 if item == 0 else 0.0)          # the first item finishes last
        finished.append(item)
        return item * 10
    seen = []
    assert list(map_threads(fn, [0, 1, 2], 3, lambda it, r: seen.append(it))) == [0, 10, 20]
    assert finished[-1] == 0 and sorted(seen) == [0, 1, 2]
    assert list(map_threads(fn, [2, 1], 1)) == [20, 10]


def test_an_interrupted_run_stops_the_others():
    stopped = threading.Event()

    def fn(item, stop):
        if item == 0:
            time.sleep(0.1)
            raise KeyboardInterrupt
        t0 = time.time()
        try:
            while time.time() - t0 < 20:               # a long run that checks between epochs
                check(stop)
                time.sleep(0.01)
        except KeyboardInterrupt:
            stopped.set()
            raise
        return item
    t0 = time.time()
    with pytest.raises(KeyboardInterrupt):
        list(map_threads(fn, [0, 1], 2))
    assert stopped.is_set() and time.time() - t0 < 5


def test_maps_sharing_cores_run_at_most_jobs_runs_and_stop_together():
    """Two maps at once on one ``Share`` of 2 slots: never more than 2 runs in progress (though
    each map may start 2 threads); an error in one map stops the other map's runs too."""
    from concurrent.futures import ThreadPoolExecutor
    from hwmodel.util.parallel import Share
    share = Share(2)
    lock, busy, peak = threading.Lock(), [0], [0]

    def fn(item, stop):
        with lock:
            busy[0] += 1
            peak[0] = max(peak[0], busy[0])
        time.sleep(0.05)
        with lock:
            busy[0] -= 1
        return item
    with ThreadPoolExecutor(2) as ex:
        a = ex.submit(lambda: list(map_threads(fn, range(6), 2, share=share)))
        b = ex.submit(lambda: list(map_threads(fn, range(6, 12), 2, share=share)))
        assert a.result() == list(range(6)) and b.result() == list(range(6, 12))
    assert peak[0] == 2

    share = Share(2)
    stopped = threading.Event()

    def failing(item, stop):
        time.sleep(0.1)
        raise ValueError("run failed")

    def long(item, stop):
        t0 = time.time()
        try:
            while time.time() - t0 < 20:
                check(stop)
                time.sleep(0.01)
        except KeyboardInterrupt:
            stopped.set()
            raise
    t0 = time.time()
    with ThreadPoolExecutor(2) as ex:
        b = ex.submit(lambda: list(map_threads(long, [0], 2, share=share)))
        a = ex.submit(lambda: list(map_threads(failing, [1], 2, share=share)))
        with pytest.raises(ValueError, match="run failed"):
            a.result()
        with pytest.raises(KeyboardInterrupt):
            b.result()
    assert stopped.is_set() and time.time() - t0 < 5


def _sigint_to_own_thread():
    """A real SIGINT delivered to the calling (non-main) thread, as Linux may deliver a Ctrl-C to
    any thread of the process; Python runs its handler in the main thread."""
    import signal
    signal.pthread_kill(threading.get_ident(), signal.SIGINT)


@pytest.mark.parametrize("delay", [0.0, 0.3])
def test_a_ctrl_c_received_by_a_run_thread_stops_the_waiting_map_at_once(delay):
    """The main thread waits for the runs in slices (``wait_for``): a Ctrl-C that another thread
    received is raised in it within ``POLL``, and the stop reaches the runs; a main thread blocked
    in ``f.result()`` would hear it only when the run ended by itself (20 s here). ``delay`` 0:
    the Ctrl-C arrives while the runs are being submitted; 0.3 s: while the main thread waits."""
    import signal
    saw_stop = []

    def fn(item, stop):
        if item == 0:
            time.sleep(delay)
            _sigint_to_own_thread()
            saw_stop.append(stop.wait(20))            # True once the map sets stop
        return item
    old = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        t0 = time.time()
        with pytest.raises(KeyboardInterrupt):
            list(map_threads(fn, [0, 1], 2))
        assert time.time() - t0 < 5 and saw_stop == [True]
    finally:
        signal.signal(signal.SIGINT, old)


@pytest.mark.parametrize("delay", [0.0, 0.3])
def test_concurrent_searches_hear_a_ctrl_c_received_by_a_search_thread(delay):
    """``train``'s two float searches at once: a Ctrl-C received by one search's thread stops both
    within moments (a main thread blocked until both searches end lost it: they completed and the
    Ctrl-C arrived after them). ``delay``: as in the test above."""
    import signal
    from hwmodel.train.runs import _concurrent_searches
    stopped = []

    def search(algo, share):
        if algo == "bp":
            time.sleep(delay)
            _sigint_to_own_thread()
        t0 = time.time()
        while time.time() - t0 < 20:
            if share.stop.is_set():
                stopped.append(algo)
                raise KeyboardInterrupt
            time.sleep(0.01)
        return algo
    old = signal.signal(signal.SIGINT, signal.default_int_handler)
    done: dict = {}
    try:
        t0 = time.time()
        with pytest.raises(KeyboardInterrupt):
            _concurrent_searches(["drtp", "bp"], search, 2, done)
        assert time.time() - t0 < 5 and sorted(stopped) == ["bp", "drtp"] and done == {}
    finally:
        signal.signal(signal.SIGINT, old)


def test_wait_for_returns_as_concurrent_futures_wait_would():
    from concurrent.futures import ThreadPoolExecutor
    from hwmodel.util.parallel import result, wait_for

    def boom():
        time.sleep(0.25)
        raise ValueError("x")
    with ThreadPoolExecutor(3) as ex:
        slow, fast, bad = ex.submit(time.sleep, 3), ex.submit(time.sleep, 0.3), ex.submit(boom)
        done, pending = wait_for([slow, fast], "FIRST_COMPLETED")
        assert done == {fast} and pending == {slow}
        done, pending = wait_for([slow, bad], "FIRST_EXCEPTION")
        assert done == {bad} and pending == {slow}
        assert result(slow) is None and slow.done()
        done, pending = wait_for([slow, fast, bad])
        assert pending == set() and len(done) == 3
