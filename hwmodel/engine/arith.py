"""Integer helpers of the Numba kernels (docs/spec.md §3, §9). RTL twins: rtl/round_shift.v, rtl/lfsr32.v.

Every saturation, shift and rounding of the spec is one function here, compiled with Numba and
also callable from plain Python (``.py_func``: the ROM generators and the RTL unit benches use the
kernels' own code; the naive reference in tests/naive writes these rules again, independently).
Values are carried in int64: the widest spec product (s17 x s16) is far below 2**63, so the
container never wraps; every narrowing to a hardware width is an explicit ``sat``.
"""
from __future__ import annotations

from numba import njit

TRUNCATE, NEAREST, STOCHASTIC = 0, 1, 2
ROUNDING_CODES = {"truncate": TRUNCATE, "nearest": NEAREST, "stochastic": STOCHASTIC}

LFSR_TAPS = 0x80200003  # x^32 + x^22 + x^2 + x + 1, right-shifting Galois form
MASK32 = 0xFFFFFFFF


@njit(cache=True, inline="always")
def sat(v, bits):
    """Clamp v to the range of a signed ``bits``-bit integer (hardware: saturating adder)."""
    hi = (1 << (bits - 1)) - 1
    lo = -(1 << (bits - 1))
    if v > hi:
        return hi
    if v < lo:
        return lo
    return v


@njit(cache=True, inline="always")
def lfsr_step(s):
    """One step of the 32-bit Galois LFSR (spec §3). s is a non-zero u32 held in an int64."""
    lsb = s & 1
    s = s >> 1
    if lsb:
        s = s ^ LFSR_TAPS
    return s


@njit(cache=True, inline="always")
def round_shift(u, s, mode, lfsr):
    """R(u, s) of spec §9. Returns (rounded value, new LFSR state).

    The LFSR steps only in stochastic mode; the random bits are taken after the step.
    """
    if mode == TRUNCATE:
        return u >> s, lfsr
    if mode == NEAREST:
        if s == 0:
            return u, lfsr
        return (u + (1 << (s - 1))) >> s, lfsr
    lfsr = lfsr_step(lfsr)
    return (u + (lfsr & ((1 << s) - 1))) >> s, lfsr


@njit(cache=True, inline="always")
def sext(v, bits):
    """Sign-extend the low ``bits`` bits of v."""
    v = v & ((1 << bits) - 1)
    if v >= (1 << (bits - 1)):
        v -= 1 << bits
    return v
