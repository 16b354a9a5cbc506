"""Baselines: what do the hidden layers buy? The linear read-out (no hidden layer, its learning
rate and sigmoid shift chosen on validation) and the chip with its hidden layers frozen at their
initial weights, trained on the same samples in the same order.
"""
from __future__ import annotations

import numpy as np

from hwmodel.spec.config import Config
from hwmodel.data.select import Prepared

LINEAR_LR_STEPS = (-2, -1, 1, 2)


def run_baselines(cfg: Config, prep: Prepared, epochs: int, orders: list[np.ndarray],
                  conv_kernels: np.ndarray | None = None, progress=None, jobs: int = 1,
                  chips: dict | None = None, fronts: dict | None = None, share=None) -> dict:
    """The two integer baselines of the same data, split, seed, conv front end and sample order:

    - the *linear read-out*: no hidden layer, the output layer reads the conv spikes (spec §15,
      K = 0). Its inputs are 0/1 instead of activations up to YMAX, so its sigmoid shift and
      learning-rate shift are chosen on validation (a search over SS - (YB - 1) .. SS with the
      shift LR_out - (YB - 1), then LR_out - (YB - 1) + {-2, -1, 1, 2} at the best SS);
    - the *frozen-hidden* network: this config, the hidden layers keep their initial weights and
      only the output layer learns (with this config's shifts).

    The runs of each search step (and the frozen network) are independent: ``jobs`` threads run
    them, with the results of a serial search. ``fronts``: the conv front ends of the training,
    validation and test samples (``runs.front_ends``; every baseline has this config's conv),
    computed once instead of in every pass. Returns ``linear_*`` and ``frozen_*`` accuracies
    (test and validation) and the chosen shifts; ``chips`` (a dict) receives the two trained chips
    (``linear``, ``frozen``), e.g. to cost them. ``share``: a ``parallel.Share`` whose cores the
    runs share (``Beside``)."""
    from hwmodel.util.parallel import check, map_threads
    from hwmodel.engine.kernel import StackProcessor

    fr = fronts or {}

    def train(proc, stop):
        for e in range(epochs):
            check(stop)
            proc.run(prep.train, prep.y_train, learn=True, front=fr.get("train"), order=orders[e])
        return proc

    def acc(proc, batch, y, part):
        return None if batch is None or not len(y) else proc.copy().run(batch, front=fr.get(part)).accuracy(y)

    out: dict = {}
    yb = cfg.hidden[-1].yb if cfg.depth else 1
    o = cfg.output
    lr0 = max(0, o.lr_shift - (yb - 1))
    tried: dict[tuple[int, int], tuple] = {}

    def one(job, stop):
        if job is None:                    # the frozen-hidden network
            return train(StackProcessor.from_config(cfg, conv_kernels, frozen_hidden=True), stop)
        ss, lr = job
        c = cfg.replace(**{"hidden.sizes": "", "output.lr_shift": lr, "output.sig_shift": ss})
        p = train(StackProcessor.from_config(c, conv_kernels), stop)
        v = acc(p, prep.val, prep.y_val, "val")
        return (v if v is not None else -1.0, p)

    bump = None if progress is None else (lambda _j, _r: progress.update(1))
    sss = list(range(max(0, o.sig_shift - (yb - 1)), o.sig_shift + 1))
    step1 = [(ss, lr0) for ss in sss] + [None]
    *lin, fz = map_threads(one, step1, jobs, bump, share)
    tried.update(zip(step1[:-1], lin))
    best_ss = max(sss, key=lambda ss: (tried[(ss, lr0)][0], -ss))
    step2 = [(best_ss, lr0 + d) for d in LINEAR_LR_STEPS if 0 <= lr0 + d <= 40 and (best_ss, lr0 + d) not in tried]
    tried.update(zip(step2, map_threads(one, step2, jobs, bump, share)))
    (ss, lr), (v, best) = max(tried.items(), key=lambda kv: (kv[1][0], -abs(kv[0][1] - lr0)))
    out.update(linear_test_accuracy=acc(best, prep.test, prep.y_test, "test"),
               linear_val_accuracy=acc(best, prep.val, prep.y_val, "val"),
               linear_sig_shift=ss, linear_lr_shift=lr, linear_search_runs=len(tried),
               linear_weight_bits=(cfg.n_in + 1) * o.neurons * o.wb)
    out.update(frozen_test_accuracy=acc(fz, prep.test, prep.y_test, "test"),
               frozen_val_accuracy=acc(fz, prep.val, prep.y_val, "val"))
    if chips is not None:
        chips.update(linear=best, frozen=fz)
    return out


class Beside:
    """``run_baselines`` on a thread beside the on-chip run (``jobs`` > 1): its runs take the cores
    the chip leaves (a ``parallel.Share`` of ``jobs`` slots, one held by the chip until
    ``chip_done``), so the other cores do not idle through the on-chip epochs. The results are a
    serial search's (``map_threads`` keeps item order). ``result()`` waits for them; ``cancel()``
    stops them at their runs' next check and drops them (the on-chip run was interrupted)."""

    def __init__(self, cfg: Config, prep: Prepared, epochs: int, orders, conv_kernels, bar, jobs: int,
                 chips: dict | None, fronts: dict | None):
        from concurrent.futures import ThreadPoolExecutor
        from hwmodel.util.checks import no_sigint
        from hwmodel.util.parallel import Share
        self.bar = bar
        self.share = Share(jobs)
        self.share.slots.acquire()          # the on-chip run's core
        self._chip = True
        self._ex = ThreadPoolExecutor(1, thread_name_prefix="hwmodel-baselines")
        try:
            with no_sigint():               # a Ctrl-C inside submit() could leave the thread unjoined
                self._fut = self._ex.submit(run_baselines, cfg, prep, epochs, orders, conv_kernels, bar, jobs,
                                            chips=chips, fronts=fronts, share=self.share)
        except BaseException:               # the Ctrl-C deferred to here: stop the thread it started
            self.cancel()
            raise

    def chip_done(self) -> None:
        """The on-chip run ended: its core goes to the baselines."""
        if self._chip:
            self._chip = False
            self.share.slots.release()

    def result(self) -> dict:
        """The baselines' results; a Ctrl-C while waiting (or their error) stops them and is raised."""
        from hwmodel.util.parallel import result
        self.chip_done()
        try:
            return result(self._fut)
        except BaseException:
            self.share.stop.set()
            raise
        finally:
            self._ex.shutdown(wait=True)

    def cancel(self) -> None:
        """Stop the runs at their next check, wait for the thread and close the bar (after
        ``result()``: nothing is left to stop)."""
        self.share.stop.set()
        self.chip_done()
        self._ex.shutdown(wait=True)
        if self.bar is not None:
            self.bar.close()


def baseline_runs(cfg: Config) -> int:
    """How many trainings run_baselines makes at most (for a progress bar)."""
    yb = cfg.hidden[-1].yb if cfg.depth else 1
    return min(cfg.output.sig_shift, yb - 1) + 1 + len(LINEAR_LR_STEPS) + 1
