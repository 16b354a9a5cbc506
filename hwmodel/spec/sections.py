"""The sections of a configuration (docs/spec.md §2, §15, §16): input, conv front end, hidden and output
layers, rounding, encoder; the organisation fields of an FC layer and the original one-hidden-layer
layout's names."""
from __future__ import annotations

from dataclasses import dataclass, fields

from hwmodel.spec.precision import Precision


ROUNDING_MODES = ("truncate", "nearest", "stochastic")
ENCODINGS = ("ttfs", "rate")


class ConfigError(ValueError):
    """An invalid configuration; the message names the offending key."""


@dataclass(frozen=True)
class InputCfg:
    width: int = 28
    height: int = 28
    channels: int = 1


@dataclass(frozen=True)
class ConvCfg:
    channels: int = 8
    kernel: int = 5
    stride: int = 2
    padding: int = 0
    pool: int = 1
    weight: str = "s4"
    potential: str = "s10"
    threshold: int = 12
    init: str = "random"     # kernel contents: "random" (spec §3 stream 1) or "identity" (pass-through)


class _FcBits:
    """Bit widths of an FC layer's weight and accumulator precisions and its organisation (spec
    §16: lanes, weight-memory banks and ports), shared by both roles."""
    weight: str
    accumulator: str
    lanes: int
    weight_banks: int
    weight_ports: str

    @property
    def groups(self) -> int:
        """G = ceil(N / P): words per input row of the weight memory (spec §16)."""
        return -(-self.neurons // self.lanes)

    @property
    def wb(self) -> int:
        return Precision.parse(self.weight).bits

    @property
    def ab(self) -> int:
        return Precision.parse(self.accumulator).bits


@dataclass(frozen=True)
class HiddenCfg(_FcBits):
    """One hidden layer (spec §15): hard-tanh units trained with DRTP from their own B."""
    neurons: int = 128
    weight: str = "s8"
    accumulator: str = "s16"
    activation: str = "s8"
    act_shift: int = 0
    init_bound: int = 9
    lr_shift: int = 3
    b: str = "s2"
    lanes: int = 1
    weight_banks: int = 1
    weight_ports: str = "1r1w"
    learn: bool = True        # false: the layer keeps its weights; no B LUT, dact, update lanes, LFSRs

    @property
    def yb(self) -> int:
        return Precision.parse(self.activation).bits

    @property
    def bb(self) -> int:
        return Precision.parse(self.b).bits

    @property
    def ymax(self) -> int:
        return (1 << (self.yb - 1)) - 1


@dataclass(frozen=True)
class OutputCfg(_FcBits):
    """The output layer (spec §8, §15): sigmoid LUT, argmax, trained with its own error."""
    neurons: int = 10
    weight: str = "s8"
    accumulator: str = "s20"
    sig_shift: int = 11
    lut_bits: int = 6
    lut_frac: int = 2
    output: str = "u8"
    init_bound: int = 14
    lr_shift: int = 15
    lanes: int = 1
    weight_banks: int = 1
    weight_ports: str = "1r1w"
    learn: bool = True        # false: the output layer keeps its weights; no error, update lanes, LFSRs

    @property
    def ob(self) -> int:
        return Precision.parse(self.output).bits

    @property
    def one(self) -> int:
        return (1 << self.ob) - 1


@dataclass(frozen=True)
class DrtpCfg:
    rounding: str = "stochastic"


# the optional keys of an FC layer, not written when at their defaults, so files without them keep
# their meaning and bytes: the organisation (spec §16) and the learning scope (spec §15, ``learn``)
ORG_FIELDS = ("lanes", "weight_banks", "weight_ports", "learn")
ORG_DEFAULTS = {"lanes": 1, "weight_banks": 1, "weight_ports": "1r1w", "learn": True}
WEIGHT_PORTS = ("1r1w", "1rw")
# the original one-hidden-layer layout: section -> {key: (layer, field)}
LEGACY = {
    "fc1": {k: ("hidden", k) for k in ("neurons", "weight", "accumulator", "activation", "act_shift",
                                       "init_bound") + ORG_FIELDS},
    "fc2": {k: ("output", k) for k in ("neurons", "weight", "accumulator", "sig_shift", "lut_bits",
                                       "lut_frac", "output", "init_bound") + ORG_FIELDS},
    "drtp": {"b": ("hidden", "b"), "lr_shift_fc1": ("hidden", "lr_shift"),
             "lr_shift_fc2": ("output", "lr_shift"), "rounding": ("drtp", "rounding")},
}
HIDDEN_FIELDS = tuple(f.name for f in fields(HiddenCfg))
OUTPUT_FIELDS = tuple(f.name for f in fields(OutputCfg))


class DepthError(ConfigError):
    """A one-hidden-layer name used with a stack of another depth."""


@dataclass(frozen=True)
class EncodingCfg:
    kind: str = "ttfs"
    threshold: int = 0
    rate_steps: int = 8


# plain sections (one table each, same in both layouts)
CONV_INITS = ("random", "identity")
PLAIN = {"input": InputCfg, "conv": ConvCfg, "encoding": EncodingCfg}
# every top-level table a file may hold, in the order files are written
SECTIONS = {"input": InputCfg, "conv": ConvCfg, "fc1": None, "fc2": None, "drtp": DrtpCfg,
            "encoding": EncodingCfg}
