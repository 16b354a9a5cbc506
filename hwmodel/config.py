"""The processor configuration: one validated, immutable object (docs/spec.md §2).

Loaded from TOML files or named presets (``hwmodel/presets/*.toml``); every field can be
overridden by its dotted name (``"fc1.weight"``), which is what sweeps use. Validation happens once,
here, and every violation is a ``ConfigError`` whose one-line message names the key.
"""
from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping

from .precision import Precision, PrecisionError

PRESET_DIR = Path(__file__).parent / "presets"
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


@dataclass(frozen=True)
class Fc1Cfg:
    neurons: int = 128
    weight: str = "s8"
    accumulator: str = "s16"
    activation: str = "s8"
    act_shift: int = 0
    init_bound: int = 9


@dataclass(frozen=True)
class Fc2Cfg:
    neurons: int = 10
    weight: str = "s8"
    accumulator: str = "s20"
    sig_shift: int = 11
    lut_bits: int = 6
    lut_frac: int = 2
    output: str = "u8"
    init_bound: int = 14


@dataclass(frozen=True)
class DrtpCfg:
    b: str = "s2"
    lr_shift_fc1: int = 3
    lr_shift_fc2: int = 15
    rounding: str = "stochastic"


@dataclass(frozen=True)
class EncodingCfg:
    kind: str = "ttfs"
    threshold: int = 0
    rate_steps: int = 8


SECTIONS = {"input": InputCfg, "conv": ConvCfg, "fc1": Fc1Cfg, "fc2": Fc2Cfg,
            "drtp": DrtpCfg, "encoding": EncodingCfg}


