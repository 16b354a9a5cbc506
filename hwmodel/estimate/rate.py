"""The classification rate power and leakage are figured at (docs/estimate.md §2): SPOON's, the
processor's own throughput when that is lower, or the user's, checked against the throughput."""
from __future__ import annotations

import math

SPOON_LATENCY_MS = 0.12      # docs/sources.md §5: SPOON's latency per classification
DEFAULT_RATE_HZ = 1000.0 / SPOON_LATENCY_MS   # one classification per SPOON latency (8,333 /s)
DEFAULT_CLOCK_MHZ = 100.0   # SPOON's 0.12 ms = 12,000 cycles at 100 MHz (docs/sources.md §5)


def default_rate(cycles_per_classification: float, clock_mhz: float) -> tuple[float, str]:
    """The rate power and leakage are figured at when none is given: SPOON's (one classification
    per 0.12 ms, ``DEFAULT_RATE_HZ``), or the processor's own throughput at ``clock_mhz`` if that
    is lower (a hair below it, so that the chip is busy all the time but never over-booked).
    Returns (classifications per second, "spoon_latency" or "throughput")."""
    if cycles_per_classification <= 0:
        return DEFAULT_RATE_HZ, "spoon_latency"
    own = clock_mhz * 1e6 / cycles_per_classification * (1 - 1e-9)
    return (DEFAULT_RATE_HZ, "spoon_latency") if DEFAULT_RATE_HZ <= own else (own, "throughput")


def resolve_rate(rate: float | None, cycles_per_classification: float, clock_mhz: float,
                 notes: list[str]) -> tuple[float, str]:
    """(rate, its source: "spoon_latency", "throughput" or "given"). None: ``default_rate``, with a
    note when the throughput was taken. A given rate beyond the throughput is a ``ValueError``
    naming the largest rate and the smallest clock that work."""
    cyc = cycles_per_classification
    if rate is None:
        rate, source = default_rate(cyc, clock_mhz)
        if source == "throughput":
            notes.append(f"rate: the processor's own throughput, {rate:,.0f} classifications/s at {clock_mhz:g} MHz "
                         f"({cyc:,.0f} cycles each), lower than SPOON's {DEFAULT_RATE_HZ:,.0f}/s")
        return rate, source
    load = rate * cyc / (clock_mhz * 1e6)
    if load > 1:
        raise ValueError(f"--rate {rate:g}/s needs {load:.2f}x the processor's throughput ({cyc:,.0f} cycles per "
                         f"classification at {clock_mhz:g} MHz): give --rate {_floor3(clock_mhz * 1e6 / cyc):g} or "
                         f"less, --clock {_ceil3(rate * cyc * 1e-6):g} or more, or no --rate (the chip's own "
                         f"throughput when SPOON's rate is too fast)")
    return rate, "given"


def _floor3(x: float) -> float:
    """x rounded down to 3 significant digits (a rate that surely fits)."""
    e = 10 ** (math.floor(math.log10(x)) - 2)
    return math.floor(x / e) * e


def _ceil3(x: float) -> float:
    """x rounded up to 3 significant digits (a clock that surely suffices)."""
    e = 10 ** (math.floor(math.log10(x)) - 2)
    return math.ceil(x / e) * e
