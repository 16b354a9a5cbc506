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
