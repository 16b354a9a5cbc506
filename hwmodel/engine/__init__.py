"""The bit-accurate Numba model of the chip (docs/spec.md §3–§11, §15, §16): integer helpers
(``arith``, rtl/round_shift.v and rtl/lfsr32.v), the kernels of one sample (``kernel``,
rtl/controller.v, conv_core.v, fc_layer.v) and the whole-chip state (``processor``, rtl/spoon_top.v)."""
