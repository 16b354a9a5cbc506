"""Every rule of a configuration (docs/spec.md §2, §15, §16), checked once when it is built: the first
broken one raises a ``ConfigError`` whose one-line message names the key."""
from __future__ import annotations

from dataclasses import fields
from typing import TYPE_CHECKING, Any, Callable

from hwmodel.spec.precision import Precision, PrecisionError
from hwmodel.spec.sections import (CONV_INITS, ENCODINGS, PLAIN, ROUNDING_MODES, WEIGHT_PORTS, ConfigError,
                                   EncodingCfg, HiddenCfg, OutputCfg)

if TYPE_CHECKING:  # annotations only: config.py imports this module
    from hwmodel.spec.config import Config


def _coerce(key: str, v: Any, typ: Any) -> Any:
    t = typ if isinstance(typ, str) else getattr(typ, "__name__", str(typ))
    if t == "bool":
        if isinstance(v, bool):
            return v
        if isinstance(v, str) and v.strip().lower() in ("true", "false"):
            return v.strip().lower() == "true"
        raise ConfigError(f"config: '{key}' must be true or false, got {v!r}")
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
    """Every rule of the configuration, in the order of its sections; the first broken one raises
    a ConfigError naming its key (with one hidden layer, by the original names)."""
    _validate_front(cfg)
    hkey, okey = _key_names(cfg)
    in_bits, in_name = _validate_hidden(cfg, hkey)
    _validate_output(cfg, okey, in_bits, in_name)
    _validate_rest(cfg)


def _validate_front(cfg: Config) -> None:
    """The seed, the input and the conv front end."""
    i, c = cfg.input, cfg.conv
    _coerce("seed", cfg.seed, "int")
    for sec, cls in PLAIN.items():
        for f in fields(cls):
            _coerce(f"{sec}.{f.name}", getattr(getattr(cfg, sec), f.name), f.type)
    if not isinstance(cfg.hidden, tuple) or not all(isinstance(h, HiddenCfg) for h in cfg.hidden):
        raise ConfigError("config: 'hidden' must be a tuple of hidden layers")
    _check(cfg.depth <= 16, "hidden.sizes", f"= {cfg.depth} hidden layers: at most 16")
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
    _check(c.init in CONV_INITS, "conv.init", f"= {c.init!r}: must be one of {', '.join(CONV_INITS)}")
    if c.init == "identity":  # pixel pass-through (spec §3): one event -> one spike at its pixel
        _check(c.kernel == 1 and c.channels == i.channels, "conv.init",
               f"= 'identity' needs conv.kernel = 1 and conv.channels = input.channels ({i.channels}), "
               f"got kernel {c.kernel}, channels {c.channels}")
        _check(c.threshold <= wc.max, "conv.init",
               f"= 'identity': conv.threshold {c.threshold} must be at most the kernel weight {wc.max} "
               f"(one event must fire its pixel)")


def _key_names(cfg: Config):
    """(hidden layer n's key of a field, the output layer's key of a field): with one hidden layer
    the original names (``fc1.weight``, ``drtp.b``), else ``hidden.N.FIELD`` / ``output.FIELD``."""
    one = cfg.depth == 1

    def hkey(n: int, f: str) -> str:
        if one:
            return {"b": "drtp.b", "lr_shift": "drtp.lr_shift_fc1"}.get(f, f"fc1.{f}")
        return f"hidden.{n}.{f}"

    def okey(f: str) -> str:
        if one:
            return "drtp.lr_shift_fc2" if f == "lr_shift" else f"fc2.{f}"
        return f"output.{f}"
    return hkey, okey


def _prec(key, val, lo, hi, signed=True) -> Precision:
    try:
        p = Precision.parse(val)
    except PrecisionError as err:
        raise ConfigError(f"config: '{key}': {err}") from None
    if signed:
        _check(p.signed, key, f"must be signed (sN), got {p}")
        _check(lo <= p.bits <= hi, key, f"= {p}: bits must be in {lo}..{hi}")
    return p