@dataclass(frozen=True)
class Config:
    name: str = "custom"
    seed: int = 0
    input: InputCfg = field(default_factory=InputCfg)
    conv: ConvCfg = field(default_factory=ConvCfg)
    fc1: Fc1Cfg = field(default_factory=Fc1Cfg)
    fc2: Fc2Cfg = field(default_factory=Fc2Cfg)
    drtp: DrtpCfg = field(default_factory=DrtpCfg)
    encoding: EncodingCfg = field(default_factory=EncodingCfg)

    def __post_init__(self) -> None:
        _validate(self)

    # ---- construction -------------------------------------------------------------------
    @classmethod
    def from_dict(cls, d: Mapping[str, Any], *, name: str | None = None) -> "Config":
        d = dict(d)
        kw: dict[str, Any] = {}
        for key in ("name", "seed"):
            if key in d:
                kw[key] = d.pop(key)
        if name is not None:
            kw["name"] = name
        for sec, sec_cls in SECTIONS.items():
            vals = d.pop(sec, {})
            if not isinstance(vals, Mapping):
                raise ConfigError(f"config: [{sec}] must be a table")
            known = {f.name: f for f in fields(sec_cls)}
            for k in vals:
                if k not in known:
                    raise ConfigError(f"config: unknown key '{sec}.{k}'")
            kw[sec] = sec_cls(**{k: _coerce(f"{sec}.{k}", v, known[k].type) for k, v in vals.items()})
        if d:
            raise ConfigError(f"config: unknown key '{sorted(d)[0]}'")
        return cls(**kw)

    @classmethod
    def from_toml(cls, path: str | Path, _seen: tuple[str, ...] = ()) -> "Config":
        """A config file. It lists every section and key, or names a ``base`` (preset name or
        TOML path, relative to the file) and lists only what differs from it; a file that leaves
        out a section or key without a ``base`` is an error (no silent built-in defaults)."""
        p = Path(path)
        data = read_toml(p, "config file", ConfigError)
        name = data.get("name", p.stem)
        if "base" in data:
            base_spec = data.pop("base")
            if not isinstance(base_spec, str) or not base_spec:
                raise ConfigError(f"config file '{p}': base must be a preset name or a TOML path")
            try:
                if base_spec.endswith(".toml") or "/" in base_spec:
                    bp = (p.parent / base_spec).resolve()
                    if str(bp) in _seen or bp == p.resolve():
                        raise ConfigError(f"'{base_spec}' includes itself")
                    base = cls.from_toml(bp, _seen + (str(p.resolve()),))
                else:
                    base = cls.preset(base_spec)
            except ConfigError as e:
                raise ConfigError(f"config file '{p}': base: {e}") from None
            merged = base.to_dict()
            for k, v in data.items():
                if k in SECTIONS:
                    if not isinstance(v, Mapping):
                        raise ConfigError(f"config file '{p}': [{k}] must be a table")
                    merged[k] = {**merged[k], **v}
                else:
                    merged[k] = v
            try:
                return cls.from_dict(merged, name=name)
            except ConfigError as e:
                raise ConfigError(f"config file '{p}': {e}") from None
        for k, v in data.items():  # unknown keys first: a typo is the likelier mistake
            if k not in SECTIONS and k not in ("name", "seed"):
                raise ConfigError(f"config file '{p}': unknown key '{k}'")
            if k in SECTIONS and isinstance(v, Mapping):
                known = {f.name for f in fields(SECTIONS[k])}
                for kk in v:
                    if kk not in known:
                        raise ConfigError(f"config file '{p}': unknown key '{k}.{kk}'")
        for sec, sec_cls in SECTIONS.items():
            vals = data.get(sec)
            if vals is None:
                raise ConfigError(f"config file '{p}': missing section [{sec}] (list every section and key, "
                                  f"or start the file with base = \"spoon\" and list only what differs)")
            if isinstance(vals, Mapping):
                missing = [f.name for f in fields(sec_cls) if f.name not in vals]
                if missing:
                    raise ConfigError(f"config file '{p}': missing key '{sec}.{missing[0]}' (list every key, "
                                      f"or start the file with base = \"spoon\" and list only what differs)")
        try:
            return cls.from_dict(data, name=name)
        except ConfigError as e:
            raise ConfigError(f"config file '{p}': {e}") from None

    @classmethod
    def preset(cls, name: str) -> "Config":
        p = PRESET_DIR / f"{name}.toml"
        if not p.is_file():
            raise ConfigError(f"unknown preset '{name}' (known: {', '.join(list_presets())})")
        return cls.from_toml(p)

    @classmethod
    def load(cls, spec: str | Path) -> "Config":
        """A preset name or a TOML file path."""
        s = str(spec)
        if s.endswith(".toml") or "/" in s:
            return cls.from_toml(s)
        return cls.preset(s)

    def replace(self, **dotted: Any) -> "Config":
        """A copy with fields overridden by dotted name: ``cfg.replace(**{"fc1.weight": "s6"})``."""
        d = self.to_dict()
        for key, val in dotted.items():
            parts = key.split(".")
            if len(parts) == 1 and parts[0] in ("seed", "name"):
                d[parts[0]] = val
            elif len(parts) == 2 and parts[0] in SECTIONS and parts[1] in d[parts[0]]:
                d[parts[0]][parts[1]] = val
            else:
                raise ConfigError(f"config: unknown key '{key}'")
        return Config.from_dict(d)

    def with_sets(self, items: list[str] | None, **extra: Any) -> "Config":
        """A copy with ``KEY=VALUE`` texts applied (the CLIs' ``--set``); integers are parsed."""
        overrides = dict(extra)
        for item in items or []:
            if "=" not in item:
                raise ConfigError(f"--set {item!r}: expected KEY=VALUE")
            k, v = (t.strip() for t in item.split("=", 1))
            overrides[k] = int(v) if v.lstrip("-").isdigit() else v
        return self.replace(**overrides) if overrides else self

    # ---- serialisation ------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_toml(self) -> str:
        d = self.to_dict()
        lines = [f'name = "{d.pop("name")}"', f'seed = {d.pop("seed")}']
        for sec in SECTIONS:
            lines.append(f"\n[{sec}]")
            for k, v in d[sec].items():
                lines.append(f'{k} = "{v}"' if isinstance(v, str) else f"{k} = {v}")
        return "\n".join(lines) + "\n"

    # ---- derived sizes (spec §2) --------------------------------------------------------
    @property
    def conv_out(self) -> int:
        c = self.conv
        return (self.input.width + 2 * c.padding - c.kernel) // c.stride + 1

    @property
    def spk_side(self) -> int:
        return self.conv_out // self.conv.pool

    @property
    def n_in(self) -> int:
        return self.spk_side ** 2 * self.conv.channels

    def prec(self, key: str) -> Precision:
        sec, k = key.split(".")
        return Precision.parse(getattr(getattr(self, sec), k))

    @property
    def bits(self) -> dict[str, int]:
        """Bit widths by spec symbol."""
        return {"WC": self.prec("conv.weight").bits, "PB": self.prec("conv.potential").bits,
                "W1B": self.prec("fc1.weight").bits, "A1B": self.prec("fc1.accumulator").bits,
                "YB": self.prec("fc1.activation").bits, "W2B": self.prec("fc2.weight").bits,
                "A2B": self.prec("fc2.accumulator").bits, "OB": self.prec("fc2.output").bits,
                "BB": self.prec("drtp.b").bits}

    @property
    def ymax(self) -> int:
        return (1 << (self.bits["YB"] - 1)) - 1

    @property
    def one(self) -> int:
        return (1 << self.bits["OB"]) - 1


