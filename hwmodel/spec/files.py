"""The configuration's files: the presets (``hwmodel/presets/*.toml``), reading a TOML file with
one-line errors, and a partial file merged over a base config (``Config.from_toml``'s ``base``)."""
from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from hwmodel.spec.sections import HIDDEN_FIELDS, LEGACY, PLAIN, ConfigError, HiddenCfg

if TYPE_CHECKING:
    from hwmodel.spec.config import Config

PRESET_DIR = Path(__file__).resolve().parents[1] / "presets"


def merge_onto(base: "Config", data: Mapping[str, Any], name: str) -> "Config":
    """A partial file over a base config: tables replace key by key; a [[hidden]] list replaces
    the base's hidden layers (each listed layer starting from the base's layer at that index)."""
    from hwmodel.spec.config import Config  # noqa: F811 (the class, at run time)
    stack = "hidden" in data or "output" in data
    legacy_keys = [k for k in ("fc1", "fc2") if k in data] + [
        k for k in ("b", "lr_shift_fc1", "lr_shift_fc2") if isinstance(data.get("drtp"), Mapping)
        and k in data["drtp"]]
    if stack and legacy_keys:
        raise ConfigError("[fc1]/[fc2] (one hidden layer) and [[hidden]]/[output] cannot be mixed")
    over: dict[str, Any] = {}
    for k, v in data.items():
        if k in ("name", "seed"):
            over[k] = v
        elif k in PLAIN or k in LEGACY or k == "output":
            if not isinstance(v, Mapping):
                raise ConfigError(f"[{k}] must be a table")
            for kk, vv in v.items():
                over[f"{k}.{kk}"] = vv
        elif k == "hidden":
            if not isinstance(v, list):
                raise ConfigError("'hidden' must be a list of tables ([[hidden]])")
            cur = [dataclasses.asdict(h) for h in base.hidden]
            proto = cur[-1] if cur else dataclasses.asdict(HiddenCfg())
            layers = []
            for n, t in enumerate(v):
                if not isinstance(t, Mapping):
                    raise ConfigError(f"[[hidden]] number {n} must be a table")
                for kk in t:
                    if kk not in HIDDEN_FIELDS:
                        raise ConfigError(f"unknown key 'hidden.{n}.{kk}'")
                layers.append({**(cur[n] if n < len(cur) else proto), **t})
            base = Config.from_dict({**stack_dict(base), "hidden": layers})
        else:
            raise ConfigError(f"unknown key '{k}'")
    cfg = base.replace(**over) if over else base
    return Config.from_dict({**cfg.to_dict(), "name": name})


def stack_dict(cfg: "Config") -> dict[str, Any]:
    """``cfg`` in the stack layout, whatever its depth."""
    return {"name": cfg.name, "seed": cfg.seed, **{s: dataclasses.asdict(getattr(cfg, s)) for s in PLAIN},
            "hidden": [dataclasses.asdict(h) for h in cfg.hidden], "output": dataclasses.asdict(cfg.output),
            "drtp": dataclasses.asdict(cfg.drtp)}


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