def _validate_hidden(cfg: Config, hkey) -> tuple[int, str]:
    """The hidden layers in order; returns the bits and the name of the output layer's inputs."""
    in_bits, in_name = 1, "binary conv spikes"
    for n, h in enumerate(cfg.hidden):
        for f in fields(HiddenCfg):
            _coerce(hkey(n, f.name), getattr(h, f.name), f.type)
        _check(1 <= h.neurons <= 1024, hkey(n, "neurons"), f"= {h.neurons}: must be in 1..1024")
        w = _prec(hkey(n, "weight"), h.weight, 2, 16)
        a = _prec(hkey(n, "accumulator"), h.accumulator, 2, 32)
        need = w.bits + (1 if in_bits == 1 else in_bits)
        _check(a.bits >= need, hkey(n, "accumulator"),
               f"= {a}: cannot hold {hkey(n, 'weight')} ({w}) times its inputs ({in_name}): needs >= s{need}")
        y = _prec(hkey(n, "activation"), h.activation, 2, 16)
        _check(0 <= h.act_shift < a.bits, hkey(n, "act_shift"), f"= {h.act_shift}: must be in 0..{a.bits - 1}")
        _check(0 <= h.init_bound <= w.max, hkey(n, "init_bound"), f"= {h.init_bound}: must be in 0..{w.max}")
        _check(0 <= h.lr_shift <= 30, hkey(n, "lr_shift"), f"= {h.lr_shift}: must be in 0..30")
        _prec(hkey(n, "b"), h.b, 1, 8)
        _check_org(h, lambda f, n=n: hkey(n, f), cfg.layer_inputs(n + 1)[0])
        in_bits, in_name = y.bits, f"{hkey(n, 'activation')} ({y})"
    return in_bits, in_name


def _validate_output(cfg: Config, okey, in_bits: int, in_name: str) -> None:
    one = cfg.depth == 1
    f2 = cfg.output
    for f in fields(OutputCfg):
        _coerce(okey(f.name), getattr(f2, f.name), f.type)
    _check(2 <= f2.neurons <= 64, okey("neurons"), f"= {f2.neurons}: must be in 2..64")
    w2 = _prec(okey("weight"), f2.weight, 2, 16)
    a2 = _prec(okey("accumulator"), f2.accumulator, 2, 40)
    need = w2.bits + (1 if in_bits == 1 else in_bits)
    if one:
        _check(a2.bits >= need, okey("accumulator"),
               f"= {a2}: cannot hold a product of fc2.weight ({w2}) and fc1.activation (s{in_bits}): needs >= s{need}")
    else:
        _check(a2.bits >= need, okey("accumulator"),
               f"= {a2}: cannot hold {okey('weight')} ({w2}) times its inputs ({in_name}): needs >= s{need}")
    _check(0 <= f2.sig_shift < a2.bits, okey("sig_shift"), f"= {f2.sig_shift}: must be in 0..{a2.bits - 1}")
    _check(2 <= f2.lut_bits <= 12, okey("lut_bits"), f"= {f2.lut_bits}: must be in 2..12")
    _check(0 <= f2.lut_frac <= f2.lut_bits, okey("lut_frac"), f"= {f2.lut_frac}: must be in 0..lut_bits")
    ob = _prec(okey("output"), f2.output, 0, 0, signed=False)
    _check(not ob.signed and 2 <= ob.bits <= 16, okey("output"), f"= {ob}: must be unsigned u2..u16")
    _check(0 <= f2.init_bound <= w2.max, okey("init_bound"), f"= {f2.init_bound}: must be in 0..{w2.max}")
    _check(0 <= f2.lr_shift <= 40, okey("lr_shift"), f"= {f2.lr_shift}: must be in 0..40")
    _check_org(f2, okey, cfg.layer_inputs(cfg.depth + 1)[0])


def _validate_rest(cfg: Config) -> None:
    """The rounding mode and the encoder."""
    d, e = cfg.drtp, cfg.encoding
    _coerce("drtp.rounding", d.rounding, "str")
    _check(d.rounding in ROUNDING_MODES, "drtp.rounding",
           f"= {d.rounding!r}: must be one of {', '.join(ROUNDING_MODES)}")
    for f in fields(EncodingCfg):
        _coerce(f"encoding.{f.name}", getattr(e, f.name), f.type)
    _check(e.kind in ENCODINGS, "encoding.kind", f"= {e.kind!r}: must be one of {', '.join(ENCODINGS)}")
    _check(0 <= e.threshold <= 254, "encoding.threshold", f"= {e.threshold}: must be in 0..254")
    _check(1 <= e.rate_steps <= 64, "encoding.rate_steps", f"= {e.rate_steps}: must be in 1..64")


def _check_org(layer: Any, key: Callable[[str], str], n_inputs: int) -> None:
    """The organisation fields of an FC layer (spec §16), with the layer's key names."""
    n = layer.neurons
    _check(1 <= layer.lanes <= n, key("lanes"), f"= {layer.lanes}: must be in 1..{n} (the layer's neurons)")
    words = (n_inputs + 1) * layer.groups
    b = layer.weight_banks
    _check(1 <= b <= 64 and b & (b - 1) == 0, key("weight_banks"), f"= {b}: must be a power of two in 1..64")
    _check(b <= words, key("weight_banks"), f"= {b}: more banks than the weight memory's {words} words")
    _check(layer.weight_ports in WEIGHT_PORTS, key("weight_ports"),
           f"= {layer.weight_ports!r}: must be one of {', '.join(WEIGHT_PORTS)}")