def read_toml(path: str | Path, what: str, error: type[Exception]) -> dict[str, Any]:
    """Parse a TOML file; a missing file or bad TOML raises ``error`` with a one-line message
    starting with ``what`` and the path."""
    p = Path(path)
    try:
        return tomllib.loads(p.read_text())
    except FileNotFoundError:
        raise error(f"{what} '{p}' not found") from None
    except IsADirectoryError:
        raise error(f"{what} '{p}' is a directory") from None
    except UnicodeDecodeError:
        raise error(f"{what} '{p}': not a text file") from None
    except tomllib.TOMLDecodeError as e:
        raise error(f"{what} '{p}': invalid TOML: {e}") from None


def list_presets() -> list[str]:
    return sorted(p.stem for p in PRESET_DIR.glob("*.toml"))


def flat_keys() -> list[str]:
    """Every overridable dotted key."""
    return ["seed"] + [f"{s}.{f.name}" for s, c in SECTIONS.items() for f in fields(c)]


def _coerce(key: str, v: Any, typ: Any) -> Any:
    t = typ if isinstance(typ, str) else getattr(typ, "__name__", str(typ))
    if t == "int":
        if isinstance(v, bool) or not isinstance(v, int):
            if isinstance(v, str) and v.strip().lstrip("-").isdigit():
                return int(v)
            raise ConfigError(f"config: '{key}' must be an integer, got {v!r}")
        return v
    if not isinstance(v, str):
        raise ConfigError(f"config: '{key}' must be a string, got {v!r}")
    return v


def _check(cond: bool, key: str, msg: str) -> None:
    if not cond:
        raise ConfigError(f"config: '{key}' {msg}")


def _signed_prec(cfg: Config, key: str, lo: int, hi: int) -> Precision:
    try:
        p = cfg.prec(key)
    except PrecisionError as e:
        raise ConfigError(f"config: '{key}': {e}") from None
    _check(p.signed, key, f"must be signed (sN), got {p}")
    _check(lo <= p.bits <= hi, key, f"= {p}: bits must be in {lo}..{hi}")
    return p


