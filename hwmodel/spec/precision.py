"""Integer precisions written as text: ``s8``, ``u4``, ``fixed<8,1>``, ``ufixed<8,0>``.

A precision is a container width plus a signedness; the optional integer-bit count only labels
the real-valued reading of a quantity (value / 2**frac_bits) in reports. It never changes the
integer arithmetic, which docs/spec.md defines. Text round-trips exactly:
``str(Precision.parse(t)) == t`` for every canonical text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_SIMPLE = re.compile(r"^([su])(\d+)$")
_FIXED = re.compile(r"^(u?)fixed<\s*(\d+)\s*,\s*(-?\d+)\s*>$")


class PrecisionError(ValueError):
    """A precision text that cannot be parsed or is out of range."""


@dataclass(frozen=True)
class Precision:
    bits: int
    signed: bool = True
    int_bits: int | None = None  # None: plain integer (sN/uN); else fixed<bits,int_bits>

    def __post_init__(self) -> None:
        if not 1 <= self.bits <= 64:
            raise PrecisionError(f"precision {self}: bits must be 1..64")

    @classmethod
    def parse(cls, text: str) -> "Precision":
        t = str(text).strip()
        m = _SIMPLE.match(t)
        if m:
            return cls(int(m.group(2)), m.group(1) == "s")
        m = _FIXED.match(t)
        if m:
            return cls(int(m.group(2)), m.group(1) == "", int(m.group(3)))
        raise PrecisionError(
            f"precision {text!r}: expected sN, uN, fixed<W,I> or ufixed<W,I>")

    def __str__(self) -> str:
        if self.int_bits is None:
            return f"{'s' if self.signed else 'u'}{self.bits}"
        return f"{'' if self.signed else 'u'}fixed<{self.bits},{self.int_bits}>"

    @property
    def frac_bits(self) -> int:
        return 0 if self.int_bits is None else self.bits - self.int_bits

    @property
    def min(self) -> int:
        return -(1 << (self.bits - 1)) if self.signed else 0

    @property
    def max(self) -> int:
        return (1 << (self.bits - 1)) - 1 if self.signed else (1 << self.bits) - 1

    def to_real(self, value):
        """Real-valued reading of an integer (or array) in this precision."""
        return value / float(1 << self.frac_bits) if self.frac_bits >= 0 else value * float(1 << -self.frac_bits)
