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
