"""Statistics over seeds: the one t interval every result and report uses."""
from __future__ import annotations

import math

import numpy as np


def t_interval(values: list[float], level: float = 0.95) -> tuple[float | None, float | None, list[float] | None]:
    """(mean, sample std, [low, high]) of ``values``: the ``level`` interval of the mean from the
    t distribution with n - 1 degrees of freedom; std and interval are None for one value, and
    everything is None for none."""
    n = len(values)
    if n == 0:
        return None, None, None
    m = float(np.mean(values))
    if n < 2:
        return m, None, None
    sd = float(np.std(values, ddof=1))
    from scipy.stats import t as student_t
    h = float(student_t.ppf(0.5 + level / 2, n - 1)) * sd / math.sqrt(n)
    return m, sd, [m - h, m + h]
