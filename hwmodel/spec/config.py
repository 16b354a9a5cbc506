"""The processor configuration: one validated, immutable object (docs/spec.md §2).

Loaded from TOML files or named presets (``hwmodel/presets/*.toml``); every field can be
overridden by its dotted name (``"fc1.weight"``), which is what sweeps use. Validation happens once,
here, and every violation is a ``ConfigError`` whose one-line message names the key.

The FC part is a layer stack (docs/spec.md §15): ``hidden`` (zero or more hidden layers, in order)
and ``output``. Files and dictionaries come in two layouts:

* one hidden layer, the original layout: ``[fc1]`` (the hidden layer), ``[fc2]`` (the output
  layer) and ``[drtp]`` with ``b``, ``lr_shift_fc1``, ``lr_shift_fc2``, ``rounding``. A config
  with exactly one hidden layer is always written this way, so existing files, hashes and sweep
  rows stay byte-identical;
* any depth: ``[[hidden]]`` tables (``neurons, weight, accumulator, activation, act_shift,
  init_bound, lr_shift, b``), ``[output]`` (``neurons, weight, accumulator, sig_shift, lut_bits,
  lut_frac, output, init_bound, lr_shift``) and ``[drtp]`` with ``rounding`` only.

Dotted keys: ``hidden.sizes`` ("256,128"; "" for no hidden layer: the linear read-out) sets the
depth and the sizes (new layers copy the last hidden layer's other fields; a layer's ``lanes``
is capped at its new size); ``hidden.K.FIELD``
one hidden layer (0-based), ``hidden.FIELD`` every hidden layer, ``output.FIELD`` the output
layer. The original names ``fc1.*``, ``fc2.*``, ``drtp.b``, ``drtp.lr_shift_fc1/2`` (and the
attributes ``cfg.fc1``, ``cfg.fc2``, ``cfg.bits``, ``cfg.ymax``) mean the one-hidden-layer
stack; with another depth they are an error naming the new key to use.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping

from hwmodel.spec.precision import Precision
# the sections and their errors: importable from here too (``hwmodel.spec.config`` is the
# configuration's public module)
from hwmodel.spec.sections import (CONV_INITS, ENCODINGS, HIDDEN_FIELDS, LEGACY, ORG_DEFAULTS,
                                   ORG_FIELDS, OUTPUT_FIELDS, PLAIN, ROUNDING_MODES, SECTIONS, WEIGHT_PORTS,
                                   ConfigError, ConvCfg, DepthError, DrtpCfg, EncodingCfg, HiddenCfg,
                                   InputCfg, OutputCfg)
from hwmodel.spec.validate import _coerce, _validate
# the files: presets and TOML reading (importable from here too)
from hwmodel.spec.files import PRESET_DIR, list_presets, read_toml

__all__ = ["Config", "ConfigError", "DepthError", "InputCfg", "ConvCfg", "HiddenCfg", "OutputCfg", "DrtpCfg",
           "EncodingCfg", "CONV_INITS", "ENCODINGS", "ROUNDING_MODES", "SECTIONS", "WEIGHT_PORTS", "ORG_FIELDS",
           "PRESET_DIR", "read_toml", "list_presets", "flat_keys"]


@dataclass(frozen=True)
class Config:
    name: str = "custom"
    seed: int = 0
    input: InputCfg = field(default_factory=InputCfg)
    conv: ConvCfg = field(default_factory=ConvCfg)
    hidden: tuple[HiddenCfg, ...] = (HiddenCfg(),)
    output: OutputCfg = field(default_factory=OutputCfg)
    drtp: DrtpCfg = field(default_factory=DrtpCfg)
    encoding: EncodingCfg = field(default_factory=EncodingCfg)

    def __post_init__(self) -> None:
        _validate(self)

    # ---- construction -------------------------------------------------------------------
    @classmethod
    def from_dict(cls, d: Mapping[str, Any], *, name: str | None = None) -> "Config":
        """From either layout (module docstring); unknown keys are errors."""
        d = dict(d)
        kw: dict[str, Any] = {}
        for key in ("name", "seed"):
            if key in d:
                kw[key] = d.pop(key)
        if name is not None:
            kw["name"] = name
        for sec, sec_cls in PLAIN.items():
            kw[sec] = _section(sec, d.pop(sec, {}), sec_cls)
        legacy = any(k in d for k in ("fc1", "fc2")) or any(
            k in d.get("drtp", {}) for k in ("b", "lr_shift_fc1", "lr_shift_fc2")
            if isinstance(d.get("drtp"), Mapping))
        if legacy:
            if "hidden" in d or "output" in d:
                raise ConfigError("config: [fc1]/[fc2] (one hidden layer) and [[hidden]]/[output] "
                                  "cannot be mixed")
            h, o, r = {}, {}, {}
            for sec, keys in LEGACY.items():
                vals = d.pop(sec, {})
                if not isinstance(vals, Mapping):
                    raise ConfigError(f"config: [{sec}] must be a table")
                for k, v in vals.items():
                    if k not in keys:
                        raise ConfigError(f"config: unknown key '{sec}.{k}'")
                    layer, f = keys[k]
                    {"hidden": h, "output": o, "drtp": r}[layer][f] = v
            kw["hidden"] = (_section("fc1", h, HiddenCfg, legacy_sec={"b": "drtp.b", "lr_shift": "drtp.lr_shift_fc1"}),)
            kw["output"] = _section("fc2", o, OutputCfg, legacy_sec={"lr_shift": "drtp.lr_shift_fc2"})
            kw["drtp"] = _section("drtp", r, DrtpCfg)
        else:
            hl = d.pop("hidden", None)
            if hl is None and "output" in d:
                hl = []            # the stack layout without hidden tables: the linear read-out
            if hl is not None:
                if not isinstance(hl, (list, tuple)):
                    raise ConfigError("config: 'hidden' must be a list of tables ([[hidden]])")
                if len(hl) == 1:   # one hidden layer: messages use the original key names
                    kw["hidden"] = (_section("fc1", hl[0], HiddenCfg,
                                             legacy_sec={"b": "drtp.b", "lr_shift": "drtp.lr_shift_fc1"}),)
                else:
                    kw["hidden"] = tuple(_section(f"hidden.{n}", v, HiddenCfg) for n, v in enumerate(hl))
            if len(kw.get("hidden", (None,))) == 1:
                kw["output"] = _section("fc2", d.pop("output", {}), OutputCfg,
                                        legacy_sec={"lr_shift": "drtp.lr_shift_fc2"})
            else:
                kw["output"] = _section("output", d.pop("output", {}), OutputCfg)
            kw["drtp"] = _section("drtp", d.pop("drtp", {}), DrtpCfg)
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
            try:
                from hwmodel.spec.files import merge_onto
                return merge_onto(base, data, name)
            except ConfigError as e:
                raise ConfigError(f"config file '{p}': {e}") from None
        layout = _LAYOUT_STACK if ("hidden" in data or "output" in data) else _LAYOUT_LEGACY
        for k, v in data.items():  # unknown keys first: a typo is the likelier mistake
            if k not in layout and k not in ("name", "seed"):
                raise ConfigError(f"config file '{p}': unknown key '{k}'")
            tables = v if k == "hidden" and isinstance(v, list) else [v]
            for t in tables:
                if isinstance(t, Mapping) and layout.get(k) is not None:
                    for kk in t:
                        if kk not in layout[k] and kk not in OPTIONAL_KEYS.get(k, ()):
                            raise ConfigError(f"config file '{p}': unknown key '{k}.{kk}'")
        for sec, keys in layout.items():
            vals = data.get(sec)
            if vals is None:
                if sec == "hidden":
                    continue  # no [[hidden]] table: the linear read-out (zero hidden layers)
                raise ConfigError(f"config file '{p}': missing section [{sec}] (list every section and key, "
                                  f"or start the file with base = \"spoon\" and list only what differs)")
            tables = vals if sec == "hidden" and isinstance(vals, list) else [vals]
            for n, t in enumerate(tables):
                if isinstance(t, Mapping):
                    missing = [k for k in keys if k not in t]
                    if missing:
                        where = f"hidden.{n}" if sec == "hidden" else sec
                        raise ConfigError(f"config file '{p}': missing key '{where}.{missing[0]}' (list every key, "
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
        """A copy with fields overridden by dotted name: ``cfg.replace(**{"fc1.weight": "s6"})``,
        ``{"hidden.sizes": "64,32"}``, ``{"hidden.1.weight": "s6"}``, ``{"output.lr_shift": 12}``.
        ``hidden.sizes`` is applied first, so the other keys see the new depth."""
        name, seed = self.name, self.seed
        plain = {s: dataclasses.asdict(getattr(self, s)) for s in PLAIN}
        hidden = [dataclasses.asdict(h) for h in self.hidden]
        output = dataclasses.asdict(self.output)
        drtp = dataclasses.asdict(self.drtp)
        items = sorted(dotted.items(), key=lambda kv: kv[0] != "hidden.sizes")
        for key, val in items:
            parts = key.split(".")
            if key == "seed":
                seed = val
            elif key == "name":
                name = val
            elif len(parts) == 2 and parts[0] in PLAIN and parts[1] in plain[parts[0]]:
                plain[parts[0]][parts[1]] = val
            elif key == "hidden.sizes":
                sizes = _parse_sizes(val)
                proto = hidden[-1] if hidden else dataclasses.asdict(HiddenCfg())
                hidden = [{**(hidden[n] if n < len(hidden) else proto), "neurons": sz}
                          for n, sz in enumerate(sizes)]
                for h in hidden:      # a layer made narrower than its lanes runs fully parallel
                    h["lanes"] = min(h.get("lanes", 1), h["neurons"])
            elif len(parts) == 2 and parts[0] in LEGACY and parts[1] in LEGACY[parts[0]]:
                layer, f = LEGACY[parts[0]][parts[1]]
                if layer == "drtp":
                    drtp[f] = val
                    continue
                if len(hidden) != 1:
                    new = f"output.{f}" if layer == "output" else f"hidden.0.{f} or hidden.{f}"
                    raise DepthError(f"config: '{key}' names the one-hidden-layer stack; this one has "
                                     f"{len(hidden)} hidden layers: use '{new}'")
                (hidden[0] if layer == "hidden" else output)[f] = val
            elif len(parts) == 2 and parts[0] == "output" and parts[1] in OUTPUT_FIELDS:
                output[parts[1]] = val
            elif len(parts) == 2 and parts[0] == "hidden" and parts[1] in HIDDEN_FIELDS:
                for h in hidden:
                    h[parts[1]] = val
            elif (len(parts) == 3 and parts[0] == "hidden" and parts[1].isdigit()
                  and parts[2] in HIDDEN_FIELDS):
                n = int(parts[1])
                if n >= len(hidden):
                    raise ConfigError(f"config: '{key}': there are {len(hidden)} hidden layers "
                                      f"(hidden.0 .. hidden.{len(hidden) - 1})")
                hidden[n][parts[2]] = val
            else:
                raise ConfigError(f"config: unknown key '{key}'")
        return Config.from_dict({"name": name, "seed": seed, **plain, "hidden": hidden,
                                 "output": output, "drtp": drtp})

    def with_sets(self, items: list[str] | None, **extra: Any) -> "Config":
        """A copy with ``KEY=VALUE`` texts applied (the CLIs' ``--set``); integers are parsed."""
        overrides = dict(extra)
        for item in items or []:
            if "=" not in item:
                raise ConfigError(f"--set {item!r}: expected KEY=VALUE")
            k, v = (t.strip() for t in item.split("=", 1))
            overrides[k] = int(v) if v.lstrip("-").isdigit() and k != "hidden.sizes" else v
        return self.replace(**overrides) if overrides else self

    # ---- serialisation ------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The one-hidden-layer layout when depth = 1 (identical to the original files), the
        stack layout otherwise."""
        d: dict[str, Any] = {"name": self.name, "seed": self.seed,
                             "input": dataclasses.asdict(self.input),
                             "conv": dataclasses.asdict(self.conv)}
        if self.conv.init == "random":  # the default is not written: older files stay byte-identical
            d["conv"].pop("init")
        if self.depth == 1:
            h, o = self.hidden[0], self.output
            d["fc1"] = _drop_org_defaults({k: getattr(h, k) for k in LEGACY["fc1"]})
            d["fc2"] = _drop_org_defaults({k: getattr(o, k) for k in LEGACY["fc2"]})
            d["drtp"] = {"b": h.b, "lr_shift_fc1": h.lr_shift, "lr_shift_fc2": o.lr_shift,
                         "rounding": self.drtp.rounding}
        else:
            d["hidden"] = [_drop_org_defaults(dataclasses.asdict(h)) for h in self.hidden]
            d["output"] = _drop_org_defaults(dataclasses.asdict(self.output))
            d["drtp"] = dataclasses.asdict(self.drtp)
        d["encoding"] = dataclasses.asdict(self.encoding)
        return d

    def to_toml(self) -> str:
        d = self.to_dict()
        lines = [f'name = "{d.pop("name")}"', f'seed = {d.pop("seed")}']
        if d.get("hidden") == []:
            lines.append("hidden = []      # no hidden layer: the output layer reads the conv spikes")
            d.pop("hidden")

        def table(head, vals):
            lines.append(f"\n{head}")
            for k, v in vals.items():
                lines.append(f'{k} = "{v}"' if isinstance(v, str) else
                             f"{k} = {str(v).lower()}" if isinstance(v, bool) else f"{k} = {v}")
        for sec, vals in d.items():
            if sec == "hidden":
                for h in vals:
                    table("[[hidden]]", h)
            else:
                table(f"[{sec}]", vals)
        return "\n".join(lines) + "\n"

    # ---- the layer stack ----------------------------------------------------------------
    @property
    def depth(self) -> int:
        """Number of hidden layers K (0 = the output layer reads the conv spikes)."""
        return len(self.hidden)

    def _one_hidden(self, what: str) -> None:
        if self.depth != 1:
            raise DepthError(f"config '{self.name}' has {self.depth} hidden layers; '{what}' "
                             f"(and the parts of the tool that use it) needs exactly one")

    @property
    def fc1(self) -> HiddenCfg:
        """The hidden layer of a one-hidden-layer stack."""
        self._one_hidden("fc1")
        return self.hidden[0]

    @property
    def fc2(self) -> OutputCfg:
        """The output layer of a one-hidden-layer stack."""
        self._one_hidden("fc2")
        return self.output

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
        """Precision of a field by dotted name (either layout's names)."""
        parts = key.split(".")
        if parts[0] in PLAIN:
            return Precision.parse(getattr(getattr(self, parts[0]), parts[1]))
        if parts[0] in LEGACY:
            layer, f = LEGACY[parts[0]][parts[1]]
            self._one_hidden(key)
            return Precision.parse(getattr(self.hidden[0] if layer == "hidden" else self.output, f))
        if parts[0] == "output":
            return Precision.parse(getattr(self.output, parts[1]))
        return Precision.parse(getattr(self.hidden[int(parts[1])], parts[2]))

    @property
    def bits(self) -> dict[str, int]:
        """Bit widths by spec symbol (one-hidden-layer names; the conv ones at any depth)."""
        b = {"WC": self.prec("conv.weight").bits, "PB": self.prec("conv.potential").bits,
             "W2B": self.output.wb, "A2B": self.output.ab, "OB": self.output.ob}
        if self.depth != 1:
            return b      # W1B, A1B, YB, BB exist only for one hidden layer
        h = self.hidden[0]
        return {**b, "W1B": h.wb, "A1B": h.ab, "YB": h.yb, "BB": h.bb}

    @property
    def ymax(self) -> int:
        return self.fc1.ymax

    @property
    def one(self) -> int:
        return self.output.one

    def layer_inputs(self, k: int) -> tuple[int, int]:
        """(inputs N_{k-1} without the bias, input bits: 1 for spikes) of FC layer k = 1..K+1."""
        if k == 1:
            return self.n_in, 1
        prev = self.hidden[k - 2]
        return prev.neurons, prev.yb


# keys a complete file lists; OPTIONAL_KEYS may be left out (conv.init: "random" when absent, as in
# every older file)
OPTIONAL_KEYS = {"conv": ("init",), "fc1": ORG_FIELDS, "fc2": ORG_FIELDS, "hidden": ORG_FIELDS,
                 "output": ORG_FIELDS}
_LAYOUT_LEGACY = {"input": [f.name for f in fields(InputCfg)], "conv": [f.name for f in fields(ConvCfg) if f.name != "init"],
                  "fc1": [k for k in LEGACY["fc1"] if k not in ORG_FIELDS],
                  "fc2": [k for k in LEGACY["fc2"] if k not in ORG_FIELDS], "drtp": list(LEGACY["drtp"]),
                  "encoding": [f.name for f in fields(EncodingCfg)]}
_LAYOUT_STACK = {"input": _LAYOUT_LEGACY["input"], "conv": _LAYOUT_LEGACY["conv"],
                 "hidden": [k for k in HIDDEN_FIELDS if k not in ORG_FIELDS],
                 "output": [k for k in OUTPUT_FIELDS if k not in ORG_FIELDS], "drtp": ["rounding"],
                 "encoding": _LAYOUT_LEGACY["encoding"]}


def _drop_org_defaults(d: dict[str, Any]) -> dict[str, Any]:
    """A layer table without the organisation keys that are at their defaults (spec §16)."""
    return {k: v for k, v in d.items() if not (k in ORG_DEFAULTS and v == ORG_DEFAULTS[k])}


def _section(where: str, vals: Any, cls: type, legacy_sec: dict[str, str] | None = None):
    """A dataclass from a table; unknown keys are errors, values coerced to the field types."""
    if not isinstance(vals, Mapping):
        raise ConfigError(f"config: [{where}] must be a table")
    known = {f.name: f for f in fields(cls)}
    for k in vals:
        if k not in known:
            raise ConfigError(f"config: unknown key '{where}.{k}'")
    names = legacy_sec or {}
    return cls(**{k: _coerce(names.get(k, f"{where}.{k}"), v, known[k].type) for k, v in vals.items()})


def _parse_sizes(val: Any) -> list[int]:
    """``hidden.sizes``: "256,128", "256-128", [256, 128], 128, or "" / "none" (no hidden layer)."""
    if isinstance(val, bool):
        raise ConfigError(f"config: 'hidden.sizes' = {val!r}: expected sizes like \"256,128\"")
    if isinstance(val, int):
        items = [val]
    elif isinstance(val, (list, tuple)):
        items = list(val)
    elif isinstance(val, str):
        t = val.strip().lower()
        items = [] if t in ("", "none", "[]") else [x for x in t.replace("-", ",").replace(" ", "").split(",")]
    else:
        raise ConfigError(f"config: 'hidden.sizes' = {val!r}: expected sizes like \"256,128\"")
    out = []
    for x in items:
        try:
            n = int(x)
        except (TypeError, ValueError):
            raise ConfigError(f"config: 'hidden.sizes' = {val!r}: {x!r} is not a layer size") from None
        out.append(n)
    return out


def flat_keys() -> list[str]:
    """Every overridable dotted key (``hidden.K.FIELD`` listed for K < 4; any K works)."""
    keys = ["seed"] + [f"{s}.{f.name}" for s, c in PLAIN.items() for f in fields(c)]
    keys += [f"{sec}.{k}" for sec, m in LEGACY.items() for k in m]
    keys += ["hidden.sizes"] + [f"hidden.{f}" for f in HIDDEN_FIELDS]
    keys += [f"hidden.{n}.{f}" for n in range(4) for f in HIDDEN_FIELDS]
    keys += [f"output.{f}" for f in OUTPUT_FIELDS]
    return keys