def _validate(cfg: Config) -> None:
    i, c, f1, f2, d, e = cfg.input, cfg.conv, cfg.fc1, cfg.fc2, cfg.drtp, cfg.encoding
    for key, v in [("seed", cfg.seed)] + [(f"{s}.{f.name}", getattr(getattr(cfg, s), f.name))
                                          for s in SECTIONS for f in fields(SECTIONS[s])]:
        exp = "int" if key == "seed" else next(
            f.type for f in fields(SECTIONS[key.split(".")[0]]) if f.name == key.split(".")[1])
        _coerce(key, v, exp)
    _check(0 <= cfg.seed < 2**32, "seed", f"= {cfg.seed}: must be in 0..2^32-1")
    _check(i.channels in (1, 2), "input.channels", f"= {i.channels}: must be 1 or 2")
    _check(1 <= i.width <= 256, "input.width", f"= {i.width}: must be in 1..256")
    _check(i.height == i.width, "input.height", f"= {i.height}: must equal input.width ({i.width})")
    _check(1 <= c.channels <= 64, "conv.channels", f"= {c.channels}: must be in 1..64")
    _check(1 <= c.kernel <= 16, "conv.kernel", f"= {c.kernel}: must be in 1..16")
    _check(0 <= c.padding < c.kernel, "conv.padding", f"= {c.padding}: must be in 0..kernel-1")
    _check(c.kernel <= i.width + 2 * c.padding, "conv.kernel",
           f"= {c.kernel}: kernel larger than the padded input ({i.width}+2*{c.padding})")
    _check(1 <= c.stride <= c.kernel, "conv.stride", f"= {c.stride}: must be in 1..kernel")
    o = cfg.conv_out
    _check(1 <= c.pool <= o and o % c.pool == 0, "conv.pool",
           f"= {c.pool}: must divide the conv output side {o}")
    wc = _signed_prec(cfg, "conv.weight", 2, 16)
    pb = _signed_prec(cfg, "conv.potential", wc.bits + 1, 32)
    _check(1 <= c.threshold <= pb.max, "conv.threshold",
           f"= {c.threshold}: must be in 1..{pb.max} (potential {pb})")
    _check(1 <= f1.neurons <= 1024, "fc1.neurons", f"= {f1.neurons}: must be in 1..1024")
    w1 = _signed_prec(cfg, "fc1.weight", 2, 16)
    a1 = _signed_prec(cfg, "fc1.accumulator", w1.bits + 1, 32)
    _signed_prec(cfg, "fc1.activation", 2, 16)
    _check(0 <= f1.act_shift < a1.bits, "fc1.act_shift", f"= {f1.act_shift}: must be in 0..{a1.bits - 1}")
    _check(0 <= f1.init_bound <= w1.max, "fc1.init_bound", f"= {f1.init_bound}: must be in 0..{w1.max}")
    _check(2 <= f2.neurons <= 64, "fc2.neurons", f"= {f2.neurons}: must be in 2..64")
    w2 = _signed_prec(cfg, "fc2.weight", 2, 16)
    yb = cfg.prec("fc1.activation").bits
    a2 = _signed_prec(cfg, "fc2.accumulator", 2, 40)
    _check(a2.bits >= w2.bits + yb, "fc2.accumulator",
           f"= {a2}: cannot hold a product of fc2.weight ({w2}) and fc1.activation (s{yb}): needs >= s{w2.bits + yb}")
    _check(0 <= f2.sig_shift < a2.bits, "fc2.sig_shift", f"= {f2.sig_shift}: must be in 0..{a2.bits - 1}")
    _check(2 <= f2.lut_bits <= 12, "fc2.lut_bits", f"= {f2.lut_bits}: must be in 2..12")
    _check(0 <= f2.lut_frac <= f2.lut_bits, "fc2.lut_frac", f"= {f2.lut_frac}: must be in 0..lut_bits")
    try:
        ob = cfg.prec("fc2.output")
    except PrecisionError as err:
        raise ConfigError(f"config: 'fc2.output': {err}") from None
    _check(not ob.signed and 2 <= ob.bits <= 16, "fc2.output", f"= {ob}: must be unsigned u2..u16")
    _check(0 <= f2.init_bound <= w2.max, "fc2.init_bound", f"= {f2.init_bound}: must be in 0..{w2.max}")
    _signed_prec(cfg, "drtp.b", 1, 8)
    _check(0 <= d.lr_shift_fc1 <= 30, "drtp.lr_shift_fc1", f"= {d.lr_shift_fc1}: must be in 0..30")
    _check(0 <= d.lr_shift_fc2 <= 40, "drtp.lr_shift_fc2", f"= {d.lr_shift_fc2}: must be in 0..40")
    _check(d.rounding in ROUNDING_MODES, "drtp.rounding",
           f"= {d.rounding!r}: must be one of {', '.join(ROUNDING_MODES)}")
    _check(e.kind in ENCODINGS, "encoding.kind", f"= {e.kind!r}: must be one of {', '.join(ENCODINGS)}")
    _check(0 <= e.threshold <= 254, "encoding.threshold", f"= {e.threshold}: must be in 0..254")
    _check(1 <= e.rate_steps <= 64, "encoding.rate_steps", f"= {e.rate_steps}: must be in 1..64")
